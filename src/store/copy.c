/*
 * copy.c - moving a whole installation from SQLite to PostgreSQL
 * (`csirtd migrate --from sqlite:PATH --to postgres://...`).
 *
 * Both databases are first brought to the newest schema by their own
 * migrations. Then every table is streamed with COPY, in an order that
 * respects foreign keys, inside one PostgreSQL transaction: the move lands
 * whole or not at all. The search index is not copied: PostgreSQL's
 * triggers build it from the rows as they arrive. Counters the triggers
 * also touch (asset_version) are copied last, replacing what the triggers
 * wrote. Identity and serial sequences are set past the copied keys, and every
 * table's row count is compared before the transaction commits.
 *
 * This file is the one place that speaks both dialects: it reads SQLite
 * with its API and writes PostgreSQL with libpq's COPY protocol.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"

/* Every table of the schema, parents before children. A table that is not
 * listed here (nor skipped below) stops the move: a new migration must say
 * how its table moves. */
static const char *const tables[] = {
    "user",
    "session",
    "token",
    "login_throttle",
    "idempotency",
    "audit",
    "job",
    "org",
    "contact",
    "asset",
    "incident",
    "incident_member",
    "incident_org",
    "incident_tag",
    "entry",
    "task",
    "observable",
    "report",
    "incident_link",
    "incident_template",
    "artefact",
    "thread",
    "mail",
    "mail_attachment",
    "report_attachment",
    "feed_report",
    "feed_field",
    "feed_malformed",
    "feed_event",
    "notification",
    "notify_cursor",
    "ref_counter",
    "asset_version",
};

static bool
skipped(const char *name)
{
	/* the FTS5 index and its shadow tables, SQLite's own, and the
	 * migrations table each backend keeps itself */
	return strcmp(name, "search") == 0 ||
	       strncmp(name, "search_", 7) == 0 ||
	       strncmp(name, "sqlite_", 7) == 0 ||
	       strcmp(name, "schema_migrations") == 0;
}

static bool
listed(const char *name)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i], name) == 0)
			return true;
	return false;
}

struct copy {
	sqlite3 *src;
	PGconn *dst;
	char *err;
	size_t errlen;
	char buf[1 << 16];
	size_t len;
};

static enum cs_err fail(struct copy *c, enum cs_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum cs_err
fail(struct copy *c, enum cs_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return err;
}

static enum cs_err
pg_cmd(struct copy *c, const char *sql)
{
	PGresult *res = PQexec(c->dst, sql);
	ExecStatusType rc = PQresultStatus(res);
	enum cs_err err = CS_OK;

	if (rc != PGRES_COMMAND_OK && rc != PGRES_TUPLES_OK)
		err = fail(c, CS_E_DB, "PostgreSQL: %s",
		           PQresultErrorMessage(res));
	PQclear(res);
	return err;
}

/* The first column of the first row of sql, as an integer. */
static enum cs_err
pg_int(struct copy *c, const char *sql, long long *out)
{
	PGresult *res = PQexec(c->dst, sql);
	enum cs_err err = CS_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
		err = fail(c, CS_E_DB, "PostgreSQL: %s",
		           PQresultErrorMessage(res));
	else
		*out = PQgetisnull(res, 0, 0)
		           ? 0
		           : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return err;
}

static enum cs_err
flush(struct copy *c)
{
	if (c->len > 0 && PQputCopyData(c->dst, c->buf, (int)c->len) != 1)
		return fail(c, CS_E_DB, "COPY: %s", PQerrorMessage(c->dst));
	c->len = 0;
	return CS_OK;
}

static enum cs_err
put(struct copy *c, const char *s, size_t n)
{
	enum cs_err err;

	if (c->len + n > sizeof(c->buf) && (err = flush(c)) != CS_OK)
		return err;
	if (n > sizeof(c->buf))
		return PQputCopyData(c->dst, s, (int)n) == 1
		           ? CS_OK
		           : fail(c, CS_E_DB, "COPY: %s",
		                  PQerrorMessage(c->dst));
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	return CS_OK;
}

/* A BLOB as a bytea in COPY's text format: the hex form \x0aff..., its
 * backslash doubled as COPY's own escape. */
static enum cs_err
put_blob(struct copy *c, sqlite3_stmt *q, int i)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = sqlite3_column_blob(q, i);
	int n = sqlite3_column_bytes(q, i);
	char out[512];
	size_t o = 0;
	enum cs_err err = put(c, "\\\\x", 3);

	for (int k = 0; k < n && err == CS_OK; k++) {
		out[o++] = hex[v[k] >> 4];
		out[o++] = hex[v[k] & 0xf];
		if (o == sizeof(out)) {
			err = put(c, out, o);
			o = 0;
		}
	}
	if (err == CS_OK && o > 0)
		err = put(c, out, o);
	return err;
}

