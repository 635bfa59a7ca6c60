#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/reports.h"
#include "core/secret.h"
#include "core/text.h"

bool
report_source_valid(const char *s)
{
	return strcmp(s, "web") == 0 || strcmp(s, "api") == 0 ||
	       strcmp(s, "email") == 0 || strcmp(s, "feed") == 0;
}

bool
report_status_valid(const char *s)
{
	return strcmp(s, "new") == 0 || strcmp(s, "triaged") == 0 ||
	       strcmp(s, "merged") == 0 || strcmp(s, "rejected") == 0 ||
	       strcmp(s, "spam") == 0;
}

bool
triage_action_parse(const char *s, enum triage_action *out)
{
	static const char *const names[] = {"new-incident", "attach", "reject",
	                                    "spam"};

	for (size_t i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum triage_action)i;
			return true;
		}
	return false;
}

static enum cs_err
audit_report(struct store *st, struct arena *a, const struct actor *by,
             const char *action, const struct report *r, int64_t now)
{
	char idbuf[24];
	json_t *d = json_pack("{s:s,s:s,s:s?}", "source", r->source, "status",
	                      r->status ? r->status : "new", "incident",
	                      r->incident_ref);
	enum cs_err err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)r->id);
	err = audit_append(st, a, now, by->name, action, "report", idbuf, d);
	json_decref(d);
	return err;
}

bool
reports_check(const struct report *r, struct verrs *ve)
{
	if (r->source == NULL || !report_source_valid(r->source))
		verr_add(ve, "source", "must be web, api, email or feed");
	if (r->subject == NULL || r->subject[0] == '\0' ||
	    !text_is_clean(r->subject, 500))
		verr_add(ve, "subject",
		         "must be 1 to 500 bytes of text without control "
		         "characters");
	if (r->body == NULL ||
	    !text_is_clean_multiline(r->body, REPORT_BODY_MAX))
		verr_add(ve, "body", "must be at most 1 MB of text");
	if (r->reporter != NULL && !text_is_clean(r->reporter, 300))
		verr_add(ve, "reporter", "must be at most 300 bytes of text");
	if (r->language != NULL && r->language[0] != '\0' &&
	    (strlen(r->language) != 2 || !language_list_is_valid(r->language)))
		verr_add(ve, "language", "must be an ISO 639-1 code");
	return ve->n == 0;
}

enum cs_err
reports_create(struct store *st, struct arena *a, const struct actor *by,
               struct report *r, struct verrs *ve)
{
	enum cs_err err;

	if (!reports_check(r, ve))
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	return store_end(st, reports_create_txn(st, a, by, r));
}

enum cs_err
reports_create_files(struct store *st, struct arena *a, const struct actor *by,
                     struct report *r, const struct report_file *f, size_t n,
                     struct verrs *ve)
{
	struct mail_attachment att[REPORT_FILES_MAX];
	const char *body = r->body;
	enum cs_err err;

	if (n > REPORT_FILES_MAX)
		verr_add(ve, "attachments", "at most 5 files");
	for (size_t i = 0; i < n && i < REPORT_FILES_MAX; i++) {
		char *sha = arena_alloc(a, SECRET_SHA256_HEX);

		if (sha == NULL)
			return CS_E_TOOBIG;
		sha256_hex(f[i].data, f[i].size, sha);
		att[i] =
		    (struct mail_attachment){.sha256 = sha,
		                             .filename = f[i].filename,
		                             .content_type = f[i].content_type,
		                             .size = (int64_t)f[i].size};
		body = arena_printf(a,
		                    "%s%sAttachment: %s (%s, %zu bytes, "
		                    "sha256 %s)\n",
		                    body ? body : "", i == 0 ? "\n" : "",
		                    f[i].filename, f[i].content_type, f[i].size,
		                    sha);
		if (body == NULL)
			return CS_E_TOOBIG;
	}
	r->body = body;
	if (!reports_check(r, ve))
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	for (size_t i = 0; i < n && err == CS_OK; i++) {
		struct artefact art = {.sha256 = att[i].sha256,
		                       .size = att[i].size,
		                       .content_type = att[i].content_type,
		                       .data = f[i].data,
		                       .created_at = clock_now()};

		err = store_call(st, artefact_put, &art);
	}
	if (err == CS_OK)
		err = reports_create_txn(st, a, by, r);
	if (err == CS_OK && n > 0)
		err = store_call(st, report_attach, r->id, att, n);
	return store_end(st, err);
}

