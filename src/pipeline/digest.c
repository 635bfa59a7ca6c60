/*
 * digest.c - the CSV and the message of an event digest; see digest.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mail/outbound.h"
#include "pipeline/digest.h"

/* The columns a constituent acts on, in this order. */
static const char *const lead[] = {
    "time.source",
    "source.ip",
    "source.port",
    "source.asn",
    "source.fqdn",
    "source.reverse_dns",
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "feed.name",
    "malware.name",
    "protocol.application",
    "protocol.transport",
};
#define NLEAD (sizeof(lead) / sizeof(lead[0]))

/* A growing text in an arena (old copies stay until the arena goes). */
struct text {
	struct arena *a;
	char *p;
	size_t len, cap;
	bool oom;
};

static bool
text_reserve(struct text *t, size_t more)
{
	size_t cap;
	char *np;

	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	cap = t->cap ? t->cap * 2 : 64 * 1024;
	while (cap < t->len + more + 1)
		cap *= 2;
	if ((np = arena_alloc(t->a, cap)) == NULL) {
		t->oom = true;
		return false;
	}
	if (t->len > 0)
		memcpy(np, t->p, t->len);
	t->p = np;
	t->cap = cap;
	return true;
}

static bool
needs_guard(const char *v)
{
	return v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
	       v[0] == '\t' || v[0] == '\r';
}

const char *
digest_cell(struct arena *a, const char *v)
{
	return needs_guard(v) ? arena_printf(a, "'%s", v) : v;
}

/* One quoted field, guarded, and its separator. */
static void
put_field(struct text *t, const char *v, bool last)
{
	size_t n = strlen(v), quotes = 0;

	for (size_t i = 0; i < n; i++)
		quotes += v[i] == '"';
	if (!text_reserve(t, n + quotes + 5))
		return;
	t->p[t->len++] = '"';
	if (needs_guard(v))
		t->p[t->len++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"')
			t->p[t->len++] = '"';
		t->p[t->len++] = v[i];
	}
	t->p[t->len++] = '"';
	if (last) {
		t->p[t->len++] = '\r';
		t->p[t->len++] = '\n';
	} else {
		t->p[t->len++] = ',';
	}
	t->p[t->len] = '\0';
}

/* A JSON value as cell text; *tmp is set when it was allocated. */
static const char *
cell_text(json_t *v, char num[32], char **tmp)
{
	*tmp = NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(num, 32, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return num;
	case JSON_REAL:
		snprintf(num, 32, "%.17g", json_real_value(v));
		return num;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "";
	default:
		*tmp = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		return *tmp ? *tmp : "";
	}
}

