/*
 * test_metrics.c - request counters, the latency histogram and job lines in
 * the Prometheus exposition text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"

/* Asserts that text has a line that is exactly line. */
static void
assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p != NULL && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == n && strncmp(p, line, n) == 0)
			return;
		p = nl ? nl + 1 : NULL;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
assert_no_substr(const char *text, const char *s)
{
	if (strstr(text, s) != NULL)
		fail_msg("unexpected \"%s\" in:\n%s", s, text);
}

static size_t
route_index(const char *method, const char *pattern)
{
	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_route(i);

		if (strcmp(r->method, method) == 0 &&
		    strcmp(r->pattern, pattern) == 0)
			return i;
	}
	fail_msg("no route %s %s", method, pattern);
	return 0;
}

static void
test_empty(void **state)
{
	struct metrics *m = metrics_new(router_count());
	char *t;

	(void)state;
	t = metrics_render(m, NULL);
	assert_non_null(t);
	assert_line(t, "# TYPE csirtd_http_requests_total counter");
	assert_line(t, "# TYPE csirtd_http_request_duration_seconds histogram");
	assert_line(t, "csirtd_http_request_duration_seconds_count 0");
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"+Inf\"} 0");
	assert_no_substr(t, "csirtd_http_requests_total{");
	assert_no_substr(t, "csirtd_jobs{");
	free(t);
	metrics_free(m);
}

static void
test_requests(void **state)
{
	size_t me = route_index("GET", "/api/v1/me");
	size_t user = route_index("PATCH", "/api/v1/users/{login}");
	struct metrics *m = metrics_new(router_count());
	char *t;

	(void)state;
	metrics_request(m, me, 200, 0.25);
	metrics_request(m, me, 200, 0.25);
	metrics_request(m, me, 401, 0.5);
	metrics_request(m, user, 412, 0.125);
	metrics_request(m, router_count(), 404, 20.0);
	/* beyond the table counts as unmatched too */
	metrics_request(m, router_count() + 50, 404, 0.0);
	/* a status outside the list is "other" */
	metrics_request(m, me, 418, 0.0);
	t = metrics_render(m, NULL);
	assert_line(t, "csirtd_http_requests_total{route=\"/api/v1/me\","
	               "method=\"GET\",status=\"200\"} 2");
	assert_line(t, "csirtd_http_requests_total{route=\"/api/v1/me\","
	               "method=\"GET\",status=\"401\"} 1");
	assert_line(t, "csirtd_http_requests_total{route=\"/api/v1/me\","
	               "method=\"GET\",status=\"other\"} 1");
	assert_line(t, "csirtd_http_requests_total{route=\"/api/v1/users/"
	               "{login}\",method=\"PATCH\",status=\"412\"} 1");
	assert_line(t, "csirtd_http_requests_total{route=\"unmatched\","
	               "method=\"\",status=\"404\"} 2");
	/* raw paths never appear, and zero counters are left out */
	assert_no_substr(t, "status=\"500\"");
	assert_no_substr(t, "route=\"/healthz\"");
	free(t);
	metrics_free(m);
}

static void
test_histogram(void **state)
{
	size_t me = route_index("GET", "/api/v1/me");
	struct metrics *m = metrics_new(router_count());
	char *t;

	(void)state;
	metrics_request(m, me, 200, 0.0001); /* first bucket */
	metrics_request(m, me, 200, 0.25);   /* on a bound: le="0.25" */
	metrics_request(m, me, 200, 0.25);
	metrics_request(m, me, 200, 0.5);
	metrics_request(m, me, 200, 20.0); /* beyond the last bound */
	t = metrics_render(m, NULL);
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"0.0005\"} 1");
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"0.1\"} 1");
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"0.25\"} 3");
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"0.5\"} 4");
	assert_line(t,
	            "csirtd_http_request_duration_seconds_bucket{le=\"10\"} 4");
	assert_line(
	    t, "csirtd_http_request_duration_seconds_bucket{le=\"+Inf\"} 5");
	assert_line(t, "csirtd_http_request_duration_seconds_count 5");
	assert_line(t, "csirtd_http_request_duration_seconds_sum 21.000100");
	free(t);
	metrics_free(m);
}

static void
test_job_counts(void **state)
{
	struct metrics *m = metrics_new(router_count());
	int64_t counts[JOB_NSTATES] = {3, 1, 20, 4};
	char *t;

	(void)state;
	t = metrics_render(m, counts);
	assert_line(t, "# TYPE csirtd_jobs gauge");
	assert_line(t, "csirtd_jobs{state=\"queued\"} 3");
	assert_line(t, "csirtd_jobs{state=\"running\"} 1");
	assert_line(t, "csirtd_jobs{state=\"done\"} 20");
	assert_line(t, "csirtd_jobs{state=\"failed\"} 4");
	free(t);
	metrics_free(m);
}

static void
test_job_runs(void **state)
{
	static const char digest[] = "digest";
	char other[] = "digest"; /* same text, another pointer */
	struct metrics *m = metrics_new(router_count());
	char *t;

	(void)state;
	metrics_job(m, digest, "ok");
	metrics_job(m, digest, "ok");
	metrics_job(m, other, "retry");
	metrics_job(m, "mail", "failed");
	t = metrics_render(m, NULL);
	assert_line(t,
	            "csirtd_jobs_run_total{kind=\"digest\",result=\"ok\"} 2");
	assert_line(
	    t, "csirtd_jobs_run_total{kind=\"digest\",result=\"retry\"} 1");
	assert_line(
	    t, "csirtd_jobs_run_total{kind=\"digest\",result=\"failed\"} 0");
	assert_line(t,
	            "csirtd_jobs_run_total{kind=\"mail\",result=\"failed\"} 1");
	assert_line(t, "csirtd_jobs_run_total{kind=\"mail\",result=\"ok\"} 0");
	free(t);
	metrics_free(m);
}

static void
test_large_render(void **state)
{
	struct metrics *m = metrics_new(router_count());
	static const int statuses[] = {200, 201, 204, 400, 401, 403,
	                               404, 409, 412, 429, 500, 503};
	char *t;

	(void)state;
	/* more text than the initial buffer */
	for (size_t r = 0; r <= router_count(); r++)
		for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]);
		     s++)
			metrics_request(m, r, statuses[s], 0.01);
	t = metrics_render(m, NULL);
	assert_true(strlen(t) > 8192);
	assert_line(t, "csirtd_http_requests_total{route=\"unmatched\","
	               "method=\"\",status=\"503\"} 1");
	free(t);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_job_counts),
	    cmocka_unit_test(test_job_runs),
	    cmocka_unit_test(test_large_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
