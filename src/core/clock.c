#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"

static _Thread_local int64_t shift;

int64_t
clock_now(void)
{
	return (int64_t)time(NULL) + shift;
}

void
clock_shift(int64_t delta)
{
	shift = delta;
}

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
clock_fmt(int64_t t, char out[CLOCK_RFC3339_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, CLOCK_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool
duration_parse(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mul = 1;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 's':
		end++;
		break;
	case 'm':
		mul = 60, end++;
		break;
	case 'h':
		mul = 3600, end++;
		break;
	case 'd':
		mul = 86400, end++;
		break;
	default:
		return false;
	}
	if (*end != '\0' || v > INT64_MAX / mul / 1000)
		return false;
	*out = v * mul;
	return true;
}
