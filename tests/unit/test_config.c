/*
 * test_config.c - defaults, the INI file, environment, flags and checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (strstr((hay), (needle)) == NULL)                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay),      \
			         (needle));                                    \
	} while (0)

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0x55, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.data_dir, "var");
	assert_string_equal(c.database, "");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.team_code, "CSIRT");
	assert_string_equal(c.team_languages, "en");
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.tls_cert, "");
	assert_true(c.threads >= 2 && c.threads <= 64);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.session_idle, 8 * 3600);
	assert_int_equal(c.session_max, 7 * 86400);
	assert_int_equal(c.login_max_failures, 5);
	assert_int_equal(c.job_lease, 300);
	assert_int_equal(c.max_body, 1 << 20);
	assert_false(c.log_syslog);
}

static void
test_defaults_pass_finish(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.db_url, "sqlite:var/csirtd.db");
}

static void
test_load_string(void **state)
{
	struct config c;
	char err[512] = "";
	const char *ini = "; a comment\n"
	                  "[server]\n"
	                  "listen = 0.0.0.0:9000\n"
	                  "threads = 4\n"
	                  "max_body = 2M\n"
	                  "\n"
	                  "[team]\n"
	                  "code = CERTX\n"
	                  "languages = en,es, ca\n"
	                  "[auth]\n"
	                  "session_idle = 1h\n"
	                  "login_window = 90\n"
	                  "[jobs]\n"
	                  "lease = 10m\n"
	                  "[log]\n"
	                  "level = debug\n"
	                  "syslog = yes\n";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_string(&c, ini, err, sizeof(err)), CS_OK);
	assert_string_equal(c.listen, "0.0.0.0:9000");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.max_body, 2 * 1024 * 1024);
	assert_string_equal(c.team_code, "CERTX");
	assert_string_equal(c.team_languages, "en,es, ca");
	assert_int_equal(c.session_idle, 3600);
	assert_int_equal(c.login_window, 90);
	assert_int_equal(c.job_lease, 600);
	assert_string_equal(c.log_level, "debug");
	assert_true(c.log_syslog);
	/* untouched settings keep their defaults */
	assert_string_equal(c.team_name, "Example CSIRT");
	assert_int_equal(c.session_max, 7 * 86400);
}

static void
test_unknown_key(void **state)
{
	struct config c;
	char err[512] = "";
	const char *ini = "[server]\n"
	                  "listen = 127.0.0.1:1234\n"
	                  "lisen = 127.0.0.1:9999\n"
	                  "threads = 3\n";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_string(&c, ini, err, sizeof(err)),
	                 CS_E_INVAL);
	assert_contains(err, ":3:");
	assert_contains(err, "lisen");
	assert_contains(err, "unknown");
}

static void
test_unknown_section(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	/* a real key in the wrong section is unknown too */
	assert_int_equal(
	    config_load_string(&c, "[team]\nlisten = h:1\n", err, sizeof(err)),
	    CS_E_INVAL);
	assert_contains(err, ":2:");
	assert_contains(err, "listen");
	assert_string_equal(c.listen, "127.0.0.1:8080");
}

static void
test_syntax_error(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_string(&c, "[server]\nthis is not ini\n",
	                                    err, sizeof(err)),
	                 CS_E_INVAL);
	assert_contains(err, ":2:");
}

