/*
 * generic.c - CSV (libcsv) and JSON (jansson) feed records to events by a
 * feed definition's mapping. The CSV side follows ss_parse.c: libcsv
 * callbacks collect one record into a fixed buffer, and a line-level pass
 * in front of libcsv drops skip_lines and comment lines (a comment is a
 * line starting with the prefix while libcsv is between records, so a
 * quoted field may hold such a line).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "pipeline/generic_internal.h"

#define NO_COL   ((size_t)-1)
#define READ_BUF 65536

enum line_state { LS_START, LS_PASS, LS_SKIP };

struct parser {
	const struct feed_def *d;
	const struct ss_sink *sink;
	struct ss_stats st;
	struct event_batch *batch;
	size_t in_batch;
	int64_t observation;
	char *why;
	enum cs_err fatal;               /* a report-level error: stop */
	char text[EVENT_VALUE_MAX + 64]; /* a value as text, used at once */

	/* CSV header (or the first record's width without one) */
	bool have_header;
	size_t n_cols;
	const char *col_name[GEN_MAX_COLUMNS]; /* hdr_arena */
	enum event_field col_alias[GEN_MAX_COLUMNS];
	size_t *map_col; /* per mapping: column index or NO_COL */
	struct arena *hdr_arena;

	/* the current CSV record, or a JSON line being collected */
	char *rec;
	size_t rec_len;
	size_t off[GEN_MAX_COLUMNS], len[GEN_MAX_COLUMNS];
	size_t n_fields;
	size_t line, rec_line, newlines_in_rec;
	const char *bad; /* why the record is malformed, or NULL */
	char badbuf[GEN_WHY_MAX];
	bool consumed[GEN_MAX_COLUMNS];
	bool line_too_long;

	/* the line pass in front of libcsv */
	enum line_state ls;
	char pre[8];
	size_t npre, skipped;
	struct csv_parser csv;
};

/* ---- values ------------------------------------------------------------ */

enum vk { VK_STR, VK_INT, VK_REAL, VK_BOOL, VK_JSON };

struct gval {
	enum vk k;
	const char *s; /* the text form of every kind */
	size_t n;
	int64_t i;
	double f;
	bool b;
};

static bool
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			k = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			k = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* A time from a JSON number: epoch seconds (auto, epoch) or
 * milliseconds (epoch_ms); a pattern takes text only. */
static bool
time_from_number(const struct feed_def *d, const struct gval *v, int64_t *out)
{
	double x;

	if (d->time_kind == GTF_PATTERN)
		return false;
	if (v->k == VK_INT && d->time_kind != GTF_EPOCH_MS &&
	    !(d->time_kind == GTF_AUTO && v->i > 99999999999LL)) {
		*out = v->i;
	} else {
		x = v->k == VK_INT ? (double)v->i : v->f;
		if (d->time_kind == GTF_EPOCH_MS ||
		    (d->time_kind == GTF_AUTO && x > 99999999999.0))
			x /= 1000;
		if (!(x >= (double)EVENT_TIME_MIN - 1 &&
		      x <= (double)EVENT_TIME_MAX + 1))
			return false; /* NaN too */
		*out = (int64_t)x;    /* towards zero, then down */
		if ((double)*out > x)
			(*out)--;
	}
	return *out >= EVENT_TIME_MIN && *out <= EVENT_TIME_MAX;
}

