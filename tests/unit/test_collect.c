/*
 * test_collect.c - the spool and the durable hand-over (pipeline/collect.h)
 * and the feed.ingest job, on a real SQLite store and a generic feed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "jobs/jobs.h"
#include "pipeline/collect.h"
#include "pipeline/pipeline.h"
#include "store_fixture.h"

#define DEF                                                                    \
	"{\"name\": \"blocklist\", \"provider\": \"Test\", \"format\": "       \
	"\"csv\",\n"                                                           \
	" \"csv\": {\"delimiter\": \",\", \"quote\": \"\\\"\", \"comment\": "  \
	"\"#\", \"header\": true, \"skip_lines\": 0},\n"                       \
	" \"fields\": {\"seen\": \"time.source\", \"ip\": \"source.ip\"},\n"   \
	" \"constants\": {\"classification.taxonomy\": \"other\",\n"           \
	"   \"classification.type\": \"blacklist\"},\n"                        \
	" \"required\": [\"source.ip\"], \"time_format\": \"auto\"}\n"

#define CSV_A "seen,ip\n2026-11-20 10:00:00,203.0.113.1\n"
#define CSV_B "seen,ip\n2026-11-20 10:00:00,203.0.113.2\n"

struct cx {
	struct fx *f;
	struct config cfg;
	struct pipeline *p;
	struct collect *c;
	char spool[128], feeds[128], other[128];
};

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static size_t
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
cx_setup(void **state)
{
	struct cx *x = calloc(1, sizeof(*x));
	struct collect_config cc = {0};
	char path[256], why[PIPELINE_WHY_MAX], cwhy[COLLECT_WHY_MAX];
	void *fs = NULL;

	if (x == NULL || setup(&fs) != 0)
		return -1;
	x->f = fs;
	snprintf(x->spool, sizeof(x->spool), "%s/spool", x->f->dir);
	snprintf(x->feeds, sizeof(x->feeds), "%s/feeds", x->f->dir);
	snprintf(x->other, sizeof(x->other), "%s/other", x->f->dir);
	mkdir(x->feeds, 0700);
	mkdir(x->other, 0700);
	snprintf(path, sizeof(path), "%s/blocklist.json", x->feeds);
	write_file(path, DEF);
	config_defaults(&x->cfg);
	snprintf(x->cfg.data_dir, sizeof(x->cfg.data_dir), "%s", x->f->dir);
	snprintf(x->cfg.feeds_dir, sizeof(x->cfg.feeds_dir), "%s", x->feeds);
	if (pipeline_open(&x->cfg, &x->p, why) != CS_OK) {
		fprintf(stderr, "pipeline: %s\n", why);
		return -1;
	}
	/* a half-written file a crash left behind goes at start; one still
	 * being written (recent) stays */
	mkdir(x->spool, 0700);
	snprintf(path, sizeof(path), "%s/r-crash.part", x->spool);
	write_file(path, "half");
	{
		struct timeval old[2] = {{time(NULL) - 3600, 0},
		                         {time(NULL) - 3600, 0}};

		utimes(path, old);
	}
	snprintf(path, sizeof(path), "%s/r-live.part", x->spool);
	write_file(path, "live");
	cc.data_dir = x->f->dir;
	cc.pipeline = x->p;
	cc.report_max = 64;
	cc.max_attempts = 3;
	if (collect_new(&cc, &x->c, cwhy) != CS_OK) {
		fprintf(stderr, "collect: %s\n", cwhy);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/r-crash.part", x->spool);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "the stale .part was not removed\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/r-live.part", x->spool);
	if (unlink(path) != 0) {
		fprintf(stderr, "the live .part was removed\n");
		return -1;
	}
	*state = x;
	return 0;
}

static int
cx_teardown(void **state)
{
	struct cx *x = *state;
	void *fs = x->f;
	char failed[160];

	snprintf(failed, sizeof(failed), "%s/failed", x->other);
	rm_dir(failed);
	rm_dir(x->spool);
	rm_dir(x->feeds);
	rm_dir(x->other);
	collect_free(x->c);
	pipeline_free(x->p);
	free(x);
	return teardown(&fs);
}

static enum cs_err
submit_text(struct cx *x, const char *feed, const char *text,
            struct collect_result *res, char why[COLLECT_WHY_MAX])
{
	char path[160];
	enum cs_err err;
	int fd;

