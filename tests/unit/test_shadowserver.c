/*
 * test_shadowserver.c - the schema-driven parser on the real vendor schema
 * (CS_SHARED_DIR/data/shadowserver): every report, converters, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "pipeline/shadowserver.h"

static struct ss_schema *schema;
static json_t *reports;

struct got {
	size_t events, malformed, last_line;
	char last_reason[SS_WHY_MAX];
	char json[16384];
};

static void
on_event(struct event *ev, struct event_batch *b, void *ctx)
{
	struct got *g = ctx;
	size_t n;
	json_t *o;
	char *dumped;

	(void)b;
	g->events++;
	assert_int_equal(event_to_text(ev, g->json, sizeof(g->json), &n),
	                 CS_OK);
	/* the direct writer and jansson agree byte for byte */
	assert_non_null(o = event_to_json(ev));
	assert_non_null(dumped =
	                    json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER));
	assert_string_equal(g->json, dumped);
	free(dumped);
	json_decref(o);
}

static void
on_bad(size_t line, const char *reason, void *ctx)
{
	struct got *g = ctx;

	g->malformed++;
	g->last_line = line;
	snprintf(g->last_reason, sizeof(g->last_reason), "%s", reason);
}

static enum cs_err
parse(const char *report, const char *csv, struct got *g)
{
	struct ss_sink sink = {on_event, on_bad, NULL, g};
	const struct ss_report *r = ss_report_find(schema, report);
	char why[SS_WHY_MAX];
	enum cs_err err;

	assert_non_null(r);
	memset(g, 0, sizeof(*g));
	err = ss_parse_buf(r, csv, strlen(csv), 0, &sink, NULL, why);
	if (err != CS_OK)
		snprintf(g->last_reason, sizeof(g->last_reason), "%s", why);
	return err;
}

