/*
 * rules_eval.c - running a compiled rule set on events, reference counts
 * and the live holder.
 *
 * The hot path: field enums were resolved at load, typed fields compare in
 * binary (integers, addresses against blocks), lists of integers and
 * strings are sorted for a binary search, long lists of blocks use a CIDR
 * index, and regexes run (JIT-compiled) with the caller's match data.
 * Nothing here allocates, except set actions, which intern into the batch.
 *
 * Missing fields: ==, <, <=, >, >=, =~ and in are false on a missing field
 * (or an extra of another kind); !=, !~ and not in are their exact
 * negations, so they are true there.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "pipeline/rules_internal.h"

struct rules_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

struct rules_ctx *
rules_ctx_new(void)
{
	struct rules_ctx *c = xcalloc(1, sizeof(*c));

	/* one pair: we only ask whether a pattern matches */
	c->md = pcre2_match_data_create(1, NULL);
	c->mc = pcre2_match_context_create(NULL);
	if (c->md == NULL || c->mc == NULL)
		abort();
	pcre2_set_match_limit(c->mc, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(c->mc, RULES_MATCH_LIMIT);
	return c;
}

void
rules_ctx_free(struct rules_ctx *c)
{
	if (c == NULL)
		return;
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mc);
	free(c);
}

size_t
rules_count(const struct rules *r)
{
	return r->n_rules;
}