	snprintf(path, sizeof(path), "%s/input", x->other);
	write_file(path, text);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	err = collect_submit_fd(x->c, x->f->st, feed, NULL, "input.csv", fd,
	                        NULL, res, why);
	close(fd);
	unlink(path);
	return err;
}

static void
test_queued_once(void **state)
{
	struct cx *x = *state;
	struct collect_result res, again;
	struct feed_report fr;
	struct job job;
	char why[COLLECT_WHY_MAX];
	struct stat sb;

	assert_int_equal(count_files(x->spool), 0); /* see cx_setup */
	assert_int_equal(submit_text(x, "blocklist", CSV_A, &res, why), CS_OK);
	assert_false(res.already);
	assert_string_equal(res.state, "queued");
	assert_true(res.report_id > 0 && res.job_id > 0);
	assert_int_equal(res.size, (int64_t)strlen(CSV_A));
	assert_int_equal(
	    store_call(x->f->st, feed_report_get, x->f->a, res.report_id, &fr),
	    CS_OK);
	assert_string_equal(fr.state, "queued");
	assert_string_equal(fr.feed, "blocklist");
	assert_string_equal(fr.source, "input.csv");
	assert_non_null(fr.spool);
	assert_int_equal(strncmp(fr.spool, x->spool, strlen(x->spool)), 0);
	assert_int_equal(stat(fr.spool, &sb), 0);
	assert_int_equal(sb.st_size, (off_t)strlen(CSV_A));
	assert_int_equal(
	    store_call(x->f->st, job_get, x->f->a, res.job_id, &job), CS_OK);
	assert_string_equal(job.kind, COLLECT_JOB_KIND);
	assert_non_null(strstr(job.payload, "\"report\""));
	assert_int_equal(job.max_attempts, 3);
	/* the same content: the known report, nothing new kept */
	assert_int_equal(submit_text(x, "blocklist", CSV_A, &again, why),
	                 CS_OK);
	assert_true(again.already);
	assert_int_equal(again.report_id, res.report_id);
	assert_int_equal(again.job_id, 0);
	assert_string_equal(again.sha256, res.sha256);
	assert_int_equal(count_files(x->spool), 1);
}

static void
test_refusals_keep_nothing(void **state)
{
	struct cx *x = *state;
	struct collect_result res;
	char why[COLLECT_WHY_MAX], big[66];

	assert_int_equal(submit_text(x, "nope", CSV_A, &res, why),
	                 CS_E_NOTFOUND);
	assert_non_null(strstr(why, "nope"));
	/* no schema configured: no Shadowserver feed */
	assert_int_equal(submit_text(x, "shadowserver", CSV_A, &res, why),
	                 CS_E_NOTFOUND);
	/* report_max is 64: 64 bytes pass, 65 do not */
	memset(big, 'x', sizeof(big));
	big[65] = '\0';
	assert_int_equal(submit_text(x, "blocklist", big, &res, why),
	                 CS_E_TOOBIG);
	assert_non_null(strstr(why, "64"));
	big[64] = '\0';
	assert_int_equal(submit_text(x, "blocklist", big, &res, why), CS_OK);
	assert_false(res.already);
	assert_int_equal(count_files(x->spool), 1);
}

static void
test_spool_pieces(void **state)
{
	struct cx *x = *state;
	struct collect_spool *sp;
	struct collect_result res;
	char why[COLLECT_WHY_MAX];

	assert_int_equal(collect_spool_open(x->c, &sp, why), CS_OK);
	assert_int_equal(collect_spool_write(sp, "seen,ip\n", 8), CS_OK);
	assert_int_equal(collect_spool_write(sp, CSV_B + 8, strlen(CSV_B) - 8),
	                 CS_OK);
	assert_int_equal(collect_spool_size(sp), (int64_t)strlen(CSV_B));
	assert_int_equal(collect_spool_write(sp, CSV_B, 64), CS_E_TOOBIG);
	assert_int_equal(collect_spool_commit(x->c, x->f->st, sp, "blocklist",
	                                      NULL, "upload", NULL, &res, why),
	                 CS_OK);
	assert_false(res.already);
	assert_int_equal(res.size, (int64_t)strlen(CSV_B));
	/* an aborted one leaves nothing */
	assert_int_equal(collect_spool_open(x->c, &sp, why), CS_OK);
	assert_int_equal(collect_spool_write(sp, "x", 1), CS_OK);
	collect_spool_abort(sp);
	assert_int_equal(count_files(x->spool), 1);
}