static void
check_bad(const char *ini, const char *setting, int line)
{
	struct config c, before;
	char err[512] = "", where[16];

	config_defaults(&c);
	config_defaults(&before);
	if (config_load_string(&c, ini, err, sizeof(err)) != CS_E_INVAL)
		fail_msg("accepted: %s", ini);
	assert_contains(err, setting);
	snprintf(where, sizeof(where), ":%d:", line);
	assert_contains(err, where);
	/* a bad value changes nothing */
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_bad_values(void **state)
{
	(void)state;
	check_bad("[team]\ncode = certx\n", "team.code", 2);
	check_bad("[team]\ncode = C\n", "team.code", 2);
	check_bad("[team]\ncode = CERT-X\n", "team.code", 2);
	check_bad("[server]\nlisten = localhost\n", "server.listen", 2);
	check_bad("[server]\nlisten = :8080\n", "server.listen", 2);
	check_bad("[server]\nthreads = 0\n", "server.threads", 2);
	check_bad("[server]\nthreads = 257\n", "server.threads", 2);
	check_bad("[server]\nthreads = 2k\n", "server.threads", 2);
	check_bad("[server]\nthreads = -1\n", "server.threads", 2);
	check_bad("[team]\nlanguages = english\n", "team.languages", 2);
	check_bad("[team]\nlanguages = en,\n", "team.languages", 2);
	check_bad("[team]\nlanguages = EN\n", "team.languages", 2);
	check_bad("[auth]\nsession_idle = 1.5h\n", "auth.session_idle", 2);
	check_bad("[auth]\nsession_idle = 30s\n", "auth.session_idle", 2);
	check_bad("[auth]\nsession_idle = 31d\n", "auth.session_idle", 2);
	check_bad("[log]\nlevel = verbose\n", "log.level", 2);
	check_bad("[log]\nsyslog = maybe\n", "log.syslog", 2);
	check_bad("[server]\nmax_body = 10\n", "server.max_body", 2);
	check_bad("[server]\nmax_body = 1T\n", "server.max_body", 2);
}

static void
test_later_error_keeps_earlier(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_string(&c,
	                                    "[team]\ncode = ABC\n"
	                                    "[server]\nthreads = 0\n",
	                                    err, sizeof(err)),
	                 CS_E_INVAL);
	assert_contains(err, ":4:");
	assert_contains(err, "server.threads");
	assert_string_equal(c.team_code, "ABC");
	assert_true(c.threads >= 2);
}

static void
test_env(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	setenv("CSIRTD_LISTEN", "[::1]:9443", 1);
	setenv("CSIRTD_TEAM_CODE", "ENVX", 1);
	setenv("CSIRTD_SESSION_IDLE", "2h", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.listen, "[::1]:9443");
	assert_string_equal(c.team_code, "ENVX");
	assert_int_equal(c.session_idle, 7200);
	unsetenv("CSIRTD_TEAM_CODE");
	unsetenv("CSIRTD_SESSION_IDLE");

	/* the environment wins over the file when loaded after it */
	config_defaults(&c);
	assert_int_equal(config_load_string(&c, "[server]\nlisten = h:1\n", err,
	                                    sizeof(err)),
	                 CS_OK);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.listen, "[::1]:9443");

	setenv("CSIRTD_LISTEN", "nohost", 1);
	config_defaults(&c);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), CS_E_INVAL);
	assert_contains(err, "CSIRTD_LISTEN");
	assert_contains(err, "server.listen");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	unsetenv("CSIRTD_LISTEN");
}

static void
test_set_flat(void **state)
{
	struct config c;
	char err[512] = "", v[64];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "listen", "10.0.0.1:80", "--listen",
	                            err, sizeof(err)),
	                 CS_OK);
	assert_string_equal(c.listen, "10.0.0.1:80");
	assert_int_equal(config_set(&c, "team_code", "FLAG1", "--team-code",
	                            err, sizeof(err)),
	                 CS_OK);
	assert_string_equal(c.team_code, "FLAG1");
	assert_int_equal(config_set(&c, "log_level", "warn", "--log-level", err,
	                            sizeof(err)),
	                 CS_OK);
	assert_string_equal(c.log_level, "warn");
	assert_int_equal(config_set(&c, "session_idle", "15m", "--session-idle",
	                            err, sizeof(err)),
	                 CS_OK);
	assert_int_equal(c.session_idle, 900);
	assert_int_equal(
	    config_set(&c, "job_lease", "1h", "--job-lease", err, sizeof(err)),
	    CS_OK);
	assert_int_equal(c.job_lease, 3600);
	assert_int_equal(
	    config_set(&c, "team_name", "Blue Team", "flag", err, sizeof(err)),
	    CS_OK);
	assert_string_equal(c.team_name, "Blue Team");

	assert_int_equal(config_set(&c, "team_code", "lower", "--team-code",
	                            err, sizeof(err)),
	                 CS_E_INVAL);
	assert_contains(err, "--team-code");
	assert_contains(err, "team.code");
	assert_string_equal(c.team_code, "FLAG1");
	assert_int_equal(
	    config_set(&c, "nosuch", "1", "flag", err, sizeof(err)),
	    CS_E_INVAL);
	assert_contains(err, "nosuch");
	assert_int_equal(
	    config_set(&c, "team_nosuch", "1", "flag", err, sizeof(err)),
	    CS_E_INVAL);
	assert_int_equal(
	    config_set(&c, "team_name", "a\nb", "flag", err, sizeof(err)),
	    CS_E_INVAL);

	config_value(&c, "session_idle", v, sizeof(v));
	assert_string_equal(v, "900s");
	config_value(&c, "team_code", v, sizeof(v));
	assert_string_equal(v, "FLAG1");
	config_value(&c, "log_syslog", v, sizeof(v));
	assert_string_equal(v, "no");
	config_value(&c, "nosuch", v, sizeof(v));
	assert_string_equal(v, "?");
}

