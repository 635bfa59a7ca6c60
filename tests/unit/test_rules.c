/*
 * test_rules.c - the rule language: every operator and action, precedence,
 * missing fields, load errors with their exact FILE:LINE:COL messages,
 * every limit at the limit and one past it, and atomic reload with
 * reference counts (also under concurrent evaluation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/xmalloc.h"
#include "pipeline/rules.h"

static struct event_batch *batch;
static struct rules_ctx *ctx;

static const char base_json[] =
    "{\"__type\":\"Event\",\"feed.name\":\"Accessible-Telnet\","
    "\"time.source\":\"2024-01-01T12:00:00+00:00\","
    "\"source.ip\":\"192.0.2.10\",\"source.port\":2323,"
    "\"source.asn\":64600,\"source.network\":\"192.0.2.0/28\","
    "\"source.fqdn\":\"scanner.example.net\","
    "\"source.geolocation.cc\":\"AT\",\"protocol.transport\":\"tcp\","
    "\"destination.ip\":\"2001:db8::5\","
    "\"extra.tag\":\"RDP-scan\",\"extra.count\":42,"
    "\"extra.ratio\":0.5,\"extra.open\":true}";

static struct event *
event_of(const char *json)
{
	struct event *ev;
	char why[EVENT_WHY_MAX];

	if (event_from_json(batch, json, strlen(json), &ev, why) != CS_OK)
		fail_msg("bad test event: %s", why);
	return ev;
}

static struct event *
base(void)
{
	return event_of(base_json);
}

static struct rules *
load(const char *text)
{
	struct rules *r = NULL;
	char why[RULES_WHY_MAX];

	if (rules_load_text("t.rules", text, strlen(text), &r, why) != CS_OK)
		fail_msg("load failed: %s", why);
	return r;
}

static void
load_err(const char *text, enum cs_err want, const char *msg)
{
	struct rules *r = (struct rules *)(uintptr_t)1;
	char why[RULES_WHY_MAX];

	assert_int_equal(
	    rules_load_text("t.rules", text, strlen(text), &r, why), want);
	assert_string_equal(why, msg);
	/* nothing was handed out */
	assert_ptr_equal(r, (struct rules *)(uintptr_t)1);
}

/* Whether the condition matches the event. */
static bool
match_on(const char *cond, struct event *ev)
{
	char text[8192];
	struct rules *r;
	struct rule_outcome o;

	snprintf(text, sizeof(text), "rule \"t\" { if %s then tag \"hit\" }",
	         cond);
	r = load(text);
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	rules_put(r);
	return o.n_matched == 1;
}

static bool
match(const char *cond)
{
	return match_on(cond, base());
}

static int
setup(void **state)
{
	(void)state;
	batch = event_batch_new(8u << 20);
	ctx = rules_ctx_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rules_ctx_free(ctx);
	event_batch_free(batch);
	return 0;
}

static void
test_equality(void **state)
{
	(void)state;
	assert_true(match("feed.name == \"Accessible-Telnet\""));
	assert_false(match("feed.name == \"accessible-telnet\""));
	assert_true(match("feed.name != \"Other\""));
	assert_false(match("feed.name != \"Accessible-Telnet\""));
	assert_true(match("source.port == 2323"));
	assert_false(match("source.port == 23"));
	assert_true(match("source.asn != 1"));
	assert_true(match("source.ip == 192.0.2.10"));
	assert_false(match("source.ip == 192.0.2.11"));
	assert_true(match("destination.ip == 2001:db8:0::5"));
	assert_true(match("source.network == 192.0.2.0/28"));
	assert_false(match("source.network == 192.0.2.0/27"));
	assert_true(match("time.source == \"2024-01-01T12:00:00Z\""));
	/* values are normalised like the field: lower-cased names,
	 * upper-cased country codes */
	assert_true(match("source.fqdn == \"Scanner.Example.NET.\""));
	assert_true(match("source.geolocation.cc == \"at\""));
	assert_true(match("protocol.transport == \"TCP\""));
}

static void
test_missing_fields(void **state)
{
	struct event *ev = event_of("{\"__type\":\"Event\"}");

	(void)state;
	assert_false(match_on("feed.name == \"x\"", ev));
	assert_true(match_on("feed.name != \"x\"", ev));
	assert_false(match_on("source.port < 10", ev));
	assert_false(match_on("source.port >= 0", ev));
	assert_false(match_on("source.ip in 0.0.0.0/0", ev));
	assert_true(match_on("source.ip not in [0.0.0.0/0, ::/0]", ev));
	assert_false(match_on("feed.name =~ /.*/", ev));
	assert_true(match_on("feed.name !~ /.*/", ev));
	assert_false(match_on("extra.x == 1", ev));
	assert_true(match_on("extra.x != 1", ev));
	assert_true(match_on("missing source.ip and missing extra.x", ev));
	assert_false(match_on("exists source.ip or exists extra.x", ev));
	assert_true(match("exists source.ip and exists extra.tag"));
	assert_false(match("missing source.port"));
	assert_true(match("missing source.url"));
	/* the "extra." names event.h types are typed fields */
	assert_true(match_on("missing extra.severity", ev));
}

