/*
 * fuzz_generic_csv.c - the generic CSV feed parser: the line pass
 * (skip_lines, comments), libcsv framing with other delimiters and quotes,
 * time formats and the column mapping, on hostile bytes.
 *
 * The first input byte picks one of the definitions written here; the
 * rest is the feed. Oracles besides the sanitizers: every event the parser
 * emits serialises to an IntelMQ line that reads back and serialises to
 * the same line, the counts add up (events + malformed never exceed the
 * rows seen), every malformed record has a line and a reason, and a
 * definition with required fields never emits an event without them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/event.h"
#include "pipeline/generic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const defs[] = {
    /* abuse.ch Feodo-like: header, comments, auto times */
    "{\"name\":\"f\",\"provider\":\"p\",\"format\":\"csv\","
    "\"documentation\":\"https://example.org/\","
    "\"csv\":{\"comment\":\"#\"},\"fields\":{\"first_seen_utc\":"
    "\"time.source\",\"dst_ip\":\"source.ip\",\"dst_port\":"
    "\"source.port\",\"malware\":\"malware.name\",\"c2_status\":"
    "\"extra.status\",\"asn\":\"source.asn\",\"cc\":"
    "\"source.geolocation.cc\",\"host\":\"source.fqdn\",\"url\":"
    "\"source.url\",\"net\":\"source.network\",\"skip\":null},"
    "\"constants\":{\"classification.taxonomy\":\"malicious-code\","
    "\"classification.type\":\"c2-server\",\"extra.list\":\"feodo\"},"
    "\"required\":[\"source.ip\"]}",
    /* no header, by position, ';' with "//" comments and skipped lines */
    "{\"name\":\"d\",\"provider\":\"p\",\"format\":\"csv\","
    "\"csv\":{\"header\":false,\"delimiter\":\";\",\"comment\":\"//\","
    "\"skip_lines\":1},\"time_format\":\"epoch_ms\","
    "\"fields\":[\"source.network\",\"extra.sbl\",\"time.source\","
    "null,\"destination.ip\"],\"required\":[\"extra.sbl\"]}",
    /* tabs, single quotes, a pattern time format, unmapped ignored */
    "{\"name\":\"t\",\"provider\":\"p\",\"format\":\"csv\","
    "\"csv\":{\"delimiter\":\"\\t\",\"quote\":\"'\"},"
    "\"time_format\":\"%d %b %Y %H:%M:%S %z\",\"unmapped\":\"ignore\","
    "\"fields\":{\"when\":\"time.source\",\"ip\":\"destination.ip\","
    "\"sev\":\"extra.severity\",\"v\":\"extra.product.vendor\"}}",
    /* epoch times, unmapped columns to extra (severity is a field) */
    "{\"name\":\"e\",\"provider\":\"p\",\"format\":\"csv\","
    "\"csv\":{\"delimiter\":\"|\",\"comment\":\";\"},"
    "\"time_format\":\"epoch\",\"fields\":{\"t\":\"time.source\","
    "\"ip\":\"source.ip\",\"tax\":\"classification.taxonomy\","
    "\"type\":\"classification.type\"}}",
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static struct feed_def *loaded[N_DEFS];
static struct event_batch *scratch;

struct counts {
	size_t events, malformed;
	const struct feed_def *d;
};

static void
on_event(struct event *ev, struct event_batch *batch, void *ctx)
{
	static char a[1 << 20], b[1 << 20];
	struct counts *c = ctx;
	size_t na, nb;
	struct event *back;
	char why[EVENT_WHY_MAX];

	(void)batch;
	c->events++;
	if (c->d == loaded[0] && !event_has(ev, EF_SOURCE_IP))
		abort();
	if (!event_has(ev, EF_FEED_NAME) || !event_has(ev, EF_FEED_PROVIDER))
		abort();
	if (event_to_text(ev, a, sizeof(a), &na) != CS_OK)
		return; /* too large to write: a limit, not a bug */
	event_batch_reset(scratch);
	if (event_from_json(scratch, a, na, &back, why) != CS_OK) {
		fprintf(stderr, "read back: %s\n%s\n", why, a);
		abort();
	}
	if (event_to_text(back, b, sizeof(b), &nb) != CS_OK || na != nb ||
	    memcmp(a, b, na) != 0) {
		fprintf(stderr, "round trip:\n%s\n%s\n", a, b);
		abort();
	}
}

static void
on_malformed(size_t line, const char *reason, void *ctx)
{
	if (line == 0 || reason == NULL || reason[0] == '\0')
		abort();
	((struct counts *)ctx)->malformed++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[GEN_WHY_MAX];
	struct counts c = {0, 0, NULL};
	struct ss_sink sink = {on_event, on_malformed, NULL, &c};
	struct ss_stats st;
	enum cs_err err;

	if (scratch == NULL) {
		for (size_t i = 0; i < N_DEFS; i++)
			if (feed_def_load_text(defs[i], strlen(defs[i]),
			                       &loaded[i], why) != CS_OK)
				abort();
		scratch = event_batch_new(8u << 20);
	}
	if (size < 1)
		return 0;
	c.d = loaded[data[0] % N_DEFS];
	memset(&st, 0, sizeof(st));
	err = generic_parse_buf(c.d, (const char *)data + 1, size - 1, 0, &sink,
	                        &st, why);
	if (err != CS_OK && why[0] == '\0')
		abort();
	if (st.events != c.events || st.malformed != c.malformed ||
	    c.events + c.malformed > st.rows)
		abort();
	return 0;
}
