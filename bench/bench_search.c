/*
 * bench_search.c - full-text search latency over a large incident base.
 *
 * Fills a fresh SQLite database (in $TMPDIR) with N incidents (default
 * 100,000; BENCH_INCIDENTS=1000000 for the large run), each with a title, a
 * Markdown summary and one journal entry drawn from a 5,000-word
 * vocabulary, through the store's own operations in batched transactions;
 * then times 1,000 searches (one and two words, and a prefix) as an admin
 * and as a constituent, printing p50/p99 and throughput. Prints, never
 * asserts.
 *
 * BENCH_DATABASE=postgres://... runs it on an empty PostgreSQL database
 * instead (bench/pg_bench.sh); the searches are then also timed from two
 * processes at once, each with its own connection, as two csirtd serve
 * processes would run them. BENCH_REUSE=1 with BENCH_DATABASE times the
 * searches on a database an earlier run filled (the query sequence is the
 * same), after applying any newer migration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/search.h"
#include "store/store.h"

#define VOCAB 5000

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static char words[VOCAB][12];

static void
make_vocab(void)
{
	static const char syll[][4] = {"ka", "ro",  "mi",  "ta",  "ne", "lo",
	                               "su", "ber", "an",  "tix", "po", "gal",
	                               "vu", "den", "sha", "qui"};

	for (int i = 0; i < VOCAB; i++) {
		int n = 2 + (int)(next() % 3);

		words[i][0] = '\0';
		for (int k = 0; k < n; k++)
			strncat(words[i], syll[next() % 16],
			        sizeof(words[i]) - strlen(words[i]) - 1);
	}
}

/* Zipf-like: low indices far more frequent, as in real text. */
static const char *
word(void)
{
	uint64_t r = next() % ((uint64_t)VOCAB * VOCAB);
	size_t i =
	    (size_t)((double)VOCAB * ((double)r / ((double)VOCAB * VOCAB)) *
	             ((double)r / ((double)VOCAB * VOCAB)));

	return words[i % VOCAB];
}

static void
sentence(char *out, size_t cap, int n)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < n && o + 14 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "",
		                      word());
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
measure(struct store *st, const struct viewer *v, const char *label)
{
	enum { Q = 1000 };
	static double lat[Q];
	struct arena *a = arena_new(16 << 20);
	struct page p = {.after = 0, .limit = 21};
	size_t total = 0;
	double t0 = clock_mono();

	for (int i = 0; i < Q; i++) {
		char user[64], fts[SEARCH_QUERY_MAX];
		struct search_hit *hits;
		size_t n = 0;
		double s;

		if (i % 3 == 0)
			snprintf(user, sizeof(user), "%s", word());
		else if (i % 3 == 1)
			snprintf(user, sizeof(user), "%s %s", word(), word());
		else
			snprintf(user, sizeof(user), "%.3s*", word());
		search_query_fts(user, fts, sizeof(fts));
		arena_reset(a);
		s = clock_mono();
		if (store_call(st, search, a, v, fts, &p, &hits, &n) != CS_OK)
			fprintf(stderr, "search failed: %s\n", fts);
		lat[i] = clock_mono() - s;
		total += n;
	}
	qsort(lat, Q, sizeof(lat[0]), cmp_double);
	printf("  %-22s %7.0f queries/s  p50 %6.2f ms  p99 %6.2f ms  "
	       "(%.1f hits/query)\n",
	       label, Q / (clock_mono() - t0), lat[Q / 2] * 1e3,
	       lat[Q * 99 / 100] * 1e3, (double)total / Q);
	arena_free(a);
}

