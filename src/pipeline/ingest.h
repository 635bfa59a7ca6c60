/*
 * ingest.h - a feed report through the pipeline into the store, exactly
 * once in effect.
 *
 * A report is known by its feed and the SHA-256 of its content
 * (feed_report). Its records are parsed as a stream; each event is
 * enriched (ASN, geolocation), run through the rules (which may drop,
 * change, classify, tag it, set its TLP, ask for or suppress its
 * notification, open an incident), deduplicated or aggregated by the
 * configured key, matched to the organisations it concerns, and stored
 * once per organisation, in transactions of about opts->commit_events
 * events. The rules' incidents are opened, one per distinct title with
 * every organisation its events concern, in the transaction that marks
 * the report done.
 * Each transaction also moves the report's checkpoint (feed_report.records:
 * how many records are done) and keeps its malformed records, so a crash
 * or a kill -9 loses nothing acknowledged and stores nothing twice: the
 * next run of the same content resumes after the checkpoint. Records before
 * the checkpoint are parsed again and run through every stage but not
 * stored, so that per-report state (the dedup table, aggregates, the
 * incidents to open) is rebuilt exactly as an uninterrupted run had it;
 * the dedup table therefore lives for one report.
 *
 * The checkpoint moves by compare-and-set: two processes working on the
 * same report cannot both commit the same records; the one that loses gets
 * CS_E_STALE and its transaction is rolled back.
 *
 * Memory: one event batch of the parser, one buffer of JSON text for that
 * batch, the malformed records kept (at most opts->malformed_keep per
 * report) and the dedup table (fixed capacity); nothing grows with the
 * size of the input.
 */
#ifndef CS_INGEST_H
#define CS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/constituency.h"
#include "core/err.h"
#include "core/incidents.h"
#include "pipeline/asn.h"
#include "pipeline/dedup.h"
#include "pipeline/geo.h"
#include "pipeline/rules.h"
#include "pipeline/shadowserver.h"
#include "store/store.h"

#define INGEST_WHY_MAX 256
/* distinct incident titles the rules may open per report */
#define INGEST_INCIDENTS_MAX 32

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

/* The stages between parsing and storing, in order; NULL: not run. The
 * caller keeps them alive (and their references held) for the call. */
struct ingest_opts {
	const char *feed; /* the feed name events and the report carry */
	const char *tlp;  /* of the feed's events: "amber" when NULL */
	struct constituency_index *ci; /* NULL: events concern no org */
	size_t commit_events;          /* per transaction; 0: 16384 */
	size_t malformed_keep;         /* per report; 0: 1000 */
	const struct asn_table *asn;   /* source.asn, source.network */
	const struct geo *geo;         /* *.geolocation.* */
	const struct rules *rules;     /* drop, set, classify, tag, tlp, ... */
	/* a table of this configuration per report (emit and emit_ctx are
	 * ingest's own); drop mode runs after the rules, aggregate mode
	 * before them, so rules see extra.count */
	const struct dedup_config *dedup;
	/* the rules' incident action: incidents are opened by actor with
	 * this policy when the report is done; NULL: counted only */
	const struct incident_policy *incidents;
	const struct actor *actor;
};

struct ingest_result {
	/* as it stands after the run; strings are the caller's (feed,
	 * report kind, source), sha256/error/spool are NULL */
	struct feed_report report;
	char sha256[65];   /* of the content */
	bool already_done; /* the content had been processed */
	bool resumed;      /* the run continued an interrupted one */
	int64_t skipped;   /* records before the checkpoint */
	/* incidents the rules opened, their refs in refs (the first
	 * INGEST_INCIDENTS_MAX) */
	size_t incidents;
	char refs[INGEST_INCIDENTS_MAX][48];
	uint64_t geo_errors;   /* lookups a damaged database failed */
	uint64_t regex_errors; /* rule regexes that hit the match limit */
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

/* A run that stores nothing (csirtd ingest --dry-run, benchmarks): every
 * stage runs as for ingest_fd(), and what would be stored goes to the
 * callbacks instead, at each parser batch end (rows: one per organisation;
 * ev->data is the event's JSON line, valid during the call). Incidents the
 * rules ask for are reported by title when the report ends, never opened.
 * fd need not be seekable; nothing is checkpointed. Any callback may be
 * NULL. */
struct ingest_dry {
	void (*on_row)(void *ctx, const struct stored_event *ev);
	void (*on_malformed)(void *ctx, int64_t line, const char *reason);
	void (*on_incident)(void *ctx, const char *title, uint64_t events,
	                    size_t orgs);
	void *ctx;
	/* rows without their JSON line (data NULL): to measure the stages
	 * apart from the stored form */
	bool no_text;
};

enum cs_err ingest_dry_fd(const struct ingest_dry *dry,
                          const struct ingest_opts *o,
                          const struct ingest_parser *p, int fd,
                          const char *source, int64_t received_at,
                          struct ingest_result *res, char why[INGEST_WHY_MAX]);

/* The SHA-256 (hex) and size of what fd holds, read from its start; fd is
 * left at its start. */
enum cs_err ingest_hash_fd(int fd, char hex[65], int64_t *size_out);

/* The 16-byte stored form of an address (IPv4 as ::ffff:a.b.c.d), and the
 * range of a block in that form. */
void ingest_ip_bytes(const struct ip_addr *a, uint8_t out[EVENT_IP_BYTES]);
void ingest_cidr_range(const struct cidr *c, uint8_t lo[EVENT_IP_BYTES],
                       uint8_t hi[EVENT_IP_BYTES]);

#endif
