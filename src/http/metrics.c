#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"
#include "http/router.h"
#include "core/xmalloc.h"
#include "store/store.h"

static const int statuses[] = {200, 201, 202, 204, 304, 400, 401,
                               403, 404, 405, 409, 412, 413, 415,
                               422, 428, 429, 500, 503, 0 /* other */};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,  0.1,    0.25,  0.5,
                                 1,      2.5,   5,      10};
#define NBUCKET (sizeof(buckets) / sizeof(buckets[0]))

#define NJOBSLOT 32
static const char *const job_results[] = {"ok", "retry", "failed"};

struct metrics {
	size_t nroutes;
	_Atomic uint64_t *req; /* [nroutes + 1][NSTATUS], calloc'd */
	void *req_mem;
	_Atomic uint64_t hist[NBUCKET + 1];
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
	struct {
		_Atomic(const char *) kind;
		_Atomic uint64_t n[3];
	} jobs[NJOBSLOT];
};

struct metrics *
metrics_new(size_t nroutes)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->nroutes = nroutes;
	m->req_mem = xcalloc((nroutes + 1) * NSTATUS, sizeof(*m->req));
	m->req = m->req_mem;
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->req_mem);
	free(m);
}

void
metrics_request(struct metrics *m, size_t route, int status, double seconds)
{
	size_t s = NSTATUS - 1, b = NBUCKET;

	if (route > m->nroutes)
		route = m->nroutes;
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status) {
			s = i;
			break;
		}
	atomic_fetch_add_explicit(&m->req[route * NSTATUS + s], 1,
	                          memory_order_relaxed);
	for (size_t i = 0; i < NBUCKET; i++)
		if (seconds <= buckets[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&m->hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (uint64_t)(seconds * 1e6),
	                          memory_order_relaxed);
}

void
metrics_job(struct metrics *m, const char *kind, const char *result)
{
	size_t r = 0;

	for (size_t i = 0; i < 3; i++)
		if (strcmp(result, job_results[i]) == 0)
			r = i;
	/* Kinds are static strings from the kind table: claim a slot by
	 * pointer, so the kind list stays bounded. */
	for (size_t i = 0; i < NJOBSLOT; i++) {
		const char *cur = atomic_load(&m->jobs[i].kind);
		const char *expect = NULL;

		if (cur == NULL && !atomic_compare_exchange_strong(
		                       &m->jobs[i].kind, &expect, kind))
			cur = expect;
		else if (cur == NULL)
			cur = kind;
		if (cur == kind || strcmp(cur, kind) == 0) {
			atomic_fetch_add(&m->jobs[i].n[r], 1);
			return;
		}
	}
}

struct out {
	char *buf;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap *= 2;
		o->buf = xrealloc(o->buf, o->cap);
	}
}

char *
metrics_render(struct metrics *m, const int64_t *job_counts)
{
	struct out o = {xmalloc(8192), 0, 8192};
	uint64_t cum = 0;

	put(&o, "# HELP csirtd_http_requests_total HTTP requests by route, "
	        "method and status.\n"
	        "# TYPE csirtd_http_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *method = "", *pattern = "unmatched";

		if (r < m->nroutes)
			router_route_name(r, &method, &pattern);
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n = atomic_load_explicit(
			    &m->req[r * NSTATUS + s], memory_order_relaxed);
			char st[8];

			if (n == 0)
				continue;
			if (statuses[s] != 0)
				snprintf(st, sizeof(st), "%d", statuses[s]);
			else
				snprintf(st, sizeof(st), "other");
			put(&o,
			    "csirtd_http_requests_total{route=\"%s\","
			    "method=\"%s\",status=\"%s\"} %llu\n",
			    pattern, method, st, (unsigned long long)n);
		}
	}
	put(&o, "# HELP csirtd_http_request_duration_seconds Time to answer "
	        "a request.\n"
	        "# TYPE csirtd_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= NBUCKET; i++) {
		cum += atomic_load_explicit(&m->hist[i], memory_order_relaxed);
		if (i < NBUCKET)
			put(&o,
			    "csirtd_http_request_duration_seconds_bucket{le="
			    "\"%g\"} %llu\n",
			    buckets[i], (unsigned long long)cum);
		else
			put(&o,
			    "csirtd_http_request_duration_seconds_bucket{le="
			    "\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	put(&o, "csirtd_http_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load(&m->sum_us) / 1e6);
	put(&o, "csirtd_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)atomic_load(&m->count));
	if (job_counts != NULL) {
		put(&o, "# HELP csirtd_jobs Jobs in the queue by state.\n"
		        "# TYPE csirtd_jobs gauge\n");
		for (int s = 0; s < JOB_NSTATES; s++)
			put(&o, "csirtd_jobs{state=\"%s\"} %lld\n",
			    job_state_name((enum job_state)s),
			    (long long)job_counts[s]);
	}
	put(&o, "# HELP csirtd_jobs_run_total Job runs by kind and result.\n"
	        "# TYPE csirtd_jobs_run_total counter\n");
	for (size_t i = 0; i < NJOBSLOT; i++) {
		const char *kind = atomic_load(&m->jobs[i].kind);

		if (kind == NULL)
			break;
		for (size_t r = 0; r < 3; r++)
			put(&o,
			    "csirtd_jobs_run_total{kind=\"%s\",result=\"%s\"} "
			    "%llu\n",
			    kind, job_results[r],
			    (unsigned long long)atomic_load(&m->jobs[i].n[r]));
	}
	return o.buf;
}
