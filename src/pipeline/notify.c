/*
 * notify.c - event digests to organisations; see notify.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "mail/outbound.h"
#include "pipeline/digest.h"
#include "pipeline/notify.h"

#define DUE_BATCH    500  /* pairs one tick enqueues at most */
#define CONTACTS_MAX 1000 /* contacts of one organisation read */
#define NOW_MAX      64   /* feeds one "send now" enqueues */
/* the memory bound of one digest's mail: its CSV (at most DIGEST_CSV_MAX,
 * grown by doubling), MIME text and OpenPGP form (an arena is a bound,
 * not an allocation: a digest uses what it needs) */
#define MAIL_MEMORY (size_t)(160u << 20)

/* The memory a batch of events needs: the rows and a CSV. */
static size_t
batch_memory(const struct config *cfg)
{
	return (size_t)cfg->notify_max_events * 4096 + (32u << 20);
}

static int64_t
settled_at(const struct config *cfg, int64_t now)
{
	return now - cfg->notify_settle;
}

/* ---- queueing jobs ---- */

/* Enqueues a digest job for the pair unless one with the same payload is
 * pending; *id_out is 0 when it was. by NULL: the tick. */
static enum cs_err
enqueue(struct store *st, struct arena *a, const struct config *cfg,
        const char *by, int64_t org_id, const char *feed, int64_t *id_out)
{
	json_t *p =
	    json_pack("{s:I,s:s}", "org", (json_int_t)org_id, "feed", feed);
	struct job j = {0};
	char *text = NULL, idbuf[24];
	bool pending;
	json_t *d;
	enum cs_err err;

	*id_out = 0;
	if (p == NULL)
		return CS_E_INTERNAL;
	if (by != NULL)
		json_object_set_new(p, "by", json_string(by));
	text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	if (text == NULL)
		return CS_E_INTERNAL;
	if ((err = store_begin(st, true)) != CS_OK)
		goto done;
	if ((err = store_call(st, job_pending, NOTIFY_JOB, text, &pending)) !=
	        CS_OK ||
	    pending)
		goto out;
	j.kind = NOTIFY_JOB;
	j.payload = text;
	j.max_attempts = cfg->job_max_attempts;
	j.created_at = j.run_after = clock_now();
	if ((err = store_call(st, job_put, &j, id_out)) != CS_OK)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)*id_out);
	d = json_pack("{s:s,s:I,s:s}", "kind", NOTIFY_JOB, "org",
	              (json_int_t)org_id, "feed", feed);
	err = audit_append(st, a, j.created_at, by ? by : "system",
	                   "job.create", "job", idbuf, d);
	json_decref(d);
out:
	err = store_end(st, err);
done:
	free(text);
	return err;
}

enum cs_err
notify_tick(struct store *st, struct arena *a, const struct config *cfg,
            int64_t now, size_t *n_out)
{
	struct page pg = {.limit = DUE_BATCH};
	struct notify_due *due;
	size_t n;
	enum cs_err err;

	*n_out = 0;
	if (cfg->smtp_url[0] == '\0')
		return CS_OK; /* no relay: nothing could be sent */
	if ((err = store_begin(st, false)) != CS_OK)
		return err;
	err = store_call(st, notify_due, a, now, settled_at(cfg, now), 0, &pg,
	                 &due, &n);
	store_rollback(st);
	if (err != CS_OK)
		return err;
	for (size_t i = 0; i < n; i++) {
		int64_t id;

		if ((err = enqueue(st, a, cfg, NULL, due[i].org_id, due[i].feed,
		                   &id)) != CS_OK)
			return err;
		*n_out += id != 0;
	}
	return CS_OK;
}

