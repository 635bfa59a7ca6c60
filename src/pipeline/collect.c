/*
 * collect.c - the spool and the durable hand-over of reports (collect.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "pipeline/collect.h"
#include "pipeline/pipeline.h"

#define SPOOL_DIR_MAX  1100
#define SPOOL_PATH_MAX 1200
#define PART_SUFFIX    ".part"
#define PART_STALE     900 /* seconds */

struct collect {
	char spool[SPOOL_DIR_MAX];
	struct pipeline *pipeline;
	int64_t report_max;
	int max_attempts;
	struct jobs *jobs;
};

struct collect_spool {
	struct collect *c;
	int fd;
	int64_t size;
	char part[SPOOL_PATH_MAX]; /* the name while it is written */
};

static const struct actor collector = {"collector", 0};

static int
mkdirs(const char *path)
{
	char buf[SPOOL_PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Files a crash left half written: never referenced by any report. One
 * still being written (by another process sharing the spool) is younger:
 * uploads and fetches that stall are dropped well before PART_STALE. */
static void
sweep_parts(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat sb;
	char path[SPOOL_PATH_MAX + 256];
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!ends_with(de->d_name, PART_SUFFIX))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) != 0 || now - sb.st_mtime < PART_STALE)
			continue;
		if (unlink(path) == 0)
			log_info("msg=\"removed an unfinished spool file\" "
			         "file=%s",
			         de->d_name);
	}
	closedir(d);
}

enum cs_err
collect_new(const struct collect_config *cfg, struct collect **out,
            char why[COLLECT_WHY_MAX])
{
	struct collect *c = xcalloc(1, sizeof(*c));
	int n;

	n = snprintf(c->spool, sizeof(c->spool), "%s/spool", cfg->data_dir);
	if (n < 0 || (size_t)n >= sizeof(c->spool) || mkdirs(c->spool) != 0) {
		snprintf(why, COLLECT_WHY_MAX, "cannot create %.300s: %s",
		         c->spool, strerror(errno));
		free(c);
		return CS_E_IO;
	}
	sweep_parts(c->spool);
	c->pipeline = cfg->pipeline;
	c->report_max = cfg->report_max;
	c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 5;
	c->jobs = cfg->jobs;
	*out = c;
	return CS_OK;
}

void
collect_free(struct collect *c)
{
	free(c);
}

void
collect_set_jobs(struct collect *c, struct jobs *j)
{
	c->jobs = j;
}

int64_t
collect_report_max(const struct collect *c)
{
	return c->report_max;
}

static const char *
base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : (path ? path : "");
}

enum cs_err
collect_check(struct collect *c, const char *feed, const char *report,
              const char *filename, char why[COLLECT_WHY_MAX])
{
	struct ingest_parser p;
	char pwhy[PIPELINE_WHY_MAX];
	enum cs_err err;

	if (!pipeline_feed_exists(c->pipeline, feed)) {
		snprintf(why, COLLECT_WHY_MAX, "no feed '%s'", feed);
		return CS_E_NOTFOUND;
	}
	err = pipeline_parser(c->pipeline, feed, report, base_name(filename),
	                      &p, pwhy);
	if (err != CS_OK) {
		snprintf(why, COLLECT_WHY_MAX, "%s", pwhy);
		return CS_E_INVAL;
	}
	return CS_OK;
}

enum cs_err
collect_spool_open(struct collect *c, struct collect_spool **out,
                   char why[COLLECT_WHY_MAX])
{
	struct collect_spool *sp = xcalloc(1, sizeof(*sp));

	sp->c = c;
	snprintf(sp->part, sizeof(sp->part), "%s/r-XXXXXX" PART_SUFFIX,
	         c->spool);
	sp->fd = mkostemps(sp->part, (int)strlen(PART_SUFFIX), O_CLOEXEC);
	if (sp->fd < 0) {
		snprintf(why, COLLECT_WHY_MAX,
		         "cannot create a spool file in %.300s: %s", c->spool,
		         strerror(errno));
		free(sp);
		return CS_E_IO;
	}
	*out = sp;
	return CS_OK;
}

