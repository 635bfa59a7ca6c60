/*
 * csv_out.h - CSV exports of lists (RFC 4180, every field quoted by
 * libcsv's csv_write), built in the request's arena.
 *
 * Values are written as stored: a spreadsheet that evaluates a cell starting
 * with '=' does so at its user's request, and the IOCs a CSIRT exports must
 * stay byte-exact for the tools that read them.
 */
#ifndef CS_CSV_OUT_H
#define CS_CSV_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

struct csv_out {
	struct arena *a;
	char *buf;
	size_t len, cap;
	bool oom;
};

void csv_out_init(struct csv_out *c, struct arena *a);
/* One record; NULL fields are written empty. */
void csv_out_row(struct csv_out *c, const char *const *fields, size_t n);

struct request;
/* Replies with the CSV (or 413 when it outgrew the arena). When a next page
 * exists its cursor (the key last_key) is in a Link header, rel="next". */
void csv_out_reply(struct request *req, struct csv_out *c, const char *filename,
                   bool more, int64_t last_key);
/* ?format=: false (and a 400 reply) for anything but json and csv; *csv
 * tells which. */
bool csv_out_wanted(struct request *req, bool *csv);

#endif
