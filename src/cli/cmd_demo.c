/*
 * cmd_demo.c - csirtd demo: loads a sample installation of a fictional
 * regional CSIRT (the "CSIRT del Migjorn") so that a newcomer sees a living
 * workspace at once.
 *
 * Everything goes through the core functions (orgs, contacts, assets
 * import, users, templates, reports and triage, incidents, journal, tasks,
 * observables, links), so audit rows, the search index and every rule
 * apply exactly as through the API. One "demo.load" audit row, written
 * first by the CLI actor, says that the rows after it attributed to the
 * demo handlers and to "system" were written by this command.
 *
 * The data is deterministic: one PRNG with a fixed seed, so the counts are
 * the same on every run and on both backends. Names and numbers come only
 * from space reserved for documentation: 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32, AS64496-64511 and AS65536-65551, and
 * domains under .example. Every organisation's notes and every incident's
 * tags say "demo".
 *
 * Time: each incident is given an age (up to 30 days) and is opened that
 * long ago: the demo moves its own clock back (clock_shift) while it
 * writes the incident, then forward, step by step, through its journal,
 * so the 30-day chart, the SLA clocks and the history read as on a real
 * desk: some active incidents are past their deadlines, others due soon.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/clock.h"
#include "core/constituency.h"
#include "core/incidents.h"
#include "core/observables.h"
#include "core/orgs.h"
#include "core/reports.h"
#include "core/templates.h"
#include "cli/demo_data.h"

#define DEMO_PASSWORD    "demo-password-change-me"
#define DEMO_SEED        0x4d69676a6f726e31ULL /* "Migjorn1" */
#define DEMO_INCIDENTS   120 /* besides the campaign's parent incident */
#define DEMO_MAX_RECS    (DEMO_INCIDENTS + 1)
#define DAY              86400
#define N_PLAYBOOK_TASKS 6

static const char demo_usage[] =
    "usage: csirtd demo [--force]\n"
    "Loads a sample installation of a fictional regional CSIRT, so that a\n"
    "new installation shows a living workspace: 8 organisations with\n"
    "contacts and network assets, 8 users sharing the password\n"
    "'" DEMO_PASSWORD "', a phishing playbook, about 120 incidents and\n"
    "60 reports in every state, with journal entries, tasks, observables\n"
    "and links. Everything is marked \"demo\" (organisation notes, incident\n"
    "tags) and uses only documentation addresses, AS numbers and .example\n"
    "domains. The existing admin is left as it is.\n"
    "Refuses a database that already holds incidents or organisations\n"
    "unless --force is given. Not for a production installation.\n";

#define N_MERGED    8
#define N_UNTRIAGED 10

/* ---- the state of one load ------------------------------------------ */

/* What the demo remembers of an incident it made. */
struct rec {
	char ref[32];
	char ip[40];
	int64_t id;
	int kind, org, creator;
	unsigned seen_by; /* bit per handler who may read it (TLP:RED) */
	enum tlp tlp;
	enum status status;
	int64_t response_due, resolve_due;
	bool responded;
};

struct demo {
	struct store *st;
	struct arena *a; /* reset for each incident */
	struct incident_policy pol;
	uint64_t rng;
	struct actor cli_actor, system, handler[N_HANDLERS];
	struct viewer hview[N_HANDLERS];
	int constituent[N_ORGS]; /* index in demo_users[], or -1 */
	int64_t user_id[DEMO_USERS];
	int parent;  /* the campaign's record, or -1 */
	int64_t ago; /* how long ago the current incident's step happens */
	struct rec recs[DEMO_MAX_RECS];
	size_t nrecs;
	struct {
		int orgs, orgs_kept, contacts, assets, users, users_kept,
		    incidents, entries, tasks, observables, links, reports,
		    campaign;
		int status[STATUS_N], triaged, merged, rejected, spam,
		    untriaged;
	} n;
};

/* Prints why a core call failed; returns err. */
static enum cs_err
failed(const char *what, enum cs_err err, const struct verrs *ve,
       const char *why)
{
	if (err == CS_OK)
		return err;
	fprintf(stderr, "csirtd: demo: %s: %s\n", what, cs_err_str(err));
	if (ve != NULL && ve->n > 0)
		cli_print_verrs(what, ve);
	if (why != NULL)
		fprintf(stderr, "csirtd: demo: %s\n", why);
	return err;
}

/* splitmix64: deterministic, small, good enough for sample data */
static uint64_t
next(struct demo *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t
below(struct demo *d, int64_t n)
{
	return n > 0 ? (int64_t)(next(d) % (uint64_t)n) : 0;
}

static bool
chance(struct demo *d, int percent)
{
	return below(d, 100) < percent;
}

static int
lang_index(const char *code)
{
	for (int i = 0; i < DEMO_LANGS; i++)
		if (strncmp(demo_langs[i], code, 2) == 0)
			return i;
	return 3; /* en */
}

/* ---- placeholders ---------------------------------------------------- */

struct vars {
	const struct demo_org *org;
	char ip[40], ext[40], ext2[40], n[12], sha256[65], md5[33];
	const char *ref, *title;
};

static void
hex(struct demo *d, char *out, size_t digits)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < digits; i++)
		out[i] = x[next(d) & 15];
	out[digits] = '\0';
}

static void
outside_ip(struct demo *d, char out[40])
{
	/* addresses of no organisation: attackers, their servers */
	if (chance(d, 60))
		snprintf(out, 40, "203.0.113.%d", 130 + (int)below(d, 125));
	else
		snprintf(out, 40, "192.0.2.%d", 194 + (int)below(d, 61));
}

static void
vars_init(struct demo *d, struct vars *v, int org)
{
	const struct demo_org *o = &demo_orgs[org];

	memset(v, 0, sizeof(*v));
	v->org = o;
	snprintf(v->ip, sizeof(v->ip), "%s%d", o->net,
	         o->lo + (int)below(d, o->hi - o->lo + 1));
	outside_ip(d, v->ext);
	outside_ip(d, v->ext2);
	snprintf(v->n, sizeof(v->n), "%d", 2 + (int)below(d, 97));
	hex(d, v->sha256, 64);
	hex(d, v->md5, 32);
}

