/*
 * outbound.c - composing and queueing outgoing mail; see outbound.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/assets.h"
#include "core/audit.h"
#include "core/clock.h"
#include "core/incidents.h"
#include "core/secret.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "mail/compose.h"
#include "mail/outbound.h"
#include "mail/pgp.h"
#include "mail/smtp.h"

static char team_fpr[PGP_FINGERPRINT_MAX];
/* the team's armoured public key: encrypted mail is also encrypted to it,
 * so the team can read its own archive */
static char *team_public;

enum cs_err
outbound_init(const struct config *cfg, char *why, size_t n)
{
	struct pgp_key_info k;
	enum cs_err err;

	team_fpr[0] = '\0';
	/* without an address the team sends no mail, so it needs no key */
	if (!cfg->mail_sign || cfg->team_email[0] == '\0')
		return CS_OK;
	err = pgp_team_key(cfg->team_name, cfg->team_email, &k, why, n);
	if (err != CS_OK)
		return err;
	snprintf(team_fpr, sizeof(team_fpr), "%s", k.fingerprint);
	{
		struct arena *a = arena_new(PGP_KEY_MAX * 2);
		char *pub;

		err = pgp_export_public(a, team_fpr, &pub, why, n);
		if (err == CS_OK) {
			free(team_public);
			team_public = xstrdup(pub);
		}
		arena_free(a);
	}
	return err;
}

const char *
outbound_team_fpr(void)
{
	return team_fpr;
}

const char *
outbound_team_public(void)
{
	return team_fpr[0] ? team_public : NULL;
}

/* Replaces each {name} of text by its value; unknown names stay. */
static const char *
fill(struct arena *a, const char *text, const char *const *vars, size_t n)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out;

	for (size_t i = 0; i + 1 < n * 2; i += 2)
		cap +=
		    strlen(vars[i + 1]) * 4; /* a value appears a few times */
	if ((out = arena_alloc(a, cap)) == NULL)
		return NULL;
	for (const char *p = text; *p;) {
		const char *end = p[0] == '{' ? strchr(p, '}') : NULL;
		bool done = false;

		for (size_t i = 0; end != NULL && i + 1 < n * 2; i += 2) {
			size_t kl = strlen(vars[i]), vl = strlen(vars[i + 1]);

			if ((size_t)(end - p - 1) != kl ||
			    memcmp(p + 1, vars[i], kl) != 0)
				continue;
			if (len + vl + 1 > cap)
				return NULL;
			memcpy(out + len, vars[i + 1], vl);
			len += vl;
			p = end + 1;
			done = true;
			break;
		}
		if (done)
			continue;
		if (len + 2 > cap)
			return NULL;
		out[len++] = *p++;
	}
	out[len] = '\0';
	return out;
}

const char *
outbound_template(struct arena *a, const char *language, const char *key,
                  const char *const *vars, size_t n_vars)
{
	char path[64];
	const struct asset *f;
	json_t *root, *v;
	const char *out = NULL;

	if (language == NULL || strlen(language) != 2 ||
	    strstr(MAIL_LANGUAGES, language) == NULL)
		language = "en";
	snprintf(path, sizeof(path), "mail/templates/%s.json", language);
	if ((f = asset_find(path)) == NULL)
		return NULL;
	root = json_loadb((const char *)f->data, f->len, 0, NULL);
	if (root != NULL && json_is_string(v = json_object_get(root, key)))
		out = fill(a, json_string_value(v), vars, n_vars);
	json_decref(root);
	return out;
}

const char *
outbound_tag(struct arena *a, const char *team_code, const char *ref)
{
	return arena_printf(a, "[%s #%s]", team_code, ref);
}

static const char *
make_message_id(struct arena *a, const char *team_email)
{
	unsigned char r[16];
	char hex[33];
	const char *at = strrchr(team_email, '@');

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	return arena_printf(a, "%s.%lld@%s", hex, (long long)clock_now(),
	                    at != NULL ? at + 1 : "csirtd.invalid");
}

