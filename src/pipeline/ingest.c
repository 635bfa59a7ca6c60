/*
 * ingest.c - a feed report through the pipeline into the store.
 *
 * The parser calls on_event/on_malformed once per record, in order, so the
 * record number is the count of both. Events are turned into stored rows
 * (one per organisation concerned) as they come; on_batch_end, before the
 * parser reuses its batch memory, the rows go to the store together with
 * the malformed records and the new checkpoint, in the open transaction,
 * which is committed every commit_events rows and at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/taxonomy.h"
#include "core/xmalloc.h"
#include "pipeline/ingest.h"

#define TEXT_RESERVE   (256 * 1024) /* free text space before each event */
#define REASON_MAX     SS_WHY_MAX
#define DEFAULT_COMMIT 16384
#define DEFAULT_KEEP   1000

#define SCRATCH_MEM       (8 * 1024 * 1024)
#define SCRATCH_RESET     (4 * 1024 * 1024)
#define INCIDENT_ORGS_MAX 64

#define NO_TEXT SIZE_MAX

struct row_text {
	size_t data, taxonomy, type, identifier; /* NO_TEXT: none */
};

struct kept_malformed {
	int64_t line;
	char reason[REASON_MAX];
};

/* An incident the rules asked for, opened when the report is done. */
struct pending_incident {
	char title[RULES_NAME_MAX + 1];
	char rule[RULES_NAME_MAX + 1];
	char rsit_class[64], rsit_type[64];
	enum rule_tlp tlp;
	uint64_t events;
	int64_t orgs[INCIDENT_ORGS_MAX];
	size_t norgs;
};

struct run {
	struct store *st;
	const struct ingest_dry *dry; /* no store: rows to the caller */
	const struct ingest_opts *o;
	struct arena *a;
	struct ingest_result *res;
	struct feed_report rep;
	int64_t checkpoint; /* records committed */
	int64_t records;    /* records seen in this run */
	int64_t kept;       /* malformed records stored for the report */
	size_t since_commit;
	bool txn_open;
	bool replay;   /* the current record is before the checkpoint */
	bool stateful; /* replayed records must run through the stages */

	struct rules_ctx *rctx;
	struct dedup *dd;
	struct event_batch *scratch; /* aggregates' rule changes */
	struct pending_incident inc[INGEST_INCIDENTS_MAX];
	size_t ninc;
	uint64_t inc_overflow, geo_errors, regex_errors, rule_toobig;
	enum cs_err err;
	char why[INGEST_WHY_MAX];

	struct stored_event *sev;
	/* where each row's JSON line and classification strings are in text:
	 * an aggregate's own strings do not outlive the emission */
	struct row_text *sev_off;
	size_t nsev, sev_cap;
	char *text;
	size_t text_len, text_cap;
	struct kept_malformed *mal;
	size_t nmal, mal_cap;
};

static enum cs_err
parse_ss(const void *arg, int fd, int64_t observation,
         const struct ss_sink *sink, struct ss_stats *st, char why[SS_WHY_MAX])
{
	return ss_parse_fd(arg, fd, observation, sink, st, why);
}

struct ingest_parser
ingest_shadowserver(const struct ss_report *r)
{
	struct ingest_parser p = {parse_ss, r, ss_report_name(r)};

	return p;
}

void
ingest_ip_bytes(const struct ip_addr *a, uint8_t out[EVENT_IP_BYTES])
{
	if (a->family == 4) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a->b, 4);
	} else {
		memcpy(out, a->b, 16);
	}
}

void
ingest_cidr_range(const struct cidr *c, uint8_t lo[EVENT_IP_BYTES],
                  uint8_t hi[EVENT_IP_BYTES])
{
	unsigned bits = c->addr.family == 4 ? 96u + c->len : c->len;

	ingest_ip_bytes(&c->addr, lo);
	memcpy(hi, lo, EVENT_IP_BYTES);
	for (unsigned i = bits; i < 128; i++)
		hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

enum cs_err
ingest_hash_fd(int fd, char hex[65], int64_t *size_out)
{
	crypto_hash_sha256_state h;
	unsigned char buf[64 * 1024], md[crypto_hash_sha256_BYTES];
	int64_t size = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return CS_E_IO;
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CS_E_IO;
		}
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		size += n;
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	*size_out = size;
	return lseek(fd, 0, SEEK_SET) == 0 ? CS_OK : CS_E_IO;
}

