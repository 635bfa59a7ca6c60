/*
 * event_pack.h - the stored form of an event line (feed_event.data).
 *
 * An event line is IntelMQ's flat JSON object, and most of it repeats
 * within a report: every key, and values such as feed.*, classification.*,
 * protocol.* and time.observation. A report's dictionary (table
 * feed_field: report, code, key, value) gives each key met in the report a
 * small code, in order of first appearance, and remembers the value the
 * key had then. A packed line is
 *
 *   0x01 member*
 *   member: varint(code << 2 | 0)                        the remembered value
 *           varint(code << 2 | 1) varint(n) value[n]     another value
 *           varint(2) varint(k) key[k] varint(n) value[n] a key without code
 *
 * with keys and values as written in the line (quotes and escapes of
 * strings included), varints as LEB128. Unpacking writes the members back
 * as "key":value joined by commas inside braces, so the line comes back
 * byte for byte. A line that is not such a flat compact object (nested
 * values, white space, anything unexpected) is stored as it is: a stored
 * form that starts with '{' is the line itself, which is also what rows
 * written before packing hold (one that starts with 0x00 is the line
 * after that byte, for lines that do not start with '{').
 *
 * A dictionary is loaded for one call (event_append, event_list) and
 * reset after; the store inserts the codes a packing call added in the
 * same transaction as the rows that use them. Codes never change meaning,
 * so a reader that meets a code it has not loaded reloads.
 *
 * Limits: at most EVENT_DICT_MAX codes per report (keys after that are
 * written in full in each row), values longer than EVENT_DICT_VALUE_MAX are
 * not remembered (they are written in each row).
 */
#ifndef CS_EVENT_PACK_H
#define CS_EVENT_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#define EVENT_DICT_MAX       1024
#define EVENT_DICT_VALUE_MAX 512
#define EVENT_PACK_VERSION   0x01

struct event_dict;

struct event_dict *event_dict_new(void);
void event_dict_free(struct event_dict *d);
/* Forgets every code: the dictionary of another report comes next. */
void event_dict_reset(struct event_dict *d);
/* Adds the next code as loaded from the store (code must be the count so
 * far). CS_E_INVAL for a code out of order or over the limits. */
enum cs_err event_dict_load(struct event_dict *d, int64_t code, const char *key,
                            size_t klen, const char *value, size_t vlen);
/* Codes known; codes >= event_dict_saved() were added by event_pack and
 * are not in the store yet. */
size_t event_dict_count(const struct event_dict *d);
size_t event_dict_saved(const struct event_dict *d);
void event_dict_mark_saved(struct event_dict *d);
/* Code i's key and remembered value ("" when none), for storing. */
void event_dict_get(const struct event_dict *d, size_t i, const char **key,
                    size_t *klen, const char **value, size_t *vlen);

/* Packs the line (len bytes) into out (cap >= EVENT_PACK_ROOM(len)),
 * adding codes to d for keys it has not met. *n_out is the stored form's
 * size, at most len + 1. */
void event_pack(struct event_dict *d, const char *line, size_t len,
                uint8_t *out, size_t cap, size_t *n_out);
#define EVENT_PACK_ROOM(len) ((len) + 16)

/* The line of a stored form, NUL-terminated, from arena a. CS_E_NOTFOUND
 * when it uses a code d does not have (load the report's codes again),
 * CS_E_INVAL when the form is damaged, CS_E_TOOBIG at the arena's cap. */
enum cs_err event_unpack(const struct event_dict *d, const uint8_t *p, size_t n,
                         struct arena *a, const char **line_out,
                         size_t *len_out);

#endif
