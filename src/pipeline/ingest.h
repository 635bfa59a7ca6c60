/*
 * ingest.h - a feed report through the pipeline into the store, exactly
 * once in effect.
 *
 * A report is known by its feed and the SHA-256 of its content
 * (feed_report). Its records are parsed as a stream, each event is
 * enriched (constituency: the organisations it concerns) and stored once
 * per organisation, in transactions of about opts->commit_events events.
 * Each transaction also moves the report's checkpoint (feed_report.records:
 * how many records are done) and keeps its malformed records, so a crash
 * or a kill -9 loses nothing acknowledged and stores nothing twice: the
 * next run of the same content resumes after the checkpoint. Records before
 * the checkpoint are parsed again but not stored, so that per-report state
 * (the dedup window) is rebuilt exactly as an uninterrupted run had it.
 *
 * The checkpoint moves by compare-and-set: two processes working on the
 * same report cannot both commit the same records; the one that loses gets
 * CS_E_STALE and its transaction is rolled back.
 *
 * Memory: one event batch of the parser, one buffer of JSON text for that
 * batch, and the malformed records kept (at most opts->malformed_keep per
 * report); nothing grows with the size of the input.
 */
#ifndef CS_INGEST_H
#define CS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/constituency.h"
#include "core/err.h"
#include "pipeline/shadowserver.h"
#include "store/store.h"

#define INGEST_WHY_MAX 256

/* A parser: Shadowserver's (ss_parse_fd) or a generic feed definition's.
 * It streams events and malformed records from fd to the sink. */
typedef enum cs_err (*ingest_parse_fn)(const void *arg, int fd,
                                       int64_t observation,
                                       const struct ss_sink *sink,
                                       struct ss_stats *st,
                                       char why[SS_WHY_MAX]);

struct ingest_parser {
	ingest_parse_fn parse;
	const void *arg;
	const char *report; /* the report kind ("scan_http"), or "" */
};

/* The Shadowserver parser for one report of a schema. */
struct ingest_parser ingest_shadowserver(const struct ss_report *r);

struct ingest_opts {
	const char *feed; /* the feed name events and the report carry */
	const char *tlp;  /* of the feed's events: "amber" when NULL */
	struct constituency_index *ci; /* NULL: events concern no org */
	size_t commit_events;          /* per transaction; 0: 16384 */
	size_t malformed_keep;         /* per report; 0: 1000 */
};

struct ingest_result {
	/* as it stands after the run; strings are the caller's (feed,
	 * report kind, source), sha256/error/spool are NULL */
	struct feed_report report;
	char sha256[65];   /* of the content */
	bool already_done; /* the content had been processed */
	bool resumed;      /* the run continued an interrupted one */
	int64_t skipped;   /* records before the checkpoint */
};

/* Runs a report whose content is readable from fd (seekable: it is read
 * twice, once for its SHA-256). source names it (a file name, a URL).
 * received_at is the report's time.observation. Returns CS_OK when the
 * report was read to its end (malformed records included: see
 * res->report); CS_E_INVAL/CS_E_TOOBIG/CS_E_IO with why for a report the
 * parser refused (the report is then marked failed with that reason);
 * CS_E_STALE when another process works on the same report; CS_E_DB for
 * the store. With res->already_done nothing was done. */
enum cs_err ingest_fd(struct store *st, const struct ingest_opts *o,
                      const struct ingest_parser *p, int fd, const char *source,
                      int64_t received_at, struct ingest_result *res,
                      char why[INGEST_WHY_MAX]);

/* The SHA-256 (hex) and size of what fd holds, read from its start; fd is
 * left at its start. */
enum cs_err ingest_hash_fd(int fd, char hex[65], int64_t *size_out);

/* The 16-byte stored form of an address (IPv4 as ::ffff:a.b.c.d), and the
 * range of a block in that form. */
void ingest_ip_bytes(const struct ip_addr *a, uint8_t out[EVENT_IP_BYTES]);
void ingest_cidr_range(const struct cidr *c, uint8_t lo[EVENT_IP_BYTES],
                       uint8_t hi[EVENT_IP_BYTES]);

#endif