static void
test_lists(void **state)
{
	(void)state;
	assert_true(match("source.port in [23, 2323]"));
	assert_true(match("source.port in [2323]"));
	assert_false(match("source.port in [23, 24, 25]"));
	assert_true(match("source.port not in [23, 24, 25]"));
	assert_false(match("source.port not in [9, 2323, 1]"));
	assert_true(match("source.asn in [64600, 1, 4294967295]"));
	assert_true(match("feed.name in [\"b\", \"Accessible-Telnet\", "
	                  "\"a\"]"));
	assert_false(match("feed.name in [\"b\", \"a\"]"));
	assert_true(match("source.geolocation.cc in [\"de\", \"at\"]"));
	assert_true(match("time.source in [\"2024-01-01 12:00:00\"]"));
	assert_true(match("extra.tag in [1, \"RDP-scan\"]"));
	assert_true(match("extra.count in [\"42\", 42]"));
	assert_false(match("extra.count in [\"42\", 43]"));
	assert_true(match("extra.open in [true]"));
	/* a trailing comma is fine */
	assert_true(match("source.port in [23, 2323,]"));
}

static void
test_cidr(void **state)
{
	char cond[4096];
	size_t n;

	(void)state;
	assert_true(match("source.ip in 192.0.2.0/24"));
	assert_true(match("source.ip in 0.0.0.0/0"));
	assert_false(match("source.ip in 198.51.100.0/24"));
	assert_true(match("source.ip in [10.0.0.0/8, 192.0.2.10]"));
	assert_false(match("source.ip in ::/0"));
	assert_true(match("destination.ip in 2001:db8::/32"));
	assert_true(match("destination.ip in [10.0.0.0/8, 2001:db8::4/127]"));
	assert_false(match("destination.ip in 2001:db8::/126 and "
	                   "destination.ip in 2001:db9::/32"));
	assert_true(match("destination.ip not in 0.0.0.0/0"));
	/* IPv4-mapped blocks are IPv4 blocks, in short and long lists */
	assert_true(match("source.ip in ::ffff:192.0.2.0/120"));
	assert_true(match("source.ip in [::ffff:192.0.2.0/120, 10.0.0.1, "
	                  "10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, "
	                  "10.0.0.7, 10.0.0.8, 10.0.0.9]"));
	assert_true(match("source.ip == ::ffff:192.0.2.10"));
	assert_true(match("source.ip in ::ffff:0.0.0.0/96"));
	assert_false(match("source.ip in ::fffe:0:0/95"));
	/* the network lies within a block */
	assert_true(match("source.network in 192.0.0.0/16"));
	assert_true(match("source.network in [192.0.2.0/28]"));
	assert_false(match("source.network in 192.0.2.0/29"));
	/* long lists go through a CIDR index: first, middle, last, none */
	n = (size_t)snprintf(cond, sizeof(cond), "source.ip in [");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(cond + n, sizeof(cond) - n,
		                      "10.%d.0.0/16, ", i);
	snprintf(cond + n, sizeof(cond) - n, "2001:db8::/32]");
	assert_false(match(cond));
	assert_true(match_on(cond, event_of("{\"__type\":\"Event\","
	                                    "\"source.ip\":\"10.0.1.2\"}")));
	assert_true(
	    match_on(cond, event_of("{\"__type\":\"Event\","
	                            "\"source.ip\":\"10.39.255.255\"}")));
	assert_true(match_on(cond, event_of("{\"__type\":\"Event\","
	                                    "\"source.ip\":\"2001:db8::1\"}")));
	assert_false(match_on(cond, event_of("{\"__type\":\"Event\","
	                                     "\"source.ip\":\"10.40.0.1\"}")));
}

static void
test_numeric(void **state)
{
	(void)state;
	assert_true(match("source.port > 2322"));
	assert_false(match("source.port > 2323"));
	assert_true(match("source.port >= 2323"));
	assert_true(match("source.port <= 2323"));
	assert_false(match("source.port < 2323"));
	assert_true(match("source.asn >= 64512 and source.asn <= 65534"));
	assert_true(match("time.source < \"2024-01-01T12:00:01Z\""));
	assert_false(match("time.source < 2024-01-01T12:00:00Z"));
	assert_true(match("time.source >= \"2024-01-01T13:00:00+01:00\""));
	assert_true(match("extra.count > 41"));
	assert_true(match("extra.count < 42.5"));
	assert_false(match("extra.count > 42"));
	assert_true(match("extra.ratio > 0.25"));
	assert_true(match("extra.ratio <= 0"
	                  " or extra.ratio < 1"));
	assert_true(match("extra.ratio > -1"));
	/* a string or bool extra never compares as a number */
	assert_false(match("extra.tag > 0 or extra.open > 0"));
}

static void
test_extra_kinds(void **state)
{
	(void)state;
	assert_true(match("extra.tag == \"RDP-scan\""));
	assert_false(match("extra.tag == 1"));
	assert_true(match("extra.count == 42"));
	assert_true(match("extra.count == 42.0"));
	assert_false(match("extra.count == \"42\""));
	assert_true(match("extra.ratio == 0.5"));
	assert_true(match("extra.open == true"));
	assert_false(match("extra.open == false"));
	assert_true(match("extra.open != false"));
	assert_false(match("extra.open == 1"));
	assert_true(match("extra.tag =~ /^rdp/i"));
	assert_false(match("extra.count =~ /42/"));
}

