/*
 * imap_parse.h - what imap.c's parsers are; exposed for the fuzz target and
 * unit tests. Not an interface for the rest of csirtd: that is imap.h.
 *
 * They read server replies, i.e. hostile bytes with explicit lengths (no
 * NUL termination), and keep no state between calls:
 *
 *   imap_parse_search  "* SEARCH 4 7 9" lines (write callback capture)
 *   imap_parse_size    "RFC822.SIZE n" in a FETCH reply (write callback)
 *   imap_find_body     the BODY[] literal in the header-callback stream
 *   imap_resync_keep   how much of a literal cut short by a tag line to keep
 */
#ifndef CS_IMAP_PARSE_H
#define CS_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_body {
	IMAP_BODY_NONE,    /* no BODY[] literal in the response */
	IMAP_BODY_OK,      /* the whole literal and the rest of its response */
	IMAP_BODY_PARTIAL, /* the literal starts, but the response ended early
	                    */
};

/* Parses the "* SEARCH n n ..." lines of buf into a sorted, duplicate-free
 * list of UIDs (each 1..UINT32_MAX; 0 and larger numbers are skipped), of
 * which the first max are returned (max 0: all). over: buf was cut off, so
 * a number ending at len is dropped. *uids_out is the caller's to free();
 * NULL when nothing was found. Returns the number of UIDs. */
size_t imap_parse_search(const char *buf, size_t len, bool over,
                         uint32_t **uids_out, size_t max);

/* Finds the first "RFC822.SIZE " in buf; true with *size_out set only when
 * one or more digits follow it and their value fits a size_t. */
bool imap_parse_size(const char *buf, size_t len, size_t *size_out);

/* Finds, in the server's byte stream, the untagged FETCH response carrying
 * BODY[] for uid (or with no UID before the literal: only one message was
 * asked for) and returns where its literal starts and how long it is:
 *   "* 3 FETCH (UID 7 BODY[]<0> {1234}\r\n" <1234 bytes> ")\r\n"
 * Other untagged responses, literals included, are skipped.
 * IMAP_BODY_OK: s[*off_out .. *off_out + *lit_out) is the literal, followed
 * by ')' or ' '; *avail_out == *lit_out.
 * IMAP_BODY_PARTIAL: fewer bytes than announced arrived, or the literal is
 * not followed by the rest of the response line; *avail_out (at most
 * *lit_out) says how many arrived from *off_out.
 * IMAP_BODY_NONE: the outputs are unspecified. */
enum imap_body imap_find_body(const char *s, size_t len, uint32_t uid,
                              size_t *off_out, size_t *lit_out,
                              size_t *avail_out);

/* libcurl finds the end of a command's response by its tag ("A005 OK") at
 * the start of a line, also inside a literal: a message with such a line
 * ends the FETCH early for libcurl and leaves the connection out of step.
 * What arrived up to that line is the message's; the rest is fetched on a
 * new connection from one byte into that line, where no tag can match.
 * Returns how many of the avail bytes at lit to keep: up to and including
 * the first byte of the last line (0 only when avail is 0). */
size_t imap_resync_keep(const char *lit, size_t avail);

#endif