enum cs_err
reports_create_txn(struct store *st, struct arena *a, const struct actor *by,
                   struct report *r)
{
	int64_t now = clock_now();
	enum cs_err err;

	r->received_at = now;
	r->created_by = by->name;
	r->status = "new";
	r->version = 1;
	if ((err = store_call(st, report_put, r, &r->id)) == CS_OK)
		err = audit_report(st, a, by, "report.create", r, now);
	return err;
}

/* The report, as an internal journal entry of the incident. */
static enum cs_err
copy_to_journal(struct store *st, struct arena *a, const struct actor *by,
                const struct report *r, int64_t incident_id, int64_t now)
{
	struct entry e = {.incident_id = incident_id,
	                  .kind = "correspondence",
	                  .visibility = "internal",
	                  .author = by->name,
	                  .created_at = now};
	char when[CLOCK_RFC3339_MAX];
	int64_t id;

	clock_fmt(r->received_at, when);
	e.body = arena_printf(a,
	                      "Report #%lld (%s, from %s, received %s)\n"
	                      "Subject: %s\n\n%s",
	                      (long long)r->id, r->source,
	                      r->reporter[0] ? r->reporter : "unknown", when,
	                      r->subject, r->body);
	if (e.body == NULL)
		return CS_E_TOOBIG;
	return store_call(st, entry_put, &e, &id);
}

enum cs_err
reports_triage(struct store *st, struct arena *a,
               const struct incident_policy *pol, const struct actor *by,
               const struct viewer *v, int64_t id, enum triage_action action,
               struct incident_input *in, const char *ref, int64_t if_version,
               struct report *out, struct incident *incident_out,
               struct verrs *ve, const char **why)
{
	int64_t now = clock_now();
	struct report r;
	enum cs_err err;

	if (action == TRIAGE_ATTACH && ref == NULL)
		return verr_add(ve, "incident",
		                "names the incident to attach the report to");
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, report_get, a, id, &r)) != CS_OK)
		goto out;
	if (if_version != 0 && if_version != r.version) {
		err = CS_E_STALE;
		goto out;
	}
	if (strcmp(r.status, "new") != 0) {
		*why = arena_printf(a, "the report was already triaged (%s)",
		                    r.status);
		err = CS_E_CONFLICT;
		goto out;
	}
	switch (action) {
	case TRIAGE_NEW_INCIDENT:
		if (in->title == NULL)
			in->title = r.subject;
		if (in->tlp < 0)
			in->tlp = (int)r.tlp;
		if (in->summary == NULL)
			in->summary = "";
		if ((err = incidents_create_txn(st, a, pol, by, v, in,
		                                incident_out, ve)) != CS_OK)
			goto out;
		r.status = "triaged";
		break;
	case TRIAGE_ATTACH:
		err = store_call(st, incident_get, a, v, ref, incident_out);
		if (err == CS_E_NOTFOUND)
			err = verr_add(ve, "incident", "no such incident");
		if (err != CS_OK)
			goto out;
		r.status = "merged";
		break;
	case TRIAGE_REJECT:
		r.status = "rejected";
		break;
	case TRIAGE_SPAM:
		r.status = "spam";
		break;
	}
	if (action == TRIAGE_NEW_INCIDENT || action == TRIAGE_ATTACH) {
		r.incident_id = incident_out->id;
		r.incident_ref = incident_out->ref;
		if ((err = copy_to_journal(st, a, by, &r, r.incident_id,
		                           now)) != CS_OK)
			goto out;
	}
	r.triaged_by = by->name;
	if ((err = store_call(st, report_triage, &r, now)) != CS_OK ||
	    (err = audit_report(st, a, by, "report.triage", &r, now)) != CS_OK)
		goto out;
	err = store_call(st, report_get, a, id, out);
out:
	return store_end(st, err);
}