enum cs_err
outbound_compose(struct arena *a, const struct config *cfg,
                 const struct outgoing *o, struct outbound_msg *out,
                 const char **why)
{
	const char *to[1] = {o->to}, *keys[2] = {o->encrypt_key, team_public};
	struct compose_in in = {
	    .from_name = cfg->team_name,
	    .from_addr = cfg->team_email,
	    .to = to,
	    .n_to = 1,
	    .subject = o->subject,
	    .text = o->text,
	    .in_reply_to = o->in_reply_to,
	    .references = o->references,
	    .n_references = o->n_references,
	    .language = o->language && o->language[0] ? o->language : NULL,
	    .date = clock_now(),
	    .auto_replied = o->auto_replied,
	    .sign_fpr = team_fpr[0] ? team_fpr : NULL,
	    .encrypt_keys = o->encrypt_key ? keys : NULL,
	    .n_encrypt_keys =
	        o->encrypt_key
	            ? (team_public && o->encrypt_key != team_public ? 2 : 1)
	            : 0,
	    .attachments = o->attachments,
	    .n_attachments = o->n_attachments,
	    .auto_generated = o->auto_generated,
	};

	memset(out, 0, sizeof(*out));
	if ((in.message_id = make_message_id(a, cfg->team_email)) == NULL)
		return CS_E_TOOBIG;
	out->message_id = in.message_id;
	out->date = in.date;
	return compose_mail(a, &in, &out->raw, &out->len, why);
}

enum cs_err
outbound_store_txn(struct store *st, struct arena *a, const struct config *cfg,
                   const struct actor *by, const struct outgoing *o,
                   const struct outbound_msg *msg, struct mail *out)
{
	char sha[SECRET_SHA256_HEX], idbuf[24], *payload;
	struct artefact f;
	struct job j = {0};
	json_t *d;
	int64_t job_id;
	enum cs_err err;

	sha256_hex(msg->raw, msg->len, sha);
	f = (struct artefact){.sha256 = sha,
	                      .size = (int64_t)msg->len,
	                      .content_type = "message/rfc822",
	                      .data = (const unsigned char *)msg->raw,
	                      .created_at = msg->date};
	if ((err = store_call(st, artefact_put, &f)) != CS_OK)
		return err;
	memset(out, 0, sizeof(*out));
	out->direction = "out";
	out->state = "queued";
	out->message_id = msg->message_id;
	out->in_reply_to = o->in_reply_to ? o->in_reply_to : "";
	out->sender = cfg->team_email;
	out->recipients = o->to;
	out->subject = o->subject;
	out->raw_sha256 = arena_strdup(a, sha);
	out->incident_id = o->incident_id;
	out->thread_id = o->thread_id;
	out->report_id = o->report_id;
	out->entry_id = o->entry_id;
	out->encrypted = o->encrypt_key != NULL;
	out->auto_reply = o->auto_replied;
	out->signature = team_fpr[0] ? "good" : "none";
	out->signer = team_fpr;
	out->created_by = by->name;
	out->created_at = msg->date;
	if (out->raw_sha256 == NULL)
		return CS_E_TOOBIG;
	if ((err = store_call(st, mail_put, out, &out->id)) != CS_OK)
		return err;
	d = json_pack("{s:I}", "mail", (json_int_t)out->id);
	j.kind = "mail.send";
	j.payload = payload = json_dumps(d, JSON_COMPACT);
	j.max_attempts = cfg->job_max_attempts;
	j.created_at = j.run_after = msg->date;
	json_decref(d);
	if (j.payload == NULL)
		return CS_E_INTERNAL;
	err = store_call(st, job_put, &j, &job_id);
	free(payload);
	if (err != CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)out->id);
	d = json_pack("{s:s,s:s,s:b,s:b}", "to", o->to, "message_id",
	              msg->message_id, "signed", team_fpr[0] != '\0',
	              "encrypted", o->encrypt_key != NULL);
	err = audit_append(st, a, msg->date, by->name, "mail.queue", "mail",
	                   idbuf, d);
	json_decref(d);
	return err;
}

enum cs_err
outbound_queue_txn(struct store *st, struct arena *a, const struct config *cfg,
                   const struct actor *by, const struct outgoing *o,
                   struct mail *out, const char **why)
{
	struct outbound_msg msg;
	enum cs_err err;

	if ((err = outbound_compose(a, cfg, o, &msg, why)) != CS_OK)
		return err;
	return outbound_store_txn(st, a, cfg, by, o, &msg, out);
}

bool
mail_send_valid(json_t *p, const char **why)
{
	json_t *v = json_object_get(p, "mail");

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		*why = "mail must be the id of a queued mail";
		return false;
	}
	return true;
}

static int64_t
payload_mail(const struct job_run *r)
{
	return (int64_t)json_integer_value(json_object_get(r->payload, "mail"));
}

