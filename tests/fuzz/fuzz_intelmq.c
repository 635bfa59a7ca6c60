/*
 * fuzz_intelmq.c - IntelMQ event lines (the intelmq feed) on hostile
 * bytes. Oracles besides the sanitizers: every emitted event writes an
 * IntelMQ line that reads back and writes the same line, the counts add
 * up, and every malformed line has a number and a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/intelmq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_batch *scratch;

struct counts {
	size_t events, malformed, last_line;
};

static void
on_event(struct event *ev, struct event_batch *batch, void *ctx)
{
	static char a[1 << 20], b[1 << 20];
	size_t na, nb;
	struct event *back;
	char why[EVENT_WHY_MAX];

	(void)batch;
	((struct counts *)ctx)->events++;
	if (event_to_text(ev, a, sizeof(a), &na) != CS_OK)
		return; /* too large to write: a limit, not a bug */
	if (event_from_json(scratch, a, na, &back, why) != CS_OK) {
		fprintf(stderr, "wrote an unreadable line: %s\n%.*s\n", why,
		        (int)na, a);
		abort();
	}
	if (event_to_text(back, b, sizeof(b), &nb) != CS_OK || na != nb ||
	    memcmp(a, b, na) != 0) {
		fprintf(stderr, "round trip differs:\n%.*s\n%.*s\n", (int)na, a,
		        (int)nb, b);
		abort();
	}
	event_batch_reset(scratch);
}

static void
on_malformed(size_t line, const char *reason, void *ctx)
{
	struct counts *c = ctx;

	if (line == 0 || line < c->last_line || reason == NULL ||
	    reason[0] == '\0')
		abort();
	c->last_line = line;
	c->malformed++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct counts c = {0, 0, 0};
	struct ss_sink sink = {on_event, on_malformed, NULL, &c};
	struct ss_stats st;
	char why[SS_WHY_MAX];

	if (scratch == NULL)
		scratch = event_batch_new(8u << 20);
	if (intelmq_parse_buf((const char *)data, size, 1700000000, &sink, &st,
	                      why) != CS_OK)
		abort();
	if (st.events != c.events || st.malformed != c.malformed ||
	    st.events + st.malformed != st.rows)
		abort();
	return 0;
}
