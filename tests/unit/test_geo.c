/*
 * test_geo.c - MaxMind lookups through libmaxminddb on databases written by
 * tests/tools/mkmmdb.py (24, 28 and 32-bit records): IPv4, IPv6, nested
 * networks, not found, absent-only filling, no database, damaged files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/geo.h"

static char dir[64];
static char db_path[3][128];
static const int SIZES[3] = {24, 28, 32};

static int
run(const char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
make_dbs(void **state)
{
	const char *src = getenv("CS_SOURCE_DIR");
	char script[512], rs[8];

	(void)state;
	if (src == NULL) {
		fprintf(stderr, "CS_SOURCE_DIR not set (run through ctest)\n");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/tools/mkmmdb.py", src);
	snprintf(dir, sizeof(dir), "/tmp/test_geo.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	for (int i = 0; i < 3; i++) {
		snprintf(db_path[i], sizeof(db_path[i]), "%s/city%d.mmdb", dir,
		         SIZES[i]);
		snprintf(rs, sizeof(rs), "%d", SIZES[i]);
		const char *const argv[] = {
		    "/usr/bin/python3",
		    script,
		    db_path[i],
		    "--record-size",
		    rs,
		    "81.2.69.0/24=GB,England,London",
		    "81.2.69.128/25=GB,Scotland,Edinburgh",
		    "89.160.20.112/28=SE,,Link\xc3\xb6ping",
		    "2001:db8:1::/48=JP",
		    "2001:db8:2::/48=FR,Bretagne,Rennes",
		    "203.0.113.0/24=X1",
		    NULL};
		if (run(argv) != 0) {
			fprintf(stderr, "mkmmdb.py failed\n");
			return -1;
		}
	}
	return 0;
}

static int
remove_dbs(void **state)
{
	char p[160];

	(void)state;
	for (int i = 0; i < 3; i++)
		unlink(db_path[i]);
	snprintf(p, sizeof(p), "%s/bad.mmdb", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct geo *
open_db(const char *path)
{
	struct geo *g = NULL;
	char why[GEO_WHY_MAX];

	if (geo_open(path, &g, why) != CS_OK)
		fail_msg("geo_open: %s", why);
	return g;
}

static struct event *
mk(struct event_batch *b, const char *src, const char *dst)
{
	struct event *ev;
	char why[EVENT_WHY_MAX];

	assert_int_equal(event_new(b, &ev), CS_OK);
	if (src != NULL)
		assert_int_equal(
		    event_set_text(b, ev, EF_SOURCE_IP, src, strlen(src), why),
		    CS_OK);
	if (dst != NULL)
		assert_int_equal(
		    event_set_text(b, ev, EF_DEST_IP, dst, strlen(dst), why),
		    CS_OK);
	return ev;
}

static const char *
S(const struct event *ev, enum event_field f)
{
	return event_has(ev, f) ? ev->str[f] : "(absent)";
}

static unsigned
enrich(const struct geo *g, struct event_batch *b, struct event *ev)
{
	unsigned n = 0;
	char why[GEO_WHY_MAX];

	if (geo_enrich(g, b, ev, &n, why) != CS_OK)
		fail_msg("geo_enrich: %s", why);
	return n;
}

static void
test_lookups(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct event *ev;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct geo *g = open_db(db_path[i]);

		assert_true(geo_is_enabled(g));
		assert_string_equal(geo_database_type(g), "csirtd-Test-City");
		/* IPv4, all three fields */
		ev = mk(b, "81.2.69.5", NULL);
		assert_int_equal(enrich(g, b, ev), 3);
		assert_string_equal(S(ev, EF_SOURCE_GEO_CC), "GB");
		assert_string_equal(S(ev, EF_SOURCE_GEO_REGION), "England");
		assert_string_equal(S(ev, EF_SOURCE_GEO_CITY), "London");
		/* the more specific network inside it */
		ev = mk(b, "81.2.69.200", NULL);
		assert_int_equal(enrich(g, b, ev), 3);
		assert_string_equal(S(ev, EF_SOURCE_GEO_CITY), "Edinburgh");
		/* no region in the record; UTF-8 city */
		ev = mk(b, "89.160.20.127", NULL);
		assert_int_equal(enrich(g, b, ev), 2);
		assert_string_equal(S(ev, EF_SOURCE_GEO_CC), "SE");
		assert_string_equal(S(ev, EF_SOURCE_GEO_REGION), "(absent)");
		assert_string_equal(S(ev, EF_SOURCE_GEO_CITY),
		                    "Link\xc3\xb6ping");
		/* the /28 ends at .127 */
		ev = mk(b, "89.160.20.128", NULL);
		assert_int_equal(enrich(g, b, ev), 0);
		/* IPv6: country only; destination side too */
		ev = mk(b, "2001:db8:1:ff::1", "2001:db8:2::7");
		assert_int_equal(enrich(g, b, ev), 4);
		assert_string_equal(S(ev, EF_SOURCE_GEO_CC), "JP");
		assert_string_equal(S(ev, EF_SOURCE_GEO_CITY), "(absent)");
		assert_string_equal(S(ev, EF_DEST_GEO_CC), "FR");
		assert_string_equal(S(ev, EF_DEST_GEO_REGION), "Bretagne");
		assert_string_equal(S(ev, EF_DEST_GEO_CITY), "Rennes");
		/* not found, v4 and v6; no address at all */
		ev = mk(b, "10.0.0.1", "2001:db8:3::1");
		assert_int_equal(enrich(g, b, ev), 0);
		assert_false(event_has(ev, EF_SOURCE_GEO_CC));
		ev = mk(b, NULL, NULL);
		assert_int_equal(enrich(g, b, ev), 0);
		/* a country code that is not two letters is not stored */
		ev = mk(b, "203.0.113.1", NULL);
		assert_int_equal(enrich(g, b, ev), 0);
		assert_false(event_has(ev, EF_SOURCE_GEO_CC));
		geo_free(g);
		event_batch_reset(b);
	}
	event_batch_free(b);
}