enum cs_err
collect_spool_write(struct collect_spool *sp, const void *buf, size_t n)
{
	const char *p = buf;

	if (sp->size + (int64_t)n > sp->c->report_max)
		return CS_E_TOOBIG;
	while (n > 0) {
		ssize_t w = write(sp->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CS_E_IO;
		p += w;
		n -= (size_t)w;
		sp->size += w;
	}
	return CS_OK;
}

int64_t
collect_spool_size(const struct collect_spool *sp)
{
	return sp->size;
}

void
collect_spool_abort(struct collect_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	unlink(sp->part);
	free(sp);
}

/* The row and the job, in one transaction; CS_E_CONFLICT when the content
 * is known (res then describes the known report). */
static enum cs_err
record_once(struct collect *c, struct store *st, struct arena *a,
            const char *feed, const char *kind, const char *source,
            const char *spool, const struct actor *by,
            struct collect_result *res)
{
	struct feed_report fr;
	struct verrs ve = {0};
	json_t *payload;
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	err = store_call(st, feed_report_find, a, feed, res->sha256, &fr);
	if (err == CS_OK) {
		res->already = true;
		res->report_id = fr.id;
		snprintf(res->state, sizeof(res->state), "%s", fr.state);
		store_rollback(st);
		return CS_E_CONFLICT;
	}
	if (err != CS_E_NOTFOUND)
		goto out;
	memset(&fr, 0, sizeof(fr));
	fr.feed = feed;
	fr.report = kind;
	fr.source = source;
	fr.sha256 = res->sha256;
	fr.size = res->size;
	fr.state = "queued";
	fr.spool = spool;
	fr.received_at = clock_now();
	if ((err = store_call(st, feed_report_put, &fr, &res->report_id)) !=
	    CS_OK)
		goto out;
	payload = json_pack("{s:I}", "report", (json_int_t)res->report_id);
	err = jobs_enqueue_in(st, a, by ? by : &collector, COLLECT_JOB_KIND,
	                      payload, c->max_attempts, &res->job_id, &ve);
	json_decref(payload);
	snprintf(res->state, sizeof(res->state), "queued");
out:
	return store_end(st, err);
}

/* Another process may record the same content between the look-up and
 * the insert (the unique key refuses the second): the known report is
 * then read again. */
static enum cs_err
record(struct collect *c, struct store *st, struct arena *a, const char *feed,
       const char *kind, const char *source, const char *spool,
       const struct actor *by, struct collect_result *res)
{
	enum cs_err err = CS_E_CONFLICT;

	for (int i = 0; i < 2 && err == CS_E_CONFLICT && !res->already; i++)
		err = record_once(c, st, a, feed, kind, source, spool, by, res);
	if (err == CS_E_CONFLICT && !res->already)
		err = CS_E_DB;
	return err;
}

/* The finished file under its final name: a name no other spool file has
 * (link() refuses to replace one), the ".part" name gone. */
static int
publish(struct collect *c, struct collect_spool *sp, const char *sha256,
        char final[SPOOL_PATH_MAX])
{
	for (int i = 0; i < 100; i++) {
		snprintf(final, SPOOL_PATH_MAX, "%s/%.16s-%08x", c->spool,
		         sha256, (unsigned)randombytes_random());
		if (link(sp->part, final) == 0) {
			unlink(sp->part);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

enum cs_err
collect_spool_commit(struct collect *c, struct store *st,
                     struct collect_spool *sp, const char *feed,
                     const char *report, const char *source,
                     const struct actor *by, struct collect_result *res,
                     char why[COLLECT_WHY_MAX])
{
	struct ingest_parser p;
	struct arena *a = NULL;
	char final[SPOOL_PATH_MAX], pwhy[PIPELINE_WHY_MAX];
	bool renamed = false;
	enum cs_err err;

	memset(res, 0, sizeof(*res));
	why[0] = '\0';
	if (!pipeline_feed_exists(c->pipeline, feed)) {
		snprintf(why, COLLECT_WHY_MAX, "no feed '%s'", feed);
		err = CS_E_NOTFOUND;
		goto out;
	}
	if (pipeline_parser(c->pipeline, feed, report, base_name(source), &p,
	                    pwhy) != CS_OK) {
		snprintf(why, COLLECT_WHY_MAX, "%s", pwhy);
		err = CS_E_INVAL;
		goto out;
	}
	if ((err = ingest_hash_fd(sp->fd, res->sha256, &res->size)) != CS_OK) {
		snprintf(why, COLLECT_WHY_MAX, "reading the spool file: %s",
		         strerror(errno));
		goto out;
	}
	/* durable before anything refers to it */
	if (fsync(sp->fd) != 0 || publish(c, sp, res->sha256, final) != 0) {
		snprintf(why, COLLECT_WHY_MAX, "writing the spool file: %s",
		         strerror(errno));
		err = CS_E_IO;
		goto out;
	}
	renamed = true;
	if (fsync_dir(c->spool) != 0) {
		snprintf(why, COLLECT_WHY_MAX,
		         "writing the spool directory: %s", strerror(errno));
		err = CS_E_IO;
		goto out;
	}
	a = arena_new(64 * 1024);
	err = record(c, st, a, feed, p.report ? p.report : "", source, final,
	             by, res);
	if (err == CS_E_CONFLICT) {
		err = CS_OK; /* known content */
	} else if (err != CS_OK) {
		res->already = false;
		snprintf(why, COLLECT_WHY_MAX, "recording the report: %s",
		         cs_err_str(err));
	} else {
		jobs_notify(c->jobs);
		log_info("msg=\"report queued\" feed=%s report=%lld job=%lld "
		         "size=%lld",
		         feed, (long long)res->report_id,
		         (long long)res->job_id, (long long)res->size);
		renamed = false; /* the job owns the file now */
	}
out:
	if (sp->fd >= 0)
		close(sp->fd);
	if (renamed)
		unlink(final);
	else if (err != CS_OK)
		unlink(sp->part);
	free(sp);
	arena_free(a);
	return err;
}

enum cs_err
collect_submit_fd(struct collect *c, struct store *st, const char *feed,
                  const char *report, const char *source, int fd,
                  const struct actor *by, struct collect_result *res,
                  char why[COLLECT_WHY_MAX])
{
	struct collect_spool *sp;
	char buf[64 * 1024];
	enum cs_err err;

	memset(res, 0, sizeof(*res));
	if ((err = collect_check(c, feed, report, source, why)) != CS_OK ||
	    (err = collect_spool_open(c, &sp, why)) != CS_OK)
		return err;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, COLLECT_WHY_MAX, "reading %s: %s", source,
			         strerror(errno));
			collect_spool_abort(sp);
			return CS_E_IO;
		}
		if (n == 0)
			break;
		if ((err = collect_spool_write(sp, buf, (size_t)n)) != CS_OK) {
			if (err == CS_E_TOOBIG)
				snprintf(why, COLLECT_WHY_MAX,
				         "the report is larger than %lld "
				         "bytes",
				         (long long)c->report_max);
			else
				snprintf(why, COLLECT_WHY_MAX,
				         "writing the spool file: %s",
				         strerror(errno));
			collect_spool_abort(sp);
			return err;
		}
	}
	return collect_spool_commit(c, st, sp, feed, report, source, by, res,
	                            why);
}

enum cs_err
collect_submit_path(struct collect *c, struct store *st, const char *feed,
                    const char *report, const char *source, const char *path,
                    const struct actor *by, struct collect_result *res,
                    char why[COLLECT_WHY_MAX])
{
	struct collect_spool *sp;
	struct stat sb;
	enum cs_err err;
	int fd;

	memset(res, 0, sizeof(*res));
	if ((err = collect_check(c, feed, report, source, why)) != CS_OK)
		return err;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, COLLECT_WHY_MAX, "%.300s: not a regular file",
		         path);
		return CS_E_INVAL;
	}
	if (sb.st_size > c->report_max) {
		snprintf(why, COLLECT_WHY_MAX,
		         "the report is larger than %lld bytes",
		         (long long)c->report_max);
		return CS_E_TOOBIG;
	}
	/* same file system: a second name for the same bytes, no copy */
	sp = xcalloc(1, sizeof(*sp));
	sp->c = c;
	sp->fd = -1;
	for (int i = 0; i < 100 && sp->fd < 0; i++) {
		snprintf(sp->part, sizeof(sp->part), "%s/l-%08x%s", c->spool,
		         (unsigned)randombytes_random(), PART_SUFFIX);
		if (link(path, sp->part) != 0) {
			if (errno == EEXIST)
				continue;
			break;
		}
		sp->fd = open(sp->part, O_RDONLY | O_CLOEXEC);
		if (sp->fd < 0) {
			unlink(sp->part);
			break;
		}
	}
	if (sp->fd < 0) {
		/* on another file system, or no hard links: a copy */
		free(sp);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(why, COLLECT_WHY_MAX, "%.300s: %s", path,
			         strerror(errno));
			return CS_E_IO;
		}
		err = collect_submit_fd(c, st, feed, report, source, fd, by,
		                        res, why);
		close(fd);
	} else {
		err = collect_spool_commit(c, st, sp, feed, report, source, by,
		                           res, why);
	}
	if (err == CS_OK && unlink(path) != 0)
		log_warn("msg=\"cannot remove a collected file\" file=%s",
		         path);
	return err;
}