enum cs_err
mail_send_work(struct job_run *r)
{
	const struct config *cfg = r->app;
	struct smtp_config sc = {0};
	struct mail m;
	struct artefact f;
	const char **rcpt;
	size_t n = 0;
	char *list, *save = NULL;
	enum cs_err err;

	if ((err = store_begin(r->st, false)) != CS_OK)
		return err;
	err = store_call(r->st, mail_get, r->a, payload_mail(r), &m);
	if (err == CS_OK && m.raw_sha256 != NULL)
		err = store_call(r->st, artefact_get, r->a, m.raw_sha256, true,
		                 &f);
	store_rollback(r->st);
	if (err == CS_E_NOTFOUND || (err == CS_OK && m.raw_sha256 == NULL)) {
		snprintf(r->err, sizeof(r->err),
		         "the mail or its message is "
		         "gone");
		r->permanent = true;
		return CS_E_NOTFOUND;
	}
	if (err != CS_OK)
		return err;
	if (strcmp(m.state, "sent") == 0)
		return CS_OK; /* an earlier run sent it */
	if (cfg == NULL || cfg->smtp_url[0] == '\0') {
		snprintf(r->err, sizeof(r->err),
		         "no SMTP relay is configured ([mail] smtp_url)");
		return CS_E_IO; /* kept, retried: the operator may add one */
	}
	if ((list = arena_strdup(r->a, m.recipients)) == NULL ||
	    (rcpt = arena_alloc(
	         r->a, sizeof(*rcpt) * (strlen(m.recipients) / 2 + 1))) == NULL)
		return CS_E_TOOBIG;
	for (char *t = strtok_r(list, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save))
		rcpt[n++] = t;
	sc.url = cfg->smtp_url;
	sc.user = cfg->smtp_user[0] ? cfg->smtp_user : NULL;
	sc.password = cfg->smtp_password;
	sc.tls_required = cfg->smtp_tls;
	sc.ca_file = cfg->smtp_ca[0] ? cfg->smtp_ca : NULL;
	sc.timeout = 120;
	err = smtp_send(&sc, m.sender, rcpt, n, (const char *)f.data,
	                (size_t)f.size, r->err, sizeof(r->err));
	if (err == CS_E_INVAL)
		r->permanent = true; /* refused by the relay (5xx) */
	return err;
}

enum cs_err
mail_send_apply(struct job_run *r)
{
	int64_t id = payload_mail(r), now = clock_now();
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if ((err = store_call(r->st, mail_set_state, id, "sent", "", now)) !=
	    CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:I}", "job", (json_int_t)r->job->id);
	err = audit_append(r->st, r->a, now, "system", "mail.sent", "mail",
	                   idbuf, d);
	json_decref(d);
	return err;
}

enum cs_err
mail_send_failed(struct job_run *r)
{
	int64_t id = payload_mail(r);
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	err = store_call(r->st, mail_set_state, id, "failed", r->err, 0);
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:s}", "error", r->err);
	err = audit_append(r->st, r->a, clock_now(), "system", "mail.failed",
	                   "mail", idbuf, d);
	json_decref(d);
	return err;
}

/* The armoured key of the thread's counterpart, from the contacts of the
 * incident's organisations; NULL when it has none. */
static enum cs_err
counterpart_key(struct store *st, struct arena *a, const struct incident *inc,
                const struct mail_thread *t, const char **key_out)
{
	*key_out = NULL;
	for (size_t i = 0; inc->orgs != NULL && inc->orgs[i] != NULL; i++) {
		struct page pg = {.limit = 1000};
		struct contact *c;
		struct org o;
		size_t n;
		enum cs_err err;

		err = store_call(st, org_get, a, 0, inc->orgs[i], &o);
		if (err == CS_E_NOTFOUND)
			continue;
		if (err != CS_OK || (err = store_call(st, contact_list, a, o.id,
		                                      &pg, &c, &n)) != CS_OK)
			return err;
		for (size_t j = 0; j < n; j++)
			if (c[j].pgp_key != NULL && c[j].pgp_key[0] != '\0' &&
			    (c[j].id == t->contact_id ||
			     strcasecmp(c[j].email, t->counterpart) == 0)) {
				*key_out = c[j].pgp_key;
				return CS_OK;
			}
	}
	return CS_OK;
}

