/*
 * dropdir.c - the watched drop directory (dropdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "pipeline/dropdir.h"
#include "pipeline/pipeline.h"

#define WARNED_MAX 64
#define NAME_MAX_  255

struct dropdir {
	const struct config *cfg;
	struct collect *c;
	struct pipeline *p;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	/* subdirectories naming no feed, logged once */
	char warned[WARNED_MAX][NAME_MAX_ + 1];
	size_t nwarned;
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A name a writer is still busy with, by convention. */
static bool
incomplete(const char *name)
{
	return name[0] == '.' || ends_with(name, ".tmp") ||
	       ends_with(name, ".part");
}

static void
warn_unknown(struct dropdir *d, const char *name)
{
	for (size_t i = 0; i < d->nwarned; i++)
		if (strcmp(d->warned[i], name) == 0)
			return;
	if (d->nwarned < WARNED_MAX)
		snprintf(d->warned[d->nwarned++], NAME_MAX_ + 1, "%s", name);
	log_warnx("msg=\"drop directory: no feed of this name; left alone\" "
	          "dir=%s/%s",
	          d->cfg->drop_dir, name);
}

static size_t
take_feed(struct dropdir *d, struct store *st, const char *feed)
{
	char dir[CONFIG_PATH + NAME_MAX_ + 2],
	    path[sizeof(dir) + NAME_MAX_ + 2];
	char failed[sizeof(dir) + 8], why[COLLECT_WHY_MAX];
	struct collect_result res;
	struct dirent *de;
	struct stat sb;
	size_t seen = 0, queued = 0;
	enum cs_err err;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s/%s", d->cfg->drop_dir, feed);
	snprintf(failed, sizeof(failed), "%s/failed", dir);
	if ((dh = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dh)) != NULL && seen < DROPDIR_BATCH) {
		if (incomplete(de->d_name) || strcmp(de->d_name, "failed") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		seen++;
		err = collect_submit_path(d->c, st, feed, NULL, path, path,
		                          NULL, &res, why);
		if (err == CS_OK) {
			if (res.already)
				log_info("msg=\"drop directory: already "
				         "processed\" feed=%s file=%s "
				         "report=%lld",
				         feed, de->d_name,
				         (long long)res.report_id);
			else
				queued++;
			continue;
		}
		if (err == CS_E_INVAL || err == CS_E_TOOBIG ||
		    err == CS_E_NOTFOUND) {
			/* the pipeline cannot take it: aside, with why */
			log_warnx("msg=\"drop directory: file set aside\" "
			          "feed=%s file=%s why=\"%s\"",
			          feed, de->d_name, why);
			if (collect_set_aside(path, failed, de->d_name, why) !=
			    CS_OK)
				log_warn("msg=\"cannot set a file aside\" "
				         "dir=%s",
				         failed);
			continue;
		}
		/* the store or the disk: the file stays for the next look */
		log_warnx("msg=\"drop directory: file not taken, retried "
		          "later\" feed=%s file=%s why=\"%s\"",
		          feed, de->d_name, why);
	}
	closedir(dh);
	return queued;
}

enum cs_err
dropdir_scan(struct dropdir *d, struct store *st, size_t *queued_out)
{
	char path[CONFIG_PATH + NAME_MAX_ + 2];
	struct dirent *de;
	struct stat sb;
	DIR *dh;

	*queued_out = 0;
	if ((dh = opendir(d->cfg->drop_dir)) == NULL)
		return CS_E_IO;
	while ((de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->cfg->drop_dir,
		         de->d_name);
		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (!pipeline_feed_exists(d->p, de->d_name)) {
			warn_unknown(d, de->d_name);
			continue;
		}
		*queued_out += take_feed(d, st, de->d_name);
	}
	closedir(dh);
	return CS_OK;
}

static void *
dropdir_main(void *arg)
{
	struct dropdir *d = arg;
	struct store *st = NULL;

	for (;;) {
		struct timespec ts;
		size_t n;

		if (st == NULL && store_open(d->cfg->db_url, &st) != CS_OK) {
			log_warnx("msg=\"drop directory: cannot open the "
			          "database\"");
			st = NULL;
		}
		if (st != NULL && dropdir_scan(d, st, &n) != CS_OK)
			log_warn("msg=\"drop directory: cannot read it\" "
			         "dir=%s",
			         d->cfg->drop_dir);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += d->cfg->drop_interval;
		pthread_mutex_lock(&d->mu);
		while (!d->stopping &&
		       pthread_cond_timedwait(&d->cv, &d->mu, &ts) == 0)
			;
		if (d->stopping) {
			pthread_mutex_unlock(&d->mu);
			break;
		}
		pthread_mutex_unlock(&d->mu);
	}
	store_close(st);
	return NULL;
}

struct dropdir *
dropdir_start(const struct config *cfg, struct collect *c, struct pipeline *p)
{
	struct dropdir *d;

	if (cfg->drop_dir[0] == '\0')
		return NULL;
	if (mkdir(cfg->drop_dir, 0750) != 0 && errno != EEXIST)
		log_warn("msg=\"cannot create the drop directory\" dir=%s",
		         cfg->drop_dir);
	d = xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	d->c = c;
	d->p = p;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (pthread_create(&d->thread, NULL, dropdir_main, d) != 0) {
		log_warnx("msg=\"cannot start the drop directory watch\"");
		pthread_mutex_destroy(&d->mu);
		pthread_cond_destroy(&d->cv);
		free(d);
		return NULL;
	}
	log_info("msg=\"watching the drop directory\" dir=%s interval=%lld",
	         cfg->drop_dir, (long long)cfg->drop_interval);
	return d;
}

void
dropdir_stop(struct dropdir *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}
