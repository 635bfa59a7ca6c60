#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "core/clock.h"
#include "core/secret.h"
#include "core/reports.h"
#include "http/api_util.h"
#include "http/auth.h"

json_t *
json_time(int64_t t)
{
	char buf[CLOCK_RFC3339_MAX];

	if (t == 0)
		return json_null();
	clock_fmt(t, buf);
	return json_string(buf);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
user_json(const struct user *u)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:b,s:o,s:o,s:o}", "id",
	                 (json_int_t)u->id, "login", u->login, "name",
	                 u->name ? u->name : "", "email",
	                 u->email ? u->email : "", "role", role_name(u->role),
	                 "org", str_or_null(u->org), "disabled", u->disabled,
	                 "created_at", json_time(u->created_at), "updated_at",
	                 json_time(u->updated_at), "last_login_at",
	                 json_time(u->last_login_at));
}

json_t *
token_json(const struct token *t)
{
	return json_pack(
	    "{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)t->id,
	    "name", t->name, "user", t->user_login, "prefix", t->prefix,
	    "created_at", json_time(t->created_at), "expires_at",
	    json_time(t->expires_at), "last_used_at",
	    json_time(t->last_used_at), "revoked_at", json_time(t->revoked_at));
}

json_t *
audit_json(const struct audit_row *r)
{
	json_t *detail = json_loads(r->detail ? r->detail : "{}", 0, NULL);

	if (detail == NULL)
		detail = json_string(r->detail ? r->detail : "");
	return json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "seq",
	                 (json_int_t)r->seq, "at", json_time(r->at), "actor",
	                 r->actor, "action", r->action, "object_type",
	                 r->object_type, "object_id", r->object_id, "detail",
	                 detail, "prev_hash", r->prev_hash, "hash", r->hash);
}

json_t *
job_json(const struct job *j)
{
	json_t *payload = json_loads(j->payload ? j->payload : "{}", 0, NULL);

	if (payload == NULL)
		payload = json_object();
	return json_pack("{s:I,s:s,s:s,s:o,s:i,s:i,s:o,s:o,s:o,s:o}", "id",
	                 (json_int_t)j->id, "kind", j->kind, "state",
	                 job_state_name(j->state), "payload", payload,
	                 "attempts", j->attempts, "max_attempts",
	                 j->max_attempts, "run_after", json_time(j->run_after),
	                 "last_error", str_or_null(j->last_error), "created_at",
	                 json_time(j->created_at), "finished_at",
	                 json_time(j->finished_at));
}

bool
page_from_query(struct request *req, struct page *p)
{
	const char *limit = req_query(req, "limit");
	const char *cursor = req_query(req, "cursor");

	memset(p, 0, sizeof(*p));
	p->limit = PAGE_DEFAULT;
	if (limit != NULL) {
		char *end;
		long v;

		errno = 0;
		v = strtol(limit, &end, 10);
		if (errno != 0 || *end != '\0' || end == limit || v < 1 ||
		    v > PAGE_MAX) {
			reply_problem(req, 400, "limit must be 1 to 500");
			return false;
		}
		p->limit = (int)v;
	}
	if (cursor != NULL && cursor[0] != '\0') {
		unsigned char raw[32];
		size_t n;
		char text[33], *end;
		long long v;

		if (!b64url_decode(cursor, raw, sizeof(raw) - 1, &n) || n < 3 ||
		    (raw[0] != 'k' && raw[0] != 's') || raw[1] != ':')
			goto bad;
		memcpy(text, raw + 2, n - 2);
		text[n - 2] = '\0';
		errno = 0;
		v = strtoll(text, &end, 10);
		if (raw[0] == 's') {
			/* "s:<sort key>:<id>" */
			if (errno != 0 || *end != ':' || end == text)
				goto bad;
			p->after_key = v;
			p->keyed = true;
			v = strtoll(end + 1, &end, 10);
		}
		if (errno != 0 || *end != '\0' || v < 0)
			goto bad;
		p->after = v;
	}
	p->limit++;
	return true;
bad:
	reply_problem(req, 400, "cursor is not one this server gave out");
	return false;
}

