/*
 * intake.c - inbound mail into reports, replies, or quarantine; see
 * intake.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/incidents.h"
#include "core/log.h"
#include "core/reports.h"
#include "core/secret.h"
#include "core/text.h"
#include "mail/intake.h"
#include "mail/mime.h"
#include "mail/outbound.h"

#define ENTRY_TEXT_MAX (900u * 1024) /* entries hold at most 1 MB */

/* The system reads incidents as an administrator: a TLP:RED incident is
 * not visible to it, so replies to one become new reports that a member
 * attaches by hand. Nothing leaks through the mail path. */
static const struct viewer system_viewer = {.user_id = 0, .role = ROLE_ADMIN};

/* A copy of s fit for a one-line field: control characters become spaces,
 * at most max bytes, cut on a UTF-8 boundary. */
static const char *
one_line(struct arena *a, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *o;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if ((o = arena_strndup(a, s, n)) == NULL)
		return NULL;
	for (char *p = o; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return o;
}

/* Text fit for an entry or a report body: CR dropped, other control
 * characters but newline and tab become spaces, cut at max bytes. */
static char *
clean_text(struct arena *a, const char *s, size_t max, bool *cut)
{
	size_t n = strlen(s), j = 0;
	char *o = arena_alloc(a, (n < max ? n : max) + 1);

	*cut = false;
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (j >= max) {
			*cut = true;
			while (j > 0 && ((unsigned char)o[j] & 0xC0) == 0x80)
				j--;
			break;
		}
		if (c == '\r')
			continue;
		o[j++] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f
		             ? ' '
		             : (char)c;
	}
	o[j] = '\0';
	return o;
}

/* Finds "[<code> #<ref>]" in subject; the ref, or NULL. */
static const char *
subject_ref(struct arena *a, const char *subject, const char *code)
{
	size_t cl = strlen(code);

	for (const char *p = strchr(subject, '['); p != NULL;
	     p = strchr(p + 1, '[')) {
		const char *r, *end;

		if (strncasecmp(p + 1, code, cl) != 0 || p[1 + cl] != ' ' ||
		    p[2 + cl] != '#')
			continue;
		r = p + 3 + cl;
		if ((end = strchr(r, ']')) == NULL || end - r > 64 || end == r)
			continue;
		return arena_strndup(a, r, (size_t)(end - r));
	}
	return NULL;
}

static const char *
sig_line(struct arena *a, const struct mime_msg *m)
{
	const char *sig;

	switch (m->signature) {
	case MIME_SIG_GOOD:
		sig = arena_printf(a, "signed by %s (%s), signature good",
		                   m->signer_fpr, m->signer_uid);
		break;
	case MIME_SIG_BAD:
		sig = arena_printf(a, "signed by %s, signature BAD",
		                   m->signer_fpr[0] ? m->signer_fpr : "?");
		break;
	case MIME_SIG_UNKNOWN_KEY:
		sig =
		    arena_printf(a, "signed by unknown key %s", m->signer_fpr);
		break;
	case MIME_SIG_ERROR:
		sig = arena_printf(a, "signature could not be verified (%s)",
		                   m->signer_fpr[0] ? m->signer_fpr : "?");
		break;
	default:
		sig = "not signed";
		break;
	}
	return arena_printf(a, "OpenPGP: %s, %s",
	                    m->encrypted ? "encrypted" : "not encrypted", sig);
}

struct in {
	struct store *st;
	struct arena *a;
	const struct config *cfg;
	const struct mime_msg *m;
	struct mail mail;
	const char *via;
};

/* The entry or report text: a header block, the OpenPGP outcome, the
 * attachments, then the readable text. */