/* ---- moving a file aside ---- */

static enum cs_err
copy_file(const char *from, const char *to)
{
	char buf[64 * 1024];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
	enum cs_err err = CS_E_IO;
	ssize_t n;

	if (in < 0)
		return CS_E_IO;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n)
			goto out;
	}
	if (fsync(out) == 0)
		err = CS_OK;
out:
	close(in);
	if (out >= 0)
		close(out);
	if (err != CS_OK)
		unlink(to);
	return err;
}

enum cs_err
collect_set_aside(const char *file, const char *dir, const char *name,
                  const char *reason)
{
	char to[SPOOL_PATH_MAX + 300], whyf[SPOOL_PATH_MAX + 310];
	struct stat sb;
	FILE *f;
	int n;

	if (mkdirs(dir) != 0)
		return CS_E_IO;
	n = snprintf(to, sizeof(to), "%s/%s", dir, name);
	for (int i = 1;
	     n > 0 && (size_t)n < sizeof(to) && stat(to, &sb) == 0 && i < 1000;
	     i++)
		n = snprintf(to, sizeof(to), "%s/%s.%d", dir, name, i);
	if (n < 0 || (size_t)n >= sizeof(to))
		return CS_E_TOOBIG;
	if (rename(file, to) != 0) {
		if (errno != EXDEV || copy_file(file, to) != CS_OK)
			return CS_E_IO;
		unlink(file);
	}
	snprintf(whyf, sizeof(whyf), "%s.why", to);
	if ((f = fopen(whyf, "we")) == NULL)
		return CS_E_IO;
	fprintf(f, "%s\n", reason);
	if (fclose(f) != 0)
		return CS_E_IO;
	fsync_dir(dir);
	return CS_OK;
}