int
main(void)
{
	const char *env = getenv("BENCH_INCIDENTS");
	const char *dburl = getenv("BENCH_DATABASE");
	long n = env ? strtol(env, NULL, 10) : 100000;
	char dir[] = "/tmp/cs-bench-XXXXXX", url[128], title[200], summary[600];
	struct store *st;
	struct arena *a = arena_new(64 << 20);
	struct viewer admin = {1, ROLE_ADMIN, NULL};
	struct viewer con = {2, ROLE_CONSTITUENT, "C1"};
	static const char *c1[] = {"C1", NULL};
	struct org o = {.name = "Constituent one", .short_name = "C1"};
	int64_t oid;
	struct rusage ru;
	double t0;
	int applied;

	log_init(LOG_LVL_WARN, false, "bench");
	if (n < 1000)
		n = 1000;
	make_vocab();
	if (mkdtemp(dir) == NULL)
		return 1;
	if (dburl != NULL && *dburl != '\0')
		snprintf(url, sizeof(url), "%s", dburl);
	else
		snprintf(url, sizeof(url), "sqlite:%s/db", dir);
	if (store_open(url, &st) != CS_OK ||
	    store_call(st, migrate, false, NULL, NULL, &applied) != CS_OK)
		return 1;
	o.created_at = o.updated_at = clock_now();
	if (getenv("BENCH_REUSE") != NULL && dburl != NULL)
		n = 0; /* filled by an earlier run */
	else if (store_call(st, org_put, &o, &oid) != CS_OK)
		return 1;
	t0 = clock_mono();
	for (long i = 0; i < n; i++) {
		struct incident x = {0};
		struct entry e = {0};
		int64_t eid;

		if (i % 10000 == 0 && store_begin(st, true) != CS_OK)
			return 1;
		arena_reset(a);
		sentence(title, sizeof(title), 6);
		sentence(summary, sizeof(summary), 40);
		x.title = title;
		x.summary = summary;
		x.tlp = (enum tlp)(i % 5);
		x.pap = PAP_AMBER;
		x.impact = x.urgency = LEVEL_MEDIUM;
		x.priority = 3;
		x.status = STATUS_OPEN;
		x.created_by = "bench";
		x.orgs = i % 100 == 0 ? c1 : NULL; /* 1% are C1's */
		x.created_at = x.updated_at = clock_now();
		x.response_due = x.resolve_due = x.created_at + 86400;
		if (store_call(st, incident_put, a, "BENCH", 2026, &x) != CS_OK)
			return 1;
		sentence(summary, sizeof(summary), 25);
		e.incident_id = x.id;
		e.kind = "note";
		e.visibility = i % 2 ? "shared" : "internal";
		e.author = "bench";
		e.body = summary;
		e.created_at = x.created_at;
		if (store_call(st, entry_put, &e, &eid) != CS_OK)
			return 1;
		if ((i % 10000 == 9999 || i == n - 1) &&
		    store_commit(st) != CS_OK)
			return 1;
	}
	printf("search over %ld incidents (+%ld journal entries), one core\n",
	       n, n);
	printf("  fill: %.1f s (%.0f incidents/s in 10k batches, FTS "
	       "indexed by triggers)\n",
	       clock_mono() - t0, (double)n / (clock_mono() - t0));
	measure(st, &admin, "admin, /api/v1/search");
	measure(st, &con, "constituent of 1%");
	if (dburl != NULL && *dburl != '\0') {
		/* two processes at once, one connection each */
		printf("  two processes searching at once:\n");
		fflush(stdout);
		for (int k = 0; k < 2; k++) {
			if (fork() == 0) {
				struct store *cst;
				char label[64];

				if (store_open(url, &cst) != CS_OK)
					_exit(1);
				snprintf(label, sizeof(label), "[%d] admin", k);
				measure(cst, &admin, label);
				snprintf(label, sizeof(label),
				         "[%d] constituent of 1%%", k);
				measure(cst, &con, label);
				store_close(cst);
				fflush(stdout);
				_exit(0);
			}
		}
		while (wait(NULL) > 0)
			;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS %.1f MiB\n", (double)ru.ru_maxrss / 1024);
	store_close(st);
	arena_free(a);
	{
		char path[160];

		snprintf(path, sizeof(path), "%s/db", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/db-wal", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/db-shm", dir);
		unlink(path);
		rmdir(dir);
	}
	return 0;
}