/* One value in COPY's text format: \N for NULL, backslash escapes for the
 * delimiter, line ends and the backslash itself; a BLOB in bytea's hex
 * form. */
static enum cs_err
put_value(struct copy *c, sqlite3_stmt *q, int i)
{
	const unsigned char *v;
	int n;
	enum cs_err err = CS_OK;

	switch (sqlite3_column_type(q, i)) {
	case SQLITE_NULL:
		return put(c, "\\N", 2);
	case SQLITE_BLOB:
		return put_blob(c, q, i);
	default:
		break;
	}
	v = sqlite3_column_text(q, i);
	n = sqlite3_column_bytes(q, i);
	for (int k = 0; k < n && err == CS_OK; k++) {
		switch (v[k]) {
		case '\\':
			err = put(c, "\\\\", 2);
			break;
		case '\t':
			err = put(c, "\\t", 2);
			break;
		case '\n':
			err = put(c, "\\n", 2);
			break;
		case '\r':
			err = put(c, "\\r", 2);
			break;
		default:
			err = put(c, (const char *)v + k, 1);
		}
	}
	return err;
}

static enum cs_err
copy_table(struct copy *c, const char *table, long long *rows_out)
{
	char sql[512], cols[2048] = "";
	sqlite3_stmt *q;
	PGresult *res;
	enum cs_err err = CS_OK;
	long long rows = 0, there = -1;
	int ncol, rc;

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY rowid",
	         table);
	if (sqlite3_prepare_v2(c->src, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(c, CS_E_DB, "SQLite %s: %s", table,
		            sqlite3_errmsg(c->src));
	ncol = sqlite3_column_count(q);
	for (int i = 0; i < ncol; i++) {
		size_t o = strlen(cols);

		snprintf(cols + o, sizeof(cols) - o, "%s\"%s\"", i ? ", " : "",
		         sqlite3_column_name(q, i));
	}
	/* what the triggers of earlier tables wrote here is replaced */
	snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", table);
	if ((err = pg_cmd(c, sql)) != CS_OK)
		goto out;
	{
		char copy[2600];

		snprintf(copy, sizeof(copy), "COPY \"%s\" (%s) FROM STDIN",
		         table, cols);
		res = PQexec(c->dst, copy);
		if (PQresultStatus(res) != PGRES_COPY_IN) {
			err = fail(c, CS_E_DB, "PostgreSQL: %s",
			           PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	while (err == CS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < ncol && err == CS_OK; i++) {
			if (i > 0)
				err = put(c, "\t", 1);
			if (err == CS_OK)
				err = put_value(c, q, i);
		}
		if (err == CS_OK)
			err = put(c, "\n", 1);
		rows++;
	}
	if (err == CS_OK && rc != SQLITE_DONE)
		err = fail(c, CS_E_DB, "SQLite %s: %s", table,
		           sqlite3_errmsg(c->src));
	if (err == CS_OK)
		err = flush(c);
	if (PQputCopyEnd(c->dst, err == CS_OK ? NULL : "aborted") != 1 &&
	    err == CS_OK)
		err = fail(c, CS_E_DB, "COPY: %s", PQerrorMessage(c->dst));
	while ((res = PQgetResult(c->dst)) != NULL) {
		if (err == CS_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
			err = fail(c, CS_E_DB, "COPY %s: %s", table,
			           PQresultErrorMessage(res));
		PQclear(res);
	}
	if (err != CS_OK)
		goto out;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
	if ((err = pg_int(c, sql, &there)) != CS_OK)
		goto out;
	if (there != rows) {
		char n[64];

		snprintf(n, sizeof(n), "%lld rows read, %lld", rows, there);
		err = fail(c, CS_E_INTERNAL, "table %s: %s written", table, n);
	}
	*rows_out = rows;
out:
	sqlite3_finalize(q);
	return err;
}

/* Identity and serial columns (feed_report, feed_event, notification are
 * bigserial) continue after the copied keys. */
static enum cs_err
reset_sequences(struct copy *c)
{
	PGresult *res =
	    PQexec(c->dst, "SELECT table_name, column_name FROM "
	                   "information_schema.columns WHERE table_schema = "
	                   "current_schema() AND (is_identity = 'YES' OR "
	                   "column_default LIKE 'nextval(%')");
	enum cs_err err = CS_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		err = fail(c, CS_E_DB, "PostgreSQL: %s",
		           PQresultErrorMessage(res));
		PQclear(res);
		return err;
	}
	for (int i = 0; i < PQntuples(res) && err == CS_OK; i++) {
		char sql[512];
		const char *t = PQgetvalue(res, i, 0),
		           *col = PQgetvalue(res, i, 1);

		snprintf(
		    sql, sizeof(sql),
		    "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), "
		    "coalesce((SELECT max(\"%s\") FROM \"%s\"), 0) + 1, "
		    "false)",
		    t, col, col, t);
		err = pg_cmd(c, sql);
	}
	PQclear(res);
	return err;
}

/* Tables of the source that this file does not know stop the move. */
static enum cs_err
check_tables(struct copy *c)
{
	sqlite3_stmt *q;
	enum cs_err err = CS_OK;

	if (sqlite3_prepare_v2(c->src,
	                       "SELECT name FROM sqlite_master WHERE type = "
	                       "'table' ORDER BY name",
	                       -1, &q, NULL) != SQLITE_OK)
		return fail(c, CS_E_DB, "SQLite: %s", sqlite3_errmsg(c->src));
	while (err == CS_OK && sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (!skipped(name) && !listed(name))
			err = fail(c, CS_E_INTERNAL,
			           "table %s has no place in the move (%s)",
			           name, "src/store/copy.c");
	}
	sqlite3_finalize(q);
	return err;
}

enum cs_err
store_copy(const char *from, const char *to, store_copy_fn progress, void *ctx,
           char *errbuf, size_t errlen)
{
	struct copy *c = calloc(1, sizeof(*c));
	struct store *s = NULL, *d = NULL;
	const char *path = from;
	enum cs_err err;
	long long users = 0, audit = 0, incidents = 0;
	int applied;

	if (c == NULL)
		return CS_E_INTERNAL;
	c->err = errbuf;
	c->errlen = errlen;
	errbuf[0] = '\0';
	if (strncmp(from, "sqlite:", 7) == 0)
		path += 7;
	if (strncmp(to, "postgres://", 11) != 0 &&
	    strncmp(to, "postgresql://", 13) != 0) {
		err = fail(c, CS_E_INVAL, "--to must be a postgres:// URL");
		goto out;
	}
	/* both schemas at the newest version, by their own migrations */
	if ((err = store_open(from, &s)) != CS_OK ||
	    (err = store_call(s, migrate, false, NULL, NULL, &applied)) !=
	        CS_OK) {
		fail(c, err, "source %s: %s", from,
		     s ? store_call0(s, errmsg) : "cannot open");
		goto out;
	}
	if ((err = store_open(to, &d)) != CS_OK ||
	    (err = store_call(d, migrate, false, NULL, NULL, &applied)) !=
	        CS_OK) {
		fail(c, err, "destination: %s",
		     d ? store_call0(d, errmsg) : "cannot connect");
		goto out;
	}
	store_close(d);
	d = NULL;
	store_close(s);
	s = NULL;

	if (sqlite3_open_v2(path, &c->src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		err = fail(c, CS_E_IO, "cannot open %s: %s", path,
		           sqlite3_errmsg(c->src));
		goto out;
	}
	c->dst = PQconnectdb(to);
	if (PQstatus(c->dst) != CONNECTION_OK) {
		err = fail(c, CS_E_IO, "cannot connect: %s",
		           PQerrorMessage(c->dst));
		goto out;
	}
	if ((err = check_tables(c)) != CS_OK)
		goto out;
	/* one snapshot of the source, one transaction on the destination */
	if (sqlite3_exec(c->src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (err = pg_cmd(c, "SET client_encoding = 'UTF8'")) != CS_OK ||
	    (err = pg_cmd(c, "BEGIN")) != CS_OK)
		goto out;
	if ((err = pg_int(c, "SELECT count(*) FROM \"user\"", &users)) !=
	        CS_OK ||
	    (err = pg_int(c, "SELECT count(*) FROM audit", &audit)) != CS_OK ||
	    (err = pg_int(c, "SELECT count(*) FROM incident", &incidents)) !=
	        CS_OK)
		goto out;
	if (users + audit + incidents > 0) {
		err = fail(c, CS_E_CONFLICT,
		           "the destination database is not empty (it has "
		           "users, audit rows or incidents)");
		goto out;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		long long rows = 0;

		if ((err = copy_table(c, tables[i], &rows)) != CS_OK)
			goto out;
		if (progress != NULL)
			progress(tables[i], rows, ctx);
	}
	if ((err = reset_sequences(c)) != CS_OK ||
	    (err = pg_cmd(c, "COMMIT")) != CS_OK)
		goto out;
out:
	if (c->dst != NULL) {
		if (err != CS_OK && PQtransactionStatus(c->dst) != PQTRANS_IDLE)
			PQclear(PQexec(c->dst, "ROLLBACK"));
		PQfinish(c->dst);
	}
	if (c->src != NULL)
		sqlite3_close(c->src);
	store_close(s);
	store_close(d);
	free(c);
	return err;
}