static const char *
var(const struct vars *v, const char *name, size_t len)
{
	static const char *const names[] = {"org",    "code", "dom",  "slug",
	                                    "ip",     "ext",  "ext2", "n",
	                                    "sha256", "md5",  "ref",  "title"};
	const char *vals[] = {v->org->name, v->org->code, v->org->domain,
	                      v->org->slug, v->ip,        v->ext,
	                      v->ext2,      v->n,         v->sha256,
	                      v->md5,       v->ref,       v->title};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return vals[i];
	return NULL;
}

/* pattern with its {placeholders} filled in, in the arena */
static const char *
expand(struct arena *a, const char *pat, const struct vars *v)
{
	char out[8192];
	size_t o = 0;

	for (const char *p = pat; *p != '\0' && o < sizeof(out) - 1;) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		const char *val =
		    end ? var(v, p + 1, (size_t)(end - p - 1)) : NULL;
		size_t n;

		if (val == NULL) {
			out[o++] = *p++;
			continue;
		}
		n = strlen(val);
		if (n > sizeof(out) - 1 - o)
			n = sizeof(out) - 1 - o;
		memcpy(out + o, val, n);
		o += n;
		p = end + 1;
	}
	out[o] = '\0';
	return arena_strdup(a, out);
}

/* "a,b" -> {"demo", "a", "b", more..., NULL} in the arena */
static const char **
tag_list(struct arena *a, const char *tags, const char *const *more)
{
	const char **out = arena_alloc(a, sizeof(*out) * 24);
	char *copy = arena_strdup(a, tags);
	size_t n = 0;

	if (out == NULL || copy == NULL)
		return NULL;
	out[n++] = "demo";
	for (char *p = copy; *p != '\0' && n < 16;) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		out[n++] = p;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	for (size_t i = 0; more != NULL && more[i] != NULL && n < 23; i++)
		out[n++] = more[i];
	out[n] = NULL;
	return out;
}

/* ---- step 1: accounts, constituency, playbook ------------------------ */

static enum cs_err
database_is_empty(struct demo *d, bool *empty_out)
{
	struct page p = {.after = 0, .limit = 1};
	struct audit_filter f = {"incident.create", NULL};
	struct audit_row *rows;
	struct org *os;
	size_t n = 0, m = 0;
	enum cs_err err;

	/* the audit log also knows of TLP:RED incidents no one here reads */
	if ((err = store_call(d->st, org_list, d->a, NULL, &p, &os, &n)) !=
	        CS_OK ||
	    (err = store_call(d->st, audit_list, d->a, &f, &p, &rows, &m)) !=
	        CS_OK)
		return failed("reading the database", err, NULL, NULL);
	*empty_out = n == 0 && m == 0;
	return CS_OK;
}

static enum cs_err
mark_start(struct demo *d)
{
	json_t *detail = json_pack(
	    "{s:s}", "note",
	    "sample data follows: the rows by the demo users and by system "
	    "until the end of this load were written by 'csirtd demo'");
	enum cs_err err;

	if ((err = store_begin(d->st, true)) == CS_OK)
		err = store_end(d->st,
		                audit_append(d->st, d->a, clock_now(),
		                             d->cli_actor.name, "demo.load",
		                             "demo", "load", detail));
	json_decref(detail);
	return failed("audit", err, NULL, NULL);
}

static enum cs_err
load_orgs(struct demo *d)
{
	struct import_result *res;
	struct verrs ve = {0};
	enum cs_err err;

	for (int i = 0; i < N_ORGS; i++) {
		const struct demo_org *x = &demo_orgs[i];
		struct org o = {0}, had;

		if (store_call(d->st, org_get, d->a, 0, x->code, &had) ==
		    CS_OK) {
			d->n.orgs_kept++; /* --force: kept as it is */
			continue;
		}
		o.name = x->name;
		o.short_name = x->code;
		o.sector = x->sector;
		o.country = "ES";
		o.languages = x->languages;
		o.parent_short = x->parent;
		o.notes = arena_printf(
		    d->a,
		    "demo: a fictional organisation loaded by 'csirtd demo'; "
		    "its names, addresses, AS numbers and domains are "
		    "reserved for documentation.\n\n%s",
		    x->about);
		if (o.notes == NULL)
			return failed(x->code, CS_E_TOOBIG, NULL, NULL);
		if ((err = orgs_create(d->st, d->a, &d->cli_actor, &o, &ve)) !=
		    CS_OK)
			return failed(x->code, err, &ve, NULL);
		d->n.orgs++;
		for (size_t k = 0; k < DEMO_CONTACTS; k++) {
			const struct demo_contact *y = &demo_contacts[k];
			struct contact ct = {0};

			if (y->org != i)
				continue;
			ct.org_id = o.id;
			ct.name = y->name;
			ct.email = y->email;
			ct.role = y->role;
			ct.language = y->language;
			if ((err = contacts_add(d->st, d->a, &d->cli_actor, &ct,
			                        &ve)) != CS_OK)
				return failed(y->email, err, &ve, NULL);
			d->n.contacts++;
		}
	}
	res = calloc(1, sizeof(*res));
	if (res == NULL)
		return failed("assets", CS_E_INTERNAL, NULL, NULL);
	err = assets_import(d->st, d->a, &d->cli_actor, demo_assets_csv,
	                    strlen(demo_assets_csv), res);
	if (err == CS_E_INVAL && res->nerrors > 0)
		fprintf(stderr, "csirtd: demo: assets line %zu: %s\n",
		        res->errors[0].line, res->errors[0].message);
	d->n.assets = (int)res->added;
	free(res);
	return failed("assets", err, NULL, NULL);
}

