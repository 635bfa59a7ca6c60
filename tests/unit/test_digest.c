/*
 * test_digest.c - the digest CSV writer (columns, RFC 4180 quoting,
 * spreadsheet formula guard, the byte bound) read back by an independent
 * RFC 4180 reader, the TLP rule, and the composition of a digest for one
 * recipient (language, test mode, the events it may receive).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "pipeline/digest.h"

#define MAXF 64
#define MAXR 16

/* An RFC 4180 reader for the tests: quoted or bare fields, "" inside
 * quotes, CRLF record ends (a bare LF inside quotes is data). */
struct table {
	char *cell[MAXR][MAXF];
	int nf[MAXR];
	int nr;
};

static void
table_read(const char *s, size_t len, struct table *t)
{
	const char *end = s + len;
	char buf[4096];

	memset(t, 0, sizeof(*t));
	while (s < end) {
		int f = 0;

		assert_true(t->nr < MAXR);
		for (;;) {
			size_t n = 0;

			if (*s == '"') {
				s++;
				for (;;) {
					assert_true(s < end);
					if (*s == '"' && s + 1 < end &&
					    s[1] == '"') {
						buf[n++] = '"';
						s += 2;
					} else if (*s == '"') {
						s++;
						break;
					} else {
						buf[n++] = *s++;
					}
					assert_true(n < sizeof(buf));
				}
			} else {
				while (s < end && *s != ',' && *s != '\r')
					buf[n++] = *s++;
			}
			buf[n] = '\0';
			assert_true(f < MAXF);
			t->cell[t->nr][f++] = strdup(buf);
			if (s < end && *s == ',') {
				s++;
				continue;
			}
			/* a record ends with CRLF, always */
			assert_true(s + 1 < end + 1 && s[0] == '\r' &&
			            s[1] == '\n');
			s += 2;
			break;
		}
		t->nf[t->nr++] = f;
	}
}

static void
table_free(struct table *t)
{
	for (int r = 0; r < t->nr; r++)
		for (int f = 0; f < t->nf[r]; f++)
			free(t->cell[r][f]);
}

static int
col(const struct table *t, const char *name)
{
	for (int f = 0; f < t->nf[0]; f++)
		if (strcmp(t->cell[0][f], name) == 0)
			return f;
	return -1;
}

static const char *const lead[] = {"time.source",
                                   "source.ip",
                                   "source.port",
                                   "source.asn",
                                   "source.fqdn",
                                   "source.reverse_dns",
                                   "classification.taxonomy",
                                   "classification.type",
                                   "classification.identifier",
                                   "feed.name",
                                   "malware.name",
                                   "protocol.application",
                                   "protocol.transport"};

static const char *const ev1 =
    "{\"__type\": \"Event\", \"source.ip\": \"198.18.0.1\", "
    "\"source.port\": 8080, \"source.asn\": 64500, \"time.source\": "
    "\"2026-11-20T10:00:00+00:00\", \"classification.taxonomy\": "
    "\"vulnerable\", \"classification.type\": \"vulnerable-system\", "
    "\"classification.identifier\": \"accessible-http\", \"feed.name\": "
    "\"scan_http\", \"extra.tag\": \"a,b \\\"quoted\\\"\\r\\nline\", "
    "\"extra.naics\": 517311, \"extra.ratio\": 0.5, \"extra.ok\": true, "
    "\"extra.http_title\": \"=HYPERLINK(\\\"http://x\\\")\"}";
static const char *const ev2 =
    "{\"__type\": \"Event\", \"source.ip\": \"198.18.0.2\", "
    "\"source.fqdn\": \"-www.example\", \"extra.a_first\": \"+1\", "
    "\"extra.tag\": \"@SUM(A1)\", \"malware.name\": \"\\tmirai\", "
    "\"protocol.transport\": \"tcp\", \"extra.city\": \"Donostia/San "
    "Sebastián\"}";