static void
test_regex(void **state)
{
	(void)state;
	assert_true(match("extra.tag =~ /rdp|ms-wbt/i"));
	assert_false(match("extra.tag =~ /rdp|ms-wbt/"));
	assert_true(match("extra.tag !~ /rdp/"));
	assert_true(match("source.fqdn =~ /\\.example\\.net$/"));
	assert_true(match("feed.name =~ /^accessible-/i"));
	assert_true(match("feed.name =~ /a c c e s s/ix"));
	assert_true(match("source.fqdn =~ /a\\/b|scanner/"));
	assert_false(match("source.fqdn =~ /^example/"));
	assert_true(match("source.fqdn =~ /^example/m or "
	                  "feed.name =~ /T.l/s"));
	assert_true(match_on("extra.t =~ /^\\w+$/u",
	                     event_of("{\"__type\":\"Event\","
	                              "\"extra.t\":\"caf\\u00e9\"}")));
	assert_false(match_on("extra.t =~ /^\\w+$/",
	                      event_of("{\"__type\":\"Event\","
	                               "\"extra.t\":\"caf\\u00e9\"}")));
}

static void
test_regex_limit(void **state)
{
	struct rules *r = load("rule \"slow\" { if extra.s =~ /^(a+)+$/ then "
	                       "tag \"x\" }");
	struct event *ev = event_of("{\"__type\":\"Event\",\"extra.s\":"
	                            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}");
	struct rule_outcome o;

	(void)state;
	/* catastrophic backtracking stops at the match limit: no match */
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	assert_int_equal(o.n_matched, 0);
	assert_int_equal(o.regex_errors, 1);
	rules_put(r);
}

static void
test_precedence(void **state)
{
	(void)state;
	/* and binds tighter than or */
	assert_true(match("source.port == 1 and source.port == 2 or "
	                  "source.port == 2323"));
	assert_false(match("source.port == 1 and (source.port == 2 or "
	                   "source.port == 2323)"));
	assert_true(match("source.port == 2323 or source.port == 1 and "
	                  "source.port == 2"));
	assert_false(match("(source.port == 2323 or source.port == 1) and "
	                   "source.port == 2"));
	/* not binds tighter than and */
	assert_false(match("not source.port == 2323 and source.asn == 64600"));
	assert_true(match("not (source.port == 1 and source.asn == 64600)"));
	assert_true(match("not not source.port == 2323"));
	assert_true(match("((((source.port == 2323))))"));
	/* keywords are case-sensitive words, fields too */
	assert_true(match("source.port == 1 or\n  source.port == 2323"));
}

static void
test_actions(void **state)
{
	struct rules *r = load(
	    "# every action\n"
	    "rule \"telnet\" {\n"
	    "    if feed.name == \"Accessible-Telnet\" and source.port in "
	    "[23, 2323]\n"
	    "    then classify intrusion-attempts/brute-force \"telnet\"; "
	    "tag \"telnet\"; tlp amber\n"
	    "}\n"
	    "rule \"note\" { if source.asn >= 64512 then set extra.note = "
	    "\"private ASN\"; set extra.n = 7; set extra.f = 1.5;\n"
	    "  set extra.b = false; set source.port = 23; "
	    "set source.fqdn = \"NEW.example\"; notify; incident \"RDP\"; "
	    "tag \"telnet\"; tag \"b\"; set time.observation = "
	    "2024-01-31T12:00:00Z }\n"
	    "rule \"no match\" { if source.port == 1 then tag \"never\" }\n"
	    "rule \"quiet\" { then notify no; tlp amber+strict }\n");
	struct event *ev = base();
	struct rule_outcome o;
	const struct extra_value *x;

	(void)state;
	assert_int_equal(rules_count(r), 4);
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	assert_false(o.drop);
	assert_string_equal(ev->str[EF_CLASS_TAXONOMY], "intrusion-attempts");
	assert_string_equal(ev->str[EF_CLASS_TYPE], "brute-force");
	assert_string_equal(ev->str[EF_CLASS_IDENTIFIER], "telnet");
	assert_int_equal(o.n_tags, 2);
	assert_string_equal(o.tags[0], "telnet");
	assert_string_equal(o.tags[1], "b");
	assert_false(o.tags_truncated);
	assert_int_equal(o.tlp, RULE_TLP_AMBER_STRICT);
	assert_string_equal(rule_tlp_name(o.tlp), "amber+strict");
	assert_int_equal(o.notify, RULE_NOTIFY_NO);
	assert_string_equal(o.incident, "RDP");
	assert_int_equal(o.n_matched, 3);
	assert_string_equal(o.matched[0], "telnet");
	assert_string_equal(o.matched[1], "note");
	assert_string_equal(o.matched[2], "quiet");
	assert_string_equal(o.last_rule, "quiet");
	x = event_get_extra(ev, "note");
	assert_non_null(x);
	assert_int_equal(x->kind, XV_STRING);
	assert_string_equal(x->u.s, "private ASN");
	assert_int_equal(event_get_extra(ev, "n")->u.i, 7);
	assert_true(event_get_extra(ev, "f")->u.f == 1.5);
	assert_int_equal(event_get_extra(ev, "b")->kind, XV_BOOL);
	assert_false(event_get_extra(ev, "b")->u.b);
	assert_int_equal(ev->source_port, 23);
	assert_int_equal(ev->time_observation, 1706702400);
	assert_string_equal(ev->str[EF_SOURCE_FQDN], "new.example");
	rules_put(r);
}

static void
test_action_values_live_in_batch(void **state)
{
	struct rules *r = load("rule \"s\" { then set extra.k = \"v\" }");
	struct event *ev = base();
	struct rule_outcome o;

	(void)state;
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	rules_put(r);
	/* the rules are gone; the event's key and value are not */
	assert_string_equal(event_get_extra(ev, "k")->u.s, "v");
}

