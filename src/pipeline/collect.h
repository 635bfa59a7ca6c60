/*
 * collect.h - reports entering the pipeline from outside: the durable
 * hand-over every collector (HTTP upload, drop directory, URL fetch, feed
 * mailboxes) goes through before it acknowledges anything.
 *
 * A report's bytes are written to a file of the data directory's spool
 * (<data>/spool/), and the file and the directory are fsync'ed; then, in
 * one write transaction, the feed_report row is recorded in state 'queued'
 * with its spool path and a durable `feed.ingest` job is enqueued for it.
 * Only after that commit does a collector answer 2xx or remove its source:
 * nothing acknowledged is ever lost. The job runs the report through the
 * server's one struct pipeline (pipeline_run()), so a report is treated the
 * same whichever way it arrived, and removes the spool file when the report
 * is done or failed for good.
 *
 * A report is known by its feed and the SHA-256 of its content: content
 * the feed already has (done, queued or running) is answered "already
 * processed as report N" (res->already) and its spool copy removed; nothing
 * else happens.
 *
 * The parser is chosen before anything is kept (collect_check()): an
 * unknown feed is CS_E_NOTFOUND, a Shadowserver report whose kind is
 * neither given nor found in the file name CS_E_INVAL.
 *
 * Limits: a report is at most cfg->report_max bytes (CS_E_TOOBIG beyond;
 * the spool file is then removed). Spool files being written end in
 * ".part"; collect_new() removes those a crash left behind (untouched for
 * 15 minutes).
 *
 * Threads: a struct collect is shared by every thread; each call takes the
 * caller's own store connection.
 *
 * Several processes on one PostgreSQL database: the spool is in each
 * process's data directory, so a feed.ingest job can only run where its
 * file is. Either share the spool between them (the same data directory
 * path on a shared file system) or run the collectors and the job workers
 * in the same process; a job that cannot open its file is retried
 * (another process may hold it) until its attempts run out.
 */
#ifndef CS_COLLECT_H
#define CS_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/users.h"
#include "store/store.h"

#define COLLECT_WHY_MAX  512
#define COLLECT_JOB_KIND "feed.ingest"

struct pipeline;
struct jobs;

struct collect_config {
	const char *data_dir;      /* the spool is <data_dir>/spool */
	struct pipeline *pipeline; /* feeds and their parsers */
	int64_t report_max;        /* bytes of one report */
	int max_attempts;          /* of the feed.ingest job */
	struct jobs *jobs;         /* told of each queued job; may be NULL */
};

struct collect;

enum cs_err collect_new(const struct collect_config *cfg, struct collect **out,
                        char why[COLLECT_WHY_MAX]);
void collect_free(struct collect *c);
/* The jobs to wake (set once the workers run). */
void collect_set_jobs(struct collect *c, struct jobs *j);
int64_t collect_report_max(const struct collect *c);

struct collect_result {
	int64_t report_id; /* the new report, or the known one */
	int64_t job_id;    /* 0 when already */
	bool already;      /* the feed had this content */
	char state[16];    /* of the report: queued, running, done, failed */
	char sha256[65];
	int64_t size;
};

/* Would the feed take a report of this kind (NULL: detected) and file name
 * (may be NULL)? CS_E_NOTFOUND: no such feed; CS_E_INVAL: the report kind
 * cannot be determined. */
enum cs_err collect_check(struct collect *c, const char *feed,
                          const char *report, const char *filename,
                          char why[COLLECT_WHY_MAX]);

/* A spool file being written (an upload arriving in pieces). */
struct collect_spool;
enum cs_err collect_spool_open(struct collect *c, struct collect_spool **out,
                               char why[COLLECT_WHY_MAX]);
/* CS_E_TOOBIG past report_max (nothing more is written), CS_E_IO. */
enum cs_err collect_spool_write(struct collect_spool *sp, const void *buf,
                                size_t n);
int64_t collect_spool_size(const struct collect_spool *sp);
/* Removes the file and frees sp. NULL is fine. */
void collect_spool_abort(struct collect_spool *sp);
/* Makes the report durable and queues it (see above); takes sp in every
 * case. source names where it came from (a file name, a URL); by (may be
 * NULL: "collector") is audited with the job. */
enum cs_err collect_spool_commit(struct collect *c, struct store *st,
                                 struct collect_spool *sp, const char *feed,
                                 const char *report, const char *source,
                                 const struct actor *by,
                                 struct collect_result *res,
                                 char why[COLLECT_WHY_MAX]);

/* The whole content readable from fd (read to its end, not closed). */
enum cs_err collect_submit_fd(struct collect *c, struct store *st,
                              const char *feed, const char *report,
                              const char *source, int fd,
                              const struct actor *by,
                              struct collect_result *res,
                              char why[COLLECT_WHY_MAX]);
/* The file at path, moved into the spool: hard-linked (same file system)
 * or copied and fsync'ed, and path removed once the report is queued or
 * known. On any error path is left where it was. */
enum cs_err collect_submit_path(struct collect *c, struct store *st,
                                const char *feed, const char *report,
                                const char *source, const char *path,
                                const struct actor *by,
                                struct collect_result *res,
                                char why[COLLECT_WHY_MAX]);

/* Moves file into dir (created if need be) as name (name.1, ... when it
 * exists) and writes the reason beside it as name.why. */
enum cs_err collect_set_aside(const char *file, const char *dir,
                              const char *name, const char *reason);

/* The feed.ingest job kind (jobs.c): payload {"report": ID}. Runs the
 * queued report through the pipeline from its spool file and removes the
 * file when the report is done or failed for good (a report from the
 * drop directory is then moved to its feed's failed/ with the reason). Run
 * again after a crash, ingest resumes after its checkpoint. */
struct job_run;
bool collect_job_valid(json_t *payload, const char **why);
enum cs_err collect_job_work(struct job_run *r);
enum cs_err collect_job_apply(struct job_run *r);
enum cs_err collect_job_failed(struct job_run *r);

#endif