static void
test_columns_and_values(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *lines[] = {ev1, ev2};
	const char *why;
	char *csv;
	size_t len, n;
	struct table t;
	size_t nlead = sizeof(lead) / sizeof(lead[0]);

	(void)state;
	assert_int_equal(
	    digest_csv(a, lines, 2, DIGEST_CSV_MAX, &csv, &len, &n, &why),
	    CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(csv), len);
	table_read(csv, len, &t);
	assert_int_equal(t.nr, 3);
	/* the constituent's columns first, the rest sorted, no __type */
	for (size_t i = 0; i < nlead; i++)
		assert_string_equal(t.cell[0][i], lead[i]);
	assert_int_equal(t.nf[0], (int)nlead + 7);
	assert_string_equal(t.cell[0][nlead], "extra.a_first");
	assert_string_equal(t.cell[0][nlead + 1], "extra.city");
	assert_string_equal(t.cell[0][nlead + 6], "extra.tag");
	assert_int_equal(col(&t, "__type"), -1);
	for (int r = 1; r < t.nr; r++)
		assert_int_equal(t.nf[r], t.nf[0]);
	/* values: text, integers, reals, booleans, absent = empty */
	assert_string_equal(t.cell[1][col(&t, "source.ip")], "198.18.0.1");
	assert_string_equal(t.cell[1][col(&t, "source.port")], "8080");
	assert_string_equal(t.cell[1][col(&t, "extra.naics")], "517311");
	assert_string_equal(t.cell[1][col(&t, "extra.ratio")], "0.5");
	assert_string_equal(t.cell[1][col(&t, "extra.ok")], "true");
	assert_string_equal(t.cell[1][col(&t, "source.fqdn")], "");
	assert_string_equal(t.cell[2][col(&t, "source.port")], "");
	assert_string_equal(t.cell[2][col(&t, "extra.city")],
	                    "Donostia/San Sebastián");
	/* quoting keeps commas, quotes and line breaks in one cell */
	assert_string_equal(t.cell[1][col(&t, "extra.tag")],
	                    "a,b \"quoted\"\r\nline");
	/* cells a spreadsheet would evaluate are defused */
	assert_string_equal(t.cell[1][col(&t, "extra.http_title")],
	                    "'=HYPERLINK(\"http://x\")");
	assert_string_equal(t.cell[2][col(&t, "source.fqdn")], "'-www.example");
	assert_string_equal(t.cell[2][col(&t, "extra.a_first")], "'+1");
	assert_string_equal(t.cell[2][col(&t, "extra.tag")], "'@SUM(A1)");
	assert_string_equal(t.cell[2][col(&t, "malware.name")], "'\tmirai");
	table_free(&t);
	arena_free(a);
}

static void
test_cell_guard(void **state)
{
	struct arena *a = arena_new(4096);

	(void)state;
	assert_string_equal(digest_cell(a, "=1+1"), "'=1+1");
	assert_string_equal(digest_cell(a, "+34 600"), "'+34 600");
	assert_string_equal(digest_cell(a, "-1"), "'-1");
	assert_string_equal(digest_cell(a, "@cmd"), "'@cmd");
	assert_string_equal(digest_cell(a, "\rx"), "'\rx");
	assert_string_equal(digest_cell(a, "a=1"), "a=1");
	assert_string_equal(digest_cell(a, ""), "");
	assert_string_equal(digest_cell(a, "198.18.0.1"), "198.18.0.1");
	arena_free(a);
}