static void
test_set_again_is_free(void **state)
{
	struct rules *r =
	    load("rule \"s\" { then set extra.tag = \"new\"; set extra.k = "
	         "\"v\"; set extra.count = false; set feed.name = \"F\"; "
	         "classify vulnerable/vulnerable-system \"id\" }");
	struct event *ev = base();
	struct rule_outcome o;
	size_t used;

	(void)state;
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	/* existing keys are replaced in place, whatever their kind was */
	assert_string_equal(event_get_extra(ev, "tag")->u.s, "new");
	assert_int_equal(event_get_extra(ev, "count")->kind, XV_BOOL);
	assert_int_equal(ev->n_extra, 5);
	assert_string_equal(ev->str[EF_FEED_NAME], "F");
	used = event_batch_used(batch);
	/* the same values again take no batch memory */
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	assert_int_equal(event_batch_used(batch), used);
	assert_int_equal(ev->n_extra, 5);
	rules_put(r);
}

static void
test_drop_and_stop(void **state)
{
	struct rules *r =
	    load("rule \"own scanners\" { if source.ip in 192.0.2.0/24 then "
	         "tag \"own\"; drop; tag \"after drop\" }\n"
	         "rule \"later\" { then tag \"later\" }\n");
	struct rule_outcome o;

	(void)state;
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_true(o.drop);
	assert_int_equal(o.n_tags, 1);
	assert_string_equal(o.tags[0], "own");
	assert_string_equal(o.last_rule, "own scanners");
	/* not matching: evaluation goes on */
	assert_int_equal(
	    rules_eval(r, ctx, batch, event_of("{\"__type\":\"Event\"}"), &o),
	    CS_OK);
	assert_false(o.drop);
	assert_int_equal(o.n_tags, 1);
	assert_string_equal(o.tags[0], "later");
	rules_put(r);

	r = load("rule \"a\" { then tag \"a\"; stop; tag \"x\" }\n"
	         "rule \"b\" { then tag \"b\" }\n");
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_false(o.drop);
	assert_int_equal(o.n_tags, 1);
	assert_string_equal(o.tags[0], "a");
	assert_int_equal(o.n_matched, 1);
	rules_put(r);
}

static void
test_tlp_levels(void **state)
{
	static const char *const lv[] = {"clear", "green", "amber",
	                                 "amber+strict", "red"};
	char text[128];

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		struct rules *r;
		struct rule_outcome o;

		snprintf(text, sizeof(text), "rule \"x\" { then tlp %s }",
		         lv[i]);
		r = load(text);
		assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
		assert_int_equal(o.tlp, RULE_TLP_CLEAR + (int)i);
		assert_string_equal(rule_tlp_name(o.tlp), lv[i]);
		rules_put(r);
	}
	assert_null(rule_tlp_name(RULE_TLP_NONE));
}

static void
test_outcome_limits(void **state)
{
	char text[8192];
	size_t n = 0;
	struct rules *r;
	struct rule_outcome o;

	(void)state;
	/* RULES_TAGS_MAX distinct tags fit, one more is reported */
	for (int i = 0; i < RULES_TAGS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		                      "rule \"r%d\" { then tag \"t%d\" }\n", i,
		                      i);
	r = load(text);
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_int_equal(o.n_tags, RULES_TAGS_MAX);
	assert_false(o.tags_truncated);
	assert_int_equal(o.n_matched, RULES_TAGS_MAX);
	assert_string_equal(o.matched[RULES_MATCHED_MAX - 1], "r7");
	assert_string_equal(o.last_rule, "r15");
	rules_put(r);
	snprintf(text + n, sizeof(text) - n,
	         "rule \"one more\" { then tag "
	         "\"t16\"; tag \"t0\" }\n");
	r = load(text);
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_int_equal(o.n_tags, RULES_TAGS_MAX);
	assert_true(o.tags_truncated);
	rules_put(r);
}

static void
test_eval_at_batch_cap(void **state)
{
	struct event_batch *small = event_batch_new(64u << 10);
	struct rules *r = load("rule \"big\" { then set extra.a = \"x\"; "
	                       "set extra.b = 1 }");
	struct event *ev;
	struct rule_outcome o;
	char key[32];
	enum cs_err err = CS_OK;

	(void)state;
	assert_int_equal(event_new(small, &ev), CS_OK);
	/* fill the extras to EVENT_EXTRA_MAX - 1: "a" fits, "b" does not */
	for (int i = 0; i < EVENT_EXTRA_MAX - 1 && err == CS_OK; i++) {
		struct extra_value v = {.kind = XV_INT, .u.i = i};
		int len = snprintf(key, sizeof(key), "k%d", i);

		err = event_set_extra(
		    ev, event_batch_intern(small, key, (size_t)len), v);
	}
	assert_int_equal(err, CS_OK);
	assert_int_equal(rules_eval(r, ctx, small, ev, &o), CS_E_TOOBIG);
	assert_non_null(event_get_extra(ev, "a"));
	assert_null(event_get_extra(ev, "b"));
	rules_put(r);
	event_batch_free(small);
}

struct bad {
	const char *text;
	const char *why;
};