static enum cs_err
load_users(struct demo *d)
{
	struct verrs ve = {0};
	enum cs_err err;

	for (int i = 0; i < N_ORGS; i++)
		d->constituent[i] = -1;
	for (size_t i = 0; i < DEMO_USERS; i++) {
		struct user u = {0};

		if (demo_users[i].org >= 0)
			d->constituent[demo_users[i].org] = (int)i;
		err = store_call(d->st, user_get, d->a, 0, demo_users[i].login,
		                 &u);
		if (err == CS_E_NOTFOUND) {
			u.login = demo_users[i].login;
			u.name = demo_users[i].name;
			u.email = demo_users[i].email;
			u.role = demo_users[i].role;
			u.org = demo_users[i].org >= 0
			            ? demo_orgs[demo_users[i].org].code
			            : NULL;
			err = users_create(d->st, d->a, &d->cli_actor, &u,
			                   DEMO_PASSWORD, NULL, &ve);
			d->n.users += err == CS_OK;
		} else if (err == CS_OK &&
		           (u.disabled || u.role != demo_users[i].role)) {
			fprintf(stderr,
			        "csirtd: demo: the user %s exists with another "
			        "role or is disabled\n",
			        demo_users[i].login);
			return CS_E_CONFLICT;
		} else if (err == CS_OK) {
			d->n.users_kept++; /* --force: password unchanged */
		}
		if (err != CS_OK)
			return failed(demo_users[i].login, err, &ve, NULL);
		d->user_id[i] = u.id;
	}
	for (int h = 0; h < N_HANDLERS; h++) {
		d->handler[h] =
		    (struct actor){demo_users[h].login, d->user_id[h]};
		d->hview[h] =
		    (struct viewer){d->user_id[h], ROLE_HANDLER, NULL};
	}
	return CS_OK;
}

static enum cs_err
load_playbook(struct demo *d)
{
	struct incident_template t = {.rsit_type = "phishing",
	                              .name = "Phishing (demo playbook)",
	                              .tlp = TLP_AMBER,
	                              .pap = PAP_AMBER,
	                              .impact = LEVEL_MEDIUM,
	                              .urgency = LEVEL_HIGH};
	const char *tags[] = {"phishing", NULL};
	const char *tasks[N_PLAYBOOK_TASKS + 1] = {
	    "Collect the reported e-mail with its full headers",
	    "Extract and refang the URLs, sender addresses and attachments",
	    "Request takedown of the phishing site from its hosting provider",
	    "Ask the constituent to search the mail logs for other recipients",
	    "Check for submitted credentials and force password resets",
	    "Send the indicators to the constituent for blocking",
	    NULL};
	struct incident_template had;
	struct verrs ve = {0};

	if (store_call(d->st, template_get, d->a, 0, "phishing", &had) == CS_OK)
		return CS_OK; /* --force: the team's own playbook stays */
	return failed(
	    "template",
	    templates_save(d->st, d->a, &d->cli_actor, &t, tags, tasks, &ve),
	    &ve, NULL);
}

/* ---- step 2: incidents ----------------------------------------------- */

/* One incident to make: what the random draw decided. */
struct plan {
	int kind, org, creator, owner; /* owner -1 = unassigned */
	enum status status;
	enum resolution resolution;
	enum tlp tlp;
	enum level impact, urgency;
	int64_t age;
	bool via_report, reopen, campaign, with_constituent;
};

static int
pick_kind(struct demo *d)
{
	int total = 0, r;

	for (int k = 0; k < N_KINDS; k++)
		total += demo_kinds[k].weight;
	r = (int)below(d, total);
	for (int k = 0; k < N_KINDS; k++)
		if ((r -= demo_kinds[k].weight) < 0)
			return k;
	return 0;
}

static int
pick_org(struct demo *d, int kind)
{
	unsigned mask = demo_kinds[kind].orgs ? demo_kinds[kind].orgs : ~0u;
	int fit[N_ORGS], n = 0;

	for (int o = 0; o < N_ORGS; o++)
		if (mask & ORG(o))
			fit[n++] = o;
	return fit[below(d, n)];
}

static enum level
vary(struct demo *d, enum level l)
{
	int64_t r = below(d, 10);

	if (r == 0 && l > LEVEL_CRITICAL)
		return (enum level)(l - 1);
	if (r == 1 && l < LEVEL_LOW)
		return (enum level)(l + 1);
	return l;
}

static void
plan_draw(struct demo *d, size_t i, struct plan *p)
{
	static const enum status statuses[] = {
	    STATUS_NEW,      STATUS_NEW,    STATUS_OPEN,    STATUS_OPEN,
	    STATUS_OPEN,     STATUS_OPEN,   STATUS_STALLED, STATUS_RESOLVED,
	    STATUS_RESOLVED, STATUS_CLOSED, STATUS_CLOSED,  STATUS_CLOSED};
	static const enum resolution resolutions[] = {
	    RES_FIXED,        RES_FIXED,          RES_FIXED,
	    RES_FIXED,        RES_MITIGATED,      RES_MITIGATED,
	    RES_MITIGATED,    RES_FALSE_POSITIVE, RES_DUPLICATE,
	    RES_OUT_OF_SCOPE, RES_NO_RESPONSE,    RES_FIXED};
	static const enum tlp tlps[] = {
	    TLP_CLEAR, TLP_GREEN, TLP_GREEN, TLP_GREEN,        TLP_AMBER,
	    TLP_AMBER, TLP_AMBER, TLP_AMBER, TLP_AMBER,        TLP_AMBER_STRICT,
	    TLP_GREEN, TLP_AMBER, TLP_AMBER, TLP_AMBER_STRICT, TLP_GREEN,
	    TLP_AMBER, TLP_CLEAR, TLP_AMBER, TLP_GREEN,        TLP_RED};
	const struct sla_policy *s = &d->pol.sla;
	int prio;

	memset(p, 0, sizeof(*p));
	p->kind = pick_kind(d);
	/* the first phishing-by-invoice ones make up the campaign */
	p->campaign = p->kind == K_PHISH_INVOICE && d->n.campaign < 6;
	d->n.campaign += p->campaign;
	p->org = pick_org(d, p->kind);
	p->creator = (int)below(d, N_HANDLERS);
	p->status = statuses[below(d, 12)];
	p->resolution = resolutions[below(d, 12)];
	p->tlp = tlps[below(d, 20)];
	if (p->kind == K_RANSOM || p->kind == K_PRIVACCOUNT ||
	    p->kind == K_RECORDS)
		p->tlp = chance(d, 50) ? TLP_RED : TLP_AMBER_STRICT;
	p->impact = vary(d, (enum level)demo_kinds[p->kind].impact);
	p->urgency = vary(d, (enum level)demo_kinds[p->kind].urgency);
	p->owner = p->status == STATUS_NEW && chance(d, 60) ? -1 : p->creator;
	p->via_report = demo_kinds[p->kind].subject != NULL && i % 3 == 1;
	p->reopen = p->status == STATUS_CLOSED && chance(d, 8);
	p->with_constituent = d->constituent[p->org] >= 0 && chance(d, 50);
	/* how long ago it "came in": deadlines are set from then */
	prio = priority_of(&d->pol.matrix, p->impact, p->urgency) - 1;
	switch (p->status) {
	case STATUS_NEW:
		p->age = below(d, s->response[prio] * 3 / 2);
		break;
	case STATUS_OPEN:
		p->age = DAY / 4 + below(d, s->resolve[prio] * 6 / 5);
		break;
	case STATUS_STALLED:
		p->age = DAY + below(d, s->resolve[prio] * 8 / 5);
		break;
	default:
		p->age = DAY + below(d, 29 * DAY);
	}
	if (p->age > 30 * DAY)
		p->age = 30 * DAY - below(d, DAY);
}