static void
test_bound(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *lines[] = {ev1, ev2, ev1, ev2};
	const char *why;
	char *all, *part;
	size_t all_len, part_len, n, row1;
	struct table t;

	(void)state;
	assert_int_equal(
	    digest_csv(a, lines, 4, DIGEST_CSV_MAX, &all, &all_len, &n, &why),
	    CS_OK);
	assert_int_equal(n, 4);
	/* room for the header and the first row, not for the second */
	table_read(all, all_len, &t);
	assert_int_equal(t.nr, 5);
	table_free(&t);
	{
		const char *p = strstr(all, "\r\n\"2026"); /* row 1 starts */

		assert_non_null(p);
		p = strstr(p + 2, "\r\n\"\",\"198.18.0.2\""); /* row 2 */
		assert_non_null(p);
		row1 = (size_t)(p - all) + 2;
	}
	assert_int_equal(
	    digest_csv(a, lines, 4, row1, &part, &part_len, &n, &why), CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(part_len, row1);
	assert_memory_equal(part, all, row1);
	/* exactly at the limit, the row is in; one byte less, it is not */
	assert_int_equal(
	    digest_csv(a, lines, 4, row1 - 1, &part, &part_len, &n, &why),
	    CS_OK);
	assert_int_equal(n, 0);
	arena_free(a);
}

static void
test_bad_input(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *bad[] = {ev1, "[1, 2]"}, *notjson[] = {"{\"a\": "};
	const char *why = NULL;
	char *csv;
	size_t len, n;
	struct arena *tiny = arena_new(1024);

	(void)state;
	assert_int_equal(
	    digest_csv(a, bad, 2, DIGEST_CSV_MAX, &csv, &len, &n, &why),
	    CS_E_INVAL);
	assert_non_null(why);
	assert_int_equal(
	    digest_csv(a, notjson, 1, DIGEST_CSV_MAX, &csv, &len, &n, &why),
	    CS_E_INVAL);
	/* a full arena is an error, never a cut CSV */
	assert_int_equal(
	    digest_csv(tiny, bad, 1, DIGEST_CSV_MAX, &csv, &len, &n, &why),
	    CS_E_TOOBIG);
	arena_free(tiny);
	arena_free(a);
}

static void
test_tlp_rule(void **state)
{
	(void)state;
	for (int enc = 0; enc < 2; enc++)
		for (int plain_ok = 0; plain_ok < 2; plain_ok++) {
			assert_true(digest_tlp_allowed("clear", enc, plain_ok));
			assert_true(digest_tlp_allowed("green", enc, plain_ok));
			assert_false(digest_tlp_allowed("red", enc, plain_ok));
			assert_int_equal(
			    digest_tlp_allowed("amber", enc, plain_ok),
			    enc || plain_ok);
			assert_int_equal(
			    digest_tlp_allowed("amber+strict", enc, plain_ok),
			    enc || plain_ok);
		}
	assert_false(digest_tlp_allowed(NULL, true, true));
}

static const struct event_row rows[] = {
    {.id = 11, .tlp = "green", .data = "{\"source.ip\": \"198.18.0.1\"}"},
    {.id = 12, .tlp = "amber", .data = "{\"source.ip\": \"198.18.0.2\"}"},
    {.id = 15, .tlp = "green", .data = "{\"source.ip\": \"198.18.0.3\"}"},
    {.id = 17, .tlp = "amber", .data = "{\"source.ip\": \"198.18.0.4\"}"},
};

static void
base_in(struct digest_in *in)
{
	memset(in, 0, sizeof(*in));
	in->team_name = "CSIRT del Migjorn";
	in->team_code = "MIGJORN";
	in->team_email = "cert@migjorn.example";
	in->org_name = "Universitat";
	in->org_short = "UNIV/1"; /* not safe in a file name */
	in->feed = "shadowserver";
	in->language = "es";
	in->contact = "redes@univ.example";
	in->events = rows;
	in->n = 4;
	in->now = 1795000000; /* 2026-11-18T11:06:40Z */
}

static void
test_compose(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct digest_in in;
	struct digest_out out;
	const char *why;
	struct table t;

	(void)state;
	/* unencrypted: the GREEN events only */
	base_in(&in);
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_int_equal(out.events, 2);
	assert_int_equal(out.first_event, 11);
	assert_int_equal(out.last_event, 15);
	assert_string_equal(out.subject, "[MIGJORN] 2 eventos de seguridad "
	                                 "relativos a Universitat "
	                                 "(shadowserver)");
	assert_non_null(strstr(out.text, "Hola:"));
	assert_non_null(strstr(out.text, "fichero adjunto " /* the file */
	                                 "MIGJORN-UNIV_1-shadowserver-"
	                                 "20261118T1106Z.csv"));
	assert_string_equal(out.filename,
	                    "MIGJORN-UNIV_1-shadowserver-20261118T1106Z.csv");
	assert_null(strstr(out.text, "PRUEBA"));
	table_read(out.csv, out.csv_len, &t);
	assert_int_equal(t.nr, 3);
	assert_string_equal(t.cell[1][1], "198.18.0.1");
	assert_string_equal(t.cell[2][1], "198.18.0.3");
	table_free(&t);
	/* encrypted: all of them */
	in.encrypted = true;
	in.language = "ca";
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_int_equal(out.events, 4);
	assert_int_equal(out.first_event, 11);
	assert_int_equal(out.last_event, 17);
	assert_non_null(strstr(out.subject, "4 esdeveniments de seguretat"));
	/* the team's choice lets AMBER go unencrypted */
	in.encrypted = false;
	in.amber_unencrypted = true;
	in.language = "fr";
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_int_equal(out.events, 4);
	assert_non_null(strstr(out.subject, "4 événements de sécurité"));
	/* test mode: marked, naming who it would have gone to */
	in.test = true;
	in.language = "eu";
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_true(strncmp(out.subject, "[TEST] [MIGJORN] ", 17) == 0);
	assert_non_null(strstr(out.text, "PROBA"));
	assert_non_null(strstr(out.text, "redes@univ.example"));
	assert_non_null(strstr(out.text, "cert@migjorn.example"));
	/* an unknown language is English */
	in.test = false;
	in.language = "xx";
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_non_null(strstr(out.subject, "4 security events concerning"));
	/* nothing it may receive: no digest */
	in.amber_unencrypted = false;
	in.n = 2;
	in.events = rows + 1; /* 12 amber, 15 green */
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_int_equal(out.events, 1);
	in.n = 1;
	assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
	assert_int_equal(out.events, 0);
	assert_null(out.csv);
	arena_free(a);
}

/* Every language has the three digest texts, each with its placeholders
 * filled. */
static void
test_every_language(void **state)
{
	static const char *const langs[] = {"en", "es", "ca", "eu", "fr"};
	struct arena *a = arena_new(1 << 20);
	struct digest_in in;
	struct digest_out out;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		base_in(&in);
		in.language = langs[i];
		in.test = true;
		assert_int_equal(digest_compose(a, &in, &out, &why), CS_OK);
		assert_null(strchr(out.subject, '{'));
		assert_null(strchr(out.text, '{'));
		assert_non_null(strstr(out.text, out.filename));
		assert_non_null(strstr(out.text, "Universitat"));
		assert_non_null(strstr(out.text, "redes@univ.example"));
		assert_non_null(strstr(out.subject, "2 "));
	}
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_columns_and_values),
	    cmocka_unit_test(test_cell_guard),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_tlp_rule),
	    cmocka_unit_test(test_compose),
	    cmocka_unit_test(test_every_language),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