static void
fail(struct run *r, enum cs_err err, const char *what)
{
	if (r->err != CS_OK)
		return;
	r->err = err;
	if (err == CS_E_STALE)
		snprintf(r->why, sizeof(r->why),
		         "%s: another process is working on this report", what);
	else
		snprintf(r->why, sizeof(r->why), "%s: %s", what,
		         cs_err_str(err));
}

static void
text_reserve(struct run *r, size_t need)
{
	if (r->text_cap - r->text_len >= need)
		return;
	while (r->text_cap - r->text_len < need)
		r->text_cap = r->text_cap ? r->text_cap * 2 : 1024 * 1024;
	r->text = xrealloc(r->text, r->text_cap);
}

/* A copy of s (with its NUL) in the batch's text; its offset. */
static size_t
text_keep(struct run *r, const char *s)
{
	size_t n, off;

	if (s == NULL)
		return NO_TEXT;
	n = strlen(s) + 1;
	text_reserve(r, n);
	off = r->text_len;
	memcpy(r->text + off, s, n);
	r->text_len += n;
	return off;
}

static const char *
text_at(const struct run *r, size_t off)
{
	return off == NO_TEXT ? NULL : r->text + off;
}

/* Points the batch's rows at their strings (text is final now). */
static void
rows_resolve(struct run *r, bool with_data)
{
	for (size_t i = 0; i < r->nsev; i++) {
		const struct row_text *p = &r->sev_off[i];

		r->sev[i].data = with_data ? r->text + p->data : NULL;
		r->sev[i].taxonomy = text_at(r, p->taxonomy);
		r->sev[i].type = text_at(r, p->type);
		r->sev[i].identifier = text_at(r, p->identifier);
	}
}

static struct stored_event *
row_new(struct run *r)
{
	if (r->nsev == r->sev_cap) {
		r->sev_cap = r->sev_cap ? r->sev_cap * 2 : 2048;
		r->sev = xrealloc(r->sev, r->sev_cap * sizeof(*r->sev));
		r->sev_off =
		    xrealloc(r->sev_off, r->sev_cap * sizeof(*r->sev_off));
	}
	return &r->sev[r->nsev++];
}

/* ---- the rules' incidents ---- */

static struct pending_incident *
incident_slot(struct run *r, const char *title)
{
	for (size_t i = 0; i < r->ninc; i++)
		if (strcmp(r->inc[i].title, title) == 0)
			return &r->inc[i];
	if (r->ninc == INGEST_INCIDENTS_MAX) {
		r->inc_overflow++;
		return NULL;
	}
	struct pending_incident *pi = &r->inc[r->ninc++];

	memset(pi, 0, sizeof(*pi));
	snprintf(pi->title, sizeof(pi->title), "%s", title);
	return pi;
}

static void
incident_note(struct run *r, const struct event *ev,
              const struct rule_outcome *out, enum rule_tlp tlp,
              const int64_t *orgs, size_t norgs)
{
	struct pending_incident *pi = incident_slot(r, out->incident);

	if (pi == NULL)
		return;
	if (pi->events++ == 0) {
		const char *c = ev->str[EF_CLASS_TAXONOMY];
		const char *t = ev->str[EF_CLASS_TYPE];
		const struct rsit_type *rt;
		const char *why;

		/* RSIT only: IntelMQ's "other"/"test" are not incident
		 * classes */
		if (c != NULL && t != NULL &&
		    rsit_check(c, t, &rt, &why) == CS_OK) {
			snprintf(pi->rsit_class, sizeof(pi->rsit_class), "%s",
			         c);
			snprintf(pi->rsit_type, sizeof(pi->rsit_type), "%s", t);
		}
		pi->tlp = tlp;
		snprintf(pi->rule, sizeof(pi->rule), "%s",
		         out->last_rule ? out->last_rule : "");
	}
	for (size_t i = 0; i < norgs; i++) {
		bool have = false;

		for (size_t j = 0; j < pi->norgs && !have; j++)
			have = pi->orgs[j] == orgs[i];
		if (!have && pi->norgs < INCIDENT_ORGS_MAX)
			pi->orgs[pi->norgs++] = orgs[i];
	}
}