static const struct bad bad_rules[] = {
    {"rule \"x\" { if source.port == \"abc\" then drop }",
     "t.rules:1:30: source.port: expected a number, not a string"},
    {"rule \"x\" { if source.port == 65536 then drop }",
     "t.rules:1:30: source.port: expected a port number (0-65535)"},
    {"rule \"x\" { if source.asn == 0 then drop }",
     "t.rules:1:29: source.asn: expected an AS number (1-4294967295)"},
    {"rule \"x\" {\n  if source.ip in 10.0.0.1/8 then drop }",
     "t.rules:2:19: source.ip: '10.0.0.1/8': host bits set: the network "
     "is 10.0.0.0/8"},
    {"rule \"x\" { if source.ip == 10.0.0.0/8 then drop }",
     "t.rules:1:28: source.ip: a block needs 'in', not a comparison"},
    {"rule \"x\" { if source.ip == 10.0.0.256 then drop }",
     "t.rules:1:28: source.ip: '10.0.0.256' is not an IP address"},
    {"rule \"x\" { if source.ip == \"10.0.0.1\" then drop }",
     "t.rules:1:28: source.ip: expected an IP address (without quotes)"},
    {"rule \"x\" { if feed.name == Telnet then drop }",
     "t.rules:1:28: feed.name: expected a \"string\""},
    {"rule \"x\" { if source.geolocation.cc == \"AUT\" then drop }",
     "t.rules:1:40: source.geolocation.cc: not a two-letter country code"},
    {"rule \"x\" { if source.ip > 10.0.0.1 then drop }",
     "t.rules:1:25: source.ip: < <= > >= compare ports, AS numbers, "
     "times and extra numbers"},
    {"rule \"x\" { if feed.name < \"a\" then drop }",
     "t.rules:1:25: feed.name: < <= > >= compare ports, AS numbers, "
     "times and extra numbers"},
    {"rule \"x\" { if extra.n < \"a\" then drop }",
     "t.rules:1:23: extra.n: < <= > >= need a number"},
    {"rule \"x\" { if source.port =~ /1/ then drop }",
     "t.rules:1:27: source.port: =~ and !~ apply to text fields"},
    {"rule \"x\" { if feed.name =~ \"a\" then drop }",
     "t.rules:1:28: expected a /regex/ after =~ or !~"},
    {"rule \"x\" { if feed.name =~ /a(/ then drop }",
     "t.rules:1:31: regex: missing closing parenthesis"},
    {"rule \"x\" { if feed.name =~ /a/iq then drop }",
     "t.rules:1:32: unknown regex flag 'q' (use i, m, s, x or u)"},
    {"rule \"x\" { if feed.name =~ /a then drop }",
     "t.rules:1:28: unterminated regex (a / is missing)"},
    {"rule \"x\" { if time.source > \"yesterday\" then drop }",
     "t.rules:1:29: time.source: expected a date and time "
     "(\"2024-01-31T12:00:00Z\")"},
    {"rule \"x\" { if source.nope == 1 then drop }",
     "t.rules:1:15: unknown field 'source.nope'"},
    {"rule \"x\" { if extra. == 1 then drop }",
     "t.rules:1:15: unknown field 'extra.'"},
    {"rule \"x\" { if extra.a == \"x then drop }",
     "t.rules:1:26: unterminated string"},
    {"rule \"x\" { if extra.a == \"\\q\" then drop }",
     "t.rules:1:27: unknown escape \\q (use \\\" \\\\ \\n or \\t)"},
    {"rule \"x\" { if extra.a == abc then drop }",
     "t.rules:1:26: expected a value: a \"string\", a number, true or "
     "false, found 'abc'"},
    {"rule \"x\" { if extra.a = 1 then drop }",
     "t.rules:1:23: expected an operator (== != < <= > >= =~ !~ in), "
     "found '='"},
    {"rule \"x\" { if extra.a ! 1 then drop }",
     "t.rules:1:23: '!' must be followed by = or ~ (use not for "
     "negation)"},
    {"rule \"x\" { if feed.name in [] then drop }", "t.rules:1:29: empty list"},
    {"rule \"x\" { if feed.name in \"a\" then drop }",
     "t.rules:1:28: expected a [list] after 'in'"},
    {"rule \"x\" { if source.port in [1 2] then drop }",
     "t.rules:1:33: expected ',' or ']', found '2'"},
    {"rule \"x\" { if source.port not 1 then drop }",
     "t.rules:1:31: expected 'in' after 'not'"},
    {"rule \"x\" { if (source.port == 1 then drop }",
     "t.rules:1:33: expected ')', found 'then'"},
    {"rule \"x\" { if source.port == 1 drop }",
     "t.rules:1:32: expected 'then', found 'drop'"},
    {"rule \"x\" { if source.port == 1 then explode }",
     "t.rules:1:37: expected an action (drop, stop, set, tag, notify, "
     "incident, classify, tlp), found 'explode'"},
    {"rule \"x\" { then drop", "t.rules:1:21: expected ';' or '}', found "
                               "end of file"},
    {"rule x { then drop }",
     "t.rules:1:6: expected the rule name as a \"string\""},
    {"rule \"\" { then drop }", "t.rules:1:6: empty rule name"},
    {"rules \"x\" { then drop }",
     "t.rules:1:1: expected 'rule', found 'rules'"},
    {"rule \"x\" { then drop }\n\nrule \"x\" { then stop }",
     "t.rules:3:1: rule \"x\" is already defined at line 1"},
    {"rule \"x\" { then classify intrusion-attempts }",
     "t.rules:1:26: classify needs CLASS/TYPE, e.g. "
     "intrusion-attempts/brute-force"},
    {"rule \"x\" { then classify intrusions/brute-force }",
     "t.rules:1:37: 'brute-force' the type does not belong to this class"},
    {"rule \"x\" { then classify nonsense/brute-force }",
     "t.rules:1:26: 'nonsense' is not an RSIT incident class"},
    {"rule \"x\" { then classify malicious-code/nonsense }",
     "t.rules:1:41: 'nonsense' is not an RSIT incident type"},
    {"rule \"x\" { then tlp white }",
     "t.rules:1:21: expected a TLP level (clear, green, amber, "
     "amber+strict, red), found 'white'"},
    {"rule \"x\" { then tag x }",
     "t.rules:1:21: expected the tag as a \"string\""},
    {"rule \"x\" { then incident \"\" }", "t.rules:1:26: empty incident title"},
    {"rule \"x\" { then incident \"a\\nBcc: x\" }",
     "t.rules:1:26: control character in the incident title"},
    {"rule \"a\\tb\" { then drop }",
     "t.rules:1:6: control character in the rule name"},
    {"rule \"x\" { then set time.source = \"2024-02-30T00:00:00Z\" }",
     "t.rules:1:35: time.source: not a date and time"},
    {"rule \"x\" { then set source.port = \"80\" }",
     "t.rules:1:35: source.port: expected a value without quotes"},
    {"rule \"x\" { then set source.port = 99999 }",
     "t.rules:1:35: source.port: not a port (0-65535)"},
    {"rule \"x\" { then set source.url = \"nourl\" }",
     "t.rules:1:34: source.url: not a URL (scheme://host...)"},
    {"rule \"x\" { then set extra.a == 1 }",
     "t.rules:1:29: expected '=', found '=='"},
    {"rule \"x\" { then drop } @", "t.rules:1:24: unexpected character '@'"},
    {"rule \"x\" { then drop } \xc3\xa9", "t.rules:1:24: unexpected byte 0xc3"},
    {"rule \"x\" { then set extra.a = \"a\nb\" }",
     "t.rules:1:31: unterminated string"},
    {"rule \"x\" { if exists 42 then drop }",
     "t.rules:1:22: unknown field '42'"},
};

