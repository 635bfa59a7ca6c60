/*
 * audit.h - the hash-chained audit log.
 *
 * Every mutation appends one row, inside the mutation's own write
 * transaction, so a change and its audit row commit or vanish together.
 * Row n stores hash_n = SHA-256(hash_{n-1} "\n" canonical(row n)), where
 * canonical() is the compact JSON array [seq, at, actor, action,
 * object_type, object_id, detail] and detail is itself compact JSON with
 * sorted keys. The first row chains to 64 zeros. audit_verify() walks the
 * table and reports every changed, missing or out-of-place row by seq.
 * Truncating the newest rows cannot be seen from inside the table alone; the
 * head (seq, hash) is logged at each append at debug level for anchoring.
 */
#ifndef CS_AUDIT_H
#define CS_AUDIT_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

#define AUDIT_GENESIS                                                          \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Appends a row; st must be inside a write transaction. detail may be NULL
 * (stored as {}) and is borrowed. */
enum cs_err audit_append(struct store *st, struct arena *a, int64_t now,
                         const char *actor, const char *action,
                         const char *object_type, const char *object_id,
                         json_t *detail);

/* Computes the hash of r from r->prev_hash and its content. */
void audit_row_hash(const struct audit_row *r, char out[65]);

typedef void (*audit_report_fn)(void *ctx, int64_t seq, const char *problem);
/* Returns CS_OK after a full walk, problems counted in *problems_out. */
enum cs_err audit_verify(struct store *st, audit_report_fn report, void *ctx,
                         int64_t *rows_out, int64_t *problems_out);

#endif