/* Opens the incidents, in the transaction that marks the report done. */
static enum cs_err
incidents_open(struct run *r, struct arena *a, struct ingest_result *res)
{
	static const struct actor pipeline_actor = {"pipeline", 0};
	const struct actor *by = r->o->actor ? r->o->actor : &pipeline_actor;
	struct viewer v = {0, ROLE_ADMIN, NULL};
	enum cs_err err;

	if (r->o->incidents == NULL)
		return CS_OK;
	for (size_t i = 0; i < r->ninc; i++) {
		struct pending_incident *pi = &r->inc[i];
		struct incident_input in;
		struct incident out;
		struct verrs ve = {0};
		const char **orgs =
		    arena_alloc(a, sizeof(*orgs) * (pi->norgs + 1));
		size_t no = 0;
		enum tlp tlp;
		char *summary;

		if (orgs == NULL)
			return CS_E_TOOBIG;
		for (size_t j = 0; j < pi->norgs; j++) {
			struct org o;

			err = store_call(r->st, org_get, a, pi->orgs[j], NULL,
			                 &o);
			if (err == CS_OK)
				orgs[no++] = o.short_name;
			else if (err != CS_E_NOTFOUND)
				return err;
		}
		orgs[no] = NULL;
		summary = arena_printf(
		    a,
		    "Opened by the event pipeline: rule \"%s\" matched %llu "
		    "event(s) of feed %s, report #%lld (%s). The events are "
		    "listed at /api/v1/events?report=%lld.",
		    pi->rule, (unsigned long long)pi->events, r->rep.feed,
		    (long long)r->rep.id, r->rep.source ? r->rep.source : "",
		    (long long)r->rep.id);
		if (summary == NULL)
			return CS_E_TOOBIG;
		incident_input_init(&in);
		in.title = pi->title;
		in.summary = summary;
		if (pi->rsit_class[0] != '\0') {
			in.rsit_class = pi->rsit_class;
			in.rsit_type = pi->rsit_type;
		}
		if (pi->tlp != RULE_TLP_NONE &&
		    tlp_parse(rule_tlp_name(pi->tlp), &tlp))
			in.tlp = (int)tlp;
		in.orgs = orgs;
		err = incidents_create_txn(r->st, a, r->o->incidents, by, &v,
		                           &in, &out, &ve);
		if (err != CS_OK)
			return err;
		if (res->incidents < INGEST_INCIDENTS_MAX)
			snprintf(res->refs[res->incidents],
			         sizeof(res->refs[0]), "%s", out.ref);
		res->incidents++;
	}
	return CS_OK;
}

/* ---- the stages ---- */