static void
test_absent_only(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct geo *g = open_db(db_path[1]);
	struct event *ev;
	char why[EVENT_WHY_MAX];

	(void)state;
	/* the feed's country wins as a whole: no London next to DE */
	ev = mk(b, "81.2.69.5", NULL);
	assert_int_equal(event_set_text(b, ev, EF_SOURCE_GEO_CC, "DE", 2, why),
	                 CS_OK);
	assert_int_equal(enrich(g, b, ev), 0);
	assert_string_equal(S(ev, EF_SOURCE_GEO_CC), "DE");
	assert_false(event_has(ev, EF_SOURCE_GEO_CITY));
	/* without a country from the feed, its city stays and the rest fills */
	ev = mk(b, "81.2.69.5", NULL);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_GEO_CITY, "Soho", 4, why), CS_OK);
	assert_int_equal(enrich(g, b, ev), 2);
	assert_string_equal(S(ev, EF_SOURCE_GEO_CC), "GB");
	assert_string_equal(S(ev, EF_SOURCE_GEO_REGION), "England");
	assert_string_equal(S(ev, EF_SOURCE_GEO_CITY), "Soho");
	/* a second pass changes nothing */
	assert_int_equal(enrich(g, b, ev), 0);
	geo_free(g);
	event_batch_free(b);
}

static void
test_no_database(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct geo *g = open_db(NULL);
	struct event *ev = mk(b, "81.2.69.5", NULL);

	(void)state;
	assert_false(geo_is_enabled(g));
	assert_null(geo_database_type(g));
	assert_int_equal(enrich(g, b, ev), 0);
	assert_int_equal(ev->present, 1ULL << EF_SOURCE_IP);
	geo_free(g);
	g = open_db("");
	assert_false(geo_is_enabled(g));
	geo_free(g);
	event_batch_free(b);
}

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
}

static void *
read_file(const char *path, size_t *n_out)
{
	FILE *fp = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(fp);
	*n_out = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

static void
test_bad_files(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct geo *g = NULL;
	char why[GEO_WHY_MAX], bad[160], *data;
	unsigned n = 0;
	size_t len;
	struct event *ev;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/bad.mmdb", dir);
	assert_int_equal(geo_open("/nonexistent/GeoLite2-City.mmdb", &g, why),
	                 CS_E_IO);
	assert_non_null(strstr(why, "No such file"));
	assert_null(g);

	/* not a MaxMind DB at all */
	write_file(bad, "10.0.0.0/8\t5\n", 13);
	assert_int_equal(geo_open(bad, &g, why), CS_E_INVAL);
	assert_non_null(strstr(why, "bad.mmdb: "));
	assert_non_null(strstr(why, "metadata"));

	/* a real one cut in half loses its metadata */
	data = read_file(db_path[0], &len);
	write_file(bad, data, len / 2);
	assert_int_equal(geo_open(bad, &g, why), CS_E_INVAL);
	assert_non_null(strstr(why, "metadata"));

	/* metadata intact, search tree pointing past the data: the open
	 * succeeds, the lookup reports the damage */
	memset(data, 0xff, 6 * 4);
	write_file(bad, data, len);
	free(data);
	g = open_db(bad);
	ev = mk(b, "81.2.69.5", NULL);
	assert_int_equal(geo_enrich(g, b, ev, &n, why), CS_E_IO);
	assert_non_null(strstr(why, "lookup: "));
	assert_int_equal(n, 0);
	geo_free(g);
	event_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_absent_only),
	    cmocka_unit_test(test_no_database),
	    cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, make_dbs, remove_dbs);
}