static void
test_load_errors(void **state)
{
	int wrong = 0;

	(void)state;
	/* every case is checked and every mismatch printed */
	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		const char *t = bad_rules[i].text;
		struct rules *r = NULL;
		char why[RULES_WHY_MAX];
		enum cs_err err;

		err = rules_load_text("t.rules", t, strlen(t), &r, why);
		if (err != CS_E_INVAL || r != NULL ||
		    strcmp(why, bad_rules[i].why) != 0) {
			print_message("case %zu: got %d \"%s\"\n", i, err, why);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* text with RULES_DEPTH_MAX (or one more) nested parentheses */
static char *
nested(int depth)
{
	size_t cap = (size_t)depth * 2 + 128, n;
	char *s = xmalloc(cap);

	n = (size_t)snprintf(s, cap, "rule \"d\" { if ");
	for (int i = 1; i < depth; i++)
		s[n++] = '(';
	n += (size_t)snprintf(s + n, cap - n, "source.port == 2323");
	for (int i = 1; i < depth; i++)
		s[n++] = ')';
	snprintf(s + n, cap - n, " then drop }");
	return s;
}

static void
test_limits(void **state)
{
	char *s, *big, why[RULES_WHY_MAX];
	size_t n, cap = RULES_FILE_MAX + 2;
	struct rules *r;

	(void)state;
	/* nesting */
	s = nested(RULES_DEPTH_MAX);
	rules_put(load(s));
	free(s);
	s = nested(RULES_DEPTH_MAX + 1);
	load_err(s, CS_E_INVAL,
	         "t.rules:1:47: conditions nested deeper than 32");
	free(s);

	big = xmalloc(cap);
	/* list length */
	n = (size_t)snprintf(big, cap, "rule \"l\" { if source.port in [");
	for (int i = 0; i < RULES_LIST_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "%d,", i);
	snprintf(big + n, cap - n, "] then drop }");
	rules_put(load(big));
	snprintf(big + n, cap - n, "1] then drop }");
	load_err(big, CS_E_INVAL,
	         "t.rules:1:4041: list longer than 1024 "
	         "values");

	/* regex length */
	n = (size_t)snprintf(big, cap, "rule \"r\" { if feed.name =~ /");
	memset(big + n, 'a', RULES_REGEX_MAX);
	snprintf(big + n + RULES_REGEX_MAX, cap - n - RULES_REGEX_MAX,
	         "/ then drop }");
	rules_put(load(big));
	memset(big + n, 'a', RULES_REGEX_MAX + 1);
	snprintf(big + n + RULES_REGEX_MAX + 1, cap - n - RULES_REGEX_MAX - 1,
	         "/ then drop }");
	load_err(big, CS_E_INVAL, "t.rules:1:28: regex longer than 1024 bytes");

	/* names */
	n = (size_t)snprintf(big, cap, "rule \"");
	memset(big + n, 'n', RULES_NAME_MAX);
	snprintf(big + n + RULES_NAME_MAX, cap - n - RULES_NAME_MAX,
	         "\" { then drop }");
	rules_put(load(big));
	memset(big + n, 'n', RULES_NAME_MAX + 1);
	snprintf(big + n + RULES_NAME_MAX + 1, cap - n - RULES_NAME_MAX - 1,
	         "\" { then drop }");
	load_err(big, CS_E_INVAL,
	         "t.rules:1:6: rule name longer than 200 bytes");

	/* actions per rule */
	n = (size_t)snprintf(big, cap, "rule \"a\" { then ");
	for (int i = 0; i < RULES_ACTIONS_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "notify;");
	snprintf(big + n, cap - n, "}");
	rules_put(load(big));
	snprintf(big + n, cap - n, "stop }");
	load_err(big, CS_E_INVAL,
	         "t.rules:1:241: more than 32 actions in one rule");

	/* comparisons per rule */
	n = (size_t)snprintf(big, cap, "rule \"c\" { if exists feed.name");
	for (int i = 1; i < RULES_TERMS_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, " or exists feed.name");
	snprintf(big + n, cap - n, " then drop }");
	rules_put(load(big));
	snprintf(big + n, cap - n, " or missing feed.name then drop }");
	load_err(big, CS_E_INVAL,
	         "t.rules:1:5135: more than 256 comparisons in one rule");

	/* rules per file */
	n = 0;
	for (int i = 0; i < RULES_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n,
		                      "rule \"%d\" { then stop }\n", i);
	assert_int_equal(rules_load_text("t.rules", big, n, &r, why), CS_OK);
	assert_int_equal(rules_count(r), RULES_MAX);
	rules_put(r);
	snprintf(big + n, cap - n, "rule \"more\" { then stop }\n");
	load_err(big, CS_E_INVAL, "t.rules:4097:1: more than 4096 rules");

	/* file size: comments up to the limit load, one byte more does not */
	memset(big, '#', RULES_FILE_MAX);
	assert_int_equal(
	    rules_load_text("t.rules", big, RULES_FILE_MAX, &r, why), CS_OK);
	assert_int_equal(rules_count(r), 0);
	rules_put(r);
	big[RULES_FILE_MAX] = '#';
	assert_int_equal(
	    rules_load_text("t.rules", big, RULES_FILE_MAX + 1, &r, why),
	    CS_E_TOOBIG);
	assert_string_equal(why, "t.rules: rule file larger than 1048576 "
	                         "bytes");
	free(big);
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/test_rules_XXXXXX", why[RULES_WHY_MAX];
	const char text[] = "rule \"f\" { if source.port == 2323 then drop }\n"
	                    "rule \"g\" {\n  if source.port == x then drop }\n";
	struct rules *r = NULL;
	int fd = mkstemp(path);
	char *big;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, 45), 45);
	assert_int_equal(rules_load_file(path, &r, why), CS_OK);
	assert_int_equal(rules_count(r), 1);
	rules_put(r);
	assert_int_equal(write(fd, text + 45, sizeof(text) - 46),
	                 (ssize_t)sizeof(text) - 46);
	r = NULL;
	assert_int_equal(rules_load_file(path, &r, why), CS_E_INVAL);
	assert_null(r);
	{
		char want[RULES_WHY_MAX];

		snprintf(want, sizeof(want),
		         "%s:3:21: source.port: expected a port number "
		         "(0-65535)",
		         path);
		assert_string_equal(why, want);
	}
	big = xcalloc(1, RULES_FILE_MAX + 1);
	memset(big, '\n', RULES_FILE_MAX + 1);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, big, RULES_FILE_MAX, 0), RULES_FILE_MAX);
	assert_int_equal(rules_load_file(path, &r, why), CS_OK);
	rules_put(r);
	assert_int_equal(pwrite(fd, big, 1, RULES_FILE_MAX), 1);
	assert_int_equal(rules_load_file(path, &r, why), CS_E_TOOBIG);
	free(big);
	close(fd);
	unlink(path);
	assert_int_equal(rules_load_file(path, &r, why), CS_E_IO);
	assert_non_null(strstr(why, "No such file"));
	assert_int_equal(rules_load_file("/tmp", &r, why), CS_E_IO);
	assert_string_equal(why, "/tmp: not a regular file");
}