/* The event's organisations, its row(s), and the incident it asks for. */
static void
store_event(struct run *r, struct event *ev, struct event_batch *b,
            const struct rule_outcome *out)
{
	int64_t orgs[LOOKUP_MAX_ORGS];
	size_t norgs = 0, len, off;
	struct stored_event base;
	struct row_text pos;
	enum rule_tlp tlp = out ? out->tlp : RULE_TLP_NONE;
	enum cs_err err;

	if (r->replay && (out == NULL || out->incident == NULL))
		return;
	if (r->o->ci != NULL)
		norgs = constituency_match(
		    r->o->ci,
		    event_has(ev, EF_SOURCE_IP) ? &ev->source_ip : NULL,
		    event_has(ev, EF_SOURCE_ASN) ? ev->source_asn : 0,
		    ev->str[EF_SOURCE_FQDN], orgs, LOOKUP_MAX_ORGS);
	if (out != NULL && out->incident != NULL)
		incident_note(r, ev, out, tlp, orgs, norgs);
	if (r->replay)
		return;
	if (out != NULL && out->n_tags > 0 && b != NULL) {
		char tags[RULES_TAGS_MAX * (RULES_NAME_MAX + 1)];
		size_t n = 0;
		struct extra_value v = {.kind = XV_STRING};

		for (size_t i = 0; i < out->n_tags; i++)
			n +=
			    (size_t)snprintf(tags + n, sizeof(tags) - n, "%s%s",
			                     i ? "," : "", out->tags[i]);
		if ((v.u.s = event_batch_intern(b, tags, n)) != NULL)
			(void)event_set_extra(ev, "tags", v);
	}

	text_reserve(r, TEXT_RESERVE);
	off = r->text_len;
	if (r->dry != NULL && r->dry->no_text) {
		len = 0;
		err = CS_OK;
	} else {
		err = event_to_text(ev, r->text + off, r->text_cap - off, &len);
	}
	if (err != CS_OK) {
		/* cannot happen with the event size limits; count it */
		r->rep.dropped++;
		return;
	}
	r->text_len += len;
	pos.data = off;
	pos.taxonomy = text_keep(r, ev->str[EF_CLASS_TAXONOMY]);
	pos.type = text_keep(r, ev->str[EF_CLASS_TYPE]);
	pos.identifier = text_keep(r, ev->str[EF_CLASS_IDENTIFIER]);

	memset(&base, 0, sizeof(base));
	base.has_time = event_has(ev, EF_TIME_SOURCE);
	base.time_source = ev->time_source;
	if ((base.has_ip = event_has(ev, EF_SOURCE_IP)))
		ingest_ip_bytes(&ev->source_ip, base.source_ip);
	base.source_asn = event_has(ev, EF_SOURCE_ASN) ? ev->source_asn : 0;
	base.tlp = tlp != RULE_TLP_NONE ? rule_tlp_name(tlp)
	           : r->o->tlp          ? r->o->tlp
	                                : "amber";
	base.data_len = len;
	for (size_t i = 0; i < (norgs ? norgs : 1); i++) {
		struct stored_event *s = row_new(r);

		*s = base;
		s->org_id = norgs ? orgs[i] : 0;
		/* a rule may suppress it; asking has no effect without an
		 * organisation to tell */
		s->notify =
		    norgs > 0 && (out == NULL || out->notify != RULE_NOTIFY_NO);
		r->sev_off[r->nsev - 1] = pos;
	}
}

/* Runs the rules on ev; false when they drop it. */
static bool
apply_rules(struct run *r, struct event *ev, struct event_batch *b,
            struct rule_outcome *out)
{
	enum cs_err err = rules_eval(r->o->rules, r->rctx, b, ev, out);

	r->regex_errors += out->regex_errors;
	if (err != CS_OK)
		r->rule_toobig++; /* kept as the rules left it */
	if (out->drop) {
		if (!r->replay)
			r->rep.dropped++;
		return false;
	}
	return true;
}

/* An aggregate closed by the dedup table: rules, then storage. */
static void
on_aggregate(void *ctx, struct event *ev, const struct dedup_aggregate *agg)
{
	struct run *r = ctx;
	struct rule_outcome out;

	if (r->err != CS_OK)
		return;
	if (!r->replay)
		r->rep.duplicates += (int64_t)(agg->count - 1);
	if (r->o->rules == NULL) {
		store_event(r, ev, r->scratch, NULL);
		return;
	}
	if (event_batch_used(r->scratch) > SCRATCH_RESET)
		event_batch_reset(r->scratch);
	if (apply_rules(r, ev, r->scratch, &out))
		store_event(r, ev, r->scratch, &out);
}

