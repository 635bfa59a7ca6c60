/*
 * metrics.h - counters exported at /metrics in Prometheus text format.
 *
 * Requests are counted by route (the pattern, not the raw path, so cardinality
 * is bounded by the route table), method and status; latency goes into one
 * histogram. Job results are counted by kind and result. All updates are
 * lock-free atomics; rendering reads them without stopping writers.
 */
#ifndef CS_METRICS_H
#define CS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metrics;

/* nroutes: size of the route table; index nroutes counts unmatched paths. */
struct metrics *metrics_new(size_t nroutes);
void metrics_free(struct metrics *m);
void metrics_request(struct metrics *m, size_t route, int status,
                     double seconds);
void metrics_job(struct metrics *m, const char *kind, const char *result);
/* Appends the exposition text; job_counts may be NULL. */
char *metrics_render(struct metrics *m, const int64_t *job_counts);

#endif