enum cs_err
notify_now(struct store *st, struct arena *a, const struct config *cfg,
           const struct actor *by, int64_t org_id, const char *feed,
           const char ***feeds_out, int64_t **jobs_out, size_t *n_out)
{
	struct page pg = {.limit = NOW_MAX};
	struct notify_due *due;
	struct org o;
	const char **feeds = arena_alloc(a, sizeof(*feeds) * NOW_MAX);
	int64_t *jobs = arena_alloc(a, sizeof(*jobs) * NOW_MAX), now;
	size_t n, k = 0;
	char idbuf[24];
	json_t *d, *fl;
	enum cs_err err;

	*n_out = 0;
	if (feeds == NULL || jobs == NULL)
		return CS_E_TOOBIG;
	now = clock_now();
	if ((err = store_begin(st, false)) != CS_OK)
		return err;
	if ((err = store_call(st, org_get, a, org_id, NULL, &o)) == CS_OK)
		err = store_call(st, notify_due, a, now, settled_at(cfg, now),
		                 org_id, &pg, &due, &n);
	store_rollback(st);
	if (err != CS_OK)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (feed != NULL && strcmp(feed, due[i].feed) != 0)
			continue;
		if ((err = enqueue(st, a, cfg, by->name, org_id, due[i].feed,
		                   &jobs[k])) != CS_OK)
			return err;
		feeds[k++] = due[i].feed;
	}
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	fl = json_array();
	for (size_t i = 0; i < k; i++)
		json_array_append_new(fl, json_string(feeds[i]));
	d = json_pack("{s:s?,s:o}", "feed", feed, "feeds", fl);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)org_id);
	err = audit_append(st, a, now, by->name, "org.notify", "org", idbuf, d);
	json_decref(d);
	if ((err = store_end(st, err)) != CS_OK)
		return err;
	*feeds_out = feeds;
	*jobs_out = jobs;
	*n_out = k;
	return CS_OK;
}

/* ---- digests ---- */

struct delivery {
	const struct config *cfg;
	const char *by;     /* who: "system" or a login */
	const char *action; /* audited per notification */
	const struct org *o;
	const char *feed;
	const struct event_row *ev;
	size_t n;
	bool test;
	int64_t resent_from;
	bool *got;       /* per event: some recipient got it */
	int64_t last_id; /* the newest notification recorded */
	size_t sent;     /* digests queued */
	char why[256];   /* why the last recipient got nothing */
};

static bool
has_key(const struct contact *c)
{
	return c->pgp_key != NULL && c->pgp_key[0] != '\0';
}

/* One recipient's digest, composed and signed (and encrypted), ready to
 * be stored. */
struct prepared {
	const struct contact *c;
	bool ready; /* false: it may receive none of the events, or it
	               cannot be written to (dv->why) */
	bool encrypted;
	struct digest_out d;
	struct compose_attachment at;
	struct outgoing o;
	struct outbound_msg msg;
};

/* Composes the digest of the events c may receive (to the team when
 * test), in arena m. Outside any transaction. */
static enum cs_err
prepare_one(struct arena *m, struct delivery *dv, const struct contact *c,
            struct prepared *p)
{
	const struct config *cfg = dv->cfg;
	const char *key, *why = NULL;
	struct digest_in in = {0};
	enum cs_err err;