static bool
is_lead(const char *k)
{
	for (size_t i = 0; i < NLEAD; i++)
		if (strcmp(lead[i], k) == 0)
			return true;
	return false;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

enum cs_err
digest_csv(struct arena *a, const char *const *lines, size_t n, size_t max,
           char **out, size_t *len_out, size_t *n_out, const char **why)
{
	const char **cols = arena_alloc(a, sizeof(*cols) * DIGEST_COLUMNS_MAX);
	size_t ncols = 0, rows = 0;
	struct text t = {.a = a};
	json_t *ev = NULL;
	enum cs_err err = CS_OK;

	*why = NULL;
	*n_out = 0;
	if (cols == NULL)
		return CS_E_TOOBIG;
	for (size_t i = 0; i < NLEAD; i++)
		cols[ncols++] = lead[i];
	/* the other fields, over every event */
	for (size_t i = 0; i < n; i++) {
		const char *k;
		json_t *v;

		if ((ev = json_loads(lines[i], 0, NULL)) == NULL ||
		    !json_is_object(ev)) {
			*why = "an event is not a JSON object";
			err = CS_E_INVAL;
			goto out;
		}
		json_object_foreach(ev, k, v)
		{
			bool seen = strcmp(k, "__type") == 0 || is_lead(k);

			(void)v;
			for (size_t c = NLEAD; !seen && c < ncols; c++)
				seen = strcmp(cols[c], k) == 0;
			if (seen)
				continue;
			if (ncols == DIGEST_COLUMNS_MAX) {
				*why = "the events have too many fields";
				err = CS_E_TOOBIG;
				goto out;
			}
			if ((cols[ncols++] = arena_strdup(a, k)) == NULL) {
				err = CS_E_TOOBIG;
				goto out;
			}
		}
		json_decref(ev);
		ev = NULL;
	}
	qsort(cols + NLEAD, ncols - NLEAD, sizeof(*cols), cmp_str);
	for (size_t c = 0; c < ncols; c++)
		put_field(&t, cols[c], c + 1 == ncols);
	for (size_t i = 0; i < n && !t.oom; i++) {
		size_t before = t.len;

		if ((ev = json_loads(lines[i], 0, NULL)) == NULL) {
			err = CS_E_INVAL;
			goto out;
		}
		for (size_t c = 0; c < ncols; c++) {
			json_t *v = json_object_get(ev, cols[c]);
			char num[32], *tmp;
			const char *s = v ? cell_text(v, num, &tmp) : "";

			if (v == NULL)
				tmp = NULL;
			put_field(&t, s, c + 1 == ncols);
			free(tmp);
		}
		json_decref(ev);
		ev = NULL;
		if (t.oom)
			break;
		if (t.len > max) {
			t.len = before; /* this row goes in the next digest */
			t.p[t.len] = '\0';
			break;
		}
		rows++;
	}
	if (t.oom) {
		err = CS_E_TOOBIG;
		goto out;
	}
	*out = t.p;
	*len_out = t.len;
	*n_out = rows;
out:
	json_decref(ev);
	return err;
}

bool
digest_tlp_allowed(const char *tlp, bool encrypted, bool amber_unencrypted)
{
	if (tlp == NULL || strcmp(tlp, "red") == 0)
		return false;
	if (strcmp(tlp, "clear") == 0 || strcmp(tlp, "green") == 0)
		return true;
	return encrypted || amber_unencrypted; /* amber, amber+strict */
}

/* A file name part: letters, digits, '.', '_' and '-' kept, anything
 * else '_'. */
static char *
name_part(struct arena *a, const char *s)
{
	char *o = arena_strdup(a, s ? s : "");

	for (char *p = o; p != NULL && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			*p = '_';
	return o;
}

enum cs_err
digest_compose(struct arena *a, const struct digest_in *in,
               struct digest_out *out, const char **why)
{
	const char **lines;
	const char *subject, *body, *count, *org, *code, *feed;
	size_t n = 0, fitted;
	char stamp[32];
	struct tm tm;
	time_t now = (time_t)in->now;
	enum cs_err err;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	if ((lines = arena_alloc(a, sizeof(*lines) * (in->n + 1))) == NULL)
		return CS_E_TOOBIG;
	for (size_t i = 0; i < in->n; i++) {
		if (!digest_tlp_allowed(in->events[i].tlp, in->encrypted,
		                        in->amber_unencrypted))
			continue;
		if (n == 0)
			out->first_event = in->events[i].id;
		out->last_event = in->events[i].id;
		lines[n++] = in->events[i].data;
	}
	if (n == 0)
		return CS_OK;
	err = digest_csv(a, lines, n, SIZE_MAX, &out->csv, &out->csv_len,
	                 &fitted, why);
	if (err != CS_OK)
		return err;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%MZ", &tm);
	code = name_part(a, in->team_code);
	org = name_part(a, in->org_short);
	feed = name_part(a, in->feed);
	count = arena_printf(a, "%zu", n);
	if (code == NULL || org == NULL || feed == NULL || count == NULL ||
	    (out->filename = arena_printf(a, "%s-%s-%s-%s.csv", code, org, feed,
	                                  stamp)) == NULL)
		return CS_E_TOOBIG;
	{
		const char *vars[] = {
		    "team",       in->team_name,
		    "team_email", in->team_email,
		    "code",       in->team_code,
		    "org",        in->org_short,
		    "org_name",   in->org_name,
		    "feed",       in->feed,
		    "count",      count,
		    "filename",   out->filename,
		    "contact",    in->contact ? in->contact : ""};
		size_t nv = sizeof(vars) / sizeof(vars[0]) / 2;

		subject = outbound_template(a, in->language, "digest.subject",
		                            vars, nv);
		body =
		    outbound_template(a, in->language, "digest.body", vars, nv);
		if (subject == NULL || body == NULL) {
			*why = "the digest template is missing";
			return CS_E_INTERNAL;
		}
		if (in->test) {
			const char *note = outbound_template(
			    a, in->language, "digest.test_note", vars, nv);

			if (note == NULL) {
				*why = "the digest template is missing";
				return CS_E_INTERNAL;
			}
			subject = arena_printf(a, "[TEST] %s", subject);
			body = arena_printf(a, "%s\n\n%s", note, body);
		}
	}
	if (subject == NULL || body == NULL)
		return CS_E_TOOBIG;
	out->subject = subject;
	out->text = body;
	out->events = n;
	return CS_OK;
}
