/*
 * fuzz_rules.c - the rule language: lexer, parser, load-time checks and
 * the evaluator, on hostile text.
 *
 * The input is a rule file. When it loads, it runs on three events (a full
 * one, an IPv6 one with extras of every kind, an empty one). Oracles
 * besides the sanitizers: a refusal says where ("fuzz:LINE:COL: ..." with
 * a line within the input) unless it is a size limit; a loaded set never
 * exceeds RULES_MAX rules; evaluation succeeds in a batch with room to
 * spare and is deterministic (the same outcome on a fresh copy of the
 * event); the outcome respects its bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const events[] = {
    "{\"__type\":\"Event\",\"feed.name\":\"Accessible-Telnet\","
    "\"time.source\":\"2024-01-01T12:00:00+00:00\","
    "\"source.ip\":\"192.0.2.10\",\"source.port\":2323,"
    "\"source.asn\":64600,\"source.network\":\"192.0.2.0/28\","
    "\"source.fqdn\":\"scanner.example.net\","
    "\"source.geolocation.cc\":\"AT\",\"protocol.transport\":\"tcp\","
    "\"classification.taxonomy\":\"vulnerable\","
    "\"classification.type\":\"vulnerable-system\"}",
    "{\"__type\":\"Event\",\"source.ip\":\"2001:db8::1\","
    "\"destination.ip\":\"::ffff:10.0.0.1\",\"destination.port\":0,"
    "\"extra.tag\":\"rdp\",\"extra.count\":-3,\"extra.ratio\":0.25,"
    "\"extra.open\":false,\"extra.severity\":\"high\"}",
    "{\"__type\":\"Event\"}",
};

static struct event_batch *batch;
static struct rules_ctx *ctx;

static struct event *
event_of(size_t i)
{
	struct event *ev;
	char why[EVENT_WHY_MAX];

	if (event_from_json(batch, events[i], strlen(events[i]), &ev, why) !=
	    CS_OK)
		abort();
	return ev;
}

static void
check_why(const char *why, size_t size)
{
	unsigned long line, col;
	int used = 0;

	if (sscanf(why, "fuzz:%lu:%lu: %n", &line, &col, &used) != 2 ||
	    used == 0 || line == 0 || col == 0 || why[used] == '\0')
		abort();
	/* the line is within the input (an error at the end of the file is
	 * on the last line) */
	if (line > size + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = NULL;
	char why[RULES_WHY_MAX];
	enum cs_err err;

	if (batch == NULL) {
		batch = event_batch_new(32u << 20);
		ctx = rules_ctx_new();
	}
	err = rules_load_text("fuzz", (const char *)data, size, &r, why);
	if (err == CS_E_INVAL) {
		if (r != NULL)
			abort();
		check_why(why, size);
		return 0;
	}
	if (err != CS_OK) {
		if (err != CS_E_TOOBIG || r != NULL)
			abort();
		return 0;
	}
	if (rules_count(r) > RULES_MAX)
		abort();
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct rule_outcome a, b;
		struct event *e1, *e2;

		event_batch_reset(batch);
		e1 = event_of(i);
		e2 = event_of(i);
		if (rules_eval(r, ctx, batch, e1, &a) != CS_OK ||
		    rules_eval(r, ctx, batch, e2, &b) != CS_OK)
			abort();
		if (a.drop != b.drop || a.n_tags != b.n_tags ||
		    a.n_matched != b.n_matched || a.tlp != b.tlp ||
		    a.notify != b.notify || a.incident != b.incident ||
		    a.n_tags > RULES_TAGS_MAX || a.n_matched > rules_count(r) ||
		    (a.n_matched > 0) != (a.last_rule != NULL) ||
		    (a.tlp != RULE_TLP_NONE && rule_tlp_name(a.tlp) == NULL))
			abort();
	}
	rules_put(r);
	return 0;
}