	memset(p, 0, sizeof(*p));
	p->c = c;
	if (dv->test)
		key = has_key(c) ? outbound_team_public() : NULL;
	else
		key = has_key(c) ? c->pgp_key : NULL;
	in.team_name = cfg->team_name;
	in.team_code = cfg->team_code;
	in.team_email = cfg->team_email;
	in.org_name = dv->o->name;
	in.org_short = dv->o->short_name;
	in.feed = dv->feed;
	in.language = c->language;
	in.contact = c->email;
	in.test = dv->test;
	in.encrypted = p->encrypted = key != NULL;
	in.amber_unencrypted = cfg->notify_amber_unencrypted;
	in.events = dv->ev;
	in.n = dv->n;
	in.now = clock_now();
	if ((err = digest_compose(m, &in, &p->d, &why)) != CS_OK ||
	    p->d.events == 0)
		goto out;
	p->at = (struct compose_attachment){.filename = p->d.filename,
	                                    .content_type = "text/csv",
	                                    .data = (unsigned char *)p->d.csv,
	                                    .size = p->d.csv_len};
	p->o.to = dv->test ? cfg->team_email : c->email;
	p->o.subject = p->d.subject;
	p->o.text = p->d.text;
	p->o.language = c->language;
	p->o.encrypt_key = key;
	p->o.attachments = &p->at;
	p->o.n_attachments = 1;
	p->o.auto_generated = true; /* no vacation replies to the team */
	if ((err = outbound_compose(m, cfg, &p->o, &p->msg, &why)) == CS_OK)
		p->ready = true;
out:
	if (err == CS_E_INVAL) {
		/* this recipient cannot be written to (an unusable key, a bad
		 * address): the others still are; its events may be withheld */
		snprintf(dv->why, sizeof(dv->why), "%s: %s", c->email,
		         why ? why : "cannot be composed");
		log_warnx("msg=\"digest not composed\" org=%s feed=%s "
		          "error=\"%s\"",
		          dv->o->short_name, dv->feed, dv->why);
		err = CS_OK;
	}
	return err;
}

/* Stores and queues a prepared digest and records it, inside the write
 * transaction. */
static enum cs_err
record_one(struct store *st, struct arena *m, struct delivery *dv,
           const struct prepared *p)
{
	const struct config *cfg = dv->cfg;
	struct actor by = {.name = dv->by};
	struct notification nt = {0};
	struct mail mail;
	char idbuf[24];
	json_t *det;
	enum cs_err err;

	if (!p->ready)
		return CS_OK;
	if ((err = outbound_store_txn(st, m, cfg, &by, &p->o, &p->msg,
	                              &mail)) != CS_OK)
		return err;
	nt.org_id = dv->o->id;
	nt.contact_id = p->c->id;
	nt.address = p->o.to;
	nt.language = p->c->language ? p->c->language : "en";
	nt.feed = dv->feed;
	nt.first_event = p->d.first_event;
	nt.last_event = p->d.last_event;
	nt.events = (int64_t)p->d.events;
	nt.test = dv->test;
	nt.mail_id = mail.id;
	nt.resent_from = dv->resent_from;
	nt.created_by = dv->by;
	nt.created_at = clock_now();
	if ((err = store_call(st, notification_put, &nt, &nt.id)) != CS_OK)
		return err;
	for (size_t i = 0; i < dv->n; i++)
		if (digest_tlp_allowed(dv->ev[i].tlp, p->encrypted,
		                       cfg->notify_amber_unencrypted))
			dv->got[i] = true;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)nt.id);
	det = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:b,s:I}", "org",
	                dv->o->short_name, "feed", dv->feed, "to", p->o.to,
	                "events", (json_int_t)nt.events, "first_event",
	                (json_int_t)nt.first_event, "last_event",
	                (json_int_t)nt.last_event, "test", dv->test,
	                "encrypted", p->encrypted, "mail", (json_int_t)mail.id);
	if (dv->resent_from != 0)
		json_object_set_new(det, "resent_from",
		                    json_integer(dv->resent_from));
	err = audit_append(st, m, nt.created_at, dv->by, dv->action,
	                   "notification", idbuf, det);
	json_decref(det);
	dv->last_id = nt.id;
	dv->sent++;
	return err;
}

/* prepare_one and record_one in one go, inside the write transaction (a
 * handler's resend: one recipient). */
static enum cs_err
deliver_one(struct store *st, struct delivery *dv, const struct contact *c)
{
	struct arena *m = arena_new(MAIL_MEMORY);
	struct prepared p;
	enum cs_err err;

	if ((err = prepare_one(m, dv, c, &p)) == CS_OK)
		err = record_one(st, m, dv, &p);
	arena_free(m);
	return err;
}

/* Records the events of the batch no recipient got, for a handler to
 * resend once a contact (or key) exists. */
