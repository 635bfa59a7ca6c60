/*
 * pipeline.c - the configured feeds and stages (pipeline.h).
 *
 * The rule set and the ASN table sit in their reference-counted holders
 * (rules_live, asn_holder): pipeline_run() takes one reference of each for
 * the report and puts it back at the end, so a reload never waits for a
 * report and a report never sees two rule sets.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "pipeline/generic.h"
#include "pipeline/intelmq.h"
#include "pipeline/pipeline.h"

/* What a dedup table holds per key: two index slots and an entry (about 64
 * bytes, dedup.h), and in aggregate mode the first event's compact copy,
 * which for Shadowserver scan reports is 500-900 bytes; a larger one is
 * passed on unaggregated. */
#define DEDUP_KEY_BYTES    64
#define DEDUP_RECORD_BYTES 1024

enum feed_kind { FEED_SHADOWSERVER, FEED_INTELMQ, FEED_GENERIC };

struct feed {
	char *name;
	enum feed_kind kind;
	struct feed_def *def; /* FEED_GENERIC's */
};

struct pipeline {
	struct config cfg; /* the settings it was opened with */
	struct ss_schema *schema;
	struct feed *feeds;
	size_t nfeeds;
	struct rules_live rules;
	size_t nrules;
	struct asn_holder *asn;
	size_t asn_prefixes;
	struct geo *geo;
	bool dedup_on;
	struct dedup_config dedup;
	struct incident_policy policy;
	pthread_mutex_t lock; /* nrules, asn_prefixes */
};

__attribute__((format(printf, 2, 3))) static void
say(char why[PIPELINE_WHY_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, PIPELINE_WHY_MAX, fmt, ap);
	va_end(ap);
}

