/*
 * shadowserver.c - the schema-driven Shadowserver report parser.
 *
 * Hot loop (ss_parse.c): the framing decodes each field once into one
 * record buffer; at the end of a record each mapping of the report runs
 * its converter on a (pointer, length) view and sets the event field or
 * extra pair, through a plan resolved once per header. Strings go to the
 * batch arena (interned), so a record costs no malloc; the arena is reset
 * every SS_BATCH_EVENTS events.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "pipeline/shadowserver.h"
#include "pipeline/ss_internal.h"

static const char *const conv_names[] = {
    [SC_NONE] = "",
    [SC_ADD_UTC_TO_TIMESTAMP] = "add_UTC_to_timestamp",
    [SC_CONVERT_BOOL] = "convert_bool",
    [SC_VALIDATE_TO_NONE] = "validate_to_none",
    [SC_CONVERT_INT] = "convert_int",
    [SC_CONVERT_FLOAT] = "convert_float",
    [SC_CONVERT_HTTP_HOST_AND_URL] = "convert_http_host_and_url",
    [SC_INVALIDATE_ZERO] = "invalidate_zero",
    [SC_VALIDATE_IP] = "validate_ip",
    [SC_VALIDATE_NETWORK] = "validate_network",
    [SC_VALIDATE_FQDN] = "validate_fqdn",
    [SC_CONVERT_DATE] = "convert_date",
    [SC_CONVERT_DATE_UTC] = "convert_date_utc",
    [SC_FORCE_BASE64] = "force_base64",
    [SC_SCAN_EXCHANGE_TAXONOMY] = "scan_exchange_taxonomy",
    [SC_SCAN_EXCHANGE_TYPE] = "scan_exchange_type",
    [SC_SCAN_EXCHANGE_IDENTIFIER] = "scan_exchange_identifier",
    [SC_CATEGORY_OR_DETAIL] = "category_or_detail",
    [SC_EXTRACT_CVE_FROM_TAG] = "extract_cve_from_tag",
};

bool
ss_conv_lookup(const char *name, enum ss_conv *out)
{
	for (size_t i = 1; i < sizeof(conv_names) / sizeof(conv_names[0]); i++)
		if (strcmp(conv_names[i], name) == 0) {
			*out = (enum ss_conv)i;
			return true;
		}
	return false;
}

const char *
ss_conv_name(enum ss_conv c)
{
	return c == SC_NONE ? "(none)" : conv_names[c];
}

/* ---- schema ---------------------------------------------------------- */

static enum cs_err
oom(char *why)
{
	snprintf(why, SS_WHY_MAX, "schema too large");
	return CS_E_TOOBIG;
}

/* An IntelMQ key: a field we model, extra.<x>, or (like IntelMQ's
 * InvalidKey) any other name, kept as extra.<name>. */
static enum cs_err
resolve_key(struct arena *a, const char *key, const char *column,
            enum target *t, enum event_field *f, const char **xk, char *why)
{
	if (strcmp(key, "extra.") == 0) {
		*t = T_EXTRA;
		*xk = arena_strdup(a, column);
	} else if (event_field_lookup(key, f)) {
		*t = T_FIELD;
		return CS_OK;
	} else if (strncmp(key, "extra.", 6) == 0) {
		*t = T_EXTRA;
		*xk = arena_strdup(a, key + 6);
	} else {
		*t = T_EXTRA;
		*xk = arena_strdup(a, key);
	}
	return *xk == NULL ? oom(why) : CS_OK;
}

static enum cs_err
load_mappings(struct arena *a, const char *report, json_t *list,
              struct mapping **out, size_t *n_out, char *why)
{
	size_t n, i;
	json_t *item;
	struct mapping *m;
	enum cs_err err;