static void
test_submit_path(void **state)
{
	struct cx *x = *state;
	struct collect_result res;
	char why[COLLECT_WHY_MAX], path[160];

	snprintf(path, sizeof(path), "%s/dropped.csv", x->other);
	write_file(path, CSV_A);
	/* refused: the file stays where it was */
	assert_int_equal(collect_submit_path(x->c, x->f->st, "nope", NULL, path,
	                                     path, NULL, &res, why),
	                 CS_E_NOTFOUND);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(collect_submit_path(x->c, x->f->st, "blocklist", NULL,
	                                     path, path, NULL, &res, why),
	                 CS_OK);
	assert_false(res.already);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_files(x->spool), 1);
	/* the same content again: known, and the file removed too */
	write_file(path, CSV_A);
	assert_int_equal(collect_submit_path(x->c, x->f->st, "blocklist", NULL,
	                                     path, path, NULL, &res, why),
	                 CS_OK);
	assert_true(res.already);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_files(x->spool), 1);
}

static void
test_set_aside(void **state)
{
	struct cx *x = *state;
	char path[256], dir[160], got[64];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/failed", x->other);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/bad.csv", x->other);
		write_file(path, "bad");
		assert_int_equal(
		    collect_set_aside(path, dir, "bad.csv", "no report kind"),
		    CS_OK);
		assert_int_equal(access(path, F_OK), -1);
	}
	snprintf(path, sizeof(path), "%s/bad.csv", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/bad.csv.1", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/bad.csv.why", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(got, sizeof(got), fp));
	fclose(fp);
	assert_string_equal(got, "no report kind\n");
}

static void
test_job_runs_the_report(void **state)
{
	struct cx *x = *state;
	struct collect_result res;
	struct feed_report fr;
	struct job job = {0};
	struct job_run r = {0};
	char why[COLLECT_WHY_MAX], spool[1200];
	const char *vwhy = NULL;

	assert_int_equal(submit_text(x, "blocklist", CSV_A, &res, why), CS_OK);
	assert_int_equal(
	    store_call(x->f->st, feed_report_get, x->f->a, res.report_id, &fr),
	    CS_OK);
	snprintf(spool, sizeof(spool), "%s", fr.spool);
	job.id = res.job_id;
	r.st = x->f->st;
	r.a = x->f->a;
	r.job = &job;
	r.app = &x->cfg;
	r.pipeline = x->p;
	r.payload = json_pack("{s:I}", "report", (json_int_t)res.report_id);
	assert_true(collect_job_valid(r.payload, &vwhy));
	assert_int_equal(collect_job_work(&r), CS_OK);
	assert_int_equal(access(spool, F_OK), -1);
	assert_int_equal(store_begin(r.st, true), CS_OK);
	assert_int_equal(store_end(r.st, collect_job_apply(&r)), CS_OK);
	assert_int_equal(
	    store_call(x->f->st, feed_report_get, x->f->a, res.report_id, &fr),
	    CS_OK);
	assert_string_equal(fr.state, "done");
	assert_null(fr.spool);
	assert_int_equal(fr.stored, 1);
	/* run again (a crash after the report was done): nothing changes */
	assert_int_equal(collect_job_work(&r), CS_OK);
	assert_int_equal(
	    store_call(x->f->st, feed_report_get, x->f->a, res.report_id, &fr),
	    CS_OK);
	assert_int_equal(fr.stored, 1);
	json_decref(r.payload);
	/* payloads are checked strictly */
	r.payload = json_pack("{s:I,s:s}", "report", (json_int_t)1, "x", "y");
	assert_false(collect_job_valid(r.payload, &vwhy));
	json_decref(r.payload);
	r.payload = json_pack("{s:s}", "report", "1");
	assert_false(collect_job_valid(r.payload, &vwhy));
	json_decref(r.payload);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_queued_once, cx_setup,
	                                    cx_teardown),
	    cmocka_unit_test_setup_teardown(test_refusals_keep_nothing,
	                                    cx_setup, cx_teardown),
	    cmocka_unit_test_setup_teardown(test_spool_pieces, cx_setup,
	                                    cx_teardown),
	    cmocka_unit_test_setup_teardown(test_submit_path, cx_setup,
	                                    cx_teardown),
	    cmocka_unit_test_setup_teardown(test_set_aside, cx_setup,
	                                    cx_teardown),
	    cmocka_unit_test_setup_teardown(test_job_runs_the_report, cx_setup,
	                                    cx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
