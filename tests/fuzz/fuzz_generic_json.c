/*
 * fuzz_generic_json.c - the generic JSON feed parser: JSON Lines framing,
 * the array forms with a records path, JSON pointers into nested values,
 * typed values, arrays and objects as extra text, on hostile bytes.
 *
 * The first input byte picks one of the definitions written here; the
 * rest is the feed. Oracles besides the sanitizers: every emitted event
 * serialises to an IntelMQ line that reads back and serialises to the
 * same line, the counts add up, every malformed record has a line and a
 * reason, a required field is present in every event, and a report-level
 * failure always says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/event.h"
#include "pipeline/generic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const defs[] = {
    /* a sensor's JSON Lines: pointers, literal dotted keys, epoch times */
    "{\"name\":\"s\",\"provider\":\"p\",\"format\":\"jsonl\","
    "\"time_format\":\"auto\",\"fields\":{\"ts\":\"time.source\","
    "\"/src/ip\":\"source.ip\",\"/src/port\":\"source.port\","
    "\"dst.ip\":\"destination.ip\",\"/tags\":\"extra.tags\","
    "\"/a~1b/0\":\"extra.first\",\"asn\":\"source.asn\","
    "\"cc\":\"source.geolocation.cc\",\"name\":\"malware.name\","
    "\"skip\":null},\"constants\":{\"classification.taxonomy\":"
    "\"other\",\"classification.type\":\"other\"},"
    "\"required\":[\"source.ip\"]}",
    /* ThreatFox-like: an array under "data", unmapped ignored */
    "{\"name\":\"tf\",\"provider\":\"abuse.ch\",\"format\":\"json\","
    "\"records\":\"data\",\"max_bytes\":65536,\"unmapped\":\"ignore\","
    "\"fields\":{\"first_seen\":\"time.source\",\"ioc\":\"source.url\","
    "\"malware_printable\":\"malware.name\",\"confidence_level\":"
    "\"extra.confidence\",\"tags\":\"extra.tags\","
    "\"severity\":\"extra.severity\"}}",
    /* a top-level array, epoch_ms, unmapped members to extra */
    "{\"name\":\"a\",\"provider\":\"p\",\"format\":\"json\","
    "\"time_format\":\"epoch_ms\",\"fields\":{\"t\":\"time.source\","
    "\"ip\":\"source.ip\",\"url\":\"destination.url\"}}",
    /* a nested records pointer and a pattern time format */
    "{\"name\":\"n\",\"provider\":\"p\",\"format\":\"json\","
    "\"records\":\"/result/items\",\"time_format\":\"%Y%m%d%H%M%S\","
    "\"fields\":{\"/when\":\"time.source\",\"/host/ip\":\"source.ip\","
    "\"/host/name\":\"source.fqdn\"},\"required\":[\"source.fqdn\"]}",
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
	if ((c->d == loaded[0] && !event_has(ev, EF_SOURCE_IP)) ||
	    (c->d == loaded[3] && !event_has(ev, EF_SOURCE_FQDN)))
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