	if (!json_is_array(list)) {
		snprintf(why, SS_WHY_MAX, "report %s: field list missing",
		         report);
		return CS_E_INVAL;
	}
	n = json_array_size(list);
	if ((m = arena_alloc(a, (n ? n : 1) * sizeof(*m))) == NULL)
		return oom(why);
	json_array_foreach(list, i, item)
	{
		json_t *key = json_array_get(item, 0),
		       *col = json_array_get(item, 1),
		       *conv = json_array_get(item, 2),
		       *whole = json_array_get(item, 3);

		memset(&m[i], 0, sizeof(m[i]));
		if (!json_is_array(item) || json_array_size(item) < 2 ||
		    json_array_size(item) > 4 || !json_is_string(col) ||
		    !(json_is_string(key) || json_is_false(key)) ||
		    !(conv == NULL || json_is_string(conv) ||
		      json_is_null(conv)) ||
		    !(whole == NULL || json_is_boolean(whole))) {
			snprintf(why, SS_WHY_MAX,
			         "report %s: field entry %zu is not [field, "
			         "column, converter?, whole_row?]",
			         report, i);
			return CS_E_INVAL;
		}
		if ((m[i].column = arena_strdup(a, json_string_value(col))) ==
		    NULL)
			return oom(why);
		if (json_is_false(key))
			m[i].target = T_IGNORE;
		else if ((err = resolve_key(a, json_string_value(key),
		                            m[i].column, &m[i].target,
		                            &m[i].field, &m[i].extra_key,
		                            why)) != CS_OK)
			return err;
		if (json_is_string(conv) &&
		    !ss_conv_lookup(json_string_value(conv), &m[i].conv)) {
			snprintf(why, SS_WHY_MAX,
			         "report %s: field %s (column %s): unknown "
			         "converter %.60s",
			         report,
			         json_is_string(key) ? json_string_value(key)
			                             : "false",
			         m[i].column, json_string_value(conv));
			return CS_E_INVAL;
		}
		m[i].whole_row = json_is_true(whole);
	}
	*out = m;
	*n_out = n;
	return CS_OK;
}

static enum cs_err
load_report(struct arena *a, struct event_batch *scratch, const char *name,
            json_t *o, struct ss_report *r, char *why)
{
	json_t *fn = json_object_get(o, "file_name"),
	       *feed = json_object_get(o, "feed_name"),
	       *url = json_object_get(o, "url"),
	       *consts = json_object_get(o, "constant_fields"), *v;
	const char *key;
	enum cs_err err;
	char fwhy[EVENT_WHY_MAX];
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || !json_is_string(fn) ||
	    !json_is_string(feed) || !(url == NULL || json_is_string(url)) ||
	    !(consts == NULL || json_is_object(consts))) {
		snprintf(why, SS_WHY_MAX,
		         "report %s: needs file_name and feed_name strings",
		         name);
		return CS_E_INVAL;
	}
	if ((r->name = arena_strdup(a, name)) == NULL ||
	    (r->file_name = arena_strdup(a, json_string_value(fn))) == NULL ||
	    (r->feed_name = arena_strdup(a, json_string_value(feed))) == NULL ||
	    (url != NULL &&
	     (r->url = arena_strdup(a, json_string_value(url))) == NULL))
		return oom(why);
	if ((err = load_mappings(a, name, json_object_get(o, "required_fields"),
	                         &r->req, &r->n_req, why)) != CS_OK ||
	    (err = load_mappings(a, name, json_object_get(o, "optional_fields"),
	                         &r->opt, &r->n_opt, why)) != CS_OK)
		return err;
	for (i = 0; i < r->n_req; i++)
		if (r->req[i].target == T_IGNORE) {
			snprintf(why, SS_WHY_MAX,
			         "report %s: required column %s is ignored",
			         name, r->req[i].column);
			return CS_E_INVAL;
		}
	r->n_const = consts ? json_object_size(consts) : 0;
	r->consts = arena_alloc(a, (r->n_const + 1) * sizeof(*r->consts));
	if (r->consts == NULL)
		return oom(why);
	i = 0;
	if (consts != NULL)
		json_object_foreach(consts, key, v)
		{
			struct constant *c = &r->consts[i++];

			if (!json_is_string(v)) {
				snprintf(why, SS_WHY_MAX,
				         "report %s: constant %s is not a "
				         "string",
				         name, key);
				return CS_E_INVAL;
			}
			if ((c->value =
			         arena_strdup(a, json_string_value(v))) == NULL)
				return oom(why);
			if ((err =
			         resolve_key(a, key, key, &c->target, &c->field,
			                     &c->extra_key, why)) != CS_OK)
				return err;
			if (c->target == T_FIELD) {
				/* validate once, with a scratch event */
				struct event *ev;

				event_batch_reset(scratch);
				err = event_new(scratch, &ev);
				if (err == CS_OK)
					err = event_set_text(
					    scratch, ev, c->field, c->value,
					    strlen(c->value), fwhy);
				if (err != CS_OK) {
					snprintf(why, SS_WHY_MAX,
					         "report %s: constant %s", name,
					         fwhy);
					return CS_E_INVAL;
				}
			}
		}
	return CS_OK;
}