static const char *
compose_body(struct in *x, size_t max)
{
	const struct mime_msg *m = x->m;
	char when[CLOCK_RFC3339_MAX];
	const char *head, *text;
	bool cut;

	if (m->date > 0)
		clock_fmt(m->date, when);
	else
		snprintf(when, sizeof(when), "-");
	head =
	    arena_printf(x->a, "From: %s%s<%s>\nDate: %s\nSubject: %s\n%s\n",
	                 m->from_name, m->from_name[0] ? " " : "", m->from_addr,
	                 when, x->mail.subject, sig_line(x->a, m));
	for (size_t i = 0; head != NULL && i < x->mail.n_attachments; i++) {
		const struct mail_attachment *f = &x->mail.attachments[i];

		head = arena_printf(x->a,
		                    "%sAttachment: %s (%s, %lld bytes, "
		                    "sha256 %s)\n",
		                    head, f->filename, f->content_type,
		                    (long long)f->size, f->sha256);
	}
	if (head == NULL ||
	    (text = clean_text(x->a, m->text, max, &cut)) == NULL)
		return NULL;
	return arena_printf(x->a, "%s\n%s%s", head, text,
	                    cut ? "\n\n[cut: the whole message is kept as "
	                          "its raw artefact]"
	                        : "");
}

static enum cs_err
put_artefact(struct store *st, const void *data, size_t len, const char *type,
             char sha[SECRET_SHA256_HEX])
{
	struct artefact f;

	sha256_hex(data, len, sha);
	f = (struct artefact){.sha256 = sha,
	                      .size = (int64_t)len,
	                      .content_type = type,
	                      .data = data,
	                      .created_at = clock_now()};
	return store_call(st, artefact_put, &f);
}

static enum cs_err
audit_mail(struct in *x, const char *action, json_t *d)
{
	char idbuf[24];
	enum cs_err err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)x->mail.id);
	json_object_set_new(d, "via", json_string(x->via));
	err = audit_append(x->st, x->a, clock_now(), "mail", action, "mail",
	                   idbuf, d);
	json_decref(d);
	return err;
}

/* A reply to incident ref: an entry in the thread with the sender. */
static enum cs_err
as_reply(struct in *x, const struct incident *inc, int64_t thread_id,
         struct intake_result *out)
{
	const struct mime_msg *m = x->m;
	struct actor by = {.name = arena_printf(x->a, "mail:%s", m->from_addr)};
	struct entry e = {.visibility = "internal"};
	struct mail_thread t;
	enum cs_err err;

	if (by.name == NULL)
		return CS_E_TOOBIG;
	if (thread_id == 0 && m->from_addr[0] != '\0') {
		err = store_call(x->st, thread_get, x->a, inc->id, 0,
		                 m->from_addr, &t);
		if (err == CS_E_NOTFOUND) {
			t = (struct mail_thread){
			    .incident_id = inc->id,
			    .kind = "third_party",
			    .counterpart = m->from_addr,
			    .language =
			        m->language[0] && strstr(MAIL_LANGUAGES,
			                                 m->language) != NULL
			            ? m->language
			            : "en",
			    .subject = x->mail.subject,
			    .created_by = by.name,
			    .created_at = clock_now()};
			err = store_call(x->st, thread_put, &t, &t.id);
		}
		if (err != CS_OK)
			return err;
		thread_id = t.id;
	}
	/* an automatic answer is noted, never a correspondence that would
	 * reopen a resolved incident */
	e.kind = x->mail.auto_reply ? "note" : "correspondence";
	if ((e.body = compose_body(x, ENTRY_TEXT_MAX)) == NULL)
		return CS_E_TOOBIG;
	if (x->mail.auto_reply)
		e.body = arena_printf(x->a,
		                      "Automatic reply or delivery "
		                      "report:\n%s",
		                      e.body);
	if (e.body == NULL)
		return CS_E_TOOBIG;
	if ((err = entries_add_txn(x->st, x->a, &by, &system_viewer, inc->ref,
	                           &e)) != CS_OK)
		return err;
	x->mail.state = x->mail.auto_reply ? "ignored" : "received";
	x->mail.incident_id = inc->id;
	x->mail.thread_id = thread_id;
	x->mail.entry_id = e.id;
	if ((err = store_call(x->st, mail_put, &x->mail, &x->mail.id)) != CS_OK)
		return err;
	out->outcome = "reply";
	out->incident_ref = inc->ref;
	return audit_mail(
	    x, "mail.receive",
	    json_pack("{s:s,s:s}", "outcome", "reply", "ref", inc->ref));
}