/* 1 stored, 0 invalid (why says why), -1 a memory or event limit */
static int
put(struct parser *p, struct event *ev, enum gen_target t, enum event_field f,
    const char *xkey, const struct gval *v, char why[EVENT_WHY_MAX])
{
	struct extra_value x;
	int64_t tm;

	if (t == GT_EXTRA) {
		switch (v->k) {
		case VK_INT:
			x.kind = XV_INT, x.u.i = v->i;
			break;
		case VK_REAL:
			x.kind = XV_FLOAT, x.u.f = v->f;
			break;
		case VK_BOOL:
			x.kind = XV_BOOL, x.u.b = v->b;
			break;
		default:
			x.kind = XV_STRING;
			if ((x.u.s = event_batch_intern(p->batch, v->s,
			                                v->n)) == NULL)
				return -1;
			break;
		}
		return event_set_extra(ev, xkey, x) == CS_OK ? 1 : -1;
	}
	if (v->k == VK_JSON) {
		snprintf(why, EVENT_WHY_MAX, "%s: an array or object",
		         event_field_name(f));
		return 0;
	}
	if (event_field_type(f) == ET_TIME) {
		bool ok = v->k == VK_STR ? gen_time_parse(p->d, v->s, v->n, &tm)
		          : v->k == VK_BOOL ? false
		                            : time_from_number(p->d, v, &tm);

		if (!ok) {
			snprintf(
			    why, EVENT_WHY_MAX, "%s: not a time in format %s",
			    event_field_name(f),
			    p->d->time_kind == GTF_PATTERN ? p->d->time_pattern
			    : p->d->time_kind == GTF_EPOCH ? "epoch"
			    : p->d->time_kind == GTF_EPOCH_MS ? "epoch_ms"
			                                      : "auto");
			return 0;
		}
		event_set_time(ev, f, tm);
		return 1;
	}
	/* event_set_text() drops one trailing dot and then accepts "a." from
	 * "a..", which does not read back as itself: refused here */
	if (event_field_type(f) == ET_FQDN && v->n >= 2 &&
	    v->s[v->n - 1] == '.' && v->s[v->n - 2] == '.') {
		snprintf(why, EVENT_WHY_MAX,
		         "%s: not a domain name (empty label)",
		         event_field_name(f));
		return 0;
	}
	switch (event_set_text(p->batch, ev, f, v->s, v->n, why)) {
	case CS_OK:
		return 1;
	case CS_E_INVAL:
		return 0;
	default:
		return -1;
	}
}

/* extra.severity and extra.product.* are event fields: a value that would
 * be written under those names goes to the field. EF_COUNT: none. */
static enum event_field
alias_of(const char *key)
{
	char name[GEN_MAX_KEY + 8];
	enum event_field f;

	if (strcmp(key, "severity") != 0 && strncmp(key, "product.", 8) != 0)
		return EF_COUNT;
	snprintf(name, sizeof(name), "extra.%s", key);
	return event_field_lookup(name, &f) ? f : EF_COUNT;
}

/* Stores an unmapped (or invalid optional) value as extra.<key>; key lives
 * in the batch or longer. A value its alias field refuses is dropped. */
static int
put_named(struct parser *p, struct event *ev, const char *key,
          enum event_field alias, const struct gval *v)
{
	char why[EVENT_WHY_MAX];
	int rc;

	if (alias == EF_COUNT)
		return put(p, ev, GT_EXTRA, EF_COUNT, key, v, why);
	rc = put(p, ev, GT_FIELD, alias, NULL, v, why);
	return rc == 0 ? 1 : rc;
}

static void
malformed(struct parser *p, const char *reason)
{
	p->st.malformed++;
	if (p->sink->on_malformed)
		p->sink->on_malformed(p->rec_line, reason, p->sink->ctx);
}

static void
batch_end(struct parser *p)
{
	if (p->in_batch == 0)
		return;
	if (p->sink->on_batch_end)
		p->sink->on_batch_end(p->sink->ctx);
	event_batch_reset(p->batch);
	p->in_batch = 0;
}

static enum cs_err
start_event(struct parser *p, struct event **ev)
{
	if (p->in_batch >= SS_BATCH_EVENTS)
		batch_end(p);
	return event_new(p->batch, ev);
}

/* Constants, feed.*, time.observation, the required check; emits.
 * Returns -1 at a limit. */
