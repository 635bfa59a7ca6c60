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

#endif
