/*
 * fuzz_shadowserver.c - the Shadowserver report parser: CSV framing, the
 * converters and the mapping onto events, on hostile bytes.
 *
 * The first input byte picks one of two reports of a small schema written
 * here (every converter appears in it); the rest is the CSV. Oracles
 * besides the sanitizers: every event the parser emits serialises to an
 * IntelMQ line that reads back and serialises to the same line, and the
 * counts add up (events + malformed never exceed the rows seen).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/event.h"
#include "pipeline/shadowserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema_json[] =
    "{\"_meta\":{\"date_created\":\"fuzz\"},"
    "\"scan_fuzz\":{\"feed_name\":\"Fuzz-Scan\",\"file_name\":\"scan_fuzz\","
    "\"required_fields\":[[\"time.source\",\"timestamp\","
    "\"add_UTC_to_timestamp\"],[\"source.ip\",\"ip\",\"validate_ip\"]],"
    "\"optional_fields\":[[\"source.port\",\"port\",\"convert_int\"],"
    "[\"protocol.transport\",\"protocol\"],[\"source.reverse_dns\","
    "\"hostname\",\"validate_fqdn\"],[\"extra.\",\"tag\","
    "\"validate_to_none\"],[\"source.asn\",\"asn\",\"invalidate_zero\"],"
    "[\"source.geolocation.cc\",\"geo\"],[\"extra.\",\"ok\","
    "\"convert_bool\"],[\"extra.\",\"ratio\",\"convert_float\"],"
    "[\"extra.\",\"seen\",\"convert_date\"],[\"extra.\",\"utc\","
    "\"convert_date_utc\"],[\"extra.\",\"blob\",\"force_base64\"],"
    "[\"source.network\",\"net\",\"validate_network\"],"
    "[\"product.vulnerabilities\",\"tag\",\"extract_cve_from_tag\"],"
    "[\"extra.\",\"sector\",\"validate_to_none\"]],"
    "\"constant_fields\":{\"classification.taxonomy\":\"vulnerable\","
    "\"classification.type\":\"vulnerable-system\","
    "\"classification.identifier\":\"fuzz\"}},"
    "\"event_fuzz\":{\"feed_name\":\"Fuzz-Event\",\"file_name\":"
    "\"event_fuzz\",\"required_fields\":[[\"time.source\",\"timestamp\","
    "\"add_UTC_to_timestamp\"],[\"source.ip\",\"src_ip\",\"validate_ip\"]],"
    "\"optional_fields\":[[\"destination.ip\",\"dst_ip\",\"validate_ip\"],"
    "[\"destination.port\",\"dst_port\",\"convert_int\"],"
    "[\"destination.url\",\"http_url\",\"convert_http_host_and_url\","
    "true],[\"destination.fqdn\",\"http_host\",\"validate_fqdn\"],"
    "[\"malware.name\",\"infection\"],[\"classification.taxonomy\","
    "\"tag\",\"scan_exchange_taxonomy\"],[\"classification.type\","
    "\"tag\",\"scan_exchange_type\"],"
    "[\"classification.identifier\",\"tag\","
    "\"scan_exchange_identifier\"],[\"event_description.text\","
    "\"category\",\"category_or_detail\",true]],"
    "\"constant_fields\":{}}}";

static struct ss_schema *schema;
static struct event_batch *scratch;

struct counts {
	size_t events, malformed;
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
	{
		/* the direct writer agrees with jansson's */
		json_t *o = event_to_json(ev);
		char *d = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
		            : NULL;

		if (d == NULL || strlen(d) != na || memcmp(d, a, na) != 0)
			abort();
		free(d);
		json_decref(o);
	}
	event_batch_reset(scratch);
	if (event_from_json(scratch, a, na, &back, why) != CS_OK ||
	    event_to_text(back, b, sizeof(b), &nb) != CS_OK || na != nb ||
	    memcmp(a, b, na) != 0)
		abort();
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
	char why[SS_WHY_MAX];
	struct counts c = {0, 0};
	struct ss_sink sink = {on_event, on_malformed, NULL, &c};
	struct ss_stats st;
	const struct ss_report *r;

	if (schema == NULL) {
		if (ss_schema_load_text(schema_json, sizeof(schema_json) - 1,
		                        &schema, why) != CS_OK)
			abort();
		scratch = event_batch_new(8u << 20);
	}
	if (size < 1)
		return 0;
	r = ss_report_find(schema, data[0] & 1 ? "event_fuzz" : "scan_fuzz");
	if (r == NULL)
		abort();
	memset(&st, 0, sizeof(st));
	if (ss_parse_buf(r, (const char *)data + 1, size - 1, 0, &sink, &st,
	                 why) == CS_OK &&
	    (st.events != c.events || st.malformed != c.malformed ||
	     c.events + c.malformed > st.rows))
		abort();
	return 0;
}