/* ---- the feed.ingest job ---- */

bool
collect_job_valid(json_t *payload, const char **why)
{
	json_t *v = json_object_get(payload, "report");
	const char *key;
	json_t *val;

	json_object_foreach(payload, key, val)
	{
		(void)val;
		if (strcmp(key, "report") != 0) {
			*why = "unknown field (report is known)";
			return false;
		}
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		*why = "report must be a feed report id";
		return false;
	}
	return true;
}

/* Where a report that failed for good goes: back to its drop directory's
 * failed/ with the reason when it came from there, else nowhere. */
static void
discard(const struct config *cfg, const struct feed_report *fr,
        const char *reason)
{
	char dir[CONFIG_PATH + 300];
	size_t n;

	if (fr->spool == NULL)
		return;
	n = strlen(cfg->drop_dir);
	snprintf(dir, sizeof(dir), "%s/%s/", cfg->drop_dir, fr->feed);
	if (n > 0 && fr->source != NULL &&
	    strncmp(fr->source, dir, strlen(dir)) == 0 &&
	    strchr(fr->source + strlen(dir), '/') == NULL) {
		snprintf(dir, sizeof(dir), "%s/%s/failed", cfg->drop_dir,
		         fr->feed);
		if (collect_set_aside(fr->spool, dir, base_name(fr->source),
		                      reason) == CS_OK) {
			log_info("msg=\"report set aside\" feed=%s report=%lld "
			         "dir=%s",
			         fr->feed, (long long)fr->id, dir);
			return;
		}
		log_warn("msg=\"cannot set a failed report aside\" dir=%s",
		         dir);
	}
	unlink(fr->spool);
}