static enum cs_err
record_withheld(struct store *st, struct arena *a, struct delivery *dv,
                size_t ncontacts)
{
	struct notification nt = {0};
	const char *reason =
	    ncontacts == 0 ? "the organisation has no security or abuse "
	                     "contact"
	                   : "TLP:AMBER events and no contact with an OpenPGP "
	                     "key";
	char idbuf[24];
	json_t *det;
	enum cs_err err;

	for (size_t i = 0; i < dv->n; i++) {
		if (dv->got[i])
			continue;
		if (nt.events++ == 0)
			nt.first_event = dv->ev[i].id;
		nt.last_event = dv->ev[i].id;
	}
	if (nt.events == 0)
		return CS_OK;
	nt.org_id = dv->o->id;
	nt.address = "";
	nt.language = "";
	nt.feed = dv->feed;
	nt.test = dv->test;
	nt.created_by = dv->by;
	nt.created_at = clock_now();
	if ((err = store_call(st, notification_put, &nt, &nt.id)) != CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)nt.id);
	det = json_pack("{s:s,s:s,s:I,s:s}", "org", dv->o->short_name, "feed",
	                dv->feed, "events", (json_int_t)nt.events, "reason",
	                reason);
	err = audit_append(st, a, nt.created_at, dv->by,
	                   "notification.withheld", "notification", idbuf, det);
	json_decref(det);
	log_warnx("msg=\"events withheld\" org=%s feed=%s events=%lld "
	          "reason=\"%s\"",
	          dv->o->short_name, dv->feed, (long long)nt.events, reason);
	return err;
}

/* Another digest job for the same pair and caller, in this transaction
 * (the running one has the same payload, so no pending check). */
static enum cs_err
follow_up(struct store *st, struct arena *a, const struct job_run *r)
{
	struct job j = {0};
	char idbuf[24];
	int64_t id;
	json_t *d;
	enum cs_err err;

	j.kind = NOTIFY_JOB;
	j.payload = r->job->payload;
	j.max_attempts = r->job->max_attempts;
	j.created_at = j.run_after = clock_now();
	if ((err = store_call(st, job_put, &j, &id)) != CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:s,s:I}", "kind", NOTIFY_JOB, "after",
	              (json_int_t)r->job->id);
	err = audit_append(st, a, j.created_at, "system", "job.create", "job",
	                   idbuf, d);
	json_decref(d);
	return err;
}

bool
notify_digest_valid(json_t *p, const char **why)
{
	json_t *org = json_object_get(p, "org"),
	       *feed = json_object_get(p, "feed");
	json_t *by = json_object_get(p, "by");

	if (!json_is_integer(org) || json_integer_value(org) <= 0) {
		*why = "org must be the id of an organisation";
		return false;
	}
	if (!json_is_string(feed) || json_string_length(feed) == 0 ||
	    json_string_length(feed) > 64) {
		*why = "feed must be a feed name (1 to 64 bytes)";
		return false;
	}
	if (by != NULL && (!json_is_string(by) || json_string_length(by) == 0 ||
	                   json_string_length(by) > 64)) {
		*why = "by must be a login";
		return false;
	}
	if (json_object_size(p) != 2u + (by != NULL)) {
		*why = "unknown field (org, feed and by are known)";
		return false;
	}
	return true;
}

/* What a digest job's work step prepared for its apply step. */
struct digest_job {
	struct arena *a; /* the events */
	struct arena *m; /* the composed digests, one per contact */
	struct org o;
	int64_t last;     /* the cursor as work read it */
	int64_t new_last; /* where apply moves it; 0: nothing to send */
	bool more;        /* the batch was full: a next digest follows */
	size_t nc;        /* contacts */
	struct delivery dv;
	struct prepared *p; /* one per contact */
};