static bool
can_see(const struct rec *r, int handler)
{
	return r->tlp != TLP_RED || (r->seen_by & (1u << handler)) != 0;
}

/* An earlier incident of the same kind the handler may read, or -1. */
static int
earlier_same(const struct demo *d, const struct rec *r, int handler)
{
	for (size_t i = d->nrecs; i-- > 0;)
		if (&d->recs[i] != r && d->recs[i].kind == r->kind &&
		    can_see(&d->recs[i], handler))
			return (int)i;
	return -1;
}

/* The next step of an incident's life happens a while after the last:
 * a third of the way to now. */
static void
later(struct demo *d)
{
	d->ago -= d->ago / 3;
	clock_shift(-d->ago);
}

static enum cs_err
entry(struct demo *d, struct rec *r, int author, const char *kind,
      const char *visibility, const char *body)
{
	struct entry e = {.kind = kind, .visibility = visibility, .body = body};
	struct verrs ve = {0};
	enum cs_err err;

	if (body == NULL)
		return failed(r->ref, CS_E_TOOBIG, NULL, NULL);
	if (!can_see(r, author))
		author = r->creator;
	later(d);
	err = entries_add(d->st, d->a, &d->handler[author], &d->hview[author],
	                  r->ref, &e, &ve);
	if (err == CS_OK) {
		d->n.entries++;
		r->responded =
		    r->responded || strcmp(visibility, "shared") == 0;
	}
	return failed(r->ref, err, &ve, NULL);
}

static enum cs_err
move(struct demo *d, struct rec *r, const struct incident_policy *pol,
     enum status to, enum resolution res, bool force)
{
	struct incident_input in;
	struct incident out;
	struct verrs ve = {0};
	const char *why = NULL;
	enum cs_err err;

	later(d);
	incident_input_init(&in);
	in.status = (int)to;
	if (to == STATUS_RESOLVED)
		in.resolution = (int)res;
	in.force = force;
	err = incidents_update(d->st, d->a, pol, &d->handler[r->creator],
	                       &d->hview[r->creator], r->ref, &in, &out, &ve,
	                       &why);
	if (err == CS_OK) {
		r->status = out.status;
		r->responded = true;
	}
	return failed(r->ref, err, &ve, why);
}

/* Marks the open tasks done, as a handler would before resolving. */
static enum cs_err
finish_tasks(struct demo *d, struct rec *r)
{
	struct page p = {.after = 0, .limit = 100};
	struct task *ts, out;
	struct verrs ve = {0};
	size_t n;
	enum cs_err err;

	if ((err = store_call(d->st, task_list, d->a, r->id, &p, &ts, &n)) !=
	    CS_OK)
		return failed(r->ref, err, NULL, NULL);
	for (size_t i = 0; i < n && i < 100; i++) {
		if (strcmp(ts[i].state, "open") != 0)
			continue;
		err = tasks_update(d->st, d->a, &d->handler[r->creator],
		                   &d->hview[r->creator], r->ref, ts[i].id,
		                   NULL, "done", false, NULL, 0, &out, &ve);
		if (err != CS_OK)
			return failed(r->ref, err, &ve, NULL);
	}
	return CS_OK;
}

static enum cs_err
add_task(struct demo *d, struct rec *r, bool done)
{
	struct task t = {.title = demo_extra_tasks[below(d, DEMO_EXTRA_TASKS)]};
	struct task out;
	struct verrs ve = {0};
	int who = (int)below(d, N_HANDLERS);
	enum cs_err err;

	err = tasks_add(d->st, d->a, &d->handler[r->creator],
	                &d->hview[r->creator], r->ref, &t,
	                demo_users[who].login, &ve);
	if (err == CS_OK && done)
		err = tasks_update(d->st, d->a, &d->handler[r->creator],
		                   &d->hview[r->creator], r->ref, t.id, NULL,
		                   "done", false, NULL, 0, &out, &ve);
	d->n.tasks += err == CS_OK;
	return failed(r->ref, err, &ve, NULL);
}

static enum cs_err
add_link(struct demo *d, struct rec *r, const char *kind,
         const struct rec *other)
{
	struct verrs ve = {0};
	int64_t id;
	enum cs_err err;

	if (!can_see(other, r->creator))
		return CS_OK;
	err = links_add(d->st, d->a, &d->handler[r->creator],
	                &d->hview[r->creator], r->ref, kind, other->ref, &id,
	                &ve);
	d->n.links += err == CS_OK;
	return failed(r->ref, err, &ve, NULL);
}