static int
finish_event(struct parser *p, struct event *ev)
{
	const struct feed_def *d = p->d;
	char why[EVENT_WHY_MAX], msg[GEN_WHY_MAX];
	struct gval v = {.k = VK_STR};

	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *m = &d->maps[i];

		if (!m->required)
			continue;
		if ((m->target == GT_FIELD && !event_has(ev, m->field)) ||
		    (m->target == GT_EXTRA &&
		     event_get_extra(ev, m->extra_key) == NULL)) {
			snprintf(msg, sizeof(msg),
			         "required %s%s missing (\"%.60s\")",
			         m->target == GT_EXTRA ? "extra." : "",
			         m->target == GT_EXTRA
			             ? m->extra_key
			             : event_field_name(m->field),
			         m->key);
			malformed(p, msg);
			return 0;
		}
	}
	for (size_t i = 0; i < d->n_consts; i++) {
		const struct gen_const *c = &d->consts[i];

		v.s = c->value, v.n = strlen(c->value);
		if (put(p, ev, c->target, c->field, c->extra_key, &v, why) < 1)
			return -1;
	}
	v.s = d->name, v.n = strlen(d->name);
	if (put(p, ev, GT_FIELD, EF_FEED_NAME, NULL, &v, why) < 1)
		return -1;
	v.s = d->provider, v.n = strlen(d->provider);
	if (put(p, ev, GT_FIELD, EF_FEED_PROVIDER, NULL, &v, why) < 1)
		return -1;
	if (d->documentation != NULL) {
		v.s = d->documentation, v.n = strlen(d->documentation);
		if (put(p, ev, GT_FIELD, EF_FEED_DOCUMENTATION, NULL, &v, why) <
		    1)
			return -1;
	}
	if (p->observation != 0)
		event_set_time(ev, EF_TIME_OBSERVATION, p->observation);
	p->st.events++;
	p->in_batch++;
	p->sink->on_event(ev, p->batch, p->sink->ctx);
	return 1;
}

/* ---- CSV: header and records ------------------------------------------ */

static void
report_fail(struct parser *p, enum cs_err err, const char *msg)
{
	snprintf(p->why, GEN_WHY_MAX, "%s", msg);
	p->fatal = err;
}

static bool
alloc_map_col(struct parser *p)
{
	p->map_col =
	    arena_alloc(p->hdr_arena, (p->d->n_maps + 1) * sizeof(size_t));
	if (p->map_col == NULL) {
		report_fail(p, CS_E_TOOBIG, "header too large");
		return false;
	}
	return true;
}

static void
take_header(struct parser *p)
{
	const struct feed_def *d = p->d;
	size_t found = 0;
	char msg[GEN_WHY_MAX];

	if (p->bad != NULL) {
		snprintf(msg, sizeof(msg), "header: %s", p->bad);
		report_fail(p, CS_E_INVAL, msg);
		return;
	}
	if (p->n_fields == 1 && p->len[0] == 0) {
		report_fail(p, CS_E_INVAL, "empty header line");
		return;
	}
	p->n_cols = p->n_fields;
	for (size_t i = 0; i < p->n_cols; i++) {
		const char *s = p->rec + p->off[i];
		size_t n = p->len[i];

		if (i == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3, n -= 3; /* a UTF-8 byte order mark */
		if ((p->col_name[i] = arena_strndup(p->hdr_arena, s, n)) ==
		    NULL) {
			report_fail(p, CS_E_TOOBIG, "header too large");
			return;
		}
		p->col_alias[i] = alias_of(p->col_name[i]);
	}
	if (!alloc_map_col(p))
		return;
	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *m = &d->maps[i];

		p->map_col[i] = NO_COL;
		for (size_t c = 0; c < p->n_cols; c++) /* the last one wins */
			if (strcmp(p->col_name[c], m->key) == 0)
				p->map_col[i] = c;
		if (p->map_col[i] != NO_COL) {
			found++;
		} else if (m->required) {
			snprintf(msg, sizeof(msg),
			         "the header lacks the required column "
			         "\"%.60s\"",
			         m->key);
			report_fail(p, CS_E_INVAL, msg);
			return;
		}
	}
	if (found == 0) {
		report_fail(p, CS_E_INVAL,
		            "the header has none of the mapped columns (wrong "
		            "delimiter or no header?)");
		return;
	}
	p->have_header = true;
}

