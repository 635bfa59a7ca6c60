#include <string.h>

#include <csv.h>

#include "http/csv_out.h"

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