enum cs_err
ss_schema_load_text(const char *text, size_t n, struct ss_schema **out,
                    char why[SS_WHY_MAX])
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	struct ss_schema *s = NULL;
	struct event_batch *scratch = event_batch_new(1 << 16);
	enum cs_err err = CS_OK;

	root = json_loadb(text, n, 0, &jerr);
	if (!json_is_object(root)) {
		snprintf(why, SS_WHY_MAX, "schema is not a JSON object: %s",
		         root ? "other value" : jerr.text);
		err = CS_E_INVAL;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	s->arena = arena_new(64 * 1024 * 1024);
	s->reports = arena_alloc(s->arena, (json_object_size(root) + 1) *
	                                       sizeof(*s->reports));
	if (s->reports == NULL) {
		err = oom(why);
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		if (key[0] == '_') /* _meta */
			continue;
		if ((err = load_report(s->arena, scratch, key, v,
		                       &s->reports[s->n], why)) != CS_OK)
			goto out;
		s->n++;
	}
	if (s->n == 0) {
		snprintf(why, SS_WHY_MAX, "schema has no reports");
		err = CS_E_INVAL;
	}
out:
	json_decref(root);
	event_batch_free(scratch);
	if (err != CS_OK) {
		ss_schema_free(s);
		s = NULL;
	}
	*out = s;
	return err;
}

enum cs_err
ss_schema_load(const char *path, struct ss_schema **out, char why[SS_WHY_MAX])
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;
	enum cs_err err;

	*out = NULL;
	if (f == NULL) {
		snprintf(why, SS_WHY_MAX, "%s: %s", path, strerror(errno));
		return CS_E_IO;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > 64L * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(why, SS_WHY_MAX, "%s: unreadable or over 64 MiB",
		         path);
		fclose(f);
		return CS_E_IO;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL)
		abort();
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		snprintf(why, SS_WHY_MAX, "%s: read error", path);
		err = CS_E_IO;
	} else {
		err = ss_schema_load_text(buf, (size_t)len, out, why);
	}
	free(buf);
	fclose(f);
	return err;
}

void
ss_schema_free(struct ss_schema *s)
{
	if (s == NULL)
		return;
	arena_free(s->arena);
	free(s);
}

size_t
ss_schema_count(const struct ss_schema *s)
{
	return s->n;
}

const struct ss_report *
ss_schema_at(const struct ss_schema *s, size_t i)
{
	return i < s->n ? &s->reports[i] : NULL;
}

const struct ss_report *
ss_report_find(const struct ss_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->reports[i].name, name) == 0 ||
		    strcmp(s->reports[i].file_name, name) == 0 ||
		    strcmp(s->reports[i].feed_name, name) == 0)
			return &s->reports[i];
	return NULL;
}

static bool
is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

const struct ss_report *
ss_detect(const struct ss_schema *s, const char *file_name)
{
	const char *base = strrchr(file_name, '/'), *p, *end;
	size_t n, wl;

	base = base ? base + 1 : file_name;
	n = strlen(base);
	if (n < 5 || strcmp(base + n - 4, ".csv") != 0)
		return NULL;
	end = base + n - 4;
	p = base;
	/* the optional date prefix: greedy, as the regex tries it first */
	if (end - p > 11 && isdigit((unsigned char)p[0]) &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    isdigit((unsigned char)p[3]) && p[4] == '-' &&
	    isdigit((unsigned char)p[5]) && isdigit((unsigned char)p[6]) &&
	    p[7] == '-' && isdigit((unsigned char)p[8]) &&
	    isdigit((unsigned char)p[9]) && p[10] == '-' && is_word(p[11]))
		p += 11;
	/* (\w+) then (-\w+)*: group 1 ends at the first '-' */
	for (wl = 0; p + wl < end && is_word(p[wl]); wl++)
		;
	if (wl == 0)
		return NULL;
	for (const char *q = p + wl; q < end;) {
		if (*q != '-' || q + 1 >= end || !is_word(q[1]))
			return NULL;
		for (q++; q < end && is_word(*q); q++)
			;
	}
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->reports[i].file_name) == wl &&
		    memcmp(s->reports[i].file_name, p, wl) == 0)
			return &s->reports[i];
	return NULL;
}

const char *
ss_report_name(const struct ss_report *r)
{
	return r->name;
}

const char *
ss_report_feed(const struct ss_report *r)
{
	return r->feed_name;
}

const char *
ss_report_url(const struct ss_report *r)
{
	return r->url;
}

const char *
ss_report_constant(const struct ss_report *r, enum event_field f)
{
	for (size_t i = 0; i < r->n_const; i++)
		if (r->consts[i].target == T_FIELD && r->consts[i].field == f)
			return r->consts[i].value;
	return NULL;
}

const char *
ss_report_required(const struct ss_report *r, size_t i)
{
	return i < r->n_req ? r->req[i].column : NULL;
}