static void
on_event(struct event *ev, struct event_batch *b, void *ctx)
{
	struct run *r = ctx;
	struct rule_outcome out;
	char why[GEO_WHY_MAX];
	unsigned filled;

	r->replay = r->records++ < r->checkpoint;
	if (r->err != CS_OK || (r->replay && !r->stateful))
		return;
	if (!r->replay)
		r->rep.events++;
	if (r->o->asn != NULL)
		asn_enrich(r->o->asn, ev);
	if (r->o->geo != NULL &&
	    geo_enrich(r->o->geo, b, ev, &filled, why) != CS_OK)
		r->geo_errors++;
	if (r->dd != NULL && r->o->dedup->mode == DEDUP_AGGREGATE) {
		/* windows that close emit through on_aggregate() first */
		switch (dedup_push(r->dd, ev)) {
		case DEDUP_PASS:
			break; /* too large to hold: on as it is */
		default:
			return; /* held in its window */
		}
	}
	if (r->o->rules != NULL && !apply_rules(r, ev, b, &out))
		return;
	if (r->dd != NULL && r->o->dedup->mode == DEDUP_DROP &&
	    dedup_push(r->dd, ev) == DEDUP_DUPLICATE) {
		if (!r->replay)
			r->rep.duplicates++;
		return;
	}
	store_event(r, ev, b, r->o->rules != NULL ? &out : NULL);
}

static size_t
keep_of(const struct ingest_opts *o)
{
	return o->malformed_keep ? o->malformed_keep : DEFAULT_KEEP;
}

static void
on_malformed(size_t line, const char *reason, void *ctx)
{
	struct run *r = ctx;
	size_t keep = keep_of(r->o);
	struct kept_malformed *m;

	if (r->records++ < r->checkpoint || r->err != CS_OK)
		return;
	r->rep.malformed++;
	if ((size_t)r->kept + r->nmal >= keep)
		return;
	if (r->nmal == r->mal_cap) {
		r->mal_cap = r->mal_cap ? r->mal_cap * 2 : 64;
		r->mal = xrealloc(r->mal, r->mal_cap * sizeof(*r->mal));
	}
	m = &r->mal[r->nmal++];
	m->line = (int64_t)line;
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
}

static enum cs_err
commit(struct run *r)
{
	enum cs_err err;

	if (!r->txn_open)
		return CS_OK;
	r->txn_open = false;
	r->since_commit = 0;
	if ((err = store_commit(r->st)) != CS_OK)
		return err;
	return CS_OK;
}

/* A run without a store hands its rows to the caller instead. */
static void
dry_flush(struct run *r, bool final)
{
	const struct ingest_dry *d = r->dry;

	rows_resolve(r, !d->no_text);
	for (size_t i = 0; i < r->nsev; i++) {
		if (d->on_row != NULL)
			d->on_row(d->ctx, &r->sev[i]);
	}
	for (size_t i = 0; i < r->nmal && d->on_malformed != NULL; i++)
		d->on_malformed(d->ctx, r->mal[i].line, r->mal[i].reason);
	r->rep.stored += (int64_t)r->nsev;
	r->rep.records = r->records;
	r->checkpoint = r->records;
	r->kept += (int64_t)r->nmal;
	if (final && d->on_incident != NULL)
		for (size_t i = 0; i < r->ninc; i++)
			d->on_incident(d->ctx, r->inc[i].title,
			               r->inc[i].events, r->inc[i].norgs);
}

