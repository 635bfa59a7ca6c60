/*
 * store_fixture.h - a fresh SQLite store in a temporary directory for unit
 * tests (setup/teardown for cmocka), and raw SQL through a second
 * connection, the way an attacker with file access would change rows.
 * Include after <cmocka.h>.
 */
#ifndef CS_TEST_STORE_FIXTURE_H
#define CS_TEST_STORE_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct arena *a;
};

static inline void
rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* A migrated database in a new /tmp/cs-test-XXXXXX directory. */
static inline int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char url[160];
	int applied = -1;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cs-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	if (store_open(url, &f->st) != CS_OK ||
	    store_call(f->st, migrate, false, NULL, NULL, &applied) != CS_OK ||
	    applied < 1) {
		store_close(f->st);
		rm_dir(f->dir);
		free(f);
		return -1;
	}
	f->a = arena_new(1 << 20);
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	arena_free(f->a);
	rm_dir(f->dir);
	free(f);
	return 0;
}

/* Runs SQL through a second connection to the same file. */
static inline void
sql(struct fx *f, const char *text)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

#endif
