/*
 * pipeline.h - the event pipeline as configured: which feeds exist and how
 * each report of them runs through parse -> enrich -> rules -> dedup ->
 * store (ingest.h). Every collector (csirtd ingest, the drop directory,
 * uploads, URL fetches, feed mailboxes) runs reports through one struct
 * pipeline, so a report is treated the same whichever way it arrived.
 *
 * Feeds: "shadowserver" when [pipeline] shadowserver_schema is set (the
 * report kind is detected from the file name or given), "intelmq" (IntelMQ
 * event lines: what a team brings from IntelMQ), and one feed per
 * generic definition (docs/feeds.md) in [pipeline] feeds, a directory of
 * NAME.json files; the definition's "name" is the feed's name. Names are
 * unique; a definition that does not load refuses the whole pipeline with
 * the file and the reason, so a typo never silently drops a feed.
 *
 * Stages: the ASN table, the MaxMind database, the rule file and the dedup
 * settings of [pipeline]. pipeline_reload() re-reads the rule file and the
 * ASN table (the parts that change while running): each is loaded and
 * checked completely first and replaces the running one only when it
 * loads, so a bad file leaves the pipeline as it was; a report already
 * running keeps the stages it started with. Feed definitions, the schema
 * and the MaxMind database are read at start.
 *
 * Threads: pipeline_run() may be called from any number of threads at once
 * (each with its own store connection); everything shared is immutable or
 * reference counted.
 */
#ifndef CS_PIPELINE_H
#define CS_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/constituency.h"
#include "core/err.h"
#include "pipeline/ingest.h"

#define PIPELINE_WHY_MAX      512
#define PIPELINE_FEEDS_MAX    256 /* generic feed definitions */
#define PIPELINE_SHADOWSERVER "shadowserver"
#define PIPELINE_INTELMQ      "intelmq" /* IntelMQ event lines (intelmq.h) */

struct pipeline;

/* Loads everything the configuration names. CS_E_INVAL / CS_E_IO with why
 * naming the setting and file on any error. */
enum cs_err pipeline_open(const struct config *cfg, struct pipeline **out,
                          char why[PIPELINE_WHY_MAX]);
void pipeline_free(struct pipeline *p);

/* Adds one generic feed definition file (csirtd ingest --definition). */
enum cs_err pipeline_add_definition(struct pipeline *p, const char *path,
                                    char why[PIPELINE_WHY_MAX]);

/* Re-reads the rule file and the ASN table; see above. */
enum cs_err pipeline_reload(struct pipeline *p, char why[PIPELINE_WHY_MAX]);

/* The feeds: the built-in ones first, then the generic ones by name. */
size_t pipeline_feed_count(const struct pipeline *p);
const char *pipeline_feed_name(const struct pipeline *p, size_t i);
/* "csv", "jsonl" or "json" */
const char *pipeline_feed_format(const struct pipeline *p, size_t i);
bool pipeline_feed_exists(const struct pipeline *p, const char *feed);

/* The parser for a report of feed: for Shadowserver the report kind is
 * report when given, else detected from filename. CS_E_NOTFOUND with why
 * for an unknown feed or report kind. */
enum cs_err pipeline_parser(const struct pipeline *p, const char *feed,
                            const char *report, const char *filename,
                            struct ingest_parser *out,
                            char why[PIPELINE_WHY_MAX]);

/* Runs one report of feed (see ingest_fd()) with the current stages;
 * parser from pipeline_parser(); ci may be NULL (events then concern no
 * organisation). */
enum cs_err pipeline_run(struct pipeline *p, struct store *st,
                         struct constituency_index *ci, const char *feed,
                         const struct ingest_parser *parser, int fd,
                         const char *source, int64_t received_at,
                         struct ingest_result *res, char why[INGEST_WHY_MAX]);

/* The same without a store (ingest_dry_fd()): csirtd ingest --dry-run
 * and benchmarks. */
enum cs_err pipeline_run_dry(struct pipeline *p, struct constituency_index *ci,
                             const char *feed,
                             const struct ingest_parser *parser,
                             const struct ingest_dry *dry, int fd,
                             const char *source, int64_t received_at,
                             struct ingest_result *res,
                             char why[INGEST_WHY_MAX]);

/* What the stages hold, for `csirtd config`-like reports and metrics. */
struct pipeline_info {
	size_t feeds, rules, asn_prefixes;
	bool geo, dedup;
	const char *dedup_mode; /* "drop", "aggregate" */
};
void pipeline_info(struct pipeline *p, struct pipeline_info *out);

#endif