enum cs_err
notify_digest_work(struct job_run *r)
{
	const struct config *cfg = r->app;
	struct store *st = r->st;
	int64_t org_id =
	    (int64_t)json_integer_value(json_object_get(r->payload, "org"));
	const char *feed =
	    json_string_value(json_object_get(r->payload, "feed"));
	const char *by = json_string_value(json_object_get(r->payload, "by"));
	struct digest_job *dj = xcalloc(1, sizeof(*dj));
	struct page pg = {.limit = CONTACTS_MAX};
	struct event_row *ev;
	struct contact *c;
	const char **lines, *why = NULL;
	char *csv;
	size_t n = 0, k, csv_len;
	int64_t sent_at, now = clock_now();
	enum cs_err err;

	r->state = dj;
	/* the events, the contacts and their keys as of one snapshot; the
	 * composition (gpg) happens outside any transaction */
	dj->a = arena_new(batch_memory(cfg));
	if ((err = store_begin(st, false)) != CS_OK)
		return err;
	if ((err = store_call(st, org_get, dj->a, org_id, NULL, &dj->o)) !=
	    CS_OK) {
		store_rollback(st);
		return err == CS_E_NOTFOUND ? CS_OK : err; /* org gone */
	}
	if ((err = store_call(st, notify_cursor_get, org_id, feed, &dj->last,
	                      &sent_at)) == CS_OK &&
	    (err = store_call(st, notify_events, dj->a, org_id, feed, dj->last,
	                      0, settled_at(cfg, now), cfg->notify_max_events,
	                      &ev, &n)) == CS_OK &&
	    n > 0)
		err = store_call(st, contact_list, dj->a, org_id, &pg, &c,
		                 &dj->nc);
	store_rollback(st);
	if (err != CS_OK || n == 0)
		return err;
	/* digests are technical: for the security and abuse contacts, not
	 * management (a handler can resend one to anyone) */
	{
		size_t keep = 0;

		for (size_t i = 0; i < dj->nc; i++)
			if (strcmp(c[i].role, "security") == 0 ||
			    strcmp(c[i].role, "abuse") == 0)
				c[keep++] = c[i];
		dj->nc = keep;
	}
	/* the batch: as many as fit in one digest's CSV */
	if ((lines = arena_alloc(dj->a, sizeof(*lines) * n)) == NULL)
		return CS_E_TOOBIG;
	for (size_t i = 0; i < n; i++)
		lines[i] = ev[i].data;
	if ((err = digest_csv(dj->a, lines, n, DIGEST_CSV_MAX, &csv, &csv_len,
	                      &k, &why)) != CS_OK) {
		snprintf(r->err, sizeof(r->err), "%s", why ? why : "");
		return err;
	}
	if (k == 0)
		k = 1; /* one event larger than a digest: it goes alone */
	dj->new_last = ev[k - 1].id;
	dj->more = k < n || n == (size_t)cfg->notify_max_events;
	dj->dv = (struct delivery){.cfg = cfg,
	                           .by = by ? by : "system",
	                           .action = "notification.send",
	                           .o = &dj->o,
	                           .feed = feed,
	                           .ev = ev,
	                           .n = k,
	                           .test = dj->o.notify_test};
	if ((dj->dv.got = arena_alloc(dj->a, k)) == NULL ||
	    (dj->p = arena_alloc(dj->a, sizeof(*dj->p) * (dj->nc + 1))) == NULL)
		return CS_E_TOOBIG;
	memset(dj->dv.got, 0, k);
	dj->m = arena_new((dj->nc + 1) * MAIL_MEMORY);
	for (size_t i = 0; i < dj->nc; i++)
		if ((err = prepare_one(dj->m, &dj->dv, &c[i], &dj->p[i])) !=
		    CS_OK)
			return err;
	return CS_OK;
}