static void
test_reload(void **state)
{
	struct rules_live live;
	struct rules *a, *b, *held, *r = NULL;
	struct rule_outcome o;
	char why[RULES_WHY_MAX];
	const char bad[] = "rule \"b\" { then tag \"b\" }\nrule \"c\" { "
	                   "then tlp purple }";

	(void)state;
	rules_live_init(&live);
	assert_null(rules_live_get(&live));
	a = load("rule \"a\" { then tag \"a\" }");
	rules_live_swap(&live, a);
	/* a reader holds the old set across a swap */
	held = rules_live_get(&live);
	assert_ptr_equal(held, a);
	/* a failed load changes nothing: the running set stays */
	assert_int_equal(
	    rules_load_text("t.rules", bad, sizeof(bad) - 1, &r, why),
	    CS_E_INVAL);
	assert_null(r);
	r = rules_live_get(&live);
	assert_ptr_equal(r, a);
	rules_put(r);
	b = load("rule \"b\" { then tag \"b\" }");
	rules_live_swap(&live, b);
	/* the old set is still valid for its reader (ASan checks this) */
	assert_int_equal(rules_eval(held, ctx, batch, base(), &o), CS_OK);
	assert_string_equal(o.tags[0], "a");
	rules_put(held); /* the last reference: freed here */
	r = rules_live_get(&live);
	assert_ptr_equal(r, b);
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_string_equal(o.tags[0], "b");
	rules_put(r);
	rules_live_cleanup(&live);
}

