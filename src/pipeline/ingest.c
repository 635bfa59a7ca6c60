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
#include "core/xmalloc.h"
#include "pipeline/ingest.h"

#define TEXT_RESERVE   (256 * 1024) /* free text space before each event */
#define REASON_MAX     SS_WHY_MAX
#define DEFAULT_COMMIT 16384
#define DEFAULT_KEEP   1000

struct kept_malformed {
	int64_t line;
	char reason[REASON_MAX];
};

struct run {
	struct store *st;
	const struct ingest_opts *o;
	struct feed_report rep;
	int64_t checkpoint; /* records committed */
	int64_t records;    /* records seen in this run */
	int64_t kept;       /* malformed records stored for the report */
	size_t since_commit;
	bool txn_open;
	enum cs_err err;
	char why[INGEST_WHY_MAX];

	struct stored_event *sev;
	size_t *sev_off; /* offset of each row's text in text */
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

static void
on_event(const struct event *ev, void *ctx)
{
	struct run *r = ctx;
	int64_t orgs[LOOKUP_MAX_ORGS];
	size_t norgs = 0, len, off;
	struct stored_event base;
	enum cs_err err;

	if (r->records++ < r->checkpoint || r->err != CS_OK)
		return;
	r->rep.events++;
	if (r->o->ci != NULL)
		norgs = constituency_match(
		    r->o->ci,
		    event_has(ev, EF_SOURCE_IP) ? &ev->source_ip : NULL,
		    event_has(ev, EF_SOURCE_ASN) ? ev->source_asn : 0,
		    ev->str[EF_SOURCE_FQDN], orgs, LOOKUP_MAX_ORGS);

	text_reserve(r, TEXT_RESERVE);
	off = r->text_len;
	err = event_to_text(ev, r->text + off, r->text_cap - off, &len);
	if (err != CS_OK) {
		/* cannot happen with the event size limits; count it */
		r->rep.dropped++;
		return;
	}
	r->text_len += len;

	memset(&base, 0, sizeof(base));
	base.has_time = event_has(ev, EF_TIME_SOURCE);
	base.time_source = ev->time_source;
	if ((base.has_ip = event_has(ev, EF_SOURCE_IP)))
		ingest_ip_bytes(&ev->source_ip, base.source_ip);
	base.source_asn = event_has(ev, EF_SOURCE_ASN) ? ev->source_asn : 0;
	base.taxonomy = ev->str[EF_CLASS_TAXONOMY];
	base.type = ev->str[EF_CLASS_TYPE];
	base.identifier = ev->str[EF_CLASS_IDENTIFIER];
	base.tlp = r->o->tlp ? r->o->tlp : "amber";
	base.data_len = len;
	for (size_t i = 0; i < (norgs ? norgs : 1); i++) {
		struct stored_event *s = row_new(r);

		*s = base;
		s->org_id = norgs ? orgs[i] : 0;
		s->notify = norgs > 0;
		r->sev_off[r->nsev - 1] = off;
	}
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
	if (!r->txn_open) {
		if ((err = store_begin(r->st, true)) != CS_OK) {
			fail(r, err, "begin");
			goto reset;
		}
		r->txn_open = true;
	}
	for (size_t i = 0; i < r->nsev; i++)
		r->sev[i].data = r->text + r->sev_off[i];
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
		}
		err = store_call(r->st, feed_report_update, &r->rep, expect);
	}
	if (err != CS_OK) {
		store_rollback(r->st);
		r->txn_open = false;
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

enum cs_err
ingest_fd(struct store *st, const struct ingest_opts *o,
          const struct ingest_parser *p, int fd, const char *source,
          int64_t received_at, struct ingest_result *res,
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
	r->o = o;
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
		if (r->txn_open && commit(r) != CS_OK)
			store_rollback(st);
		snprintf(why, INGEST_WHY_MAX, "%s", pwhy);
		mark_failed(r, why);
		res->report = r->rep;
		goto out;
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
	free(r->sev);
	free(r->sev_off);
	free(r->text);
	free(r->mal);
	free(r);
	arena_free(a);
	return err;
}