/* Without a header the first record fixes the width. */
static void
take_width(struct parser *p)
{
	const struct feed_def *d = p->d;

	p->n_cols = p->n_fields;
	for (size_t i = 0; i < p->n_cols; i++) {
		p->col_name[i] =
		    arena_printf(p->hdr_arena, "column_%zu", i + 1);
		if (p->col_name[i] == NULL) {
			report_fail(p, CS_E_TOOBIG, "header too large");
			return;
		}
		p->col_alias[i] = EF_COUNT;
	}
	if (!alloc_map_col(p))
		return;
	for (size_t i = 0; i < d->n_maps; i++)
		p->map_col[i] =
		    d->maps[i].pos < p->n_cols ? d->maps[i].pos : NO_COL;
	p->have_header = true;
}

static void
take_record(struct parser *p)
{
	const struct feed_def *d = p->d;
	struct event *ev;
	char why[EVENT_WHY_MAX], msg[GEN_WHY_MAX];
	struct gval v = {.k = VK_STR};
	int rc;

	p->st.rows++;
	if (p->bad != NULL) {
		malformed(p, p->bad);
		return;
	}
	if (p->n_fields != p->n_cols) {
		snprintf(
		    msg, sizeof(msg), "%zu columns, %s has %zu", p->n_fields,
		    d->header ? "the header" : "the first record", p->n_cols);
		malformed(p, msg);
		return;
	}
	if (start_event(p, &ev) != CS_OK)
		goto toobig;
	memset(p->consumed, 0, p->n_cols * sizeof(p->consumed[0]));
	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *m = &d->maps[i];
		size_t c = p->map_col[i];

		if (c == NO_COL)
			continue;
		p->consumed[c] = true;
		if (p->len[c] == 0 || m->target == GT_IGNORE)
			continue;
		v.s = p->rec + p->off[c];
		v.n = p->len[c];
		rc = put(p, ev, m->target, m->field, m->extra_key, &v, why);
		if (rc < 0)
			goto toobig;
		if (rc == 0 && m->required) {
			snprintf(msg, sizeof(msg), "column %.60s: %s",
			         p->col_name[c], why);
			malformed(p, msg);
			return;
		}
		if (rc == 0) /* kept as text under the column's name */
			p->consumed[c] = d->unmapped_ignore;
	}
	for (size_t c = 0; c < p->n_cols && !d->unmapped_ignore; c++) {
		/* a column without a name cannot be named in extra */
		if (p->consumed[c] || p->len[c] == 0 ||
		    p->col_name[c][0] == '\0')
			continue;
		v.s = p->rec + p->off[c];
		v.n = p->len[c];
		if (put_named(p, ev, p->col_name[c], p->col_alias[c], &v) < 1)
			goto toobig;
	}
	if (finish_event(p, ev) >= 0)
		return;
toobig:
	malformed(p, "record exceeds the event size limits");
}

static void
on_field(void *data, size_t n, void *ctx)
{
	struct parser *p = ctx;
	const char *s = data ? data : "";

	if (p->fatal != CS_OK)
		return;
	if (p->n_fields == 0)
		p->rec_line = p->line;
	for (const char *q = s; (q = memchr(q, '\n', n - (size_t)(q - s))); q++)
		p->newlines_in_rec++;
	if (p->bad != NULL)
		return;
	if (p->n_fields >= GEN_MAX_COLUMNS) {
		p->bad = "too many columns";
		return;
	}
	if (n > EVENT_VALUE_MAX || p->rec_len + n + 1 > GEN_MAX_RECORD) {
		p->bad = "field or record too long";
		return;
	}
	if (!utf8_ok((const unsigned char *)s, n) ||
	    memchr(s, '\0', n) != NULL) {
		snprintf(p->badbuf, sizeof(p->badbuf),
		         "column %zu: invalid UTF-8 or a NUL byte",
		         p->n_fields + 1);
		p->bad = p->badbuf;
		return;
	}
	memcpy(p->rec + p->rec_len, s, n);
	p->rec[p->rec_len + n] = '\0';
	p->off[p->n_fields] = p->rec_len;
	p->len[p->n_fields++] = n;
	p->rec_len += n + 1;
}