static void
test_items(void **state)
{
	const struct config_item *it;
	size_t n = config_items(&it);
	bool listen = false;

	(void)state;
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(it[i].section);
		assert_non_null(it[i].key);
		assert_non_null(it[i].help);
		assert_int_equal(strncmp(it[i].env, "CSIRTD_", 7), 0);
		if (strcmp(it[i].key, "listen") == 0) {
			listen = true;
			assert_string_equal(it[i].env, "CSIRTD_LISTEN");
			assert_string_equal(it[i].section, "server");
		}
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(it[i].env, it[j].env);
	}
	assert_true(listen);
}

static void
test_finish(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_defaults(&c);
	snprintf(c.data_dir, sizeof(c.data_dir), "/srv/csirtd");
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.db_url, "sqlite:/srv/csirtd/csirtd.db");

	/* an explicit database is kept */
	config_defaults(&c);
	assert_int_equal(config_set(&c, "database", "sqlite:/x/y.db", "flag",
	                            err, sizeof(err)),
	                 CS_OK);
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.db_url, "sqlite:/x/y.db");

	/* half a TLS configuration */
	config_defaults(&c);
	snprintf(c.tls_cert, sizeof(c.tls_cert), "/etc/cert.pem");
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_E_INVAL);
	assert_contains(err, "tls");

	/* an idle time beyond the maximum is clamped to it */
	config_defaults(&c);
	c.session_idle = 7200;
	c.session_max = 3600;
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_OK);
	assert_int_equal(c.session_idle, 3600);

	/* the body must fit twice into the request memory */
	config_defaults(&c);
	c.max_body = c.request_memory;
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_E_INVAL);
	assert_contains(err, "max_body");

	config_defaults(&c);
	c.data_dir[0] = '\0';
	assert_int_equal(config_finish(&c, err, sizeof(err)), CS_E_INVAL);
}

static void
test_listen_parse(void **state)
{
	static const char *const bad[] = {
	    "host", "h:99999", ":80",  "h:",      "h:8x", "[::1]80",
	    "[::1", "[]:80",   "h:-1", "h:65536", "",
	};
	char host[64];
	int port = -1;

	(void)state;
	assert_true(listen_parse("127.0.0.1:8080", host, sizeof(host), &port));
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_true(listen_parse("[::1]:80", host, sizeof(host), &port));
	assert_string_equal(host, "::1");
	assert_int_equal(port, 80);
	assert_true(
	    listen_parse("example.org:65535", host, sizeof(host), &port));
	assert_string_equal(host, "example.org");
	assert_int_equal(port, 65535);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (listen_parse(bad[i], host, sizeof(host), &port))
			fail_msg("listen_parse(\"%s\") accepted", bad[i]);
	/* a host that does not fit the buffer */
	assert_false(listen_parse("abcdefgh:80", host, 8, &port));
	assert_true(listen_parse("abcdefg:80", host, 8, &port));
	assert_string_equal(host, "abcdefg");
}

/*
 * config.h: "host:port"; IPv6 as "[::1]:8080". An unbracketed IPv6
 * address, or a port with a sign or blanks, is not of that form and must
 * not be split at some colon into a surprising host and port.
 */