/* The incident a message answers, by its subject tag or its references;
 * CS_E_NOTFOUND when none. */
static enum cs_err
find_incident(struct in *x, struct incident *inc, int64_t *thread_id)
{
	const struct mime_msg *m = x->m;
	const char *ref = subject_ref(x->a, m->subject, x->cfg->team_code);
	struct mail prev;
	struct report r;
	enum cs_err err;

	*thread_id = 0;
	if (ref != NULL && incident_ref_valid(ref)) {
		err = store_call(x->st, incident_get, x->a, &system_viewer, ref,
		                 inc);
		if (err != CS_E_NOTFOUND)
			return err;
	}
	for (size_t i = 0; i <= m->n_references; i++) {
		/* In-Reply-To first, then References newest first */
		const char *id = i == 0 ? m->in_reply_to
		                        : m->references[m->n_references - i];

		if (id[0] == '\0')
			continue;
		err = store_call(x->st, mail_find, x->a, id, &prev);
		if (err == CS_E_NOTFOUND)
			continue;
		if (err != CS_OK)
			return err;
		if (prev.incident_ref == NULL && prev.report_id != 0 &&
		    (err = store_call(x->st, report_get, x->a, prev.report_id,
		                      &r)) == CS_OK)
			prev.incident_ref = r.incident_ref;
		if (prev.incident_ref == NULL)
			continue;
		err = store_call(x->st, incident_get, x->a, &system_viewer,
		                 prev.incident_ref, inc);
		if (err == CS_E_NOTFOUND)
			continue;
		if (err == CS_OK && prev.incident_id == inc->id)
			*thread_id = prev.thread_id;
		return err;
	}
	return CS_E_NOTFOUND;
}

/* A new report from the message, acknowledged to its sender. */
static enum cs_err
as_report(struct in *x, struct intake_result *out)
{
	const struct mime_msg *m = x->m;
	struct actor by = {.name = "mail"};
	struct report r = {.source = "email", .tlp = TLP_AMBER};
	struct verrs ve = {0};
	const char *reference, *why = NULL;
	enum cs_err err;

	r.reporter = m->from_addr;
	r.subject = x->mail.subject[0] ? x->mail.subject : "(no subject)";
	if ((r.body = compose_body(x, REPORT_BODY_MAX - 64 * 1024)) == NULL)
		return CS_E_TOOBIG;
	r.language =
	    strlen(m->language) == 2 && language_list_is_valid(m->language)
	        ? m->language
	        : "";
	if (!text_is_clean(r.reporter, 300))
		r.reporter = "";
	if (!reports_check(&r, &ve))
		return CS_E_INTERNAL; /* the fields were cleaned above */
	if ((err = reports_create_txn(x->st, x->a, &by, &r)) != CS_OK)
		return err;
	x->mail.state = "received";
	x->mail.report_id = r.id;
	if ((err = store_call(x->st, mail_put, &x->mail, &x->mail.id)) != CS_OK)
		return err;
	out->outcome = "report";
	out->report_id = r.id;
	reference =
	    arena_printf(x->a, "%s-R-%lld", x->cfg->team_code, (long long)r.id);
	if (reference == NULL)
		return CS_E_TOOBIG;
	if ((err = audit_mail(x, "mail.receive",
	                      json_pack("{s:s,s:I}", "outcome", "report",
	                                "report", (json_int_t)r.id))) != CS_OK)
		return err;
	if (x->cfg->mail_ack && x->cfg->smtp_url[0] != '\0' &&
	    email_is_valid(m->from_addr) &&
	    strcasecmp(m->from_addr, x->cfg->team_email) != 0) {
		const char *tag =
		    outbound_tag(x->a, x->cfg->team_code, reference);
		const char *vars[] = {"tag",        tag,
		                      "subject",    r.subject,
		                      "team",       x->cfg->team_name,
		                      "team_email", x->cfg->team_email,
		                      "reference",  reference};
		const char **refs;
		struct outgoing o = {
		    .to = m->from_addr,
		    .language = r.language,
		    .in_reply_to = m->message_id[0] ? m->message_id : NULL,
		    .auto_replied = true,
		    .report_id = r.id};
		struct mail ack;

		refs = arena_alloc(x->a, sizeof(*refs) * (m->n_references + 1));
		if (refs == NULL)
			return CS_E_TOOBIG;
		for (size_t i = 0; i < m->n_references; i++)
			refs[o.n_references++] = m->references[i];
		if (m->message_id[0])
			refs[o.n_references++] = m->message_id;
		o.references = refs;
		o.subject =
		    outbound_template(x->a, r.language, "ack.subject", vars, 5);
		o.text =
		    outbound_template(x->a, r.language, "ack.body", vars, 5);
		if (o.subject == NULL || o.text == NULL)
			return CS_E_INTERNAL;
		o.subject = one_line(x->a, o.subject, 900);
		err = outbound_queue_txn(x->st, x->a, x->cfg, &by, &o, &ack,
		                         &why);
		if (err == CS_E_INVAL) { /* an address compose refuses */
			log_warnx("msg=\"no acknowledgement\" report=%lld "
			          "why=\"%s\"",
			          (long long)r.id, why ? why : "?");
			err = CS_OK;
		}
	}
	return err;
}

