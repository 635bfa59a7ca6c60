/*
 * log.h - the one log API.
 *
 * Lines are key=value, one event per line, to stderr and optionally syslog:
 *   ts=2026-11-23T10:00:00.123Z level=info msg=request method=GET ...
 * The level is tested before the arguments are evaluated. log_warn()
 * appends errno's text. Never log secrets (passwords, tokens, cookies).
 * log_init() is called once at startup before threads exist.
 */
#ifndef CS_LOG_H
#define CS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(enum log_level level, bool use_syslog, const char *ident);
bool log_enabled(enum log_level level);
bool log_level_parse(const char *s, enum log_level *out);

void log_emit(enum log_level level, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Copies src into dst for use as a log value: quotes, backslashes and
 * control bytes are escaped and the result is truncated to fit. */
const char *log_esc(char *dst, size_t n, const char *src);

#define log_error(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LVL_ERROR))                                \
			log_emit(LOG_LVL_ERROR, 0, __VA_ARGS__);               \
	} while (0)
#define log_warn(...)                                                          \
	do {                                                                   \
		if (log_enabled(LOG_LVL_WARN))                                 \
			log_emit(LOG_LVL_WARN, errno, __VA_ARGS__);            \
	} while (0)
#define log_warnx(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LVL_WARN))                                 \
			log_emit(LOG_LVL_WARN, 0, __VA_ARGS__);                \
	} while (0)
#define log_info(...)                                                          \
	do {                                                                   \
		if (log_enabled(LOG_LVL_INFO))                                 \
			log_emit(LOG_LVL_INFO, 0, __VA_ARGS__);                \
	} while (0)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LVL_DEBUG))                                \
			log_emit(LOG_LVL_DEBUG, 0, __VA_ARGS__);               \
	} while (0)

#endif