static int
feed_cmp(const void *a, const void *b)
{
	const struct feed *x = a, *y = b;

	/* the built-in feeds first, then by name */
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static enum cs_err
feed_add(struct pipeline *p, const char *name, enum feed_kind kind,
         struct feed_def *def, const char *file, char why[PIPELINE_WHY_MAX])
{
	for (size_t i = 0; i < p->nfeeds; i++)
		if (strcmp(p->feeds[i].name, name) == 0) {
			say(why, "%s: feed '%s' is defined twice", file, name);
			return CS_E_INVAL;
		}
	if (p->nfeeds == PIPELINE_FEEDS_MAX + 1) {
		say(why, "%s: more than %d feed definitions", file,
		    PIPELINE_FEEDS_MAX);
		return CS_E_TOOBIG;
	}
	p->feeds = xrealloc(p->feeds, (p->nfeeds + 1) * sizeof(*p->feeds));
	p->feeds[p->nfeeds].name = xstrdup(name);
	p->feeds[p->nfeeds].kind = kind;
	p->feeds[p->nfeeds].def = def;
	p->nfeeds++;
	qsort(p->feeds, p->nfeeds, sizeof(*p->feeds), feed_cmp);
	return CS_OK;
}

enum cs_err
pipeline_add_definition(struct pipeline *p, const char *path,
                        char why[PIPELINE_WHY_MAX])
{
	struct feed_def *d;
	char gwhy[GEN_WHY_MAX];
	enum cs_err err;

	if ((err = feed_def_load(path, &d, gwhy)) != CS_OK) {
		say(why, "%s: %s", path, gwhy);
		return err;
	}
	if (strcmp(feed_def_name(d), PIPELINE_SHADOWSERVER) == 0 ||
	    strcmp(feed_def_name(d), PIPELINE_INTELMQ) == 0) {
		say(why, "%s: the name '%s' is a built-in feed's", path,
		    feed_def_name(d));
		feed_def_free(d);
		return CS_E_INVAL;
	}
	if ((err = feed_add(p, feed_def_name(d), FEED_GENERIC, d, path, why)) !=
	    CS_OK)
		feed_def_free(d);
	return err;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json of the directory, in name order (deterministic errors). */
static enum cs_err
load_feeds_dir(struct pipeline *p, const char *dir, char why[PIPELINE_WHY_MAX])
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, path[CONFIG_PATH + 300];
	size_t n = 0;
	enum cs_err err = CS_OK;

	if (d == NULL) {
		say(why, "[pipeline] feeds: %s: %s", dir, strerror(errno));
		return CS_E_IO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == PIPELINE_FEEDS_MAX) {
			say(why,
			    "[pipeline] feeds: %s: more than %d "
			    "definitions",
			    dir, PIPELINE_FEEDS_MAX);
			err = CS_E_TOOBIG;
			break;
		}
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && err == CS_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		err = pipeline_add_definition(p, path, why);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static enum cs_err
load_rules(const char *path, struct rules **out, size_t *count_out,
           char why[PIPELINE_WHY_MAX])
{
	char rwhy[RULES_WHY_MAX];
	enum cs_err err;

	if ((err = rules_load_file(path, out, rwhy)) != CS_OK) {
		say(why, "[pipeline] rules: %s", rwhy);
		return err;
	}
	*count_out = rules_count(*out);
	return CS_OK;
}

static enum cs_err
load_asn(const char *path, struct asn_table **out, char why[PIPELINE_WHY_MAX])
{
	char awhy[ASN_WHY_MAX];
	enum cs_err err;

	if ((err = asn_table_load(path, ASN_MAX_PREFIXES, out, awhy)) != CS_OK)
		say(why, "[pipeline] asn_table: %s", awhy);
	return err;
}

static enum cs_err
load_dedup(struct pipeline *p, char why[PIPELINE_WHY_MAX])
{
	struct dedup_config *dc = &p->dedup;
	char dwhy[DEDUP_WHY_MAX];
	size_t per_key, cap;

	memset(dc, 0, sizeof(*dc));
	if (p->cfg.dedup_key[0] == '\0')
		return CS_OK;
	if (dedup_key_parse(p->cfg.dedup_key, dc, dwhy) != CS_OK) {
		say(why, "[pipeline] dedup_key: %s", dwhy);
		return CS_E_INVAL;
	}
	dc->window = p->cfg.dedup_window;
	dc->time_field = EF_TIME_SOURCE;
	dc->mode = strcmp(p->cfg.dedup_mode, "aggregate") == 0 ? DEDUP_AGGREGATE
	                                                       : DEDUP_DROP;
	dc->record_max = DEDUP_RECORD_BYTES;
	/* dedup_memory bounds the table: index and entry per key, and the
	 * held first event in aggregate mode */
	per_key = DEDUP_KEY_BYTES +
	          (dc->mode == DEDUP_AGGREGATE ? DEDUP_RECORD_BYTES : 0);
	cap = (size_t)p->cfg.dedup_memory / per_key;
	dc->capacity = (size_t)p->cfg.dedup_capacity < cap
	                   ? (size_t)p->cfg.dedup_capacity
	                   : cap;
	p->dedup_on = true;
	return CS_OK;
}

enum cs_err
pipeline_open(const struct config *cfg, struct pipeline **out,
              char why[PIPELINE_WHY_MAX])
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	char swhy[SS_WHY_MAX];
	char gwhy[GEO_WHY_MAX];
	enum cs_err err = CS_OK;

	why[0] = '\0';
	p->cfg = *cfg;
	pthread_mutex_init(&p->lock, NULL);
	rules_live_init(&p->rules);
	p->asn = asn_holder_new(NULL);
	p->policy.team_code = cfg->team_code;
	if (!priority_matrix_parse(cfg->priority_matrix, &p->policy.matrix) ||
	    !sla_policy_parse(cfg->sla, &p->policy.sla)) {
		say(why, "[incidents] priority_matrix or sla is invalid");
		err = CS_E_INVAL;
		goto out;
	}
	if (cfg->shadowserver_schema[0] != '\0') {
		if ((err = ss_schema_load(cfg->shadowserver_schema, &p->schema,
		                          swhy)) != CS_OK) {
			say(why, "[pipeline] shadowserver_schema: %s", swhy);
			goto out;
		}
		if ((err = feed_add(p, PIPELINE_SHADOWSERVER, FEED_SHADOWSERVER,
		                    NULL, cfg->shadowserver_schema, why)) !=
		    CS_OK)
			goto out;
	}
	if ((err = feed_add(p, PIPELINE_INTELMQ, FEED_INTELMQ, NULL, "",
	                    why)) != CS_OK)
		goto out;
	if (cfg->feeds_dir[0] != '\0' &&
	    (err = load_feeds_dir(p, cfg->feeds_dir, why)) != CS_OK)
		goto out;
	if (cfg->rules_file[0] != '\0') {
		struct rules *r;

		if ((err = load_rules(cfg->rules_file, &r, &p->nrules, why)) !=
		    CS_OK)
			goto out;
		rules_live_swap(&p->rules, r);
	}
	if (cfg->asn_table[0] != '\0') {
		struct asn_table *t;

		if ((err = load_asn(cfg->asn_table, &t, why)) != CS_OK)
			goto out;
		p->asn_prefixes = asn_table_count(t);
		asn_holder_swap_take(p->asn, t);
	}
	if ((err = geo_open(cfg->geoip_db, &p->geo, gwhy)) != CS_OK) {
		say(why, "[pipeline] geoip: %s", gwhy);
		goto out;
	}
	err = load_dedup(p, why);
out:
	if (err != CS_OK) {
		pipeline_free(p);
		return err;
	}
	*out = p;
	return CS_OK;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nfeeds; i++) {
		free(p->feeds[i].name);
		feed_def_free(p->feeds[i].def);
	}
	free(p->feeds);
	ss_schema_free(p->schema);
	rules_live_cleanup(&p->rules);
	asn_holder_free(p->asn);
	geo_free(p->geo);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

enum cs_err
pipeline_reload(struct pipeline *p, char why[PIPELINE_WHY_MAX])
{
	struct rules *r = NULL;
	struct asn_table *t = NULL;
	size_t nrules = 0;
	enum cs_err err;

	why[0] = '\0';
	/* both load completely before either replaces the running one */
	if (p->cfg.rules_file[0] != '\0' &&
	    (err = load_rules(p->cfg.rules_file, &r, &nrules, why)) != CS_OK)
		return err;
	if (p->cfg.asn_table[0] != '\0' &&
	    (err = load_asn(p->cfg.asn_table, &t, why)) != CS_OK) {
		if (r != NULL)
			rules_put(r);
		return err;
	}
	pthread_mutex_lock(&p->lock);
	if (r != NULL) {
		rules_live_swap(&p->rules, r);
		p->nrules = nrules;
	}
	if (t != NULL) {
		p->asn_prefixes = asn_table_count(t);
		asn_holder_swap_take(p->asn, t);
	}
	pthread_mutex_unlock(&p->lock);
	return CS_OK;
}

size_t
pipeline_feed_count(const struct pipeline *p)
{
	return p->nfeeds;
}

const char *
pipeline_feed_name(const struct pipeline *p, size_t i)
{
	return i < p->nfeeds ? p->feeds[i].name : NULL;
}

const char *
pipeline_feed_format(const struct pipeline *p, size_t i)
{
	if (i >= p->nfeeds)
		return NULL;
	switch (p->feeds[i].kind) {
	case FEED_SHADOWSERVER:
		return "csv";
	case FEED_INTELMQ:
		return "jsonl";
	default:
		return feed_def_format(p->feeds[i].def);
	}
}

static const struct feed *
feed_find(const struct pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->nfeeds; i++)
		if (strcmp(p->feeds[i].name, name) == 0)
			return &p->feeds[i];
	return NULL;
}