struct reader {
	struct rules_live *live;
	struct event_batch *b;
	int bad;
	long evals;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct rules_ctx *c = rules_ctx_new();
	struct event *ev;
	char why[EVENT_WHY_MAX];

	for (int i = 0; i < 2000; i++) {
		struct rules *r = rules_live_get(rd->live);
		struct rule_outcome o;

		event_batch_reset(rd->b);
		if (event_from_json(rd->b, base_json, strlen(base_json), &ev,
		                    why) != CS_OK ||
		    rules_eval(r, c, rd->b, ev, &o) != CS_OK)
			rd->bad++;
		/* a set is either the old or the new one, never a mix: both
		 * rules of a set carry the same tag */
		else if (o.n_tags != 1 || o.n_matched != 2)
			rd->bad++;
		rd->evals++;
		rules_put(r);
	}
	rules_ctx_free(c);
	return NULL;
}

static void
test_concurrent_reload(void **state)
{
	struct rules_live live;
	struct reader rd[3];
	pthread_t th[3];
	char text[256];

	(void)state;
	rules_live_init(&live);
	rules_live_swap(&live, load("rule \"1\" { if extra.tag =~ /rdp/i "
	                            "then tag \"v0\" }\nrule \"2\" { then "
	                            "tag \"v0\" }"));
	for (int i = 0; i < 3; i++) {
		rd[i] = (struct reader){&live, event_batch_new(1 << 20), 0, 0};
		assert_int_equal(
		    pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	for (int v = 1; v < 200; v++) {
		snprintf(text, sizeof(text),
		         "rule \"1\" { if extra.tag =~ /rdp/i then tag "
		         "\"v%d\" }\nrule \"2\" { then tag \"v%d\" }",
		         v, v);
		rules_live_swap(&live, load(text));
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(rd[i].bad, 0);
		assert_int_equal(rd[i].evals, 2000);
		event_batch_free(rd[i].b);
	}
	rules_live_cleanup(&live);
}

static void
test_syntax_forms(void **state)
{
	struct rules *r = load(
	    "# comments, blank lines, tabs and CRLF are fine\r\n"
	    "\r\n"
	    "rule \"a\"{if source.port>=1024 and(feed.name==\"x\"or"
	    "\tsource.port!=1)then tag \"t\";}\n"
	    "rule \"esc \\\"q\\\" \\\\\" { then set extra.s = \"a\\tb\\nc\" }"
	    " # trailing comment\n"
	    "rule \"neg\" { if extra.count > -5 and extra.ratio != -0.5 "
	    "then stop }\n");
	struct rule_outcome o;
	struct event *ev = base();

	(void)state;
	assert_int_equal(rules_count(r), 3);
	assert_int_equal(rules_eval(r, ctx, batch, ev, &o), CS_OK);
	assert_int_equal(o.n_matched, 3);
	assert_string_equal(o.matched[1], "esc \"q\" \\");
	assert_string_equal(event_get_extra(ev, "s")->u.s, "a\tb\nc");
	rules_put(r);
	/* an empty file is an empty set */
	r = load("  # nothing\n");
	assert_int_equal(rules_count(r), 0);
	assert_int_equal(rules_eval(r, ctx, batch, base(), &o), CS_OK);
	assert_int_equal(o.n_matched, 0);
	assert_null(o.last_rule);
	rules_put(r);
}

static bool
in_block(const char *p, const char *end, const char *needle)
{
	const char *q = strstr(p, needle);

	return q != NULL && q < end;
}

/* Every example in docs/rules.md loads (the skeleton and the error
 * samples aside), so the analysts' reference cannot drift from the code. */
static void
test_doc_examples(void **state)
{
	const char *src = getenv("CS_SOURCE_DIR");
	char path[4096], why[RULES_WHY_MAX], *doc, *p, *end;
	int examples = 0;
	size_t n;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/rules.md",
	         src != NULL ? src : ".");
	f = fopen(path, "rb");
	assert_non_null(f);
	doc = xcalloc(1, 1 << 20);
	n = fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(n > 0);
	for (p = doc; (p = strstr(p, "\n```\n")) != NULL; p = end + 5) {
		struct rules *r = NULL;

		p += 5;
		end = strstr(p, "\n```\n");
		assert_non_null(end);
		if (!in_block(p, end, "rule \"") ||
		    in_block(p, end, "CONDITION") ||
		    in_block(p, end, "rules.conf:"))
			continue;
		if (rules_load_text("rules.md", p, (size_t)(end - p) + 1, &r,
		                    why) != CS_OK)
			fail_msg("example at offset %ld: %s", (long)(p - doc),
			         why);
		assert_true(rules_count(r) > 0);
		rules_put(r);
		examples++;
	}
	assert_int_equal(examples, 3);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equality),
	    cmocka_unit_test(test_missing_fields),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_numeric),
	    cmocka_unit_test(test_extra_kinds),
	    cmocka_unit_test(test_regex),
	    cmocka_unit_test(test_regex_limit),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_action_values_live_in_batch),
	    cmocka_unit_test(test_set_again_is_free),
	    cmocka_unit_test(test_drop_and_stop),
	    cmocka_unit_test(test_tlp_levels),
	    cmocka_unit_test(test_outcome_limits),
	    cmocka_unit_test(test_eval_at_batch_cap),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_reload),
	    cmocka_unit_test(test_concurrent_reload),
	    cmocka_unit_test(test_syntax_forms),
	    cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