void
cursor_encode(const struct page *p, int64_t last_key, char *out)
{
	char raw[48];
	int len =
	    p->keyed
	        ? snprintf(raw, sizeof(raw), "s:%lld:%lld",
	                   (long long)p->next_key, (long long)last_key)
	        : snprintf(raw, sizeof(raw), "k:%lld", (long long)last_key);

	b64url_encode((const unsigned char *)raw, (size_t)len, out);
}

void
reply_page(struct request *req, json_t *items, size_t n, const struct page *p,
           int64_t last_key)
{
	json_t *next = json_null();

	if (n >= (size_t)p->limit) {
		char enc[64];

		cursor_encode(p, last_key, enc);
		json_decref(next);
		next = json_string(enc);
		json_array_remove(items, json_array_size(items) - 1);
	}
	reply_json(req, 200,
	           json_pack("{s:o,s:o}", "items", items, "next_cursor", next));
}

bool
fields_known(json_t *obj, const char *const *known, struct verrs *ve)
{
	const char *key;
	json_t *v;
	bool ok = true;

	json_object_foreach(obj, key, v)
	{
		bool found = false;

		(void)v;
		for (size_t i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				found = true;
		if (!found) {
			/* key lives as long as obj */
			verr_add(ve, key, "is not a known field");
			ok = false;
		}
	}
	return ok;
}

const char *
field_str(json_t *obj, const char *name, bool required, size_t max,
          struct verrs *ve)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v)) {
		if (required)
			verr_add(ve, name, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		verr_add(ve, name, "must be a string");
		return NULL;
	}
	if (json_string_length(v) > max) {
		verr_add(ve, name, "is too long");
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		verr_add(ve, name, "must not contain NUL characters");
		return NULL;
	}
	return json_string_value(v);
}

int
field_bool(json_t *obj, const char *name, struct verrs *ve)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return -1;
	if (!json_is_boolean(v)) {
		verr_add(ve, name, "must be true or false");
		return -1;
	}
	return json_is_true(v);
}

int64_t
field_int(json_t *obj, const char *name, int64_t min, int64_t max, int64_t def,
          struct verrs *ve)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v))
		return def;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		verr_add(ve, name, "must be an integer in the allowed range");
		return def;
	}
	return json_integer_value(v);
}

const char *
etag_of(struct request *req, int64_t version)
{
	const char *e = arena_printf(req->a, "\"v%lld\"", (long long)version);

	return e ? e : "\"\"";
}

int64_t
if_match_version(struct request *req)
{
	const char *h = req_header(req, "If-Match");
	const char *p;

	if (h == NULL)
		return 0;
	while (*h == ' ')
		h++;
	if (strcmp(h, "*") == 0)
		return 0;
	/* A list of strong tags: take the first "v<n>" one; weak tags never
	 * match (RFC 9110 13.1.1). */
	for (p = h; (p = strstr(p, "\"v")) != NULL; p += 2) {
		char *end;
		long long v;

		if (p > h && p[-1] == '/') /* W/"..." */
			continue;
		errno = 0;
		v = strtoll(p + 2, &end, 10);
		if (errno == 0 && *end == '"' && v > 0 && end > p + 2)
			return v;
	}
	return -1;
}

bool
param_id(struct request *req, int i, int64_t *out)
{
	const char *s = req->params[i];
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v <= 0) {
		reply_problem(req, 404, "no such resource");
		return false;
	}
	*out = v;
	return true;
}

void
req_viewer(const struct request *req, struct viewer *v)
{
	v->user_id = req->user.id;
	v->role = req->user.role;
	v->org = req->user.org;
}

bool
req_incident(struct request *req, struct viewer *v, struct incident *x)
{
	enum cs_err err;

	req_viewer(req, v);
	err = store_call(req_store(req), incident_get, req->a, v,
	                 req->params[0], x);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
		return false;
	}
	return true;
}