bool
pipeline_feed_exists(const struct pipeline *p, const char *feed)
{
	return feed_find(p, feed) != NULL;
}

static enum cs_err
parse_generic(const void *arg, int fd, int64_t observation,
              const struct ss_sink *sink, struct ss_stats *st,
              char why[SS_WHY_MAX])
{
	return generic_parse_fd(arg, fd, observation, sink, st, why);
}

static enum cs_err
parse_intelmq(const void *arg, int fd, int64_t observation,
              const struct ss_sink *sink, struct ss_stats *st,
              char why[SS_WHY_MAX])
{
	(void)arg;
	return intelmq_parse_fd(fd, observation, sink, st, why);
}

enum cs_err
pipeline_parser(const struct pipeline *p, const char *feed, const char *report,
                const char *filename, struct ingest_parser *out,
                char why[PIPELINE_WHY_MAX])
{
	const struct feed *f = feed_find(p, feed);
	const struct ss_report *r;

	if (f == NULL) {
		if (strcmp(feed, PIPELINE_SHADOWSERVER) == 0)
			say(why, "feed shadowserver: no schema (set [pipeline] "
			         "shadowserver_schema)");
		else
			say(why,
			    "no feed '%s' (a definition in [pipeline] "
			    "feeds names it)",
			    feed);
		return CS_E_NOTFOUND;
	}
	if (f->kind == FEED_INTELMQ) {
		out->parse = parse_intelmq;
		out->arg = NULL;
		out->report = "";
		return CS_OK;
	}
	if (f->kind == FEED_GENERIC) {
		out->parse = parse_generic;
		out->arg = f->def;
		out->report = "";
		return CS_OK;
	}
	if (report != NULL && report[0] != '\0')
		r = ss_report_find(p->schema, report);
	else
		r = ss_detect(p->schema, filename ? filename : "");
	if (r == NULL) {
		if (report != NULL && report[0] != '\0')
			say(why, "unknown Shadowserver report '%s'", report);
		else
			say(why,
			    "no Shadowserver report kind in the file name "
			    "'%s' (give the report)",
			    filename ? filename : "");
		return CS_E_NOTFOUND;
	}
	*out = ingest_shadowserver(r);
	return CS_OK;
}