static void
on_record(int c, void *ctx)
{
	struct parser *p = ctx;

	if (p->fatal == CS_OK && (p->n_fields > 0 || p->bad != NULL)) {
		if (p->have_header)
			take_record(p);
		else if (p->d->header)
			take_header(p);
		else {
			take_width(p);
			if (p->fatal == CS_OK)
				take_record(p);
		}
	}
	if (c == '\n' || c == -1)
		p->line++;
	p->line += p->newlines_in_rec;
	p->newlines_in_rec = 0;
	p->n_fields = 0;
	p->rec_len = 0;
	p->bad = NULL;
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
csv_feed(struct parser *p, const char *data, size_t n)
{
	if (n == 0 || p->fatal != CS_OK)
		return;
	if (csv_parse(&p->csv, data, n, on_field, on_record, p) != n &&
	    p->fatal == CS_OK) {
		snprintf(p->why, GEN_WHY_MAX, "CSV: %s",
		         csv_strerror(csv_error(&p->csv)));
		p->fatal = CS_E_INTERNAL;
	}
	/* a field libcsv is still collecting can only be this long */
	if (p->fatal == CS_OK &&
	    csv_get_buffer_size(&p->csv) > (size_t)GEN_MAX_RECORD * 2) {
		snprintf(p->why, GEN_WHY_MAX,
		         "line %zu: field longer than %d bytes", p->line,
		         GEN_MAX_RECORD);
		p->fatal = CS_E_TOOBIG;
	}
}

/* libcsv's state between records (ROW_NOT_BEGUN in csv.c) */
static bool
csv_between_records(const struct parser *p)
{
	return p->csv.pstate == 0;
}

/* The line pass: skip_lines first, then comment lines between records. */
static void
csv_input(struct parser *p, const char *data, size_t n)
{
	const struct feed_def *d = p->d;
	size_t i = 0;

	while (i < n && p->fatal == CS_OK) {
		const char *e;
		size_t end;

		switch (p->ls) {
		case LS_START:
			if (p->skipped < d->skip_lines) {
				p->skipped++;
				p->ls = LS_SKIP;
				break;
			}
			if (d->comment != NULL) {
				while (p->npre < d->comment_len && i < n &&
				       data[i] == d->comment[p->npre])
					p->pre[p->npre++] = data[i++];
				if (p->npre == d->comment_len) {
					p->npre = 0;
					p->ls = LS_SKIP;
					break;
				}
				if (i == n)
					return; /* undecided: more input */
				csv_feed(p, p->pre, p->npre);
				p->npre = 0;
			}
			p->ls = LS_PASS;
			break;
		case LS_SKIP:
			e = memchr(data + i, '\n', n - i);
			if (e == NULL) {
				i = n;
				break;
			}
			i = (size_t)(e - data) + 1;
			p->line++;
			p->ls = LS_START;
			break;
		case LS_PASS:
			e = memchr(data + i, '\n', n - i);
			end = e ? (size_t)(e - data) + 1 : n;
			csv_feed(p, data + i, end - i);
			i = end;
			if (e != NULL && csv_between_records(p))
				p->ls = LS_START;
			break;
		}
	}
}

static void
csv_finish(struct parser *p)
{
	if (p->fatal == CS_OK && p->ls == LS_START && p->npre > 0)
		csv_feed(p, p->pre, p->npre);
	if (p->fatal == CS_OK)
		csv_fini(&p->csv, on_field, on_record, p);
	if (p->fatal == CS_OK && !p->have_header && p->d->header)
		report_fail(p, CS_E_INVAL, "no header line");
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *
walk(json_t *v, const char *const *seg, size_t nseg)
{
	for (size_t i = 0; i < nseg && v != NULL; i++) {
		if (json_is_object(v)) {
			v = json_object_get(v, seg[i]);
		} else if (json_is_array(v)) {
			const char *s = seg[i];
			size_t ix = 0, k;

			for (k = 0; s[k] >= '0' && s[k] <= '9' && k < 9; k++)
				ix = ix * 10 + (size_t)(s[k] - '0');
			if (k == 0 || s[k] != '\0' || (s[0] == '0' && k > 1))
				return NULL;
			v = json_array_get(v, ix);
		} else {
			return NULL;
		}
	}
	return v;
}

/* The value as a gval; 0 absent (null, ""), 1 set, -1 too long. */
static int
json_value(struct parser *p, json_t *j, struct gval *v)
{
	int len;
	size_t n;

	memset(v, 0, sizeof(*v));
	switch (json_typeof(j)) {
	case JSON_NULL:
		return 0;
	case JSON_STRING:
		v->k = VK_STR;
		v->s = json_string_value(j);
		v->n = json_string_length(j);
		return v->n == 0 ? 0 : v->n > EVENT_VALUE_MAX ? -1 : 1;
	case JSON_INTEGER:
		v->k = VK_INT;
		v->i = json_integer_value(j);
		len = snprintf(p->text, sizeof(p->text), "%" PRId64, v->i);
		break;
	case JSON_REAL:
		v->k = VK_REAL;
		v->f = json_real_value(j);
		len = snprintf(p->text, sizeof(p->text), "%.17g", v->f);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->k = VK_BOOL;
		v->b = json_is_true(j);
		len = snprintf(p->text, sizeof(p->text), "%s",
		               v->b ? "true" : "false");
		break;
	default:
		v->k = VK_JSON;
		n = json_dumpb(j, p->text, sizeof(p->text),
		               JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (n == 0 || n > EVENT_VALUE_MAX)
			return -1;
		len = (int)n;
		break;
	}
	v->s = p->text;
	v->n = (size_t)len;
	return 1;
}

static bool
mapped_key(const struct feed_def *d, const char *key)
{
	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *m = &d->maps[i];

		if (strcmp(m->seg != NULL ? m->seg[0] : m->key, key) == 0)
			return true;
	}
	return false;
}

static void
json_record(struct parser *p, json_t *o)
{
	const struct feed_def *d = p->d;
	char why[EVENT_WHY_MAX], msg[GEN_WHY_MAX];
	struct event *ev;
	struct gval v;
	const char *key;
	json_t *j;
	int rc;

	if (!json_is_object(o)) {
		malformed(p, "not a JSON object");
		return;
	}
	if (start_event(p, &ev) != CS_OK)
		goto toobig;
	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *m = &d->maps[i];

		if (m->target == GT_IGNORE)
			continue;
		j = m->seg != NULL ? walk(o, m->seg, m->nseg)
		                   : json_object_get(o, m->key);
		if (j == NULL)
			continue;
		if ((rc = json_value(p, j, &v)) == 0)
			continue;
		if (rc < 0) {
			snprintf(msg, sizeof(msg),
			         "key %.60s: value longer than %d bytes",
			         m->key, EVENT_VALUE_MAX);
			malformed(p, msg);
			return;
		}
		rc = put(p, ev, m->target, m->field, m->extra_key, &v, why);
		if (rc < 0)
			goto toobig;
		if (rc == 0 && m->required) {
			snprintf(msg, sizeof(msg), "key %.60s: %s", m->key,
			         why);
			malformed(p, msg);
			return;
		}
		if (rc == 0 && !d->unmapped_ignore) {
			if (v.k != VK_STR && v.k != VK_JSON)
				v.k = VK_STR; /* kept as the text it was */
			if (put_named(p, ev, m->label, alias_of(m->label), &v) <
			    1)
				goto toobig;
		}
	}
	if (!d->unmapped_ignore) {
		json_object_foreach(o, key, j)
		{
			const char *k;

			if (key[0] == '\0' || strlen(key) > GEN_MAX_KEY ||
			    mapped_key(d, key))
				continue;
			if ((rc = json_value(p, j, &v)) == 0)
				continue;
			if (rc < 0) {
				snprintf(msg, sizeof(msg),
				         "key %.60s: value longer than %d "
				         "bytes",
				         key, EVENT_VALUE_MAX);
				malformed(p, msg);
				return;
			}
			if ((k = event_batch_intern(p->batch, key,
			                            strlen(key))) == NULL ||
			    put_named(p, ev, k, alias_of(k), &v) < 1)
				goto toobig;
		}
	}
	if (finish_event(p, ev) >= 0)
		return;
toobig:
	malformed(p, "record exceeds the event size limits");
}

static void
json_line(struct parser *p, const char *s, size_t n)
{
	json_error_t jerr;
	json_t *o;
	char msg[GEN_WHY_MAX];
	size_t i;

	p->rec_line = p->line;
	if (p->line_too_long) {
		p->st.rows++;
		snprintf(msg, sizeof(msg), "line longer than %d bytes",
		         GEN_MAX_RECORD);
		malformed(p, msg);
		return;
	}
	if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3; /* a UTF-8 byte order mark */
	for (i = 0; i < n && strchr(" \t\r\f\v", s[i]) != NULL; i++)
		;
	if (i == n)
		return; /* a blank line */
	p->st.rows++;
	if (!utf8_ok((const unsigned char *)s, n)) {
		malformed(p, "invalid UTF-8");
		return;
	}
	if ((o = json_loadb(s, n, 0, &jerr)) == NULL) {
		snprintf(msg, sizeof(msg), "JSON: %s", jerr.text);
		malformed(p, msg);
		return;
	}
	json_record(p, o);
	json_decref(o);
}

/* JSON Lines: complete lines straight from the input, a line split by a
 * read collected in rec. */
static void
jsonl_input(struct parser *p, const char *data, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *e = memchr(data + i, '\n', n - i);
		size_t end = e ? (size_t)(e - data) : n;

		if (p->rec_len == 0 && !p->line_too_long && e != NULL) {
			if (end - i > GEN_MAX_RECORD)
				p->line_too_long = true;
			json_line(p, data + i, end - i);
		} else {
			if (!p->line_too_long &&
			    p->rec_len + (end - i) <= GEN_MAX_RECORD) {
				memcpy(p->rec + p->rec_len, data + i, end - i);
				p->rec_len += end - i;
			} else {
				p->line_too_long = true;
				p->rec_len = 0;
			}
			if (e == NULL)
				return;
			json_line(p, p->rec, p->rec_len);
		}
		p->rec_len = 0;
		p->line_too_long = false;
		p->line++;
		i = end + 1;
	}
}

