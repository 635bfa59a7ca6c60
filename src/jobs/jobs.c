#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/metrics.h"
#include "jobs/jobs.h"
#include "mail/outbound.h"
#include "pipeline/collect.h"
#include "pipeline/notify.h"
#include "pipeline/pipeline.h"

#define PURGE_EVERY 600 /* seconds */
#define BACKOFF_MAX 3600

static bool stopping(struct jobs *j);

struct job_kind {
	const char *name;
	/* checks a payload at enqueue time */
	bool (*valid)(json_t *payload, const char **why);
	/* work outside any transaction (waiting, talking to other hosts);
	 * may be NULL */
	enum cs_err (*work)(struct job_run *r);
	/* the job's database effect: st is inside the write transaction
	 * that also marks the job done */
	enum cs_err (*apply)(struct job_run *r);
	/* when the job has failed for good, inside the transaction that
	 * marks it failed; may be NULL */
	enum cs_err (*failed)(struct job_run *r);
	/* releases r->state after every run, whatever happened; may be
	 * NULL */
	void (*cleanup)(struct job_run *r);
};

/* selftest: lets an operator check that workers run and that a job's
 * effect commits exactly once. Sleeps sleep_ms, then appends an audit row
 * "job.selftest" for the job in the transaction that completes it. */
static bool
selftest_valid(json_t *p, const char **why)
{
	json_t *v = json_object_get(p, "sleep_ms");
	const char *key;
	json_t *val;

	json_object_foreach(p, key, val)
	{
		(void)val;
		if (strcmp(key, "sleep_ms") != 0 && strcmp(key, "fail") != 0) {
			*why = "unknown field (sleep_ms and fail are known)";
			return false;
		}
	}
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
	                  json_integer_value(v) > 60000)) {
		*why = "sleep_ms must be an integer from 0 to 60000";
		return false;
	}
	v = json_object_get(p, "fail");
	if (v != NULL && !json_is_boolean(v)) {
		*why = "fail must be true or false";
		return false;
	}
	return true;
}

static enum cs_err
selftest_work(struct job_run *r)
{
	json_int_t ms =
	    json_integer_value(json_object_get(r->payload, "sleep_ms"));

	while (ms > 0 && !stopping(r->jobs)) {
		struct timespec ts = {0, (ms > 50 ? 50 : ms) * 1000000L};

		nanosleep(&ts, NULL);
		ms -= 50;
	}
	if (ms > 0) {
		snprintf(r->err, sizeof(r->err), "interrupted by shutdown");
		return CS_E_IO;
	}
	if (json_is_true(json_object_get(r->payload, "fail"))) {
		snprintf(r->err, sizeof(r->err), "failed on request");
		return CS_E_INVAL;
	}
	return CS_OK;
}

static enum cs_err
selftest_apply(struct job_run *r)
{
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)r->job->id);
	d = json_pack("{s:i}", "attempt", r->job->attempts);
	err = audit_append(r->st, r->a, clock_now(), "system", "job.selftest",
	                   "job", idbuf, d);
	json_decref(d);
	return err;
}

static const struct job_kind kinds[] = {
    {"selftest", selftest_valid, selftest_work, selftest_apply, NULL, NULL},
    {"mail.send", mail_send_valid, mail_send_work, mail_send_apply,
     mail_send_failed, NULL},
    {COLLECT_JOB_KIND, collect_job_valid, collect_job_work, collect_job_apply,
     collect_job_failed, NULL},
    {NOTIFY_JOB, notify_digest_valid, notify_digest_work, notify_digest_apply,
     NULL, notify_digest_cleanup},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct job_kind *
kind_find(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

bool
job_kind_exists(const char *kind)
{
	return kind_find(kind) != NULL;
}

static enum cs_err
enqueue(struct store *st, struct arena *a, const struct actor *by,
        const char *kind, json_t *payload, int max_attempts, bool own_txn,
        int64_t *id_out, struct verrs *ve)
{
	const struct job_kind *k = kind_find(kind);
	struct job j = {0};
	const char *why = NULL;
	char *text = NULL, idbuf[24];
	json_t *d, *empty = json_object();
	bool ok;
	enum cs_err err;

	if (k == NULL) {
		json_decref(empty);
		return verr_add(ve, "kind", "unknown job kind");
	}
	if (payload != NULL && !json_is_object(payload)) {
		json_decref(empty);
		return verr_add(ve, "payload", "must be an object");
	}
	ok = k->valid(payload ? payload : empty, &why);
	json_decref(empty);
	if (!ok)
		return verr_add(ve, "payload", why);
	if (payload != NULL)
		text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	j.kind = kind;
	j.payload = text ? text : "{}";
	j.max_attempts = max_attempts;
	j.created_at = j.run_after = clock_now();
	if (own_txn && (err = store_begin(st, true)) != CS_OK)
		goto out;
	if ((err = store_call(st, job_put, &j, id_out)) != CS_OK)
		goto end;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)*id_out);
	d = json_pack("{s:s}", "kind", kind);
	err = audit_append(st, a, j.created_at, by->name, "job.create", "job",
	                   idbuf, d);
	json_decref(d);
end:
	if (own_txn)
		err = store_end(st, err);
out:
	free(text);
	return err;
}

