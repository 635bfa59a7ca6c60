#include <string.h>

#include <csv.h>

#include <stdio.h>

#include "core/secret.h"
#include "http/csv_out.h"
#include "http/server.h"

void
csv_out_init(struct csv_out *c, struct arena *a)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
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

void
csv_out_reply(struct request *req, struct csv_out *c, const char *filename,
              bool more, int64_t last_key)
{
	char raw[32], enc[48], *v;
	int len;

	if (c->oom) {
		reply_problem(req, 413,
		              "the export does not fit in memory; ask for a "
		              "smaller page");
		return;
	}
	if (more) {
		len = snprintf(raw, sizeof(raw), "k:%lld", (long long)last_key);
		b64url_encode((const unsigned char *)raw, (size_t)len, enc);
		v = arena_printf(req->a,
		                 "<?format=csv&cursor=%s>; rel=\"next\"", enc);
		if (v != NULL)
			req_add_header(req, "Link", v);
	}
	v = arena_printf(req->a, "attachment; filename=\"%s\"", filename);
	if (v != NULL)
		req_add_header(req, "Content-Disposition", v);
	reply(req, 200, "text/csv; charset=utf-8", c->buf ? c->buf : "",
	      c->len);
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