static void
jsonl_finish(struct parser *p)
{
	if (p->rec_len > 0 || p->line_too_long)
		json_line(p, p->rec, p->rec_len);
}

/* The array forms: the whole document. */
static void
json_document(struct parser *p, const char *s, size_t n)
{
	const struct feed_def *d = p->d;
	json_error_t jerr;
	json_t *doc, *arr, *o;
	char msg[GEN_WHY_MAX];
	size_t i;

	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3;
	if ((doc = json_loadb(s, n, 0, &jerr)) == NULL) {
		snprintf(msg, sizeof(msg), "not JSON: line %d: %s", jerr.line,
		         jerr.text);
		report_fail(p, CS_E_INVAL, msg);
		return;
	}
	arr = walk(doc, d->rec_seg, d->rec_nseg);
	if (!json_is_array(arr)) {
		if (d->rec_text == NULL)
			snprintf(msg, sizeof(msg),
			         "the top level is not an array");
		else
			snprintf(msg, sizeof(msg),
			         "records: %.100s is not an array",
			         d->rec_text);
		report_fail(p, CS_E_INVAL, msg);
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		p->rec_line = i + 1;
		p->st.rows++;
		json_record(p, o);
	}
out:
	json_decref(doc);
}

/* ---- running ----------------------------------------------------------- */

