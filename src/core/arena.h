/*
 * arena.h - a bump allocator with a hard cap.
 *
 * One arena per request (and per CLI command, per job run): every string,
 * JSON text and row copied out of the store comes from it, and one
 * arena_free() releases all of it. Nothing allocated from an arena may be
 * freed on its own. The cap bounds what one request can consume:
 * arena_alloc() returns NULL once the cap would be exceeded, and callers turn
 * that into CS_E_TOOBIG. Not thread-safe: an arena has one owner.
 */
#ifndef CS_ARENA_H
#define CS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct arena *arena_new(size_t cap);
void arena_free(struct arena *a);
void arena_reset(struct arena *a);
size_t arena_used(const struct arena *a);

__attribute__((warn_unused_result)) void *arena_alloc(struct arena *a,
                                                      size_t n);
__attribute__((warn_unused_result)) char *arena_strdup(struct arena *a,
                                                       const char *s);
__attribute__((warn_unused_result)) char *
arena_strndup(struct arena *a, const char *s, size_t n);
__attribute__((warn_unused_result, format(printf, 2, 3))) char *
arena_printf(struct arena *a, const char *fmt, ...);

#endif
