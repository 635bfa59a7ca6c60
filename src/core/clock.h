/*
 * clock.h - wall-clock time as Unix seconds, RFC 3339 text and durations.
 */
#ifndef CS_CLOCK_H
#define CS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_RFC3339_MAX 21 /* "2026-11-23T10:00:00Z" + NUL */

int64_t clock_now(void);
/* Moves this thread's clock_now() by delta seconds (0 restores it). Only
 * `csirtd demo` uses it, to give sample objects their age. */
void clock_shift(int64_t delta);
double clock_mono(void); /* seconds, monotonic */
void clock_fmt(int64_t t, char out[CLOCK_RFC3339_MAX]);
/* "90", "30s", "15m", "8h", "7d" -> seconds; false on anything else. */
bool duration_parse(const char *s, int64_t *out);

#endif
