#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assets.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/xmalloc.h"
#include "store/store.h"

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

static const struct store_ops *const backends[] = {
    &store_sqlite_ops,
    &store_pg_ops,
    NULL,
};

enum cs_err
store_open(const char *url, struct store **out)
{
	const char *colon = strchr(url, ':');

	if (strncmp(url, "postgresql://", 13) == 0)
		return store_pg_ops.open(url, out);
	for (size_t i = 0; backends[i] != NULL; i++) {
		size_t n = strlen(backends[i]->scheme);

		if (colon != NULL && (size_t)(colon - url) == n &&
		    strncmp(url, backends[i]->scheme, n) == 0)
			return backends[i]->open(url, out);
	}
	/* A bare path is an SQLite file. */
	if (colon == NULL || strchr(url, '/') < colon)
		return store_sqlite_ops.open(url, out);
	return CS_E_INVAL;
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

enum cs_err
store_begin(struct store *st, bool write)
{
	return st->ops->begin(st, write);
}

enum cs_err
store_commit(struct store *st)
{
	return st->ops->commit(st);
}

void
store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

enum cs_err
store_end(struct store *st, enum cs_err err)
{
	if (err != CS_OK) {
		st->ops->rollback(st);
		return err;
	}
	return st->ops->commit(st);
}

size_t
store_migrations(const char *scheme, struct migration *out, size_t cap)
{
	char prefix[64];
	size_t first, count, n = 0;

	snprintf(prefix, sizeof(prefix), "store/sql/%s/", scheme);
	first = asset_prefix(prefix, &count);
	for (size_t i = 0; i < count && n < cap; i++) {
		const struct asset *a = &assets[first + i];
		const char *name = a->path + strlen(prefix);

		if (name[0] < '0' || name[0] > '9')
			continue;
		out[n].number = (int)strtol(name, NULL, 10);
		out[n].name = name;
		out[n].sql = (const char *)a->data;
		sha256_hex(a->data, a->len, out[n].sha256);
		n++;
	}
	return n; /* assets are sorted by path, hence by number */
}

struct store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store **free;
	int nfree, size;
};

enum cs_err
store_pool_new(const char *url, int size, struct store_pool **out)
{
	struct store_pool *p = xcalloc(1, sizeof(*p));
	enum cs_err err = CS_OK;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->free = xcalloc((size_t)size, sizeof(*p->free));
	p->size = size;
	for (int i = 0; i < size; i++) {
		if ((err = store_open(url, &p->free[i])) != CS_OK)
			goto out;
		p->nfree++;
	}
out:
	if (err != CS_OK) {
		store_pool_free(p);
		return err;
	}
	*out = p;
	return CS_OK;
}

void
store_pool_free(struct store_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nfree; i++)
		store_close(p->free[i]);
	free(p->free);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

struct store *
store_acquire(struct store_pool *p)
{
	struct store *st;

	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	st = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	return st;
}

void
store_release(struct store_pool *p, struct store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static const char *const role_names[] = {"admin", "handler", "viewer",
                                         "constituent"};
static const char *const job_state_names[] = {"queued", "running", "done",
                                              "failed"};

const char *
role_name(enum role r)
{
	return role_names[r];
}

bool
role_parse(const char *s, enum role *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return true;
		}
	return false;
}

const char *
job_state_name(enum job_state s)
{
	return job_state_names[s];
}

bool
job_state_parse(const char *s, enum job_state *out)
{
	for (size_t i = 0; i < JOB_NSTATES; i++)
		if (strcmp(s, job_state_names[i]) == 0) {
			*out = (enum job_state)i;
			return true;
		}
	return false;
}

int64_t
incident_sort_key(const struct incident *x, int sort)
{
	switch (sort) {
	case SORT_PRIORITY:
		return x->priority;
	case SORT_DUE:
		return x->resolve_due;
	case SORT_UPDATED:
		return x->updated_at;
	default:
		return 0;
	}
}
