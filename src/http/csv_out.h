/*
 * csv_out.h - CSV exports of lists (RFC 4180, every field quoted by
 * libcsv's csv_write), built in the request's arena.
 *
 * Values are written as stored: a spreadsheet that evaluates a cell starting
 * with '=' does so at its user's request, and the IOCs a CSIRT exports must
 * stay byte-exact for the tools that read them.
 *
 * A list handler reads ?format= with csv_out_wanted() before it fetches,
 * applies the same read rules as its JSON answer, writes the header row and
 * one row per item it would show, and ends with csv_out_page(). Cells are
 * strings: null and "never" are empty, booleans true/false, times RFC 3339,
 * lists joined with ';', nested JSON as its compact text. The cell helpers
 * allocate from the same arena; when it is full the export answers 413.
 */
#ifndef CS_CSV_OUT_H
#define CS_CSV_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

struct page;

struct csv_out {
	struct arena *a;
	char *buf;
	size_t len, cap;
	bool oom;
	/* query parameters (NULL-terminated) the next page's link repeats
	 * besides limit: the list's filters; NULL when it has none */
	const char *const *keep;
	const struct page *page; /* set by csv_out_page: a keyed cursor */
	/* the reply's type; NULL: text/csv (JSON Lines exports set
	 * application/x-ndjson and write with csv_out_raw) */
	const char *content_type;
};

void csv_out_init(struct csv_out *c, struct arena *a);
/* csv_out_init and the header row. */
void csv_out_start(struct csv_out *c, struct arena *a, const char *const *head,
                   size_t n);
/* One record; NULL fields are written empty. */
void csv_out_row(struct csv_out *c, const char *const *fields, size_t n);

/* n bytes as they are (a JSON line and its newline). */
void csv_out_raw(struct csv_out *c, const char *s, size_t n);

/* Cells, allocated from c's arena. */
const char *csv_out_int(struct csv_out *c, int64_t v);
const char *csv_out_time(struct csv_out *c, int64_t t); /* "" for 0 */
/* "a;b;c" from a NULL-terminated list (NULL: "") */
const char *csv_out_join(struct csv_out *c, const char *const *list);
/* "a;b;c" from a string whose items are separated by sep (empty items
 * dropped, as the JSON lists drop them) */
const char *csv_out_split(struct csv_out *c, const char *s, char sep);

/* "<prefix>-<name>", e.g. "CSIRT-2026-000001-entries.csv", for a list of
 * one object's items; prefix must be safe in a quoted header value. */
const char *csv_out_filename(struct csv_out *c, const char *prefix,
                             const char *name);

struct request;
struct page;
/* Replies with the CSV (or 413 when it outgrew the arena). When a next page
 * exists its cursor (the key last_key) is in a Link header, rel="next", with
 * limit and the parameters named in c->keep as the request gave them. */
void csv_out_reply(struct request *req, struct csv_out *c, const char *filename,
                   bool more, int64_t last_key);
/* Rows of a page of n fetched ones to write: p->limit is one more than
 * asked, and the extra row only tells that a next page exists. */
size_t csv_out_shown(size_t n, const struct page *p);
/* csv_out_reply for such a page; last_key is the key of the last row shown
 * (rows[n - 2] when there is a next page), as for reply_page(). */
void csv_out_page(struct request *req, struct csv_out *c, const char *filename,
                  size_t n, const struct page *p, int64_t last_key);
/* ?format=: false (and a 400 reply) for anything but json and csv; *csv
 * tells which. */
bool csv_out_wanted(struct request *req, bool *csv);

#endif
