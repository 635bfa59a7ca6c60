#include <string.h>

#include <csv.h>

#include <stdio.h>

#include "core/clock.h"
#include "core/secret.h"
#include "http/api_util.h"
#include "http/csv_out.h"
#include "http/server.h"
#include "store/store.h"

void
csv_out_init(struct csv_out *c, struct arena *a)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
}

void
csv_out_start(struct csv_out *c, struct arena *a, const char *const *head,
              size_t n)
{
	csv_out_init(c, a);
	csv_out_row(c, head, n);
}

static bool
reserve(struct csv_out *c, size_t more)
{
	char *nb;
	size_t cap;

	if (c->oom)
		return false;
	if (c->len + more + 1 <= c->cap)
		return true;
	cap = c->cap ? c->cap * 2 : 65536;
	while (cap < c->len + more + 1)
		cap *= 2;
	if ((nb = arena_alloc(c->a, cap)) == NULL) {
		c->oom = true;
		return false;
	}
	if (c->len > 0)
		memcpy(nb, c->buf, c->len);
	c->buf = nb;
	c->cap = cap;
	return true;
}

void
csv_out_row(struct csv_out *c, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i] ? fields[i] : "";
		size_t need = csv_write(NULL, 0, f, strlen(f));

		if (!reserve(c, need + 2))
			return;
		c->len += csv_write(c->buf + c->len, need, f, strlen(f));
		c->buf[c->len++] = i + 1 < n ? ',' : '\r';
		if (i + 1 == n)
			c->buf[c->len++] = '\n';
	}
	if (c->buf)
		c->buf[c->len] = '\0';
}

/* An arena copy of s; on a full arena "" and the export becomes a 413. */
void
csv_out_raw(struct csv_out *c, const char *s, size_t n)
{
	if (!reserve(c, n))
		return;
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

static const char *
cell(struct csv_out *c, char *s)
{
	if (s == NULL) {
		c->oom = true;
		return "";
	}
	return s;
}

const char *
csv_out_int(struct csv_out *c, int64_t v)
{
	return cell(c, arena_printf(c->a, "%lld", (long long)v));
}

const char *
csv_out_time(struct csv_out *c, int64_t t)
{
	char buf[CLOCK_RFC3339_MAX];

	if (t == 0)
		return "";
	clock_fmt(t, buf);
	return cell(c, arena_strdup(c->a, buf));
}

const char *
csv_out_join(struct csv_out *c, const char *const *list)
{
	size_t len = 0;
	char *out;

	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		len += strlen(list[i]) + 1;
	if ((out = arena_alloc(c->a, len + 1)) == NULL)
		return cell(c, NULL);
	len = 0;
	for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
		size_t n = strlen(list[i]);

		if (i > 0)
			out[len++] = ';';
		memcpy(out + len, list[i], n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

const char *
csv_out_split(struct csv_out *c, const char *s, char sep)
{
	size_t len = 0;
	char *out;

	if (s == NULL)
		return "";
	if ((out = arena_alloc(c->a, strlen(s) + 1)) == NULL)
		return cell(c, NULL);
	for (const char *p = s; *p != '\0';) {
		const char *e = strchr(p, sep);
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > 0) {
			if (len > 0)
				out[len++] = ';';
			memcpy(out + len, p, n);
			len += n;
		}
		p += e ? n + 1 : n;
	}
	out[len] = '\0';
	return out;
}

const char *
csv_out_filename(struct csv_out *c, const char *prefix, const char *name)
{
	const char *s = arena_printf(c->a, "%s-%s", prefix, name);

	return s ? s : name;
}

static bool
unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
	       ch == '_' || ch == '~';
}

/* Appends "name=value&" (value percent-encoded) when the request gave name;
 * with out NULL only counts. Returns the length added. */
static size_t
put_param(struct request *req, char *out, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *v = req_query(req, name);
	size_t len = strlen(name) + 2;

	if (v == NULL)
		return 0;
	if (out != NULL) {
		memcpy(out, name, len - 2);
		out[len - 2] = '=';
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (unreserved(*p)) {
			if (out != NULL)
				out[len - 1] = (char)*p;
			len++;
			continue;
		}
		if (out != NULL) {
			out[len - 1] = '%';
			out[len] = hex[*p >> 4];
			out[len + 1] = hex[*p & 15];
		}
		len += 3;
	}
	if (out != NULL)
		out[len - 1] = '&';
	return len;
}

/* The next page's link: the same list, page size and filters, from the
 * cursor on; NULL when the arena is full. */
static const char *
next_link(struct request *req, const struct csv_out *c, int64_t last_key)
{
	struct page plain = {0};
	const char *format = req_query(req, "format"); /* csv or jsonl */
	char enc[64], *q;
	size_t len = put_param(req, NULL, "limit");

	for (size_t i = 0; c->keep != NULL && c->keep[i] != NULL; i++)
		len += put_param(req, NULL, c->keep[i]);
	if ((q = arena_alloc(req->a, len + 1)) == NULL)
		return NULL;
	len = put_param(req, q, "limit");
	for (size_t i = 0; c->keep != NULL && c->keep[i] != NULL; i++)
		len += put_param(req, q + len, c->keep[i]);
	q[len] = '\0';
	cursor_encode(c->page != NULL ? c->page : &plain, last_key, enc);
	return arena_printf(
	    req->a, "<?%sformat=%s&cursor=%s>; rel=\"next\"", q,
	    format && strcmp(format, "jsonl") == 0 ? "jsonl" : "csv", enc);
}

void
csv_out_reply(struct request *req, struct csv_out *c, const char *filename,
              bool more, int64_t last_key)
{
	const char *v = NULL;

	if (more && !c->oom && (v = next_link(req, c, last_key)) == NULL)
		c->oom = true;
	if (c->oom) {
		reply_problem(req, 413,
		              "the export does not fit in memory; ask for a "
		              "smaller page");
		return;
	}
	if (v != NULL)
		req_add_header(req, "Link", v);
	v = arena_printf(req->a, "attachment; filename=\"%s\"", filename);
	if (v != NULL)
		req_add_header(req, "Content-Disposition", v);
	reply(req, 200,
	      c->content_type ? c->content_type : "text/csv; charset=utf-8",
	      c->buf ? c->buf : "", c->len);
}

size_t
csv_out_shown(size_t n, const struct page *p)
{
	return n >= (size_t)p->limit ? n - 1 : n;
}

void
csv_out_page(struct request *req, struct csv_out *c, const char *filename,
             size_t n, const struct page *p, int64_t last_key)
{
	c->page = p;
	csv_out_reply(req, c, filename, n >= (size_t)p->limit, last_key);
}

bool
csv_out_wanted(struct request *req, bool *csv)
{
	const char *f = req_query(req, "format");

	*csv = f != NULL && strcmp(f, "csv") == 0;
	if (f != NULL && !*csv && strcmp(f, "json") != 0) {
		reply_problem(req, 400, "format is json or csv");
		return false;
	}
	return true;
}