static enum cs_err
add_observables(struct demo *d, struct rec *r, const struct vars *v)
{
	const char *text = expand(d->a, demo_kinds[r->kind].obs, v);
	struct verrs ve = {0};
	enum cs_err err;

	if (text == NULL)
		return failed(r->ref, CS_E_TOOBIG, NULL, NULL);
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512], *value;
		struct observable_input in = {.tlp = -1, .comment = ""};
		struct observable out;
		bool created = false;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p += nl ? len + 1 : len;
		if ((in.to_ids = line[0] == '+'))
			memmove(line, line + 1, len);
		if ((value = strchr(line, ' ')) == NULL)
			continue;
		*value++ = '\0';
		in.type = line;
		in.value = value;
		err = observables_add(d->st, d->a, &d->handler[r->creator],
		                      &d->hview[r->creator], r->ref, &in, &out,
		                      &created, &ve);
		if (err != CS_OK)
			return failed(r->ref, err, &ve, NULL);
		d->n.observables += created;
	}
	return CS_OK;
}

/* The observables of a report's text, refanged by the core. */
static enum cs_err
extract_observables(struct demo *d, struct rec *r, const char *text)
{
	struct observables_extract_opts o = {.skip_private = false};
	struct found *items;
	size_t n = 0;
	bool truncated = false;
	enum cs_err err;

	err = observables_extract(
	    d->st, d->a, &d->handler[r->creator], &d->hview[r->creator], r->ref,
	    text, strlen(text), &o, true, &items, &n, &truncated);
	for (size_t i = 0; err == CS_OK && i < n; i++)
		d->n.observables += items[i].created;
	return failed(r->ref, err, NULL, NULL);
}

/* Creates the incident, directly or by triaging a report of it. */
static enum cs_err
create(struct demo *d, const struct plan *p, const struct incident_policy *pol,
       struct vars *v, struct rec *r)
{
	const struct demo_kind *k = &demo_kinds[p->kind];
	const char *more[4] = {NULL}, *members[4] = {NULL};
	struct incident_input in;
	struct incident out = {0};
	struct verrs ve = {0};
	const char *why = NULL,
	           *orgs_of[3] = {demo_orgs[p->org].code, NULL, NULL};
	const char *report_body = NULL;
	size_t nm = 0, nt = 0;
	enum cs_err err;

	incident_input_init(&in);
	if (demo_orgs[p->org].essential)
		more[nt++] = "nis2-essential";
	if (p->campaign)
		more[nt++] = "campaign-atm-invoices";
	if (demo_orgs[p->org].parent != NULL && chance(d, 30))
		orgs_of[1] =
		    demo_orgs[p->org].parent; /* the parent is told too */
	r->seen_by = 1u << p->creator;
	if (p->tlp == TLP_RED || chance(d, 25)) {
		int other = (p->creator + 1 + (int)below(d, 2)) % N_HANDLERS;

		members[nm++] = demo_users[other].login;
		r->seen_by |= 1u << other;
	}
	if (p->with_constituent)
		members[nm++] = demo_users[d->constituent[p->org]].login;
	in.title = expand(d->a, k->title, v);
	in.summary = expand(d->a, k->summary, v);
	in.rsit_type = k->type;
	in.tlp = (int)p->tlp;
	in.pap = p->tlp == TLP_RED     ? (int)PAP_RED
	         : p->tlp >= TLP_AMBER ? (int)PAP_AMBER
	                               : (int)p->tlp; /* CLEAR, GREEN */
	in.impact = (int)p->impact;
	in.urgency = (int)p->urgency;
	in.set_owner = true;
	in.owner = p->owner >= 0 ? demo_users[p->owner].login : NULL;
	in.members = members;
	in.orgs = orgs_of;
	in.tags = tag_list(d->a, k->tags, more);
	if (in.title == NULL || in.summary == NULL || in.tags == NULL)
		return failed("incident", CS_E_TOOBIG, NULL, NULL);
	if (!p->via_report) {
		err =
		    incidents_create(d->st, d->a, pol, &d->handler[p->creator],
		                     &d->hview[p->creator], &in, &out, &ve);
		if (err != CS_OK)
			return failed(in.title, err, &ve, NULL);
	} else {
		struct report rep = {0}, tr;

		rep.source = k->source;
		rep.reporter = expand(d->a, k->reporter, v);
		rep.subject = expand(d->a, k->subject, v);
		rep.body = expand(d->a, k->body, v);
		rep.language = k->lang;
		rep.tlp = strcmp(k->source, "web") == 0    ? TLP_CLEAR
		          : strcmp(k->source, "feed") == 0 ? TLP_GREEN
		                                           : TLP_AMBER;
		if (rep.reporter == NULL || rep.subject == NULL ||
		    rep.body == NULL)
			return failed("report", CS_E_TOOBIG, NULL, NULL);
		if ((err = reports_create(d->st, d->a, &d->system, &rep,
		                          &ve)) != CS_OK)
			return failed(rep.subject, err, &ve, NULL);
		d->n.reports++;
		in.title = NULL; /* the report's subject */
		err = reports_triage(d->st, d->a, pol, &d->handler[p->creator],
		                     &d->hview[p->creator], rep.id,
		                     TRIAGE_NEW_INCIDENT, &in, NULL, 0, &tr,
		                     &out, &ve, &why);
		if (err != CS_OK)
			return failed(rep.subject, err, &ve, why);
		d->n.triaged++;
		report_body = rep.body;
	}
	snprintf(r->ref, sizeof(r->ref), "%s", out.ref);
	snprintf(r->ip, sizeof(r->ip), "%s", v->ip);
	r->id = out.id;
	r->kind = p->kind;
	r->org = p->org;
	r->creator = p->creator;
	r->tlp = out.tlp;
	r->status = out.status;
	r->response_due = out.response_due;
	r->resolve_due = out.resolve_due;
	d->n.incidents++;
	v->title = out.title;
	return report_body != NULL ? extract_observables(d, r, report_body)
	                           : add_observables(d, r, v);
}

