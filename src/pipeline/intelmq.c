/*
 * intelmq.c - IntelMQ event lines to events (intelmq.h).
 *
 * One reader for both entry points: bytes are fed in chunks to a line
 * assembler that holds at most INTELMQ_LINE_MAX bytes; a complete line is
 * read into the current batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "pipeline/intelmq.h"

#define BATCH_MEM (64u * 1024 * 1024)
#define READ_SIZE (64 * 1024)

struct reader {
	const struct ss_sink *sink;
	struct ss_stats st;
	int64_t observation;
	struct event_batch *batch;
	size_t in_batch;
	char *line;
	size_t len;
	bool too_long; /* the current line passed the limit: skip to its end */
	size_t lineno;
};

static void
batch_end(struct reader *r)
{
	if (r->in_batch == 0)
		return;
	if (r->sink->on_batch_end)
		r->sink->on_batch_end(r->sink->ctx);
	event_batch_reset(r->batch);
	r->in_batch = 0;
}

static void
malformed(struct reader *r, const char *reason)
{
	r->st.malformed++;
	if (r->sink->on_malformed)
		r->sink->on_malformed(r->lineno, reason, r->sink->ctx);
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static void
take_line(struct reader *r, const char *s, size_t n)
{
	struct event *ev;
	char why[EVENT_WHY_MAX];
	enum cs_err err;

	r->lineno++;
	if (r->too_long) {
		r->too_long = false;
		r->st.rows++;
		malformed(r, "line longer than 1 MiB");
		return;
	}
	if (blank(s, n))
		return;
	r->st.rows++;
	if (r->in_batch >= SS_BATCH_EVENTS)
		batch_end(r);
	err = event_from_json(r->batch, s, n, &ev, why);
	if (err == CS_E_TOOBIG && r->in_batch > 0) {
		/* the batch is full of large events: store them, retry */
		batch_end(r);
		err = event_from_json(r->batch, s, n, &ev, why);
	}
	if (err != CS_OK) {
		malformed(r, err == CS_E_TOOBIG ? "event too large" : why);
		return;
	}
	if (!event_has(ev, EF_TIME_OBSERVATION) && r->observation != 0)
		event_set_time(ev, EF_TIME_OBSERVATION, r->observation);
	r->st.events++;
	r->in_batch++;
	r->sink->on_event(ev, r->batch, r->sink->ctx);
}

/* Feeds n bytes; complete lines are taken. */
static void
feed(struct reader *r, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (!r->too_long) {
			if (r->len + take > INTELMQ_LINE_MAX) {
				r->too_long = true;
				r->len = 0;
			} else if (r->len == 0 && nl != NULL) {
				/* the whole line is in the chunk: no copy */
				take_line(r, p, take);
				p += take + 1;
				n -= take + 1;
				continue;
			} else {
				memcpy(r->line + r->len, p, take);
				r->len += take;
			}
		}
		if (nl == NULL)
			return;
		take_line(r, r->line, r->len);
		r->len = 0;
		p += take + 1;
		n -= take + 1;
	}
}

static void
finish(struct reader *r)
{
	if (r->len > 0 || r->too_long)
		take_line(r, r->line, r->len);
	batch_end(r);
}

static void
reader_init(struct reader *r, int64_t observation, const struct ss_sink *sink)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	r->observation = observation;
	r->batch = event_batch_new(BATCH_MEM);
	r->line = xmalloc(INTELMQ_LINE_MAX);
}

static void
reader_done(struct reader *r, struct ss_stats *st_out)
{
	if (st_out != NULL)
		*st_out = r->st;
	event_batch_free(r->batch);
	free(r->line);
}

enum cs_err
intelmq_parse_buf(const char *data, size_t n, int64_t observation,
                  const struct ss_sink *sink, struct ss_stats *st_out,
                  char why_out[SS_WHY_MAX])
{
	struct reader r;

	why_out[0] = '\0';
	reader_init(&r, observation, sink);
	feed(&r, data, n);
	finish(&r);
	reader_done(&r, st_out);
	return CS_OK;
}

enum cs_err
intelmq_parse_fd(int fd, int64_t observation, const struct ss_sink *sink,
                 struct ss_stats *st_out, char why_out[SS_WHY_MAX])
{
	struct reader r;
	char *buf = xmalloc(READ_SIZE);
	enum cs_err err = CS_OK;
	ssize_t got;

	why_out[0] = '\0';
	reader_init(&r, observation, sink);
	while ((got = read(fd, buf, READ_SIZE)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why_out, SS_WHY_MAX, "reading: %s",
			         strerror(errno));
			err = CS_E_IO;
			break;
		}
		feed(&r, buf, (size_t)got);
	}
	if (err == CS_OK)
		finish(&r);
	else
		batch_end(&r);
	reader_done(&r, st_out);
	free(buf);
	return err;
}
