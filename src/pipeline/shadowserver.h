/*
 * shadowserver.h - Shadowserver CSV reports to events, driven by the
 * vendor's IntelMQ schema (intelmq.json) as data.
 *
 * ss_schema_load() turns the schema into per-report tables: columns,
 * converters (a closed enum: an unknown converter name fails the load,
 * naming the report and field), targets (an event field, extra.<name>, or
 * ignored) and constant fields. ss_detect() maps a file name to a report
 * the way IntelMQ does: ^(?:\d{4}-\d{2}-\d{2}-)?(\w+)(-\w+)*\.csv$ and an
 * exact look-up of group 1 among the reports' file_name values.
 *
 * ss_parse_*() stream a CSV record by record (RFC 4180 framing as libcsv
 * did it, see ss_parse.c): memory depends on
 * the longest record and the batch, never on the file size. Semantics are
 * IntelMQ's parser's: a required column missing from the header fails the
 * report (CS_E_INVAL, nothing parsed); a record with the wrong number of
 * columns, invalid UTF-8, an over-long field, a converter failure or an
 * invalid required value is reported through on_malformed with its line and
 * the report goes on; an optional value that fails validation stays in
 * extra.<column> as text; non-empty unmapped columns go to extra.<column>;
 * empty values are dropped (IntelMQ ignores "" and None); constant fields
 * and feed.name / feed.provider ("Shadowserver") / feed.documentation are
 * set. IntelMQ's raw (base64 of header and line) is not kept.
 *
 * Events live in a batch of SS_BATCH_EVENTS: each event and its strings are
 * valid until on_batch_end (called before the batch memory is reused, and
 * once at the end). No allocation per event.
 *
 * Limits: SS_MAX_COLUMNS columns, SS_MAX_FIELD bytes per field,
 * SS_MAX_RECORD bytes per record (a longer field ends the report with
 * CS_E_TOOBIG since the CSV cannot be resynchronised safely).
 */
#ifndef CS_SHADOWSERVER_H
#define CS_SHADOWSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pipeline/event.h"

#define SS_MAX_COLUMNS  256
#define SS_MAX_FIELD    EVENT_VALUE_MAX
#define SS_MAX_RECORD   (256 * 1024)
#define SS_BATCH_EVENTS 1024
#define SS_WHY_MAX      256
#define SS_PROVIDER     "Shadowserver"

enum ss_conv {
	SC_NONE,
	SC_ADD_UTC_TO_TIMESTAMP,
	SC_CONVERT_BOOL,
	SC_VALIDATE_TO_NONE,
	SC_CONVERT_INT,
	SC_CONVERT_FLOAT,
	SC_CONVERT_HTTP_HOST_AND_URL,
	SC_INVALIDATE_ZERO,
	SC_VALIDATE_IP,
	SC_VALIDATE_NETWORK,
	SC_VALIDATE_FQDN,
	SC_CONVERT_DATE,
	SC_CONVERT_DATE_UTC,
	SC_FORCE_BASE64,
	SC_SCAN_EXCHANGE_TAXONOMY,
	SC_SCAN_EXCHANGE_TYPE,
	SC_SCAN_EXCHANGE_IDENTIFIER,
	SC_CATEGORY_OR_DETAIL,
	SC_EXTRACT_CVE_FROM_TAG,
};

struct ss_schema;
struct ss_report;

/* on_event gets each event with the batch it lives in: until on_batch_end
 * the sink may change the event (enrichment, rules), interning new strings
 * into that batch. */
struct ss_sink {
	void (*on_event)(struct event *ev, struct event_batch *b, void *ctx);
	void (*on_malformed)(size_t line, const char *reason, void *ctx);
	void (*on_batch_end)(void *ctx); /* may be NULL */
	void *ctx;
};

struct ss_stats {
	size_t rows; /* data records seen (not the header) */
	size_t events;
	size_t malformed;
};

/* From a file, or from JSON text (ss_schema_load_text). why_out gets the
 * reason on failure. */
enum cs_err ss_schema_load(const char *path, struct ss_schema **out,
                           char why_out[SS_WHY_MAX]);
enum cs_err ss_schema_load_text(const char *text, size_t n,
                                struct ss_schema **out,
                                char why_out[SS_WHY_MAX]);
void ss_schema_free(struct ss_schema *s);
size_t ss_schema_count(const struct ss_schema *s);
const struct ss_report *ss_schema_at(const struct ss_schema *s, size_t i);

/* By the schema key or file_name ("scan_http") or the feed name
 * ("Accessible-HTTP"); NULL if none. */
const struct ss_report *ss_report_find(const struct ss_schema *s,
                                       const char *name);
/* By a file name (a path's directory part is ignored); NULL if the name
 * does not match the pattern or names no report. */
const struct ss_report *ss_detect(const struct ss_schema *s,
                                  const char *file_name);
const char *ss_report_name(const struct ss_report *r); /* schema key */
const char *ss_report_feed(const struct ss_report *r); /* feed_name */
const char *ss_report_url(const struct ss_report *r);  /* may be NULL */
/* The constant value of a field, or NULL. */
const char *ss_report_constant(const struct ss_report *r, enum event_field f);
/* The required columns, i-th; NULL past the end. */
const char *ss_report_required(const struct ss_report *r, size_t i);

/* Converter names <-> enum (for tests and messages). */
bool ss_conv_lookup(const char *name, enum ss_conv *out);
const char *ss_conv_name(enum ss_conv c);

/* Parses a whole report from memory or from a file descriptor (read until
 * EOF). observation is time.observation for all events (0: not set).
 * Returns CS_OK when the report was read, malformed records included;
 * CS_E_INVAL (missing required column, no header), CS_E_TOOBIG (a limit)
 * or CS_E_IO with why_out for a report-level failure. */
enum cs_err ss_parse_buf(const struct ss_report *r, const char *data, size_t n,
                         int64_t observation, const struct ss_sink *sink,
                         struct ss_stats *st_out, char why_out[SS_WHY_MAX]);
enum cs_err ss_parse_fd(const struct ss_report *r, int fd, int64_t observation,
                        const struct ss_sink *sink, struct ss_stats *st_out,
                        char why_out[SS_WHY_MAX]);

#endif