enum cs_err
outbound_thread_send(struct store *st, struct arena *a,
                     const struct config *cfg, const struct actor *by,
                     const struct viewer *v, const char *ref, int64_t thread_id,
                     const struct thread_send *in, struct mail *out,
                     const char **why)
{
	const char *tpl = in->template ? in->template : "reply";
	const char *text = in->text ? in->text : "";
	const char *key, *tag, *subject, *body, *skey, *bkey;
	const char *refs[2];
	struct outgoing o = {0};
	struct incident inc;
	struct mail_thread t;
	struct mail_filter f = {0};
	struct page pg = {.limit = 1};
	struct mail *last;
	struct entry e = {.kind = "correspondence"};
	size_t n;
	enum cs_err err;

	*why = NULL;
	if (strcmp(tpl, "notify") != 0 && strcmp(tpl, "request") != 0 &&
	    strcmp(tpl, "resolution") != 0 && strcmp(tpl, "reply") != 0) {
		*why = "template must be notify, request, resolution or reply";
		return CS_E_INVAL;
	}
	if (strcmp(tpl, "reply") == 0 && text[0] == '\0') {
		*why = "text is required for a reply";
		return CS_E_INVAL;
	}
	if (cfg->smtp_url[0] == '\0') {
		*why = "no SMTP relay is configured ([mail] smtp_url)";
		return CS_E_CONFLICT;
	}
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &inc)) != CS_OK)
		goto out;
	if ((err = store_call(st, thread_get, a, inc.id, thread_id, NULL,
	                      &t)) != CS_OK)
		goto out;
	if ((err = counterpart_key(st, a, &inc, &t, &key)) != CS_OK)
		goto out;
	if (key == NULL && inc.tlp >= TLP_AMBER && !in->send_unencrypted) {
		*why = "the incident is TLP:AMBER or above and the recipient "
		       "has no OpenPGP key; add the contact's key or set "
		       "send_unencrypted";
		err = CS_E_CONFLICT;
		goto out;
	}
	tag = outbound_tag(a, cfg->team_code, inc.ref);
	{
		const char *vars[] = {
		    "tag",          tag,          "ref",
		    inc.ref,        "title",      inc.title,
		    "text",         text,         "team",
		    cfg->team_name, "team_email", cfg->team_email};

		skey = arena_printf(a, "%s.subject", tpl);
		bkey = arena_printf(a, "%s.body", tpl);
		if (tag == NULL || skey == NULL || bkey == NULL) {
			err = CS_E_TOOBIG;
			goto out;
		}
		subject = outbound_template(a, t.language, skey, vars, 6);
		body = outbound_template(a, t.language, bkey, vars, 6);
	}
	if (subject == NULL || body == NULL) {
		err = CS_E_INTERNAL;
		goto out;
	}
	f.thread_id = t.id;
	if ((err = store_call(st, mail_list, a, &f, &pg, &last, &n)) != CS_OK)
		goto out;
	e.visibility =
	    strcmp(t.kind, "constituent") == 0 ? "shared" : "internal";
	e.body = arena_printf(
	    a, "To: %s\nSubject: %s\nOpenPGP: %s, %s\n\n%s", t.counterpart,
	    subject, team_fpr[0] ? "signed" : "not signed",
	    key ? "encrypted"
	        : (in->send_unencrypted ? "NOT encrypted (sent unencrypted on "
	                                  "the handler's request)"
	                                : "not encrypted"),
	    body);
	if (e.body == NULL) {
		err = CS_E_TOOBIG;
		goto out;
	}
	if ((err = entries_add_txn(st, a, by, v, inc.ref, &e)) != CS_OK)
		goto out;
	o.to = t.counterpart;
	o.subject = subject;
	o.text = body;
	o.language = t.language;
	o.encrypt_key = key;
	o.incident_id = inc.id;
	o.thread_id = t.id;
	o.entry_id = e.id;
	if (n > 0 && last[0].message_id[0] != '\0') {
		size_t k = 0;

		if (last[0].in_reply_to[0] != '\0')
			refs[k++] = last[0].in_reply_to;
		refs[k++] = last[0].message_id;
		o.in_reply_to = last[0].message_id;
		o.references = refs;
		o.n_references = k;
	}
	if ((err = outbound_queue_txn(st, a, cfg, by, &o, out, why)) != CS_OK)
		goto out;
	if (key == NULL && inc.tlp >= TLP_AMBER) {
		char idbuf[24];
		json_t *d = json_pack("{s:s,s:s,s:s}", "ref", inc.ref, "to",
		                      t.counterpart, "tlp", tlp_name(inc.tlp));

		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)out->id);
		err =
		    audit_append(st, a, clock_now(), by->name,
		                 "mail.unencrypted_override", "mail", idbuf, d);
		json_decref(d);
	}
out:
	return store_end(st, err);
}
