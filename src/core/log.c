#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core/log.h"

/* Set once by log_init() before any thread starts; read-only afterwards. */
static enum log_level cur_level = LOG_LVL_INFO;
static bool to_syslog;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_init(enum log_level level, bool use_syslog, const char *ident)
{
	cur_level = level;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool
log_enabled(enum log_level level)
{
	return level <= cur_level;
}

bool
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static void
vemit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[4096], ts[32];
	struct timespec now;
	struct tm tm;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s ", ts,
	             now.tv_nsec / 1000000, level_names[level]);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	if (errnum != 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		              " error=\"%s\"", strerror(errnum));
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	/* One write per line so lines from threads never interleave. */
	fwrite(line, 1, (size_t)n, stderr);
	if (to_syslog) {
		static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO,
		                           LOG_DEBUG};
		line[n - 1] = '\0';
		syslog(prio[level], "%s", line + strlen(ts) + 9);
	}
}

void
log_emit(enum log_level level, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(level, errnum, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vemit(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_esc(char *dst, size_t n, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (n == 0)
		return dst;
	for (; *src != '\0' && o + 5 < n; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return dst;
}
