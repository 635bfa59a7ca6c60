/*
 * api_public.c - the public portal's API, for anyone without an account:
 * the team's profile and the incident report form.
 *
 * GET /api/v1/public/team is the team's public profile (RFC 2350 fields)
 * straight from the configuration; the portal renders it, nothing about the
 * team is written into the pages.
 *
 * POST /api/v1/public/reports files a report with source "web" as the fixed
 * actor "portal". No session is involved (no cookie, so no CSRF token); in
 * exchange each client address may file report_limit reports within
 * report_window ([portal] settings), counted in the database (the login
 * throttle table, key "report:<addr>") so the limit holds across processes
 * and restarts. The answer is 201 with a reference the reporter can quote,
 * "<TEAM CODE>-R-<report id>" (e.g. CSIRT-R-42: report 42 in the API).
 * Files come as "attachments" (base64 in the JSON), at most
 * [portal] attachment_max bytes in all; they are stored by SHA-256 and
 * listed in the report.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/reports.h"
#include "core/secret.h"
#include "core/text.h"
#include "http/api_util.h"
#include "http/handlers.h"

/* The form's text fields and their limits in bytes. */
static const struct form_field {
	const char *name;
	size_t max;
	bool required, multiline;
} form_fields[] = {
    {"name", 200, false, false},
    {"email", 254, false, false},
    {"description", 32768, true, true},
    {"when", 100, false, false},
    {"affected_systems", 4000, false, true},
};
#define NFIELDS    (sizeof(form_fields) / sizeof(form_fields[0]))
#define F_NAME     0
#define F_EMAIL    1
#define F_DESC     2
#define F_WHEN     3
#define F_AFFECTED 4

#define HONEYPOT_MAX 1000
#define SUBJECT_MAX  120 /* bytes of the description's first line */

static json_t *
str_or_null(const char *s)
{
	json_t *v = s[0] != '\0' ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

/* "ca, es,en" -> ["ca", "es", "en"] */
static json_t *
languages_json(const char *list)
{
	json_t *arr = json_array();
	const char *p = list;

	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (n > 0)
			json_array_append_new(arr, json_stringn(p, n));
		p += n;
	}
	return arr;
}

/* GET /api/v1/public/team */
void
api_public_team(struct request *req)
{
	const struct config *c = &req->srv->cfg;
	json_t *o = json_object(), *limits = json_object(), *form;

	json_object_set_new(o, "name", str_or_null(c->team_name));
	json_object_set_new(o, "code", str_or_null(c->team_code));
	json_object_set_new(o, "email", str_or_null(c->team_email));
	json_object_set_new(o, "languages", languages_json(c->team_languages));
	json_object_set_new(o, "timezone", str_or_null(c->team_timezone));
	json_object_set_new(o, "public_url", str_or_null(c->public_url));
	json_object_set_new(o, "address", str_or_null(c->team_address));
	json_object_set_new(o, "phone", str_or_null(c->team_phone));
	json_object_set_new(o, "hours", str_or_null(c->team_hours));
	json_object_set_new(o, "pgp_fingerprint",
	                    str_or_null(c->team_pgp_fingerprint));
	json_object_set_new(o, "constituency",
	                    str_or_null(c->team_constituency));
	json_object_set_new(o, "mission", str_or_null(c->team_mission));
	json_object_set_new(o, "sponsorship", str_or_null(c->team_sponsorship));
	json_object_set_new(o, "security_txt",
	                    c->team_email[0] != '\0'
	                        ? json_string("/.well-known/security.txt")
	                        : json_null());
	for (size_t i = 0; i < NFIELDS; i++)
		json_object_set_new(
		    limits, form_fields[i].name,
		    json_integer((json_int_t)form_fields[i].max));
	form = json_pack(
	    "{s:s,s:s,s:i,s:I,s:o,s:I,s:i}", "page", "/report", "api",
	    "/api/v1/public/reports", "limit", c->report_limit,
	    "window_seconds", (json_int_t)c->report_window, "max_bytes", limits,
	    "attachment_max_bytes", (json_int_t)c->report_attachment_max,
	    "attachment_max_files", REPORT_FILES_MAX);
	json_object_set_new(o, "report", form);
	req->no_store = true;
	req_add_header(req, "Cache-Control", "max-age=300");
	reply_json(req, 200, o);
}