enum cs_err
notify_digest_apply(struct job_run *r)
{
	struct digest_job *dj = r->state;
	struct store *st = r->st;
	enum cs_err err;

	if (dj == NULL || dj->new_last == 0)
		return CS_OK; /* nothing new */
	/* compare-and-set: a digest of another worker or process that
	 * covered these events since work read the cursor wins, and this
	 * one sends nothing */
	err = store_call(st, notify_cursor_set, dj->o.id, dj->dv.feed, dj->last,
	                 dj->new_last, clock_now());
	if (err == CS_E_STALE) {
		log_info("msg=\"digest already sent\" org=%s feed=%s",
		         dj->o.short_name, dj->dv.feed);
		return CS_OK;
	}
	if (err != CS_OK)
		return err;
	for (size_t i = 0; i < dj->nc; i++)
		if ((err = record_one(st, dj->m, &dj->dv, &dj->p[i])) != CS_OK)
			return err;
	if ((err = record_withheld(st, dj->a, &dj->dv, dj->nc)) != CS_OK)
		return err;
	/* a full digest: the rest of the backlog goes in the next one now,
	 * not at the next interval */
	if (dj->more && (err = follow_up(st, dj->a, r)) != CS_OK)
		return err;
	log_info("msg=digest org=%s feed=%s events=%zu digests=%zu test=%s",
	         dj->o.short_name, dj->dv.feed, dj->dv.n, dj->dv.sent,
	         dj->dv.test ? "yes" : "no");
	return CS_OK;
}

void
notify_digest_cleanup(struct job_run *r)
{
	struct digest_job *dj = r->state;

	if (dj != NULL) {
		arena_free(dj->m);
		arena_free(dj->a);
		free(dj);
	}
	r->state = NULL;
}

enum cs_err
notify_resend(struct store *st, struct arena *a, const struct config *cfg,
              const struct actor *by, int64_t id, int64_t contact_id,
              struct notification *out, const char **why)
{
	struct arena *big = arena_new(batch_memory(cfg));
	struct page pg = {.limit = CONTACTS_MAX};
	struct notification nt;
	struct delivery dv = {.cfg = cfg,
	                      .by = by->name,
	                      .action = "notification.resend",
	                      .resent_from = id};
	const struct contact *target = NULL;
	struct contact *c;
	struct org o;
	struct event_row *ev;
	size_t nc, n;
	int64_t want;
	enum cs_err err;

	*why = NULL;
	if ((err = store_begin(st, true)) != CS_OK)
		goto done;
	if ((err = store_call(st, notification_get, big, id, &nt)) != CS_OK ||
	    (err = store_call(st, org_get, big, nt.org_id, NULL, &o)) !=
	        CS_OK ||
	    (err = store_call(st, contact_list, big, nt.org_id, &pg, &c,
	                      &nc)) != CS_OK)
		goto out;
	want = contact_id > 0 ? contact_id : nt.contact_id;
	for (size_t i = 0; i < nc; i++)
		if (c[i].id == want)
			target = &c[i];
	if (target == NULL) {
		*why = contact_id > 0
		           ? "contact is not a contact of the organisation"
		           : "the notification has no contact (any more): "
		             "name one";
		err = contact_id > 0 ? CS_E_INVAL : CS_E_CONFLICT;
		goto out;
	}
	if ((err = store_call(st, notify_events, big, nt.org_id, nt.feed,
	                      nt.first_event - 1, nt.last_event, 0,
	                      cfg->notify_max_events, &ev, &n)) != CS_OK)
		goto out;
	dv.o = &o;
	dv.feed = nt.feed;
	dv.ev = ev;
	dv.n = n;
	/* a test digest stays one unless a handler names a real contact */
	dv.test = contact_id > 0 ? false : nt.test;
	if ((dv.got = arena_alloc(big, n + 1)) == NULL) {
		err = CS_E_TOOBIG;
		goto out;
	}
	memset(dv.got, 0, n + 1);
	if ((err = deliver_one(st, &dv, target)) != CS_OK)
		goto out;
	if (dv.sent == 0) {
		if (dv.why[0] != '\0')
			*why = arena_strdup(a, dv.why);
		else if (n == 0)
			*why = "the notification's events are no longer stored";
		else
			*why = "none of the events may go to this contact: "
			       "TLP:AMBER events need its OpenPGP key";
		err = CS_E_CONFLICT;
		goto out;
	}
	err = store_call(st, notification_get, a, dv.last_id, out);
out:
	err = store_end(st, err);
done:
	arena_free(big);
	return err;
}
