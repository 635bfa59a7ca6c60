/*
 * xmalloc.h - heap allocation that aborts on exhaustion.
 *
 * Running out of heap is not an input error: like smtpd and Redis, csirtd
 * aborts. Size limits on input are enforced before allocating and return
 * CS_E_TOOBIG instead.
 */
#ifndef CS_XMALLOC_H
#define CS_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
