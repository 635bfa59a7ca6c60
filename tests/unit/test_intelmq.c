/*
 * test_intelmq.c - IntelMQ event lines as a feed: lines read back exactly,
 * bad lines are counted with their number and reason and never stop the
 * feed, blank and CRLF lines, the line limit, observation time, and the
 * same events whether the input comes from memory or a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/intelmq.h"

#define MAX_EV 64

struct got {
	size_t events, malformed, batches;
	char ev[MAX_EV][2048];
	size_t bad_line[MAX_EV];
	char bad_why[MAX_EV][160];
};

static void
on_event(struct event *ev, struct event_batch *b, void *ctx)
{
	struct got *g = ctx;
	size_t n;

	(void)b;
	assert_true(g->events < MAX_EV);
	assert_int_equal(
	    event_to_text(ev, g->ev[g->events], sizeof(g->ev[0]), &n), CS_OK);
	g->events++;
}

static void
on_bad(size_t line, const char *reason, void *ctx)
{
	struct got *g = ctx;

	assert_true(g->malformed < MAX_EV);
	g->bad_line[g->malformed] = line;
	snprintf(g->bad_why[g->malformed], sizeof(g->bad_why[0]), "%s", reason);
	g->malformed++;
}

static void
on_batch(void *ctx)
{
	((struct got *)ctx)->batches++;
}

static const char line1[] =
    "{\"time.source\":\"2026-11-30T10:00:00+00:00\","
    "\"time.observation\":\"2026-11-30T11:00:00+00:00\","
    "\"source.ip\":\"198.51.100.7\",\"source.port\":23,"
    "\"classification.taxonomy\":\"intrusion-attempts\","
    "\"classification.type\":\"brute-force\",\"feed.name\":\"honeypot\","
    "\"extra.attempts\":12,\"__type\":\"Event\"}";
static const char line2[] =
    "{\"source.fqdn\":\"evil.example\",\"malware.name\":\"mirai\","
    "\"feed.name\":\"dns\",\"__type\":\"Event\"}";

static void
parse(const char *text, struct got *g)
{
	struct ss_sink sink = {on_event, on_bad, on_batch, g};
	struct ss_stats st;
	char why[SS_WHY_MAX];

	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    intelmq_parse_buf(text, strlen(text), 1764500000, &sink, &st, why),
	    CS_OK);
	assert_int_equal(st.events, g->events);
	assert_int_equal(st.malformed, g->malformed);
}

static void
test_lines_read_back_exactly(void **state)
{
	struct got *g = malloc(sizeof(*g));
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text), "%s\n%s\n", line1, line2);
	parse(text, g);
	assert_int_equal(g->events, 2);
	assert_int_equal(g->malformed, 0);
	/* a line with its own observation time keeps it */
	assert_string_equal(g->ev[0], line1);
	/* one without gets the report's */
	assert_non_null(strstr(
	    g->ev[1], "\"time.observation\":\"2025-11-30T10:53:20+00:00\""));
	assert_int_equal(g->batches, 1);
	free(g);
}

static void
test_bad_lines_counted_with_reason(void **state)
{
	struct got *g = malloc(sizeof(*g));
	char text[8192];

	(void)state;
	snprintf(text, sizeof(text),
	         "%s\n"
	         "\n" /* 2: blank */
	         "{\"source.ip\":\"999.1.1.1\",\"__type\":\"Event\"}\n" /* 3 */
	         "not json\n"                                           /* 4 */
	         "{\"raw\":\"eA==\",\"__type\":\"Event\"}\n"            /* 5 */
	         "{\"feed.name\":\"x\",\"__type\":\"Report\"}\n"        /* 6 */
	         "%s\r\n"  /* 7: CRLF */
	         "   \r\n" /* 8: blank */
	         "%s",     /* 9: no EOL */
	         line1, line2, line2);
	parse(text, g);
	assert_int_equal(g->events, 3);
	assert_int_equal(g->malformed, 4);
	assert_int_equal(g->bad_line[0], 3);
	assert_non_null(strstr(g->bad_why[0], "source.ip"));
	assert_int_equal(g->bad_line[1], 4);
	assert_int_equal(g->bad_line[2], 5);
	assert_non_null(strstr(g->bad_why[2], "raw"));
	assert_int_equal(g->bad_line[3], 6);
	assert_non_null(strstr(g->bad_why[3], "__type"));
	free(g);
}

static void
test_line_limit(void **state)
{
	struct got *g = malloc(sizeof(*g));
	size_t big = INTELMQ_LINE_MAX + 10, n = 0;
	char *text = malloc(big + 4096);

	(void)state;
	/* a line one byte over the limit, then a good one */
	n += (size_t)snprintf(text, 4096, "%s\n", line1);
	memset(text + n, 'x', INTELMQ_LINE_MAX + 1);
	n += INTELMQ_LINE_MAX + 1;
	n += (size_t)snprintf(text + n, 4096, "\n%s\n", line2);
	parse(text, g);
	assert_int_equal(g->events, 2);
	assert_int_equal(g->malformed, 1);
	assert_int_equal(g->bad_line[0], 2);
	assert_non_null(strstr(g->bad_why[0], "longer"));
	free(text);
	free(g);
}

/* The same events and malformed lines from a file descriptor as from
 * memory. */
static void
test_fd_matches_buffer(void **state)
{
	struct got *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct ss_sink sink = {on_event, on_bad, on_batch, b};
	char text[8192], tmpl[] = "/tmp/test_intelmq-XXXXXX", why[SS_WHY_MAX];
	int fd;

	(void)state;
	snprintf(text, sizeof(text), "%s\nbad\n\n%s\r\n%s", line1, line2,
	         line1);
	parse(text, a);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	memset(b, 0, sizeof(*b));
	assert_int_equal(intelmq_parse_fd(fd, 1764500000, &sink, NULL, why),
	                 CS_OK);
	close(fd);
	assert_int_equal(a->events, b->events);
	assert_int_equal(a->malformed, b->malformed);
	for (size_t i = 0; i < a->events; i++)
		assert_string_equal(a->ev[i], b->ev[i]);
	for (size_t i = 0; i < a->malformed; i++)
		assert_int_equal(a->bad_line[i], b->bad_line[i]);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_read_back_exactly),
	    cmocka_unit_test(test_bad_lines_counted_with_reason),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_fd_matches_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
