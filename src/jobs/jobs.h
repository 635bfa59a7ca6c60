/*
 * jobs.h - durable background jobs.
 *
 * A job is a row of the job table: kind, JSON payload, attempts, run_after,
 * last error. Worker threads claim one runnable job at a time (its lease
 * makes a crashed worker's job runnable again) and run it. A kind whose
 * effect is in the database runs inside one write transaction that also
 * marks the job done, so the effect and the completion commit together:
 * after a crash a job either ran completely or runs again, never twice in
 * effect. Failures are retried with exponential backoff until max_attempts,
 * then the job is failed and kept for inspection.
 *
 * Kinds are one static table (jobs.c). Periodic housekeeping (purging
 * expired sessions, idempotency keys and throttles; deleting each feed's
 * reports and events older than [pipeline] retention) and the event digest
 * tick (enqueueing the due "notify.digest" jobs, pipeline/notify.h) run
 * on worker 0.
 */
#ifndef CS_JOBS_H
#define CS_JOBS_H

#include <jansson.h>

#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

struct metrics;
struct jobs;
struct config;
struct pipeline;
struct constituency_index;

/* What a job kind's functions get (the kinds are listed in jobs.c). */
struct job_run {
	struct store *st;
	struct arena *a;
	const struct job *job;
	json_t *payload;
	char err[256];  /* why it failed, for the job row and the log */
	bool permanent; /* set by work(): retrying cannot help */
	struct jobs *jobs;
	const struct config *app;
	struct pipeline *pipeline;     /* the server's; may be NULL */
	struct constituency_index *ci; /* the server's lookup index */
	void *state; /* what work() prepared for apply(); the kind's cleanup
	                releases it */
};

struct jobs_config {
	const char *database;
	int workers;
	int64_t lease;
	int max_attempts;
	int64_t idempotency_ttl;
	struct metrics *metrics;  /* may be NULL */
	const struct config *app; /* settings job kinds read (mail relay) */
	/* the configured pipeline and constituency index feed.ingest runs
	 * reports with, and whose feeds' retention housekeeping applies;
	 * may be NULL */
	struct pipeline *pipeline;
	struct constituency_index *ci;
};

bool job_kind_exists(const char *kind);
/* Validates and stores a job, audited as job.create. payload may be NULL. */
enum cs_err jobs_enqueue(struct store *st, struct arena *a,
                         const struct actor *by, const char *kind,
                         json_t *payload, int max_attempts, int64_t *id_out,
                         struct verrs *ve);
/* The same inside the caller's open write transaction (the job commits
 * with whatever else the caller writes). */
enum cs_err jobs_enqueue_in(struct store *st, struct arena *a,
                            const struct actor *by, const char *kind,
                            json_t *payload, int max_attempts, int64_t *id_out,
                            struct verrs *ve);

enum cs_err jobs_start(const struct jobs_config *cfg, struct jobs **out);
/* Wakes idle workers: a job was just enqueued. */
void jobs_notify(struct jobs *j);
/* Asks workers to stop after their current job and joins them. */
void jobs_stop(struct jobs *j);

#endif