static const char *
value_for(const char *col)
{
	static const struct {
		const char *col, *val;
	} v[] = {
	    {"timestamp", "2024-01-01 00:00:00"},
	    {"ip", "192.0.2.10"},
	    {"src_ip", "192.0.2.11"},
	    {"dst_ip", "198.51.100.7"},
	    {"port", "443"},
	    {"src_port", "51234"},
	    {"dst_port", "80"},
	    {"asn", "64500"},
	    {"src_asn", "64500"},
	    {"dst_asn", "64501"},
	    {"geo", "AT"},
	    {"src_geo", "AT"},
	    {"dst_geo", "DE"},
	    {"hostname", "host.example.net"},
	    {"tag", "http;cve-2021-44228"},
	    {"network", "192.0.2.0/24"},
	    {"protocol", "tcp"},
	    {"severity", "high"},
	    {"naics", "517311"},
	    {"url", "/index.html"},
	    {"http_url", "/index.html"},
	    {"http_host", "www.example.net"},
	    {"application", "http"},
	    {"category", "phishing"},
	    {"md5", "d41d8cd98f00b204e9800998ecf8427e"},
	    {"sha256",
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	     "7852b855"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(v[i].col, col) == 0)
			return v[i].val;
	return "1";
}

static void
test_every_report(void **state)
{
	const char *name;
	json_t *rep;
	size_t checked = 0;

	(void)state;
	json_object_foreach(reports, name, rep)
	{
		json_t *cols = json_object_get(rep, "fields"), *c;
		char csv[16384], row[16384];
		size_t i, hl = 0, rl = 0;
		struct got g;
		const struct ss_report *r = ss_report_find(schema, name);
		static const enum event_field cls[] = {
		    EF_CLASS_TAXONOMY, EF_CLASS_TYPE, EF_CLASS_IDENTIFIER};

		assert_non_null(r);
		json_array_foreach(cols, i, c)
		{
			const char *col = json_string_value(c);

			hl += (size_t)snprintf(csv + hl, sizeof(csv) - hl,
			                       "%s%s", i ? "," : "", col);
			rl += (size_t)snprintf(row + rl, sizeof(row) - rl,
			                       "%s\"%s\"", i ? "," : "",
			                       value_for(col));
		}
		snprintf(csv + hl, sizeof(csv) - hl, "\n%s\n", row);
		if (parse(name, csv, &g) != CS_OK || g.events != 1)
			fail_msg("report %s: %zu events, %s", name, g.events,
			         g.last_reason);
		assert_non_null(strstr(g.json, "\"time.source\":\"2024-01-01T"
		                               "00:00:00+00:00\""));
		for (i = 0; i < 3; i++) {
			const char *v = ss_report_constant(r, cls[i]);
			char want[256];

			if (v == NULL)
				continue;
			snprintf(want, sizeof(want), "\"%s\":\"%s\"",
			         event_field_name(cls[i]), v);
			if (strstr(g.json, want) == NULL)
				fail_msg("report %s: %s missing in %s", name,
				         want, g.json);
		}
		checked++;
	}
	assert_int_equal(checked, ss_schema_count(schema));
}

static const char http_hdr[] =
    "timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,city,"
    "naics,hostname_source,sector,http,http_code,http_reason,content_type,"
    "connection,www_authenticate,set_cookie,server,content_length,"
    "transfer_encoding,http_date,version\n";

static void
test_bad_row_among_good(void **state)
{
	char csv[4096];
	struct got g;

	(void)state;
	snprintf(csv, sizeof(csv),
	         "%s"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.1\",\"tcp\",80"
	         ",,,0,,,,,,,,,,,,,,,,,,\n"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.2\",\"tcp\",eighty"
	         ",,,,,,,,,,,,,,,,,,,,,\n"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.3\",\"tcp\",80,\"a,b\n"
	         "c\",,,,,,,,,,,,,,,,,,,,\n"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.4\"\n"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.5\",\"tcp\",81"
	         ",,,,,,,,,,,,,,,,,,,,,\"\xff\"\n"
	         "\"2024-01-01 00:00:00\",,\"192.0.2.6\",\"tcp\",82"
	         ",,,,,,,,,,,,,,,,,,,,,\n",
	         http_hdr);
	assert_int_equal(parse("scan_http", csv, &g), CS_OK);
	assert_int_equal(g.events, 3);
	assert_int_equal(g.malformed, 3);
	assert_int_equal(g.last_line, 7);
	assert_non_null(strstr(g.last_reason, "UTF-8"));
	/* the quoted hostname with a comma and a newline went to extra */
	assert_non_null(strstr(g.json, "192.0.2.6"));
}

static void
test_missing_required_column(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(parse("scan_http",
	                       "timestamp,ip\n\"2024-01-01 "
	                       "00:00:00\",\"192.0.2.1\"\n",
	                       &g),
	                 CS_E_INVAL);
	assert_non_null(strstr(g.last_reason, "port"));
	assert_int_equal(g.events, 0);
}

static void
test_converters(void **state)
{
	char csv[4096];
	struct got g;

	(void)state;
	/* invalidate_zero drops asn 0; invalid cc stays in extra.geo;
	 * convert_date on an HTTP date; extract_cve_from_tag sorts */
	snprintf(csv, sizeof(csv),
	         "%s\"2024-01-01 00:00:00\",\"unknown\",\"0.0.0.0\",\"TCP\",8"
	         "0,\"Host.Example.NET.\",\"http;cve-2021-2;cve-2020-1;cve-2"
	         "020-1\",0,\"AUT\",,,0,,,,200,,,,,,,,,\"Thu, 19 Apr 2018 "
	         "00:02:28 GMT\",\n",
	         http_hdr);
	assert_int_equal(parse("scan_http", csv, &g), CS_OK);
	assert_int_equal(g.events, 1);
	assert_null(strstr(g.json, "source.asn"));
	assert_null(strstr(g.json, "extra.severity"));
	assert_null(strstr(g.json, "\"source.ip\""));
	assert_non_null(strstr(g.json, "\"extra.ip\":\"0.0.0.0\""));
	assert_non_null(strstr(g.json, "\"extra.geo\":\"AUT\""));
	assert_non_null(strstr(g.json, "\"protocol.transport\":\"tcp\""));
	assert_non_null(strstr(g.json, "\"source.reverse_dns\":\"host."
	                               "example.net\""));
	assert_non_null(strstr(g.json, "\"extra.product.vulnerabilities\":"
	                               "\"cve-2020-1;cve-2021-2\""));
	assert_non_null(strstr(g.json, "\"extra.http_code\":200"));
	assert_non_null(strstr(g.json, "\"extra.http_date\":\"2018-04-19T00:"
	                               "02:28+00:00\""));
}

static void
test_whole_row_converters(void **state)
{
	struct got g;
	const struct ss_report *r = ss_report_find(schema, "scan_exchange");

	(void)state;
	assert_non_null(r);
	assert_int_equal(
	    parse(
	        "compromised_website",
	        "timestamp,ip,port,url,http_host,application,category,detail\n"
	        "\"2024-01-01 00:00:00\",\"192.0.2.1\",443,\"GET /x/y?z "
	        "HTTP/1.1\",\"www.example.net\",\"https\",,\"defaced\"\n",
	        &g),
	    CS_OK);
	assert_int_equal(g.events, 1);
	assert_non_null(strstr(g.json, "\"source.url\":\"https://www.example."
	                               "net/x/y?z\""));
	assert_non_null(
	    strstr(g.json, "\"event_description.text\":\"defaced\""));
	assert_int_equal(parse("scan_exchange",
	                       "timestamp,ip,port,tag\n\"2024-01-01 "
	                       "00:00:00\",\"192.0.2.1\",443,"
	                       "\"exchange;webshell\"\n",
	                       &g),
	                 CS_OK);
	assert_non_null(strstr(g.json, "\"classification.identifier\":"
	                               "\"exchange-server-webshell\""));
	assert_non_null(
	    strstr(g.json, "\"classification.taxonomy\":\"intrusions\""));
}

static void
test_detect(void **state)
{
	const struct ss_report *r;

	(void)state;
	r = ss_detect(schema, "2024-01-01-scan_http-country-geo.csv");
	assert_non_null(r);
	assert_string_equal(ss_report_name(r), "scan_http");
	r = ss_detect(schema, "/tmp/2024-01-01-scan_http_proxy-x.csv");
	assert_string_equal(ss_report_name(r), "scan_http_proxy");
	r = ss_detect(schema, "scan6_http.csv");
	assert_string_equal(ss_report_name(r), "scan6_http");
	assert_null(ss_detect(schema, "2024-01-01-scan_http-.csv"));
	assert_null(ss_detect(schema, "scan_http.txt"));
	assert_null(ss_detect(schema, "2024-01-01-nosuch-geo.csv"));
}

static void
test_unknown_converter(void **state)
{
	static const char bad[] =
	    "{\"r\":{\"feed_name\":\"F\",\"file_name\":\"r\","
	    "\"required_fields\":[[\"source.ip\",\"ip\",\"new_conv\"]],"
	    "\"optional_fields\":[],\"constant_fields\":{}}}";
	struct ss_schema *s;
	char why[SS_WHY_MAX];

	(void)state;
	assert_int_equal(ss_schema_load_text(bad, strlen(bad), &s, why),
	                 CS_E_INVAL);
	assert_non_null(strstr(why, "report r"));
	assert_non_null(strstr(why, "source.ip"));
	assert_non_null(strstr(why, "new_conv"));
}

static int
setup(void **state)
{
	const char *dir = getenv("CS_SHARED_DIR");
	char path[4096], why[SS_WHY_MAX];
	json_error_t jerr;

	(void)state;
	if (dir == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/data/shadowserver/intelmq.json", dir);
	if (ss_schema_load(path, &schema, why) != CS_OK) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/data/shadowserver/reports.json", dir);
	reports = json_load_file(path, 0, &jerr);
	return reports == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ss_schema_free(schema);
	json_decref(reports);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_report),
	    cmocka_unit_test(test_bad_row_among_good),
	    cmocka_unit_test(test_missing_required_column),
	    cmocka_unit_test(test_converters),
	    cmocka_unit_test(test_whole_row_converters),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_unknown_converter),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