static enum cs_err
quarantine(struct in *x, const char *reason, struct intake_result *out)
{
	enum cs_err err;

	x->mail.state = "quarantined";
	x->mail.error = reason;
	x->mail.n_attachments = 0;
	if ((err = store_call(x->st, mail_put, &x->mail, &x->mail.id)) != CS_OK)
		return err;
	out->outcome = "quarantined";
	out->reason = reason;
	return audit_mail(x, "mail.quarantine",
	                  json_pack("{s:s}", "reason", reason));
}

static const char *
trim_end(struct arena *a, const char *v)
{
	size_t n = strlen(v);

	while (n > 0 && v[n - 1] == ' ')
		n--;
	const char *t = arena_strndup(a, v, n);

	return t != NULL ? t : "";
}

/* "Name: value" of the first header called name in raw's header block,
 * unfolded, for a message the parser refused; "" when absent. */
static const char *
raw_header(struct arena *a, const char *raw, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 1 < len;) {
		size_t j;

		if (raw[i] == '\n' ||
		    (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n'))
			break; /* end of the header block */
		if (strncasecmp(raw + i, name, nl) == 0 && raw[i + nl] == ':') {
			const char *v;

			for (j = i + nl + 1; j < len && raw[j] != '\n'; j++)
				;
			v = arena_strndup(a, raw + i + nl + 1, j - i - nl - 1);

			if (v == NULL || (v = one_line(a, v, 300)) == NULL)
				return "";
			while (*v == ' ')
				v++;
			return trim_end(a, v);
		}
		while (i < len && raw[i] != '\n')
			i++;
		i++;
	}
	return "";
}

enum cs_err
mail_intake(struct store *st, struct arena *a, const struct config *cfg,
            const char *raw, size_t len, bool truncated, const char *via,
            struct intake_result *out)
{
	struct in x = {.st = st, .a = a, .cfg = cfg, .via = via};
	struct mime_msg m;
	char sha[SECRET_SHA256_HEX];
	const char *why = NULL, *reason = NULL;
	struct incident inc;
	int64_t thread_id;
	enum cs_err err, perr = CS_E_INVAL;

	memset(out, 0, sizeof(*out));
	/* a redelivery is recognised before any parsing or decryption */
	sha256_hex(raw, len, sha);
	if ((err = store_begin(st, false)) != CS_OK)
		return err;
	err = store_call(st, mail_by_raw, sha, &out->mail_id);
	store_rollback(st);
	if (err == CS_OK) {
		out->outcome = "duplicate";
		return CS_OK;
	}
	if (err != CS_E_NOTFOUND)
		return err;
	if (truncated || len > (size_t)cfg->mail_max_size)
		reason = arena_printf(a, "larger than the limit of %lld bytes",
		                      (long long)cfg->mail_max_size);
	else if ((perr = mime_parse(a, raw, len, 0, &m, &why)) != CS_OK)
		reason = perr == CS_E_TOOBIG ? "too large"
		                             : (why ? why : "unreadable");
	if (perr != CS_OK && perr != CS_E_INVAL && perr != CS_E_TOOBIG)
		return perr; /* out of memory, gpg failure: try again */
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	/* again inside the transaction: two deliveries may race */
	err = store_call(st, mail_by_raw, sha, &out->mail_id);
	if (err == CS_OK) {
		out->outcome = "duplicate";
		goto out;
	}
	if (err != CS_E_NOTFOUND ||
	    (err = put_artefact(st, raw, len, "message/rfc822", sha)) != CS_OK)
		goto out;
	x.mail.direction = "in";
	x.mail.raw_sha256 = sha;
	x.mail.created_by = via;
	x.mail.created_at = clock_now();
	if (reason != NULL) {
		x.mail.message_id = raw_header(a, raw, len, "Message-ID");
		x.mail.sender = raw_header(a, raw, len, "From");
		x.mail.subject = raw_header(a, raw, len, "Subject");
		err = quarantine(&x, reason, out);
		goto done;
	}
	x.m = &m;
	x.mail.message_id = m.message_id;
	x.mail.in_reply_to = m.in_reply_to;
	x.mail.sender = m.from_addr;
	x.mail.subject = one_line(a, m.subject, 500);
	x.mail.encrypted = m.encrypted;
	x.mail.signature = mime_sig_name(m.signature);
	x.mail.signer = m.signer_fpr;
	x.mail.auto_reply = m.auto_submitted || m.bounce;
	x.mail.recipients = "";
	for (size_t i = 0; i < m.n_to && x.mail.recipients != NULL; i++)
		x.mail.recipients = arena_printf(a, "%s%s%s", x.mail.recipients,
		                                 i ? "," : "", m.to[i]);
	x.mail.attachments =
	    arena_alloc(a, sizeof(struct mail_attachment) *
	                       (m.n_attachments ? m.n_attachments : 1));
	if (x.mail.subject == NULL || x.mail.recipients == NULL ||
	    x.mail.attachments == NULL) {
		err = CS_E_TOOBIG;
		goto out;
	}
	for (size_t i = 0; i < m.n_attachments && i < MAIL_ATTACHMENTS_MAX;
	     i++) {
		const struct mime_attachment *ma = &m.attachments[i];
		struct mail_attachment *fa = &x.mail.attachments[i];
		char asha[SECRET_SHA256_HEX];

		if ((err = put_artefact(st, ma->data, ma->size,
		                        ma->content_type, asha)) != CS_OK)
			goto out;
		fa->sha256 = arena_strdup(a, asha);
		fa->filename = ma->filename[0] ? ma->filename : "attachment";
		fa->content_type = ma->content_type;
		fa->size = (int64_t)ma->size;
		x.mail.n_attachments++;
		if (fa->sha256 == NULL) {
			err = CS_E_TOOBIG;
			goto out;
		}
	}
	err = find_incident(&x, &inc, &thread_id);
	if (err == CS_OK)
		err = as_reply(&x, &inc, thread_id, out);
	else if (err == CS_E_NOTFOUND && x.mail.auto_reply) {
		x.mail.state = "ignored";
		if ((err = store_call(st, mail_put, &x.mail, &x.mail.id)) ==
		    CS_OK) {
			out->outcome = "ignored";
			err = audit_mail(
			    &x, "mail.receive",
			    json_pack("{s:s}", "outcome", "ignored"));
		}
	} else if (err == CS_E_NOTFOUND)
		err = as_report(&x, out);
done:
	out->mail_id = x.mail.id;
out:
	return store_end(st, err);
}
