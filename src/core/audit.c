#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/log.h"
#include "core/secret.h"

void
audit_row_hash(const struct audit_row *r, char out[65])
{
	json_t *arr = json_pack("[I,I,s,s,s,s,s]", (json_int_t)r->seq,
	                        (json_int_t)r->at, r->actor, r->action,
	                        r->object_type, r->object_id, r->detail);
	char *canon = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	size_t plen = strlen(r->prev_hash), clen;
	char *buf;

	if (canon == NULL) {
		/* Invalid UTF-8 in a stored row: hash the raw bytes so the
		 * row still fails verification instead of crashing. */
		canon = malloc(1);
		if (canon == NULL)
			abort();
		canon[0] = '\0';
	}
	clen = strlen(canon);
	buf = malloc(plen + 1 + clen);
	if (buf == NULL)
		abort();
	memcpy(buf, r->prev_hash, plen);
	buf[plen] = '\n';
	memcpy(buf + plen + 1, canon, clen);
	sha256_hex(buf, plen + 1 + clen, out);
	free(buf);
	free(canon);
	json_decref(arr);
}

enum cs_err
audit_append(struct store *st, struct arena *a, int64_t now, const char *actor,
             const char *action, const char *object_type, const char *object_id,
             json_t *detail)
{
	struct audit_row r = {0};
	char hash[65], *text;
	const char *prev;
	enum cs_err err;

	if ((err = store_call(st, audit_head, a, &r.seq, &prev)) != CS_OK)
		return err;
	text =
	    detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	r.seq++;
	r.at = now;
	r.actor = actor;
	r.action = action;
	r.object_type = object_type;
	r.object_id = object_id;
	r.detail = text ? text : "{}";
	r.prev_hash = prev ? prev : AUDIT_GENESIS;
	audit_row_hash(&r, hash);
	r.hash = hash;
	err = store_call(st, audit_insert, &r);
	free(text);
	if (err == CS_OK)
		log_debug("msg=audit seq=%lld action=%s hash=%s",
		          (long long)r.seq, action, hash);
	return err;
}

struct verify_ctx {
	audit_report_fn report;
	void *ctx;
	int64_t rows, problems, last_seq;
	char last_hash[65];
};

static void
problem(struct verify_ctx *v, int64_t seq, const char *what)
{
	v->problems++;
	if (v->report)
		v->report(v->ctx, seq, what);
}

static enum cs_err
verify_row(void *ctx, const struct audit_row *r)
{
	struct verify_ctx *v = ctx;
	char hash[65], msg[200];
	bool gap = false;

	v->rows++;
	if (r->seq != v->last_seq + 1) {
		gap = true;
		if (r->seq > v->last_seq + 1) {
			if (r->seq == v->last_seq + 2)
				snprintf(msg, sizeof(msg),
				         "row missing (deleted)");
			else
				snprintf(msg, sizeof(msg),
				         "rows %lld to %lld missing (deleted)",
				         (long long)v->last_seq + 1,
				         (long long)r->seq - 1);
			problem(v, v->last_seq + 1, msg);
		} else {
			problem(v, r->seq, "sequence out of order");
		}
	}
	audit_row_hash(r, hash);
	if (r->hash == NULL || strcmp(hash, r->hash) != 0)
		problem(v, r->seq,
		        "content changed (hash does not match the row)");
	else if (!gap && (r->prev_hash == NULL ||
	                  strcmp(r->prev_hash, v->last_hash) != 0)) {
		snprintf(msg, sizeof(msg),
		         "chain broken: previous hash is not that of seq %lld "
		         "(rows replaced or reordered)",
		         (long long)v->last_seq);
		problem(v, r->seq, msg);
	}
	v->last_seq = r->seq;
	snprintf(v->last_hash, sizeof(v->last_hash), "%s",
	         r->hash ? r->hash : "");
	return CS_OK;
}

enum cs_err
audit_verify(struct store *st, audit_report_fn report, void *ctx,
             int64_t *rows_out, int64_t *problems_out)
{
	struct verify_ctx v = {.report = report, .ctx = ctx};
	enum cs_err err;

	snprintf(v.last_hash, sizeof(v.last_hash), "%s", AUDIT_GENESIS);
	err = store_call(st, audit_scan, verify_row, &v);
	*rows_out = v.rows;
	*problems_out = v.problems;
	return err;
}