/* The current stages for one report, with the references taken. */
struct stages {
	struct ingest_opts o;
	struct rules *rules;
	struct asn_table *asn;
};

static void
stages_acquire(struct pipeline *p, struct constituency_index *ci,
               const char *feed, struct stages *sg)
{
	static const struct actor actor = {"pipeline", 0};
	struct ingest_opts *o = &sg->o;

	sg->rules = rules_live_get(&p->rules);
	sg->asn = asn_holder_acquire(p->asn);
	memset(o, 0, sizeof(*o));
	o->feed = feed;
	o->tlp = p->cfg.event_tlp;
	o->commit_events = (size_t)p->cfg.commit_events;
	o->ci = ci;
	o->asn = sg->asn;
	o->geo = geo_is_enabled(p->geo) ? p->geo : NULL;
	o->rules = sg->rules;
	o->dedup = p->dedup_on ? &p->dedup : NULL;
	o->incidents = &p->policy;
	o->actor = &actor;
}

static void
stages_release(struct stages *sg)
{
	if (sg->rules != NULL)
		rules_put(sg->rules);
	asn_table_unref(sg->asn);
}

enum cs_err
pipeline_run(struct pipeline *p, struct store *st,
             struct constituency_index *ci, const char *feed,
             const struct ingest_parser *parser, int fd, const char *source,
             int64_t received_at, struct ingest_result *res,
             char why[INGEST_WHY_MAX])
{
	struct stages sg;
	enum cs_err err;

	stages_acquire(p, ci, feed, &sg);
	err = ingest_fd(st, &sg.o, parser, fd, source, received_at, res, why);
	stages_release(&sg);
	return err;
}

enum cs_err
pipeline_run_dry(struct pipeline *p, struct constituency_index *ci,
                 const char *feed, const struct ingest_parser *parser,
                 const struct ingest_dry *dry, int fd, const char *source,
                 int64_t received_at, struct ingest_result *res,
                 char why[INGEST_WHY_MAX])
{
	struct stages sg;
	enum cs_err err;

	stages_acquire(p, ci, feed, &sg);
	err = ingest_dry_fd(dry, &sg.o, parser, fd, source, received_at, res,
	                    why);
	stages_release(&sg);
	return err;
}

void
pipeline_info(struct pipeline *p, struct pipeline_info *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	out->feeds = p->nfeeds;
	out->rules = p->nrules;
	out->asn_prefixes = p->asn_prefixes;
	pthread_mutex_unlock(&p->lock);
	out->geo = geo_is_enabled(p->geo);
	out->dedup = p->dedup_on;
	out->dedup_mode =
	    p->dedup.mode == DEDUP_AGGREGATE ? "aggregate" : "drop";
}