/* Writes what the batch produced and moves the checkpoint. */
static void
flush(struct run *r, bool final)
{
	size_t commit_every =
	    r->o->commit_events ? r->o->commit_events : DEFAULT_COMMIT;
	int64_t expect = r->checkpoint;
	enum cs_err err = CS_OK;

	if (r->err != CS_OK || (r->records <= r->checkpoint && !final))
		goto reset;
	if (r->dry != NULL) {
		dry_flush(r, final);
		goto reset;
	}
	if (!r->txn_open) {
		if ((err = store_begin(r->st, true)) != CS_OK) {
			fail(r, err, "begin");
			goto reset;
		}
		r->txn_open = true;
	}
	rows_resolve(r, true);
	if (r->nsev > 0)
		err = store_call(r->st, event_append, r->rep.id, r->rep.feed,
		                 clock_now(), r->sev, r->nsev);
	for (size_t i = 0; i < r->nmal && err == CS_OK; i++)
		err = store_call(r->st, feed_malformed_add, r->rep.id,
		                 r->mal[i].line, r->mal[i].reason);
	if (err == CS_OK) {
		r->rep.stored += (int64_t)r->nsev;
		r->rep.records =
		    r->records > r->checkpoint ? r->records : r->checkpoint;
		if (final) {
			r->rep.state = "done";
			r->rep.error = NULL;
			r->rep.finished_at = clock_now();
			err = incidents_open(r, r->a, r->res);
		}
		if (err == CS_OK)
			err = store_call(r->st, feed_report_update, &r->rep,
			                 expect);
	}
	if (err != CS_OK) {
		store_rollback(r->st);
		r->txn_open = false;
		r->res->incidents = 0;
		fail(r, err, "storing events");
		goto reset;
	}
	r->checkpoint = r->rep.records;
	r->kept += (int64_t)r->nmal;
	r->since_commit += r->nsev;
	if ((final || r->since_commit >= commit_every) &&
	    (err = commit(r)) != CS_OK)
		fail(r, err, "commit");
reset:
	r->nsev = 0;
	r->nmal = 0;
	r->text_len = 0;
}

static void
on_batch_end(void *ctx)
{
	flush(ctx, false);
}

/* Finds the report or records it, and marks it running. */
static enum cs_err
open_report(struct run *r, struct arena *a, const struct ingest_parser *p,
            const char *source, const char *sha256, int64_t size,
            int64_t received_at, struct ingest_result *res)
{
	struct feed_report fr;
	enum cs_err err;
	int64_t id;

	if ((err = store_begin(r->st, true)) != CS_OK)
		return err;
	err = store_call(r->st, feed_report_find, a, r->o->feed, sha256, &fr);
	if (err == CS_E_NOTFOUND) {
		memset(&fr, 0, sizeof(fr));
		fr.feed = r->o->feed;
		fr.report = p->report ? p->report : "";
		fr.source = source;
		fr.sha256 = sha256;
		fr.size = size;
		fr.state = "running";
		fr.received_at = received_at;
		fr.started_at = clock_now();
		err = store_call(r->st, feed_report_put, &fr, &id);
		fr.id = id;
	} else if (err == CS_OK && strcmp(fr.state, "done") == 0) {
		res->already_done = true;
	} else if (err == CS_OK) {
		res->resumed = fr.records > 0;
		fr.state = "running";
		fr.error = NULL;
		if (fr.started_at == 0)
			fr.started_at = clock_now();
		err = store_call(r->st, feed_report_update, &fr, fr.records);
	}
	if ((err = store_end(r->st, err)) != CS_OK)
		return err;
	r->rep = fr;
	r->checkpoint = fr.records;
	r->kept = fr.malformed;
	if ((size_t)r->kept > keep_of(r->o))
		r->kept = (int64_t)keep_of(r->o);
	return CS_OK;
}

static void
mark_failed(struct run *r, const char *why)
{
	enum cs_err err;

	r->rep.state = "failed";
	r->rep.error = why;
	r->rep.finished_at = clock_now();
	if (store_begin(r->st, true) != CS_OK)
		return;
	err = store_call(r->st, feed_report_update, &r->rep, r->checkpoint);
	(void)store_end(r->st, err);
}