enum cs_err
collect_job_work(struct job_run *r)
{
	int64_t id = json_integer_value(json_object_get(r->payload, "report"));
	struct ingest_parser p;
	struct ingest_result res;
	struct feed_report fr;
	char why[PIPELINE_WHY_MAX];
	enum cs_err err;
	int fd;

	if (r->pipeline == NULL) {
		snprintf(r->err, sizeof(r->err), "no pipeline in this process");
		return CS_E_INTERNAL;
	}
	err = store_call(r->st, feed_report_get, r->a, id, &fr);
	if (err == CS_E_NOTFOUND)
		return CS_OK; /* expired meanwhile: nothing to do */
	if (err != CS_OK)
		return err;
	if (strcmp(fr.state, "done") == 0) {
		if (fr.spool != NULL)
			unlink(fr.spool);
		return CS_OK;
	}
	if (fr.spool == NULL) {
		snprintf(r->err, sizeof(r->err),
		         "the report's content is not kept");
		r->permanent = true;
		return CS_E_NOTFOUND;
	}
	if (pipeline_parser(r->pipeline, fr.feed,
	                    fr.report[0] ? fr.report : NULL,
	                    base_name(fr.source), &p, why) != CS_OK) {
		snprintf(r->err, sizeof(r->err), "%.250s", why);
		r->permanent = true;
		discard(r->app, &fr, why);
		return CS_E_INVAL;
	}
	if ((fd = open(fr.spool, O_RDONLY | O_CLOEXEC)) < 0) {
		/* retried: with several processes on one database, another
		 * one may hold the file (collect.h) */
		snprintf(r->err, sizeof(r->err), "spool file %.150s: %s",
		         fr.spool, strerror(errno));
		return CS_E_IO;
	}
	if (r->ci != NULL &&
	    (err = constituency_index_sync(r->ci, r->st)) != CS_OK) {
		close(fd);
		snprintf(r->err, sizeof(r->err), "constituency index: %s",
		         cs_err_str(err));
		return err;
	}
	err = pipeline_run(r->pipeline, r->st, r->ci, fr.feed, &p, fd,
	                   fr.source, fr.received_at, &res, why);
	close(fd);
	if (err == CS_OK) {
		log_info("msg=\"report done\" feed=%s report=%lld records=%lld "
		         "stored=%lld malformed=%lld already=%s",
		         fr.feed, (long long)fr.id,
		         (long long)res.report.records,
		         (long long)res.report.stored,
		         (long long)res.report.malformed,
		         res.already_done ? "yes" : "no");
		unlink(fr.spool);
		return CS_OK;
	}
	snprintf(r->err, sizeof(r->err), "%.250s",
	         why[0] ? why : cs_err_str(err));
	if (res.report.id != 0 && res.report.state != NULL &&
	    strcmp(res.report.state, "failed") == 0) {
		/* the parser refused the report: running it again cannot
		 * help */
		r->permanent = true;
		discard(r->app, &fr, why);
	}
	return err;
}

/* The spool column follows the file: cleared once it is gone. */
static enum cs_err
forget_spool(struct job_run *r, bool failed)
{
	int64_t id = json_integer_value(json_object_get(r->payload, "report"));
	struct feed_report fr;
	enum cs_err err;

	err = store_call(r->st, feed_report_get, r->a, id, &fr);
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	if (failed && strcmp(fr.state, "done") != 0) {
		if (fr.spool != NULL)
			unlink(fr.spool);
		if (strcmp(fr.state, "failed") != 0) {
			fr.state = "failed";
			fr.error = r->err;
			fr.finished_at = clock_now();
		}
	}
	if (fr.spool == NULL && !failed)
		return CS_OK;
	fr.spool = NULL;
	return store_call(r->st, feed_report_update, &fr, -1);
}

enum cs_err
collect_job_apply(struct job_run *r)
{
	return forget_spool(r, false);
}

enum cs_err
collect_job_failed(struct job_run *r)
{
	return forget_spool(r, true);
}