static struct parser *
parser_new(const struct feed_def *d, int64_t observation,
           const struct ss_sink *sink, char *why)
{
	struct parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->d = d;
	p->sink = sink;
	p->observation = observation;
	p->why = why;
	p->line = 1;
	p->batch = event_batch_new(64 * 1024 * 1024);
	p->hdr_arena = arena_new(1024 * 1024);
	if ((p->rec = malloc(GEN_MAX_RECORD + 1)) == NULL)
		abort();
	csv_init(&p->csv, CSV_REPALL_NL);
	csv_set_space_func(&p->csv, no_space);
	csv_set_delim(&p->csv, (unsigned char)d->delim);
	csv_set_quote(&p->csv, (unsigned char)d->quote);
	why[0] = '\0';
	return p;
}

static void
parser_input(struct parser *p, const char *data, size_t n)
{
	if (p->d->format == GF_CSV)
		csv_input(p, data, n);
	else
		jsonl_input(p, data, n);
}

static enum cs_err
parser_finish(struct parser *p, struct ss_stats *st_out)
{
	enum cs_err err;

	if (p->d->format == GF_CSV)
		csv_finish(p);
	else if (p->d->format == GF_JSONL && p->fatal == CS_OK)
		jsonl_finish(p);
	batch_end(p);
	err = p->fatal;
	if (st_out != NULL)
		*st_out = p->st;
	csv_free(&p->csv);
	free(p->rec);
	arena_free(p->hdr_arena);
	event_batch_free(p->batch);
	free(p);
	return err;
}

