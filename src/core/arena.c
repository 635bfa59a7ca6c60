#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xmalloc.h"

#define CHUNK_MIN 4096
#define ALIGN     16

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(max_align_t) unsigned char data[]; /* like malloc() */
};

struct arena {
	struct chunk *head;
	size_t cap;
	size_t total; /* bytes handed out, including alignment */
};

struct arena *
arena_new(size_t cap)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->cap = cap;
	return a;
}

static void
free_chunks(struct chunk *c)
{
	while (c != NULL) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	free_chunks(a->head);
	free(a);
}

void
arena_reset(struct arena *a)
{
	/* Keep the newest chunk (often the largest) for reuse. */
	if (a->head != NULL) {
		free_chunks(a->head->next);
		a->head->next = NULL;
		a->head->used = 0;
	}
	a->total = 0;
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need, off;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need > a->cap || a->total > a->cap - need)
		return NULL;
	if (c == NULL || c->size - c->used < need) {
		size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;

		/* grow geometrically, but never past what the cap leaves */
		if (c != NULL && c->size * 2 > size &&
		    c->size * 2 <= a->cap - a->total)
			size = c->size * 2;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	off = c->used;
	c->used += need;
	a->total += need;
	return c->data + off;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
