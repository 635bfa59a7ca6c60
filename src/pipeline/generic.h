/*
 * generic.h - CSV and JSON feeds (abuse.ch, Spamhaus, blocklists, a team's
 * own sensors) to events, driven by a feed definition (JSON; the format is
 * described in docs/feeds.md).
 *
 * feed_def_load*() validate a definition completely: every mapped target
 * and every constant is checked against the event model (an unknown field
 * or an invalid constant fails the load naming the key), so parsing never
 * meets a definition error. A definition is immutable once loaded and may
 * be shared by parsers.
 *
 * generic_parse_*() deliver events through the Shadowserver parser's sink
 * and statistics types (struct ss_sink, struct ss_stats), with the same
 * discipline: events live in a batch of SS_BATCH_EVENTS and stay valid
 * until on_batch_end; a malformed record (wrong column count, invalid
 * UTF-8, a JSON syntax error on a line, an array or object for a typed
 * field, an invalid or missing required value) goes to on_malformed with
 * its line and the report goes on; a report-level failure (no header, the
 * header lacks a required column, not JSON at all in array mode) returns
 * CS_E_INVAL with why_out. CSV and JSON Lines are streamed: memory depends
 * on the longest record and the batch, never on the input size. The array
 * forms ("format": "json") are read whole, up to the definition's
 * max_bytes (at most GEN_MAX_DOC); their "line" is the 1-based index of the
 * record in the array.
 *
 * Key rule for JSON: a field key starting with '/' is a JSON pointer
 * (RFC 6901: "/host/ip", "~1" for '/', "~0" for '~', array elements by
 * index); any other key is a literal top-level member name, dots included
 * ("host.ip" is the member called "host.ip").
 */
#ifndef CS_GENERIC_H
#define CS_GENERIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pipeline/shadowserver.h"

#define GEN_WHY_MAX     SS_WHY_MAX
#define GEN_DEF_MAX     (64 * 1024)         /* bytes of definition text */
#define GEN_MAX_MAPS    256                 /* entries in "fields" */
#define GEN_MAX_KEY     256                 /* bytes in a field key */
#define GEN_MAX_DEPTH   16                  /* segments in a JSON pointer */
#define GEN_MAX_COLUMNS SS_MAX_COLUMNS      /* CSV columns */
#define GEN_MAX_RECORD  SS_MAX_RECORD       /* bytes in a CSV record or line */
#define GEN_MAX_DOC     (256 * 1024 * 1024) /* array forms: whole input */
#define GEN_DEFAULT_DOC (64 * 1024 * 1024)

struct feed_def;

/* A definition from JSON text (at most GEN_DEF_MAX bytes) or a file.
 * CS_E_INVAL (or CS_E_TOOBIG, CS_E_IO) with why_out on any error. */
enum cs_err feed_def_load_text(const char *json, size_t n,
                               struct feed_def **out,
                               char why_out[GEN_WHY_MAX]);
enum cs_err feed_def_load(const char *path, struct feed_def **out,
                          char why_out[GEN_WHY_MAX]);
void feed_def_free(struct feed_def *d);
const char *feed_def_name(const struct feed_def *d);
const char *feed_def_provider(const struct feed_def *d);
/* "csv", "jsonl" or "json" */
const char *feed_def_format(const struct feed_def *d);

/* Parses a whole feed from memory or a file descriptor (read until EOF).
 * observation is time.observation for every event (0: not set). CS_OK
 * when the feed was read, malformed records included; otherwise
 * CS_E_INVAL, CS_E_TOOBIG or CS_E_IO with why_out. st_out may be NULL. */
enum cs_err generic_parse_buf(const struct feed_def *d, const char *data,
                              size_t n, int64_t observation,
                              const struct ss_sink *sink,
                              struct ss_stats *st_out,
                              char why_out[GEN_WHY_MAX]);
enum cs_err generic_parse_fd(const struct feed_def *d, int fd,
                             int64_t observation, const struct ss_sink *sink,
                             struct ss_stats *st_out,
                             char why_out[GEN_WHY_MAX]);

#endif