/* The journal and lifecycle that bring an incident to its planned state. */
static enum cs_err
live(struct demo *d, const struct plan *p, const struct incident_policy *pol,
     struct vars *v, struct rec *r)
{
	const struct demo_org *o = &demo_orgs[p->org];
	int lang = lang_index(o->languages), other;
	enum resolution res = p->resolution;
	bool quick = res == RES_FALSE_POSITIVE || res == RES_OUT_OF_SCOPE;
	enum cs_err err;

	v->ref = r->ref;
	if ((err = entry(d, r, r->creator, "note", "internal",
	                 demo_kinds[p->kind].note)) != CS_OK)
		return err;
	if (p->status == STATUS_NEW)
		return CS_OK;
	if ((p->status == STATUS_RESOLVED || p->status == STATUS_CLOSED) &&
	    quick) {
		/* closed at triage: not an incident after all */
		if ((err = entry(d, r, r->creator, "note", "internal",
		                 res == RES_FALSE_POSITIVE
		                     ? "False positive: checked with the "
		                       "constituent, the activity was "
		                       "legitimate."
		                     : "Out of scope: the asset is no longer "
		                       "the constituent's.")) != CS_OK ||
		    (err = move(d, r, pol, STATUS_RESOLVED, res, true)) !=
		        CS_OK)
			return err;
		return p->status == STATUS_CLOSED
		           ? move(d, r, pol, STATUS_CLOSED, res, false)
		           : CS_OK;
	}
	if ((err = move(d, r, pol, STATUS_OPEN, RES_NONE, false)) != CS_OK ||
	    (err = entry(d, r, r->creator, "correspondence", "shared",
	                 expand(d->a, demo_msg_notify[lang], v))) != CS_OK)
		return err;
	if (chance(d, 40) &&
	    (err = entry(d, r, (int)below(d, N_HANDLERS), "note", "internal",
	                 demo_internal_notes[below(d, DEMO_INTERNAL_NOTES)])) !=
	        CS_OK)
		return err;
	if (chance(d, 45) &&
	    (err = add_task(d, r, p->status >= STATUS_RESOLVED)) != CS_OK)
		return err;
	if (p->status == STATUS_STALLED) {
		err = entry(d, r, r->creator, "note", "shared",
		            expand(d->a, demo_msg_waiting[lang], v));
		return err != CS_OK
		           ? err
		           : move(d, r, pol, STATUS_STALLED, RES_NONE, false);
	}
	if (res != RES_NO_RESPONSE &&
	    (p->status != STATUS_OPEN || chance(d, 50)) &&
	    (err = entry(d, r, r->creator, "correspondence", "shared",
	                 expand(d->a, demo_msg_reply[lang], v))) != CS_OK)
		return err;
	if (p->status == STATUS_OPEN)
		return CS_OK;
	if (res == RES_DUPLICATE) {
		if ((other = earlier_same(d, r, r->creator)) < 0)
			res = RES_FIXED;
		else if ((err = add_link(d, r, "duplicate-of",
		                         &d->recs[other])) != CS_OK)
			return err;
	}
	if (res != RES_NO_RESPONSE && (err = finish_tasks(d, r)) != CS_OK)
		return err;
	if ((err = entry(d, r, r->creator, "note", "shared",
	                 expand(d->a, demo_msg_resolved[lang], v))) != CS_OK ||
	    (err = move(d, r, pol, STATUS_RESOLVED, res,
	                res == RES_NO_RESPONSE)) != CS_OK)
		return err;
	if (p->status == STATUS_RESOLVED)
		return CS_OK;
	if ((err = move(d, r, pol, STATUS_CLOSED, res, false)) != CS_OK)
		return err;
	if (!p->reopen)
		return CS_OK;
	/* the constituent writes back: correspondence reopens it */
	if ((err = entry(d, r, r->creator, "correspondence", "shared",
	                 expand(d->a, demo_msg_back[lang], v))) == CS_OK)
		r->status = STATUS_OPEN;
	return err;
}

/* The team-level incident the invoice phishing incidents belong to. */
static enum cs_err
make_campaign(struct demo *d)
{
	const char *tags[] = {"demo", "campaign-atm-invoices", "T1566.001",
	                      "malspam", NULL};
	const char *members[] = {demo_users[H_IKER].login, NULL};
	struct incident_policy pol = d->pol;
	struct incident_input in;
	struct incident out;
	struct verrs ve = {0};
	struct rec *r = &d->recs[d->nrecs];
	enum cs_err err;

	for (int i = 0; i < PRIORITY_LEVELS; i++) { /* opened 2 days ago */
		pol.sla.response[i] -= 2 * DAY;
		pol.sla.resolve[i] -= 2 * DAY;
	}
	incident_input_init(&in);
	in.title = "Campaign: fake tax-agency invoices across the constituency";
	in.summary =
	    "For two days, e-mails impersonating the *Agència Tributària "
	    "del Migjorn* reach several organisations with `Factura_NNN.xlsm` "
	    "attachments. This incident coordinates the campaign; each "
	    "affected organisation has a child incident.\n\n"
	    "- sender domain: `atm-tributs[.]example`\n"
	    "- payload: macro loader, beacons every 300 s\n\n"
	    "*Demo data: a fictional campaign.*";
	in.rsit_type = "phishing";
	in.tlp = TLP_AMBER;
	in.impact = LEVEL_HIGH;
	in.urgency = LEVEL_HIGH;
	in.set_owner = true;
	in.owner = demo_users[H_MARTA].login;
	in.members = members;
	in.tags = tags;
	err = incidents_create(d->st, d->a, &pol, &d->handler[H_MARTA],
	                       &d->hview[H_MARTA], &in, &out, &ve);
	if (err != CS_OK)
		return failed("campaign", err, &ve, NULL);
	snprintf(r->ref, sizeof(r->ref), "%s", out.ref);
	r->id = out.id;
	r->kind = -1;
	r->org = O_GOV;
	r->creator = H_MARTA;
	r->tlp = out.tlp;
	r->seen_by = (1u << H_MARTA) | (1u << H_IKER);
	r->response_due = out.response_due;
	r->resolve_due = out.resolve_due;
	d->parent = (int)d->nrecs++;
	d->n.incidents++;
	if ((err = move(d, r, &pol, STATUS_OPEN, RES_NONE, false)) != CS_OK ||
	    (err = entry(d, r, H_MARTA, "note", "internal",
	                 "Coordination with the national CSIRT: they see the "
	                 "same sender domain in two other regions.")) !=
	        CS_OK ||
	    (err = entry(d, r, H_IKER, "note", "internal",
	                 "Takedown of atm-tributs.example requested from the "
	                 "registrar.")) != CS_OK)
		return err;
	return extract_observables(
	    d, r,
	    "Sender notificacions[@]atm-tributs[.]example, loader at "
	    "hxxp://203.0.113.201/dl/ and hxxp://192.0.2.222/dl/");
}

