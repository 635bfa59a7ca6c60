/*
 * store_fixture_both.h - a fresh store on each backend for the contract
 * tests of the store: a temporary SQLite file always, and a new PostgreSQL
 * database (cs_unit_<MFX_NAME>_<pid>_<n>, dropped after) when
 * CSIRTD_TEST_PG holds a server URL. Define MFX_NAME (a string) and
 * include after <cmocka.h>, <libpq-fe.h> and store_fixture.h.
 */
#ifndef CS_TEST_STORE_FIXTURE_BOTH_H
#define CS_TEST_STORE_FIXTURE_BOTH_H

struct mfx {
	bool pg;
	char dir[64];   /* SQLite: the temporary directory */
	char path[128]; /* SQLite: the database file */
	char url[512];  /* the store's URL */
	char name[64];  /* PostgreSQL: the database */
	struct store *st;
	struct arena *a;
};

static const char *pg_base;
static int pg_seq;

/* Runs sql on the server's maintenance database. */
static bool
pg_admin(const char *sql)
{
	char url[512];
	PGconn *c;
	PGresult *r;
	bool ok;

	snprintf(url, sizeof(url), "%s/postgres", pg_base);
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		PQfinish(c);
		return false;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok;
}

static int
open_migrated(struct mfx *f, void **state)
{
	int applied = -1;

	if (store_open(f->url, &f->st) != CS_OK)
		return -1;
	if (store_call(f->st, migrate, false, NULL, NULL, &applied) != CS_OK ||
	    applied < 11) {
		store_close(f->st);
		f->st = NULL;
		return -1;
	}
	f->a = arena_new(1 << 20);
	*state = f;
	return 0;
}

static int
setup_sqlite(void **state)
{
	struct mfx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cs-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	if (open_migrated(f, state) != 0) {
		rm_dir(f->dir);
		free(f);
		return -1;
	}
	return 0;
}

static int
setup_pg(void **state)
{
	struct mfx *f = calloc(1, sizeof(*f));
	char sql[128];

	if (f == NULL)
		return -1;
	f->pg = true;
	snprintf(f->name, sizeof(f->name), "cs_unit_" MFX_NAME "_%ld_%d",
	         (long)getpid(), ++pg_seq);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", f->name);
	if (!pg_admin(sql)) {
		free(f);
		return -1;
	}
	snprintf(f->url, sizeof(f->url), "%s/%s", pg_base, f->name);
	if (open_migrated(f, state) != 0) {
		snprintf(sql, sizeof(sql), "DROP DATABASE \"%s\"", f->name);
		(void)pg_admin(sql);
		free(f);
		return -1;
	}
	return 0;
}

static int
teardown_any(void **state)
{
	struct mfx *f = *state;
	char sql[128];

	store_close(f->st);
	arena_free(f->a);
	if (f->pg) {
		snprintf(sql, sizeof(sql), "DROP DATABASE \"%s\"", f->name);
		(void)pg_admin(sql);
	} else {
		rm_dir(f->dir);
	}
	free(f);
	return 0;
}

#endif