static enum cs_err
run_report(struct store *st, const struct ingest_dry *dry,
           const struct ingest_opts *o, const struct ingest_parser *p, int fd,
           const char *source, int64_t received_at, struct ingest_result *res,
           char why[INGEST_WHY_MAX])
{
	struct arena *a = arena_new(64 * 1024);
	struct run *r = xcalloc(1, sizeof(*r));
	struct ss_sink sink = {on_event, on_malformed, on_batch_end, r};
	struct ss_stats stats;
	char sha[65] = "", pwhy[SS_WHY_MAX];
	int64_t size;
	enum cs_err err;

	memset(res, 0, sizeof(*res));
	why[0] = '\0';
	r->st = st;
	r->dry = dry;
	r->o = o;
	r->a = a;
	r->res = res;
	if (o->dedup != NULL) {
		struct dedup_config dc = *o->dedup;
		char dwhy[DEDUP_WHY_MAX];

		dc.emit = on_aggregate;
		dc.emit_ctx = r;
		if ((err = dedup_new(&dc, &r->dd, dwhy)) != CS_OK) {
			snprintf(why, INGEST_WHY_MAX, "dedup: %s", dwhy);
			goto out;
		}
		if (dc.mode == DEDUP_AGGREGATE)
			r->scratch = event_batch_new(SCRATCH_MEM);
	}
	if (o->rules != NULL)
		r->rctx = rules_ctx_new();
	r->stateful = r->dd != NULL || o->rules != NULL;
	if (dry != NULL) {
		r->rep.feed = o->feed;
		r->rep.received_at = received_at;
		goto parse;
	}
	if ((err = ingest_hash_fd(fd, sha, &size)) != CS_OK) {
		snprintf(why, INGEST_WHY_MAX, "reading the report: %s",
		         strerror(errno));
		goto out;
	}
	err = open_report(r, a, p, source, sha, size, received_at, res);
	if (err != CS_OK) {
		snprintf(why, INGEST_WHY_MAX, "recording the report: %s",
		         cs_err_str(err));
		goto out;
	}
	if (res->already_done)
		goto done;
	res->skipped = r->checkpoint;
parse:
	err = p->parse(p->arg, fd, r->rep.received_at, &sink, &stats, pwhy);
	if (r->err != CS_OK) {
		/* the store failed under the parser: nothing after the
		 * checkpoint was committed; a rerun resumes there */
		if (r->txn_open)
			store_rollback(st);
		snprintf(why, INGEST_WHY_MAX, "%s", r->why);
		err = r->err;
		goto out;
	}
	if (err != CS_OK) {
		/* the parser refused the report: keep what was read */
		flush(r, false);
		if (dry != NULL) {
			snprintf(why, INGEST_WHY_MAX, "%s", pwhy);
			goto out;
		}
		if (r->txn_open && commit(r) != CS_OK)
			store_rollback(st);
		snprintf(why, INGEST_WHY_MAX, "%s", pwhy);
		mark_failed(r, why);
		res->report = r->rep;
		goto out;
	}
	if (r->dd != NULL) {
		/* the aggregates still held, into the last transaction */
		r->replay = false;
		dedup_flush(r->dd);
	}
	flush(r, true);
	if (r->err != CS_OK) {
		snprintf(why, INGEST_WHY_MAX, "%s", r->why);
		err = r->err;
		goto out;
	}
done:
	err = CS_OK;
out:
	res->report = r->rep;
	/* the row's strings lived in the arena: give the caller's */
	res->report.feed = o->feed;
	res->report.report = p->report;
	res->report.source = source;
	res->report.sha256 = NULL;
	res->report.error = NULL;
	res->report.spool = NULL;
	memcpy(res->sha256, sha, sizeof(sha));
	res->geo_errors = r->geo_errors;
	res->regex_errors = r->regex_errors;
	dedup_free(r->dd);
	if (r->scratch != NULL)
		event_batch_free(r->scratch);
	if (r->rctx != NULL)
		rules_ctx_free(r->rctx);
	free(r->sev);
	free(r->sev_off);
	free(r->text);
	free(r->mal);
	free(r);
	arena_free(a);
	return err;
}

enum cs_err
ingest_fd(struct store *st, const struct ingest_opts *o,
          const struct ingest_parser *p, int fd, const char *source,
          int64_t received_at, struct ingest_result *res,
          char why[INGEST_WHY_MAX])
{
	return run_report(st, NULL, o, p, fd, source, received_at, res, why);
}

enum cs_err
ingest_dry_fd(const struct ingest_dry *dry, const struct ingest_opts *o,
              const struct ingest_parser *p, int fd, const char *source,
              int64_t received_at, struct ingest_result *res,
              char why[INGEST_WHY_MAX])
{
	return run_report(NULL, dry, o, p, fd, source, received_at, res, why);
}