static enum cs_err
make_incidents(struct demo *d)
{
	enum cs_err err;

	if ((err = make_campaign(d)) != CS_OK)
		return err;
	for (size_t i = 0; i < DEMO_INCIDENTS; i++) {
		struct incident_policy pol = d->pol;
		struct rec *r = &d->recs[d->nrecs];
		struct plan p;
		struct vars v;

		arena_reset(d->a);
		plan_draw(d, i, &p);
		vars_init(d, &v, p.org);
		memset(r, 0, sizeof(*r));
		d->ago = p.age;
		clock_shift(-d->ago);
		err = create(d, &p, &pol, &v, r);
		if (err == CS_OK) {
			d->nrecs++;
			err = live(d, &p, &pol, &v, r);
		}
		clock_shift(0);
		if (err != CS_OK)
			return err;
		if (p.campaign &&
		    (err = add_link(d, r, "child-of", &d->recs[d->parent])) !=
		        CS_OK)
			return err;
		if (p.kind == K_RANSOM) {
			/* how they got in: an earlier phishing at the same org
			 */
			for (size_t j = d->nrecs - 1; j-- > 0;)
				if (d->recs[j].org == r->org &&
				    (d->recs[j].kind == K_PHISH_WEBMAIL ||
				     d->recs[j].kind == K_PHISH_INVOICE ||
				     d->recs[j].kind == K_RDP)) {
					err = add_link(d, r, "related",
					               &d->recs[j]);
					break;
				}
			if (err != CS_OK)
				return err;
		}
	}
	return CS_OK;
}

/* ---- step 3: reports that did not become incidents of their own ------- */

/* action: an enum triage_action, or -1 to leave the report new */
static enum cs_err
report(struct demo *d, const struct demo_report *x, const struct vars *v,
       int action, const struct rec *target)
{
	struct report rep = {0}, out;
	struct incident inc;
	struct incident_input in;
	struct verrs ve = {0};
	const char *why = NULL;
	int h = target ? target->creator : (int)below(d, N_HANDLERS);
	enum cs_err err;

	rep.source = x->source;
	rep.reporter = v ? expand(d->a, x->reporter, v) : x->reporter;
	rep.subject = v ? expand(d->a, x->subject, v) : x->subject;
	rep.body = v ? expand(d->a, x->body, v) : x->body;
	rep.language = x->lang;
	rep.tlp = strcmp(x->source, "feed") == 0 ? TLP_GREEN : TLP_AMBER;
	if (rep.reporter == NULL || rep.subject == NULL || rep.body == NULL)
		return failed("report", CS_E_TOOBIG, NULL, NULL);
	if ((err = reports_create(d->st, d->a, &d->system, &rep, &ve)) != CS_OK)
		return failed(rep.subject, err, &ve, NULL);
	d->n.reports++;
	if (action < 0)
		return CS_OK; /* left for the desk */
	incident_input_init(&in);
	err = reports_triage(d->st, d->a, &d->pol, &d->handler[h], &d->hview[h],
	                     rep.id, (enum triage_action)action, &in,
	                     target ? target->ref : NULL, 0, &out, &inc, &ve,
	                     &why);
	return failed(rep.subject, err, &ve, why);
}

static enum cs_err
make_reports(struct demo *d)
{
	enum cs_err err;
	size_t merged = 0;

	/* more reports of incidents already open: attached to them */
	for (size_t i = 0; i < d->nrecs && merged < N_MERGED; i++) {
		struct rec *r = &d->recs[(i * 37 + 3) % d->nrecs];
		const struct demo_kind *k;
		struct demo_report x;
		struct vars v;

		if (r->kind < 0 || demo_kinds[r->kind].subject == NULL ||
		    !status_is_active(r->status))
			continue;
		k = &demo_kinds[r->kind];
		arena_reset(d->a);
		vars_init(d, &v, r->org);
		snprintf(v.ip, sizeof(v.ip), "%s", r->ip);
		x = (struct demo_report){k->source, k->reporter, k->lang,
		                         k->subject, k->body};
		if ((err = report(d, &x, &v, TRIAGE_ATTACH, r)) != CS_OK)
			return err;
		merged++;
	}
	d->n.merged = (int)merged;
	for (size_t i = 0; i < DEMO_REJECTED; i++) {
		arena_reset(d->a);
		if ((err = report(d, &demo_rejected[i], NULL, TRIAGE_REJECT,
		                  NULL)) != CS_OK)
			return err;
	}
	d->n.rejected = (int)DEMO_REJECTED;
	for (size_t i = 0; i < DEMO_SPAM; i++) {
		arena_reset(d->a);
		if ((err = report(d, &demo_spam[i], NULL, TRIAGE_SPAM, NULL)) !=
		    CS_OK)
			return err;
	}
	d->n.spam = (int)DEMO_SPAM;
	/* the newest: waiting on the desk */
	for (size_t i = 0, k = 0; i < N_UNTRIAGED; k++) {
		int kind = (int)(k * 7 % N_KINDS);
		struct demo_report x;
		struct vars v;

		if (demo_kinds[kind].subject == NULL)
			continue;
		arena_reset(d->a);
		vars_init(d, &v, pick_org(d, kind));
		x = (struct demo_report){
		    demo_kinds[kind].source, demo_kinds[kind].reporter,
		    demo_kinds[kind].lang, demo_kinds[kind].subject,
		    demo_kinds[kind].body};
		if ((err = report(d, &x, &v, -1, NULL)) != CS_OK)
			return err;
		i++;
	}
	d->n.untriaged = N_UNTRIAGED;
	return CS_OK;
}