enum cs_err
jobs_enqueue(struct store *st, struct arena *a, const struct actor *by,
             const char *kind, json_t *payload, int max_attempts,
             int64_t *id_out, struct verrs *ve)
{
	return enqueue(st, a, by, kind, payload, max_attempts, true, id_out,
	               ve);
}

enum cs_err
jobs_enqueue_in(struct store *st, struct arena *a, const struct actor *by,
                const char *kind, json_t *payload, int max_attempts,
                int64_t *id_out, struct verrs *ve)
{
	return enqueue(st, a, by, kind, payload, max_attempts, false, id_out,
	               ve);
}

struct worker {
	struct jobs *jobs;
	pthread_t thread;
	int index;
};

struct jobs {
	struct jobs_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	unsigned wakeups;
	struct worker *w;
};

static void
idle_wait(struct jobs *j, unsigned seen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_mutex_lock(&j->mu);
	while (!j->stopping && j->wakeups == seen &&
	       pthread_cond_timedwait(&j->cv, &j->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&j->mu);
}

static bool
stopping(struct jobs *j)
{
	bool s;

	pthread_mutex_lock(&j->mu);
	s = j->stopping;
	pthread_mutex_unlock(&j->mu);
	return s;
}

static void
purge(struct jobs *j, struct store *st)
{
	int64_t n = 0;

	if (store_begin(st, true) != CS_OK)
		return;
	if (store_end(st, store_call(st, purge, clock_now(),
	                             j->cfg.idempotency_ttl, &n)) == CS_OK &&
	    n > 0)
		log_info("msg=purged rows=%lld", (long long)n);
}

/* [pipeline] retention: each feed's reports (and their events) received
 * longer ago than that go, audited per feed with what went. */
static void
expire_feeds(struct jobs *j, struct store *st, struct arena *a)
{
	int64_t keep = j->cfg.app ? j->cfg.app->event_retention : 0;
	int64_t now = clock_now();

	if (keep <= 0 || j->cfg.pipeline == NULL)
		return;
	for (size_t i = 0; i < pipeline_feed_count(j->cfg.pipeline); i++) {
		const char *feed = pipeline_feed_name(j->cfg.pipeline, i);
		int64_t reports = 0, events = 0;
		enum cs_err err;
		json_t *d;

		if (store_begin(st, true) != CS_OK)
			return;
		err = store_call(st, feed_expire, feed, now - keep, &reports,
		                 &events);
		if (err == CS_OK && reports > 0) {
			d = json_pack("{s:I,s:I,s:I}", "reports",
			              (json_int_t)reports, "events",
			              (json_int_t)events, "before",
			              (json_int_t)(now - keep));
			err = audit_append(st, a, now, "system", "feed.expire",
			                   "feed", feed, d);
			json_decref(d);
		}
		if (store_end(st, err) != CS_OK) {
			log_warnx("msg=\"feed retention failed\" feed=%s",
			          feed);
			continue;
		}
		if (reports > 0)
			log_info("msg=\"feed reports expired\" feed=%s "
			         "reports=%lld events=%lld",
			         feed, (long long)reports, (long long)events);
	}
}

/* Enqueues the event digests that are due (notify.h). */
static void
notify(struct jobs *j, struct store *st, struct arena *a)
{
	size_t n = 0;
	enum cs_err err;

	arena_reset(a);
	err = notify_tick(st, a, j->cfg.app, clock_now(), &n);
	if (err != CS_OK)
		log_warnx("msg=\"notify tick failed\" error=%s",
		          cs_err_str(err));
	log_debug("msg=\"notify tick\" enqueued=%zu", n);
}

static void
finish(struct jobs *j, const struct job *job, const struct job_kind *k,
       const char *result, double t0)
{
	log_info("msg=job id=%lld kind=%s attempt=%d result=%s dur_ms=%.1f",
	         (long long)job->id, job->kind, job->attempts, result,
	         (clock_mono() - t0) * 1000);
	if (j->cfg.metrics != NULL)
		/* metrics keep the pointer: pass the kind table's string */
		metrics_job(j->cfg.metrics, k ? k->name : "unknown", result);
}

/* Claims and runs one job; false when there was none. */
static bool
run_one(struct jobs *j, struct store *st, struct arena *a)
{
	struct job job;
	struct job_run r = {.st = st,
	                    .a = a,
	                    .job = &job,
	                    .jobs = j,
	                    .app = j->cfg.app,
	                    .pipeline = j->cfg.pipeline,
	                    .ci = j->cfg.ci};
	const struct job_kind *k;
	json_error_t jerr;
	enum cs_err err;
	double t0 = clock_mono();
	int64_t now = clock_now(), delay;
	bool dead;

	if (stopping(j) || (err = store_begin(st, true)) != CS_OK)
		return false;
	err = store_call(st, job_claim, a, now, j->cfg.lease, &job);
	if (store_end(st, err) != CS_OK)
		return false;
	k = kind_find(job.kind);
	r.payload = json_loads(job.payload, 0, &jerr);
	if (k == NULL || r.payload == NULL) {
		snprintf(r.err, sizeof(r.err), "%s",
		         k == NULL ? "unknown job kind" : "unreadable payload");
		err = CS_E_INVAL;
		job.attempts = job.max_attempts; /* no point retrying */
	} else if ((err = k->work ? k->work(&r) : CS_OK) == CS_OK &&
	           (err = store_begin(st, true)) == CS_OK) {
		err = k->apply(&r);
		if (err == CS_OK)
			err = store_call(st, job_done, job.id, job.attempts,
			                 clock_now());
		if (err == CS_E_NOTFOUND)
			snprintf(r.err, sizeof(r.err),
			         "lease lost to another worker");
		err = store_end(st, err);
	}
	if (k != NULL && k->cleanup != NULL)
		k->cleanup(&r);
	if (err == CS_OK) {
		json_decref(r.payload);
		finish(j, &job, k, "ok", t0);
		return true;
	}
	if (r.err[0] == '\0')
		snprintf(r.err, sizeof(r.err), "%s: %s", cs_err_str(err),
		         store_call0(st, errmsg));
	dead = job.attempts >= job.max_attempts || r.permanent;
	delay = 10LL << (job.attempts < 9 ? job.attempts - 1 : 8);
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	if (stopping(j)) /* interrupted, not failed: run again at start */
		delay = 0, dead = false;
	if (store_begin(st, true) == CS_OK) {
		err = store_call(st, job_retry, job.id, r.err,
		                 clock_now() + delay, dead, clock_now());
		if (err == CS_OK && dead && k != NULL && k->failed != NULL &&
		    r.payload != NULL)
			err = k->failed(&r);
		(void)store_end(st, err);
	}
	log_warnx("msg=\"job failed\" id=%lld kind=%s attempt=%d error=\"%s\" "
	          "%s",
	          (long long)job.id, job.kind, job.attempts, r.err,
	          dead ? "final=yes" : "retry=yes");
	json_decref(r.payload);
	finish(j, &job, k, dead ? "failed" : "retry", t0);
	return true;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct jobs *j = w->jobs;
	struct store *st = NULL;
	struct arena *a = arena_new(128u << 20); /* a mail of 25 MB, twice */
	time_t last_purge = 0, last_notify = 0;

	if (store_open(j->cfg.database, &st) != CS_OK) {
		log_error("msg=\"job worker cannot open the database\"");
		arena_free(a);
		return NULL;
	}
	while (!stopping(j)) {
		unsigned seen;

		pthread_mutex_lock(&j->mu);
		seen = j->wakeups;
		pthread_mutex_unlock(&j->mu);
		if (w->index == 0 && time(NULL) - last_purge >= PURGE_EVERY) {
			purge(j, st);
			arena_reset(a);
			expire_feeds(j, st, a);
			last_purge = time(NULL);
		}
		if (w->index == 0 && j->cfg.app != NULL &&
		    time(NULL) - last_notify >= j->cfg.app->notify_tick) {
			notify(j, st, a);
			last_notify = time(NULL);
		}
		arena_reset(a);
		if (!run_one(j, st, a))
			idle_wait(j, seen);
	}
	store_close(st);
	arena_free(a);
	return NULL;
}

enum cs_err
jobs_start(const struct jobs_config *cfg, struct jobs **out)
{
	struct jobs *j = xcalloc(1, sizeof(*j));

	j->cfg = *cfg;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->w =
	    xcalloc((size_t)(cfg->workers ? cfg->workers : 1), sizeof(*j->w));
	for (int i = 0; i < cfg->workers; i++) {
		j->w[i].jobs = j;
		j->w[i].index = i;
		if (pthread_create(&j->w[i].thread, NULL, worker_main,
		                   &j->w[i]) != 0)
			fatal("msg=\"cannot start job worker\"");
	}
	*out = j;
	return CS_OK;
}

void
jobs_notify(struct jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->wakeups++;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

void
jobs_stop(struct jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = true;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (int i = 0; i < j->cfg.workers; i++)
		pthread_join(j->w[i].thread, NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->w);
	free(j);
}
