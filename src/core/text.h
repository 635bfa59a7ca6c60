/*
 * text.h - checks on human-entered text before it is stored.
 *
 * Names, e-mail addresses and labels must be well-formed UTF-8 (no overlong
 * forms, no surrogates, nothing above U+10FFFF) without control characters,
 * so every later consumer (JSON, logs, mail headers) can take them as they
 * are. The HTTP layer gets this from jansson already; the CLI and other
 * inputs do not.
 */
#ifndef CS_TEXT_H
#define CS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_is_valid(const char *s, size_t len);
/* Valid UTF-8, at most max_bytes long, no C0 controls or DEL. */
bool text_is_clean(const char *s, size_t max_bytes);

/* Like text_is_clean() but newlines and tabs are allowed (notes). */
bool text_is_clean_multiline(const char *s, size_t max_bytes);
/* A plausible single address "local@domain": one '@', no spaces, quotes or
 * angle brackets, at most 254 bytes of clean text. */
bool email_is_valid(const char *s);
/* "ca,es,en": comma-separated lower-case ISO 639-1 codes, or "". */
bool language_list_is_valid(const char *s);

#endif