bool
req_org(struct request *req, struct org *o)
{
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return false;
	err = store_call(req_store(req), org_get, req->a, id, NULL, o);
	if (err == CS_OK && !auth_can_read_org(req, o->short_name))
		err = CS_E_NOTFOUND; /* not even its existence leaks */
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such organisation" : NULL);
		return false;
	}
	return true;
}

/* A base name fit for a header and a listing: no path, no control
 * characters, at most 200 bytes on a character boundary. */
static const char *
clean_filename(struct arena *a, const char *name)
{
	const char *base = name, *p;
	char *out;
	size_t n;

	for (p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	n = strlen(base);
	if (n > 200) {
		n = 200;
		while (n > 0 && ((unsigned char)base[n] & 0xc0) == 0x80)
			n--;
	}
	if ((out = arena_strndup(a, base, n)) == NULL)
		return NULL;
	for (char *q = out; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == '"')
			*q = '_';
	return out[0] != '\0' && strcmp(out, ".") != 0 && strcmp(out, "..") != 0
	           ? out
	           : "attachment";
}

/* type/subtype of RFC 6838 restricted names, lower case; else NULL. */
static const char *
clean_type(struct arena *a, const char *t)
{
	static const char ok[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-";
	size_t n = strlen(t), slash = strcspn(t, "/");
	char *out;

	if (n == 0 || n > 100 || slash == 0 || slash >= n - 1)
		return NULL;
	if ((out = arena_strdup(a, t)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = (char)tolower((unsigned char)out[i]);
		if (i != slash && strchr(ok, out[i]) == NULL)
			return NULL;
	}
	return out;
}

static bool
files_too_big(struct request *req, size_t max_total, struct verrs *ve)
{
	const char *why = arena_printf(
	    req->a, "the files may hold %zu bytes in all", max_total);

	verr_add(ve, "attachments", why ? why : "the files are too large");
	return false;
}

bool
report_files(struct request *req, json_t *body, size_t max_total,
             struct report_file **out, size_t *n_out, struct verrs *ve)
{
	json_t *list = json_object_get(body, "attachments"), *it;
	struct report_file *f;
	size_t i, total = 0;

	*out = NULL;
	*n_out = 0;
	if (list == NULL || json_is_null(list))
		return true;
	if (!json_is_array(list) || json_array_size(list) > REPORT_FILES_MAX) {
		verr_add(ve, "attachments",
		         "must be a list of at most 5 files");
		return false;
	}
	if (json_array_size(list) > 0 && max_total == 0) {
		verr_add(ve, "attachments", "files are not accepted here");
		return false;
	}
	f = arena_alloc(req->a, sizeof(*f) * (json_array_size(list) + 1));
	if (f == NULL)
		return false;
	json_array_foreach(list, i, it)
	{
		const char *name =
		    json_string_value(json_object_get(it, "filename"));
		const char *type =
		    json_string_value(json_object_get(it, "content_type"));
		const char *data =
		    json_string_value(json_object_get(it, "data"));
		unsigned char *bin;
		size_t len, cap;

		if (!json_is_object(it) || name == NULL || data == NULL) {
			verr_add(ve, "attachments",
			         "each file needs a filename and its data in "
			         "base64");
			return false;
		}
		len = strlen(data);
		cap = len / 4 * 3 + 3;
		/* base64 holds 3 bytes per 4 characters, padding included */
		if (len / 4 * 3 > max_total - total + 2)
			return files_too_big(req, max_total, ve);
		if ((bin = arena_alloc(req->a, cap + 1)) == NULL)
			return false;
		if (sodium_base642bin(bin, cap, data, len, " \r\n", &len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0) {
			verr_add(ve, "attachments", "data must be base64");
			return false;
		}
		total += len;
		if (total > max_total)
			return files_too_big(req, max_total, ve);
		f[i].filename = clean_filename(req->a, name);
		f[i].content_type = type ? clean_type(req->a, type) : NULL;
		if (f[i].content_type == NULL)
			f[i].content_type = "application/octet-stream";
		f[i].data = bin;
		f[i].size = len;
		if (f[i].filename == NULL)
			return false;
	}
	*out = f;
	*n_out = json_array_size(list);
	return true;
}