enum cs_err
generic_parse_buf(const struct feed_def *d, const char *data, size_t n,
                  int64_t observation, const struct ss_sink *sink,
                  struct ss_stats *st_out, char why[GEN_WHY_MAX])
{
	struct parser *p = parser_new(d, observation, sink, why);

	if (d->format == GF_JSON) {
		if (n > d->max_bytes) {
			snprintf(why, GEN_WHY_MAX,
			         "input longer than max_bytes (%zu)",
			         d->max_bytes);
			p->fatal = CS_E_TOOBIG;
		} else {
			json_document(p, data, n);
		}
		return parser_finish(p, st_out);
	}
	/* in slices, so the over-long-field check sees the buffer grow */
	for (size_t off = 0; off < n && p->fatal == CS_OK; off += READ_BUF)
		parser_input(p, data + off,
		             n - off < READ_BUF ? n - off : READ_BUF);
	return parser_finish(p, st_out);
}

enum cs_err
generic_parse_fd(const struct feed_def *d, int fd, int64_t observation,
                 const struct ss_sink *sink, struct ss_stats *st_out,
                 char why[GEN_WHY_MAX])
{
	struct parser *p = parser_new(d, observation, sink, why);
	bool whole = d->format == GF_JSON;
	/* the array forms grow towards max_bytes + 1 to see an excess */
	size_t cap = whole ? d->max_bytes + 1 : READ_BUF, n = 0,
	       size = cap < READ_BUF ? cap : READ_BUF;
	char *buf = malloc(size);
	ssize_t got;

	if (buf == NULL)
		abort();
	while (p->fatal == CS_OK) {
		if (!whole) {
			n = 0;
		} else if (n == size && size < cap) {
			size = size > cap / 2 ? cap : size * 2;
			if ((buf = realloc(buf, size)) == NULL)
				abort();
		} else if (n == size) {
			snprintf(why, GEN_WHY_MAX,
			         "input longer than max_bytes (%zu)",
			         d->max_bytes);
			p->fatal = CS_E_TOOBIG;
			break;
		}
		got = read(fd, buf + n, size - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, GEN_WHY_MAX, "read: %s", strerror(errno));
			p->fatal = CS_E_IO;
			break;
		}
		if (got == 0)
			break;
		if (whole)
			n += (size_t)got;
		else
			parser_input(p, buf, (size_t)got);
	}
	if (whole && p->fatal == CS_OK)
		json_document(p, buf, n);
	free(buf);
	return parser_finish(p, st_out);
}