static void
test_listen_parse_strict(void **state)
{
	static const char *const bad[] = {
	    "::1",      /* would be host ":" port 1 */
	    "::1:8080", /* would be host "::1" port 8080 */
	    "h: 80",    "h:+80", "h:-0",
	};
	char host[64];
	int port = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (listen_parse(bad[i], host, sizeof(host), &port))
			fail_msg("listen_parse(\"%s\") accepted: host \"%s\" "
			         "port %d",
			         bad[i], host, port);
}

static void
test_fetch_entries(void **state)
{
	struct config_fetch f[CONFIG_FETCH_MAX];
	struct config c;
	char why[128], err[512];
	size_t n = 99;

	(void)state;
	assert_true(
	    config_fetch_parse("", f, CONFIG_FETCH_MAX, &n, why, sizeof(why)));
	assert_int_equal(n, 0);
	assert_true(config_fetch_parse(
	    " blocklist https://example.org/a.csv 1h\t"
	    "shadowserver/scan_http http://127.0.0.1:8000/x.csv?k=1 30 ",
	    f, CONFIG_FETCH_MAX, &n, why, sizeof(why)));
	assert_int_equal(n, 2);
	assert_string_equal(f[0].feed, "blocklist");
	assert_string_equal(f[0].report, "");
	assert_string_equal(f[0].url, "https://example.org/a.csv");
	assert_int_equal(f[0].interval, 3600);
	assert_string_equal(f[1].feed, "shadowserver");
	assert_string_equal(f[1].report, "scan_http");
	assert_string_equal(f[1].url, "http://127.0.0.1:8000/x.csv?k=1");
	assert_int_equal(f[1].interval, 30);
	/* incomplete, bad URL, bad intervals, bad names */
	assert_false(config_fetch_parse("a https://x/y", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_contains(why, "entry 1");
	assert_false(config_fetch_parse("a ftp://x/y 1h", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_contains(why, "http");
	assert_false(config_fetch_parse("a file:///etc/passwd 1h", f,
	                                CONFIG_FETCH_MAX, &n, why,
	                                sizeof(why)));
	assert_false(config_fetch_parse("a http://x/y 0", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_false(config_fetch_parse("a http://x/y 8d", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_true(config_fetch_parse("a http://x/y 7d", f, CONFIG_FETCH_MAX,
	                               &n, why, sizeof(why)));
	assert_false(config_fetch_parse(
	    "a http://x/y soon", f, CONFIG_FETCH_MAX, &n, why, sizeof(why)));
	assert_false(config_fetch_parse("/k http://x/y 1h", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_false(config_fetch_parse("a/ http://x/y 1h", f, CONFIG_FETCH_MAX,
	                                &n, why, sizeof(why)));
	assert_false(config_fetch_parse("a http://x/y 1h b http://x/z", f,
	                                CONFIG_FETCH_MAX, &n, why,
	                                sizeof(why)));
	assert_contains(why, "entry 2");
	/* at most cap entries */
	assert_false(config_fetch_parse("a http://x/y 1h b http://x/z 1h", f, 1,
	                                &n, why, sizeof(why)));
	/* the setting checks the same way and names itself */
	config_defaults(&c);
	assert_int_equal(c.report_max, 1LL << 30);
	assert_int_equal(c.drop_interval, 10);
	assert_string_equal(c.fetch, "");
	assert_int_equal(
	    config_set(&c, "fetch", "a ftp://x/y 1h", "flag", err, sizeof(err)),
	    CS_E_INVAL);
	assert_contains(err, "pipeline.fetch");
	assert_int_equal(config_set(&c, "fetch", "a https://x/y 1h", "flag",
	                            err, sizeof(err)),
	                 CS_OK);
	assert_int_equal(
	    config_set(&c, "report_max", "1023", "flag", err, sizeof(err)),
	    CS_E_INVAL);
	assert_int_equal(
	    config_set(&c, "report_max", "2M", "flag", err, sizeof(err)),
	    CS_OK);
	assert_int_equal(c.report_max, 2 << 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_defaults_pass_finish),
	    cmocka_unit_test(test_load_string),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_unknown_section),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_later_error_keeps_earlier),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_set_flat),
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_finish),
	    cmocka_unit_test(test_listen_parse),
	    cmocka_unit_test(test_listen_parse_strict),
	    cmocka_unit_test(test_fetch_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