/* One text field of the form: NULL when absent or empty (after the
 * required check). */
static const char *
form_text(json_t *body, const struct form_field *f, struct request *req,
          struct verrs *ve)
{
	json_t *v = json_object_get(body, f->name);
	const char *s;
	size_t n;

	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0)) {
		if (f->required)
			verr_add(ve, f->name, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		verr_add(ve, f->name, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > f->max) {
		const char *d = arena_printf(
		    req->a, "must be at most %zu bytes (it has %zu)", f->max,
		    n);

		verr_add(ve, f->name, d ? d : "is too long");
		return NULL;
	}
	if (strlen(s) != n ||
	    !(f->multiline ? text_is_clean_multiline(s, f->max)
	                   : text_is_clean(s, f->max))) {
		verr_add(ve, f->name,
		         f->multiline
		             ? "must be text without control characters"
		             : "must be one line of text without "
		               "control characters");
		return NULL;
	}
	if (f->required && strspn(s, " \t\r\n") == n) {
		verr_add(ve, f->name, "is required");
		return NULL;
	}
	return s;
}

/* The subject: "Web report: " and the first non-blank line of the
 * description, cut at SUBJECT_MAX bytes on a character boundary. */
static const char *
subject_of(struct arena *a, const char *desc)
{
	char line[SUBJECT_MAX + 1];
	size_t n = 0;
	const char *p = desc;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	while (*p != '\0' && *p != '\n' && *p != '\r' && n < SUBJECT_MAX) {
		line[n++] = *p == '\t' ? ' ' : *p;
		p++;
	}
	/* do not end inside a UTF-8 sequence */
	if (*p != '\0' && *p != '\n' && *p != '\r')
		while (n > 0 && ((unsigned char)p[0] & 0xc0) == 0x80) {
			p--;
			n--;
		}
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	return arena_printf(a, "Web report: %s%s", line,
	                    *p != '\0' && *p != '\n' && *p != '\r' ? "..."
	                                                           : "");
}

/* "Name <address>", whichever of the two was given, or "". */
static const char *
reporter_of(struct arena *a, const char *name, const char *email)
{
	const char *s;

	if (name != NULL && email != NULL) {
		s = arena_printf(a, "%s <%s>", name, email);
		/* too long for the report's reporter field: the address is
		 * what the team needs to answer; the name is in the body */
		return s != NULL && strlen(s) <= 300 ? s : email;
	}
	return name ? name : email ? email : "";
}

static const char *
body_of(struct arena *a, const char *const v[NFIELDS], enum tlp tlp,
        const char *lang)
{
	return arena_printf(
	    a,
	    "Submitted through the public report form.\n\n"
	    "Name: %s\nE-mail: %s\nWhen: %s\nTLP requested: TLP:%s\n"
	    "Language: %s\n\n"
	    "Affected systems:\n%s\n\n"
	    "What happened:\n%s\n",
	    v[F_NAME] ? v[F_NAME] : "(not given)",
	    v[F_EMAIL] ? v[F_EMAIL] : "(not given)",
	    v[F_WHEN] ? v[F_WHEN] : "(not given)", tlp_name(tlp),
	    lang ? lang : "(not given)",
	    v[F_AFFECTED] ? v[F_AFFECTED] : "(not given)", v[F_DESC]);
}

static void
reply_receipt(struct request *req, int64_t id, int64_t at, enum tlp tlp)
{
	const char *ref = arena_printf(req->a, "%s-R-%lld",
	                               req->srv->cfg.team_code, (long long)id);

	if (ref == NULL) {
		reply_err(req, CS_E_TOOBIG, NULL);
		return;
	}
	reply_json(req, 201,
	           json_pack("{s:s,s:o,s:s}", "reference", ref, "received_at",
	                     json_time(at), "tlp", tlp_name(tlp)));
}

/* A number that looks like a report id, for the honeypot's answer. */
static int64_t
decoy_id(void)
{
	char tok[SECRET_TOKEN_MAX];
	uint32_t h = 2166136261u;

	token_generate("", tok);
	for (const char *p = tok; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return 100 + (int64_t)(h % 9000);
}

/* POST /api/v1/public/reports */
void
api_public_report(struct request *req)
{
	static const char *const known[] = {"name",
	                                    "email",
	                                    "description",
	                                    "when",
	                                    "affected_systems",
	                                    "tlp",
	                                    "language",
	                                    "website",
	                                    "attachments",
	                                    NULL};
	struct report_file *files = NULL;
	size_t nfiles = 0;
	const struct config *c = &req->srv->cfg;
	const struct actor portal = {"portal", 0};
	struct store *st = req_store(req);
	const char *v[NFIELDS], *s, *honeypot = NULL;
	struct verrs ve = {0};
	struct report r = {0};
	char key[96];
	int failures;
	int64_t now = clock_now(), locked, until;
	enum cs_err err;
	json_t *body, *hp;

	snprintf(key, sizeof(key), "report:%.80s", req->addr);
	if ((err = store_call(st, throttle_get, key, now, &failures,
	                      &locked)) != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (locked > now) {
		const char *ra =
		    arena_printf(req->a, "%lld", (long long)(locked - now));

		if (ra != NULL)
			req_add_header(req, "Retry-After", ra);
		reply_problem(req, 429,
		              "too many reports from this address; try again "
		              "later or write to the team by e-mail");
		return;
	}
	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	for (size_t i = 0; i < NFIELDS; i++)
		v[i] = form_text(body, &form_fields[i], req, &ve);
	if (v[F_EMAIL] != NULL && !email_is_valid(v[F_EMAIL]))
		verr_add(&ve, "email",
		         "must be one e-mail address, like name@example.org");
	r.tlp = TLP_AMBER;
	if ((s = field_str(body, "tlp", false, 20, &ve)) != NULL &&
	    s[0] != '\0' && !tlp_parse(s, &r.tlp))
		verr_add(&ve, "tlp",
		         "must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
	if ((s = field_str(body, "language", false, 2, &ve)) != NULL &&
	    s[0] != '\0') {
		if (strlen(s) == 2 && language_list_is_valid(s))
			r.language = s;
		else
			verr_add(&ve, "language",
			         "must be an ISO 639-1 code such as en");
	}
	report_files(req, body, (size_t)c->report_attachment_max, &files,
	             &nfiles, &ve);
	if ((hp = json_object_get(body, "website")) != NULL &&
	    !json_is_null(hp)) {
		if (!json_is_string(hp) ||
		    json_string_length(hp) > HONEYPOT_MAX)
			verr_add(&ve, "website", "must be a short string");
		else
			honeypot = json_string_value(hp);
	}
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	/* Every accepted submission counts, the honeypot's too: a bot sees
	 * the same limit as a person. */
	if ((err = store_call(st, throttle_fail, key, now, c->report_window,
	                      c->report_limit, c->report_window, &until)) !=
	    CS_OK) {
		reply_err(req, err, NULL);
		json_decref(body);
		return;
	}
	/* The honeypot: "website" is a field people never see (the page
	 * hides it from sight and from screen readers) but form-filling bots
	 * do. When it is filled the answer looks exactly like success, with
	 * a plausible reference, and nothing is stored: the bot learns
	 * nothing it could adapt to. */
	if (honeypot != NULL && honeypot[0] != '\0') {
		log_info("msg=\"report form honeypot filled\" addr=%s",
		         req->addr);
		reply_receipt(req, decoy_id(), now, r.tlp);
		json_decref(body);
		return;
	}
	r.source = "web";
	r.reporter = reporter_of(req->a, v[F_NAME], v[F_EMAIL]);
	r.subject = subject_of(req->a, v[F_DESC]);
	r.body = body_of(req->a, v, r.tlp, r.language);
	if (r.reporter == NULL || r.subject == NULL || r.body == NULL)
		err = CS_E_TOOBIG;
	else
		err = reports_create_files(st, req->a, &portal, &r, files,
		                           nfiles, &ve);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err, NULL);
	else
		reply_receipt(req, r.id, r.received_at, r.tlp);
	json_decref(body);
}