/* ---- the command ------------------------------------------------------ */

static void
print_summary(const struct demo *d)
{
	int64_t now = clock_now(), breached = 0, soon = 0;

	for (size_t i = 0; i < d->nrecs; i++) {
		const struct rec *r = &d->recs[i];
		int64_t due = r->resolve_due;

		if (!r->responded && r->response_due < due)
			due = r->response_due;
		if (!status_is_active(r->status))
			continue;
		if (due < now)
			breached++;
		else if (due < now + DAY)
			soon++;
	}
	printf("Demo data loaded: the fictional CSIRT del Migjorn and its "
	       "constituency.\n"
	       "Everything is marked \"demo\" (organisation notes, incident "
	       "tags) and uses\ndocumentation addresses (192.0.2.0/24, "
	       "198.51.100.0/24, 203.0.113.0/24,\n2001:db8::/32), AS numbers "
	       "(64496-64511, 65536-65551) and .example domains.\n\n");
	printf("  organisations   %d (%d contacts, %d network assets)",
	       d->n.orgs, d->n.contacts, d->n.assets);
	if (d->n.orgs_kept > 0)
		printf("; %d were there already", d->n.orgs_kept);
	printf("\n  users           %d (3 handlers, 1 viewer, 4 constituents; "
	       "admin unchanged)",
	       d->n.users);
	if (d->n.users_kept > 0)
		printf("; %d were there already, with their own passwords",
		       d->n.users_kept);
	printf("\n");
	printf("  templates       phishing playbook with %d tasks\n",
	       N_PLAYBOOK_TASKS);
	printf("  incidents       %d (new %d, open %d, stalled %d, resolved "
	       "%d, closed %d)\n",
	       d->n.incidents, d->n.status[STATUS_NEW],
	       d->n.status[STATUS_OPEN], d->n.status[STATUS_STALLED],
	       d->n.status[STATUS_RESOLVED], d->n.status[STATUS_CLOSED]);
	printf("  SLA             %lld breached, %lld due within 24 h\n",
	       (long long)breached, (long long)soon);
	printf("  reports         %d (triaged %d, merged %d, rejected %d, spam "
	       "%d, new %d)\n",
	       d->n.reports, d->n.triaged, d->n.merged, d->n.rejected,
	       d->n.spam, d->n.untriaged);
	printf("  journal         %d entries (besides status changes and "
	       "report copies)\n",
	       d->n.entries);
	printf("  tasks           %d added (besides the playbook's)\n",
	       d->n.tasks);
	printf("  observables     %d\n", d->n.observables);
	printf("  links           %d\n\n", d->n.links);
	printf("Demo accounts, all with the password: %s\n", DEMO_PASSWORD);
	for (size_t i = 0; i < DEMO_USERS; i++)
		printf("  %-16s %s%s%s\n", demo_users[i].login,
		       role_name(demo_users[i].role),
		       demo_users[i].org >= 0 ? " of " : "",
		       demo_users[i].org >= 0
		           ? demo_orgs[demo_users[i].org].code
		           : "");
	printf("\nTry: GET /api/v1/lookup?ip=198.51.100.37, "
	       "/api/v1/incidents?sla=breached,\n/api/v1/search?q=ransomware; "
	       "log in as pau.serra to see what a constituent sees.\n"
	       "Change or disable these accounts before anyone else can "
	       "reach the server.\n");
}

int
cmd_demo(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, 0, 'f'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	struct demo *d;
	bool force = false, empty = false;
	int ch, rc = 1;
	enum cs_err err;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = true;
			break;
		case 'h':
			cli_usage(demo_usage, 0);
			break;
		default:
			cli_usage(demo_usage, EXIT_USAGE);
		}
	}
	if (optind != argc)
		cli_usage(demo_usage, EXIT_USAGE);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return 1;
	d->rng = DEMO_SEED;
	d->parent = -1;
	d->cli_actor = c->actor;
	d->system = (struct actor){"system", 0};
	d->pol.team_code = c->cfg->team_code;
	if (!priority_matrix_parse(c->cfg->priority_matrix, &d->pol.matrix) ||
	    !sla_policy_parse(c->cfg->sla, &d->pol.sla)) {
		fprintf(stderr, "csirtd: bad [incidents] settings\n");
		free(d);
		return EXIT_USAGE;
	}
	d->a = arena_new(64u << 20);
	if (cli_open_store(c, &d->st) != 0)
		goto out;
	if (database_is_empty(d, &empty) != CS_OK)
		goto out;
	if (!empty && !force) {
		fprintf(stderr,
		        "csirtd: demo: the database already holds incidents or "
		        "organisations; nothing was loaded (--force loads the "
		        "demo data beside them)\n");
		goto out;
	}
	arena_reset(d->a);
	if ((err = mark_start(d)) != CS_OK || (err = load_orgs(d)) != CS_OK ||
	    (err = load_users(d)) != CS_OK ||
	    (err = load_playbook(d)) != CS_OK ||
	    (err = make_incidents(d)) != CS_OK ||
	    (err = make_reports(d)) != CS_OK) {
		fprintf(stderr, "csirtd: demo: stopped; what was loaded so far "
		                "stays (start again from a fresh database)\n");
		goto out;
	}
	for (size_t i = 0; i < d->nrecs; i++)
		d->n.status[d->recs[i].status]++;
	print_summary(d);
	rc = 0;
out:
	store_close(d->st);
	arena_free(d->a);
	free(d);
	return rc;
}