void
rules_get(struct rules *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void
rules_put(struct rules *r)
{
	if (r == NULL)
		return;
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		rules_destroy(r);
}

void
rules_live_init(struct rules_live *l)
{
	if (pthread_mutex_init(&l->lock, NULL) != 0)
		abort();
	l->cur = NULL;
}

void
rules_live_cleanup(struct rules_live *l)
{
	rules_put(l->cur);
	l->cur = NULL;
	pthread_mutex_destroy(&l->lock);
}

struct rules *
rules_live_get(struct rules_live *l)
{
	struct rules *r;

	pthread_mutex_lock(&l->lock);
	if ((r = l->cur) != NULL)
		rules_get(r);
	pthread_mutex_unlock(&l->lock);
	return r;
}

void
rules_live_swap(struct rules_live *l, struct rules *r)
{
	struct rules *old;

	pthread_mutex_lock(&l->lock);
	old = l->cur;
	l->cur = r;
	pthread_mutex_unlock(&l->lock);
	rules_put(old);
}

/* ---- conditions ---- */

/* The integer value of a port, ASN or time field. */
static int64_t
int_of(const struct event *ev, enum event_field f)
{
	switch (f) {
	case EF_TIME_SOURCE:
		return ev->time_source;
	case EF_TIME_OBSERVATION:
		return ev->time_observation;
	case EF_SOURCE_PORT:
		return ev->source_port;
	case EF_DEST_PORT:
		return ev->dest_port;
	case EF_SOURCE_ASN:
		return ev->source_asn;
	case EF_DEST_ASN:
		return ev->dest_asn;
	default:
		return 0;
	}
}

static bool
ip_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* Block n lies within block outer. */
static bool
net_within(const struct cidr *n, const struct cidr *outer)
{
	return n->len >= outer->len && cidr_contains(outer, &n->addr);
}

static bool
in_ints(const struct node *n, int64_t v)
{
	size_t lo = 0, hi = n->n_list;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->list[mid].u.i == v)
			return true;
		if (n->list[mid].u.i < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* strcmp() == 0, with the first byte compared inline: most unequal
 * strings differ there. */
static inline bool
str_eq(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

static inline bool
has(const struct event *ev, enum event_field f)
{
	return (ev->present >> f) & 1;
}

/* The extra pair with this key, or NULL (event_get_extra() with the first
 * byte compared inline). */
static const struct extra *
find_slot(const struct event *ev, const char *key)
{
	for (size_t i = 0; i < ev->n_extra; i++)
		if (str_eq(ev->extra[i].key, key))
			return &ev->extra[i];
	return NULL;
}

static const struct extra_value *
find_extra(const struct event *ev, const char *key)
{
	const struct extra *x = find_slot(ev, key);

	return x != NULL ? &x->v : NULL;
}

static bool
in_strs(const struct node *n, const char *s)
{
	size_t lo = 0, hi = n->n_list;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->list[mid].u.s, s);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int
ord(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int
ordf(double a, double b)
{
	return (a > b) - (a < b);
}

static bool
ordered(enum op op, int c)
{
	switch (op) {
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	default:
		return false;
	}
}

static bool
regex_match(const struct node *n, struct rules_ctx *ctx, const char *s,
            size_t len, unsigned *errors)
{
	int rc = pcre2_match(n->re, (PCRE2_SPTR)s, len, 0, 0, ctx->md, ctx->mc);

	if (rc >= 0)
		return true; /* 0: the ovector was too small, still a match */
	if (rc != PCRE2_ERROR_NOMATCH)
		(*errors)++;
	return false;
}

/* An extra value equals a literal: same kind, or two numbers. */
static bool
extra_eq(const struct extra_value *x, const struct lit *l)
{
	switch (l->kind) {
	case L_STR:
		return x->kind == XV_STRING && str_eq(x->u.s, l->u.s);
	case L_BOOL:
		return x->kind == XV_BOOL && x->u.b == l->u.b;
	case L_INT:
		if (x->kind == XV_INT)
			return x->u.i == l->u.i;
		return x->kind == XV_FLOAT && x->u.f == (double)l->u.i;
	case L_FLOAT:
		if (x->kind == XV_FLOAT)
			return x->u.f == l->u.f;
		return x->kind == XV_INT && (double)x->u.i == l->u.f;
	default:
		return false;
	}
}

/* The positive form of a comparison on an extra.* field. */
static bool
cmp_extra(const struct node *n, const struct extra_value *x,
          struct rules_ctx *ctx, unsigned *errors)
{
	switch (n->op) {
	case OP_EQ:
	case OP_NE:
		return extra_eq(x, &n->v);
	case OP_IN:
	case OP_NIN:
		for (size_t i = 0; i < n->n_list; i++)
			if (extra_eq(x, &n->list[i]))
				return true;
		return false;
	case OP_RE:
	case OP_NRE:
		return x->kind == XV_STRING &&
		       regex_match(n, ctx, x->u.s, strlen(x->u.s), errors);
	default:
		if (x->kind == XV_INT && n->v.kind == L_INT)
			return ordered(n->op, ord(x->u.i, n->v.u.i));
		if (x->kind == XV_INT)
			return ordered(n->op, ordf((double)x->u.i, n->v.u.f));
		if (x->kind == XV_FLOAT)
			return ordered(n->op,
			               ordf(x->u.f, n->v.kind == L_INT
			                                ? (double)n->v.u.i
			                                : n->v.u.f));
		return false;
	}
}

/* The positive form of a comparison on a present typed field. */
static bool
cmp_typed(const struct node *n, const struct event *ev, struct rules_ctx *ctx,
          unsigned *errors)
{
	enum event_field f = n->fld.f;

	switch (n->fld.ty) {
	case ET_PORT:
	case ET_ASN:
	case ET_TIME: {
		int64_t v = int_of(ev, f);

		if (n->op == OP_IN || n->op == OP_NIN)
			return in_ints(n, v);
		if (n->op == OP_EQ || n->op == OP_NE)
			return v == n->v.u.i;
		return ordered(n->op, ord(v, n->v.u.i));
	}
	case ET_IP: {
		const struct ip_addr *a =
		    f == EF_SOURCE_IP ? &ev->source_ip : &ev->dest_ip;

		if (n->op == OP_EQ || n->op == OP_NE)
			return ip_eq(a, &n->v.u.ip);
		if (n->idx != NULL)
			return cidr_index_lookup(n->idx, a, NULL, 0, NULL) > 0;
		for (size_t i = 0; i < n->n_list; i++)
			if (cidr_contains(&n->list[i].u.net, a))
				return true;
		return false;
	}
	case ET_NETWORK:
		if (n->op == OP_EQ || n->op == OP_NE)
			return ev->source_network.len == n->v.u.net.len &&
			       ip_eq(&ev->source_network.addr,
			             &n->v.u.net.addr);
		for (size_t i = 0; i < n->n_list; i++)
			if (net_within(&ev->source_network, &n->list[i].u.net))
				return true;
		return false;
	default: {
		const char *s = ev->str[f];

		switch (n->op) {
		case OP_EQ:
		case OP_NE:
			return str_eq(s, n->v.u.s);
		case OP_IN:
		case OP_NIN:
			return in_strs(n, s);
		case OP_RE:
		case OP_NRE:
			return regex_match(n, ctx, s, strlen(s), errors);
		default:
			return false;
		}
	}
	}
}

static bool
negated(enum op op)
{
	return op == OP_NE || op == OP_NIN || op == OP_NRE;
}

static bool
eval_node(const struct node *n, const struct event *ev, struct rules_ctx *ctx,
          unsigned *errors)
{
	const struct extra_value *x;
	bool present, hit;

	switch (n->kind) {
	case N_AND:
		return eval_node(n->a, ev, ctx, errors) &&
		       eval_node(n->b, ev, ctx, errors);
	case N_OR:
		return eval_node(n->a, ev, ctx, errors) ||
		       eval_node(n->b, ev, ctx, errors);
	case N_NOT:
		return !eval_node(n->a, ev, ctx, errors);
	case N_EXISTS:
	case N_MISSING:
		present = n->fld.extra ? find_extra(ev, n->fld.key) != NULL
		                       : has(ev, n->fld.f);
		return present == (n->kind == N_EXISTS);
	case N_CMP:
		if (n->fld.extra) {
			x = find_extra(ev, n->fld.key);
			hit = x != NULL && cmp_extra(n, x, ctx, errors);
		} else {
			hit =
			    has(ev, n->fld.f) && cmp_typed(n, ev, ctx, errors);
		}
		return negated(n->op) ? !hit : hit;
	}
	return false;
}

/* ---- actions ---- */

static void
add_tag(struct rule_outcome *out, const char *tag)
{
	for (size_t i = 0; i < out->n_tags; i++)
		if (out->tags[i] == tag || strcmp(out->tags[i], tag) == 0)
			return;
	if (out->n_tags == RULES_TAGS_MAX) {
		out->tags_truncated = true;
		return;
	}
	out->tags[out->n_tags++] = tag;
}

/* s is NUL-terminated (n bytes). A text field that already holds exactly
 * s is left alone: re-applying a rule costs no batch memory. */
static enum cs_err
set_text(struct event_batch *b, struct event *ev, enum event_field f,
         const char *s, size_t n)
{
	char why[EVENT_WHY_MAX];

	if (ev->str[f] != NULL && has(ev, f) && str_eq(ev->str[f], s))
		return CS_OK;
	/* validated at load: only the batch's memory cap can fail here */
	return event_set_text(b, ev, f, s, n, why);
}

static enum cs_err
set_extra(struct event_batch *b, struct event *ev, const struct action *a)
{
	const struct extra *slot = find_slot(ev, a->fld.key);
	const struct extra_value *old = slot != NULL ? &slot->v : NULL;
	struct extra_value v;
	const char *key;

	/* the event's own copy of the key when it has one (the same slot) */
	if (slot != NULL)
		key = slot->key;
	else if ((key = event_batch_intern(b, a->fld.key,
	                                   strlen(a->fld.key))) == NULL)
		return CS_E_TOOBIG;
	switch (a->v.kind) {
	case L_STR:
		v.kind = XV_STRING;
		if (old != NULL && old->kind == XV_STRING &&
		    str_eq(old->u.s, a->v.u.s))
			return CS_OK;
		if ((v.u.s = event_batch_intern(b, a->v.u.s,
		                                strlen(a->v.u.s))) == NULL)
			return CS_E_TOOBIG;
		break;
	case L_INT:
		v.kind = XV_INT;
		v.u.i = a->v.u.i;
		break;
	case L_FLOAT:
		v.kind = XV_FLOAT;
		v.u.f = a->v.u.f;
		break;
	default:
		v.kind = XV_BOOL;
		v.u.b = a->v.u.b;
		break;
	}
	return event_set_extra(ev, key, v);
}

/* Applies one action; *stop_out is set by drop and stop. */
static enum cs_err
apply(const struct action *a, struct event_batch *b, struct event *ev,
      struct rule_outcome *out, bool *stop_out)
{
	enum cs_err err;

	switch (a->kind) {
	case A_DROP:
		out->drop = true;
		*stop_out = true;
		return CS_OK;
	case A_STOP:
		*stop_out = true;
		return CS_OK;
	case A_SET:
		if (a->fld.extra)
			return set_extra(b, ev, a);
		return set_text(b, ev, a->fld.f, a->text, a->len);
	case A_TAG:
		add_tag(out, a->s);
		return CS_OK;
	case A_NOTIFY:
		out->notify = a->notify;
		return CS_OK;
	case A_INCIDENT:
		out->incident = a->s;
		return CS_OK;
	case A_TLP:
		out->tlp = a->tlp;
		return CS_OK;
	case A_CLASSIFY:
		if ((err = set_text(b, ev, EF_CLASS_TAXONOMY, a->s,
		                    strlen(a->s))) != CS_OK ||
		    (err = set_text(b, ev, EF_CLASS_TYPE, a->type,
		                    strlen(a->type))) != CS_OK)
			return err;
		if (a->ident != NULL)
			return set_text(b, ev, EF_CLASS_IDENTIFIER, a->ident,
			                strlen(a->ident));
		return CS_OK;
	}
	return CS_E_INTERNAL;
}

enum cs_err
rules_eval(const struct rules *r, struct rules_ctx *ctx, struct event_batch *b,
           struct event *ev, struct rule_outcome *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = &r->rule[i];
		bool stop = false;

		if (ru->cond != NULL &&
		    !eval_node(ru->cond, ev, ctx, &out->regex_errors))
			continue;
		if (out->n_matched < RULES_MATCHED_MAX)
			out->matched[out->n_matched] = ru->name;
		out->n_matched++;
		out->last_rule = ru->name;
		for (size_t j = 0; j < ru->n_acts && !stop; j++) {
			enum cs_err err =
			    apply(&ru->acts[j], b, ev, out, &stop);

			if (err != CS_OK)
				return err;
		}
		if (stop)
			break;
	}
	return CS_OK;
}
