/*
 * asn.c - pyasn routing table loader, longest-prefix lookup, reload holder.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "pipeline/asn.h"

struct asn_table {
	atomic_size_t refs;
	struct cidr_index *idx;
};

struct asn_holder {
	pthread_mutex_t mu;
	struct asn_table *cur;
};

struct loader {
	struct cidr_index *idx;
	size_t max;
	size_t line;
};

static bool
parse_asn(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* One line without its '\n'. */
static enum cs_err
load_line(struct loader *l, const char *s, size_t n, char why[ASN_WHY_MAX])
{
	char text[ASN_LINE_MAX], cwhy[CIDR_WHY_MAX];
	const char *tab;
	struct cidr c, m;
	uint32_t asn;
	int64_t v;
	size_t alen;
	enum cs_err err;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0 || s[0] == ';')
		return CS_OK;
	if (memchr(s, '\0', n) != NULL) {
		snprintf(why, ASN_WHY_MAX, "%zu: NUL byte", l->line);
		return CS_E_INVAL;
	}
	tab = memchr(s, '\t', n);
	if (tab == NULL) {
		snprintf(why, ASN_WHY_MAX, "%zu: no TAB between prefix and ASN",
		         l->line);
		return CS_E_INVAL;
	}
	memcpy(text, s, (size_t)(tab - s));
	text[tab - s] = '\0';
	if (!cidr_parse(text, &c, cwhy, sizeof(cwhy))) {
		snprintf(why, ASN_WHY_MAX, "%zu: bad prefix: %s", l->line,
		         cwhy);
		return CS_E_INVAL;
	}
	alen = n - (size_t)(tab + 1 - s);
	if (!parse_asn(tab + 1, alen, &asn)) {
		snprintf(why, ASN_WHY_MAX,
		         "%zu: bad ASN \"%.*s\" (want 1..4294967295)", l->line,
		         (int)(alen > 20 ? 20 : alen), tab + 1);
		return CS_E_INVAL;
	}
	if (cidr_index_lookup(l->idx, &c.addr, &v, 1, &m) > 0 &&
	    m.len == c.len) {
		snprintf(why, ASN_WHY_MAX, "%zu: prefix %.100s listed twice",
		         l->line, text);
		return CS_E_INVAL;
	}
	err = cidr_index_add(l->idx, &c, asn);
	if (err == CS_E_TOOBIG)
		snprintf(why, ASN_WHY_MAX, "%zu: more than %zu prefixes",
		         l->line, l->max);
	else if (err != CS_OK)
		snprintf(why, ASN_WHY_MAX, "%zu: prefix %.100s refused: %s",
		         l->line, text, cs_err_str(err));
	return err;
}

static void
loader_init(struct loader *l, size_t max_prefixes)
{
	l->max = max_prefixes;
	l->idx = cidr_index_new(max_prefixes);
	l->line = 0;
}

/* Freezes the loaded index: a depth-first copy, sized to fit, whose nodes
 * under one direct-table slot share cache lines. */
static struct asn_table *
loader_finish(struct loader *l)
{
	struct asn_table *t = xmalloc(sizeof(*t));

	atomic_init(&t->refs, 1);
	t->idx = cidr_index_clone(l->idx);
	cidr_index_free(l->idx);
	l->idx = NULL;
	return t;
}

static enum cs_err
too_long(struct loader *l, char why[ASN_WHY_MAX])
{
	snprintf(why, ASN_WHY_MAX, "%zu: line longer than %d bytes", l->line,
	         ASN_LINE_MAX - 1);
	return CS_E_INVAL;
}

enum cs_err
asn_table_load_text(const char *text, size_t n, size_t max_prefixes,
                    struct asn_table **out, char why[ASN_WHY_MAX])
{
	struct loader l;
	const char *p = text, *end = text + n, *eol;
	enum cs_err err = CS_OK;

	loader_init(&l, max_prefixes);
	while (p < end) {
		l.line++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) >= ASN_LINE_MAX) {
			err = too_long(&l, why);
			goto out;
		}
		if ((err = load_line(&l, p, (size_t)(eol - p), why)) != CS_OK)
			goto out;
		p = eol + 1;
	}
	*out = loader_finish(&l);
out:
	if (err != CS_OK)
		cidr_index_free(l.idx);
	return err;
}

/* Complete lines of buf[0..*len) go to the loader; the partial last line
 * moves to the front (or, at EOF, is loaded too). */
static enum cs_err
load_chunk(struct loader *l, char *buf, size_t *len, bool eof,
           char why[ASN_WHY_MAX])
{
	char *p = buf, *end = buf + *len, *eol;
	enum cs_err err;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL && !eof)
			break;
		if (eol == NULL)
			eol = end;
		l->line++;
		if ((size_t)(eol - p) >= ASN_LINE_MAX)
			return too_long(l, why);
		if ((err = load_line(l, p, (size_t)(eol - p), why)) != CS_OK)
			return err;
		p = eol < end ? eol + 1 : end;
	}
	if ((size_t)(end - p) >= ASN_LINE_MAX) {
		l->line++;
		return too_long(l, why);
	}
	memmove(buf, p, (size_t)(end - p));
	*len = (size_t)(end - p);
	return CS_OK;
}

enum cs_err
asn_table_load(const char *path, size_t max_prefixes, struct asn_table **out,
               char why[ASN_WHY_MAX])
{
	char buf[64 * 1024], lwhy[ASN_WHY_MAX];
	struct loader l;
	FILE *fp;
	size_t len = 0, got;
	bool eof = false;
	enum cs_err err = CS_OK;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, ASN_WHY_MAX, "%.120s: %s", path, strerror(errno));
		return CS_E_IO;
	}
	loader_init(&l, max_prefixes);
	while (!eof) {
		got = fread(buf + len, 1, sizeof(buf) - len, fp);
		len += got;
		if (got == 0) {
			if (ferror(fp)) {
				snprintf(why, ASN_WHY_MAX, "%.120s: read error",
				         path);
				err = CS_E_IO;
				goto out;
			}
			eof = true;
		}
		if ((err = load_chunk(&l, buf, &len, eof, lwhy)) != CS_OK) {
			snprintf(why, ASN_WHY_MAX, "%.100s:%.90s", path, lwhy);
			goto out;
		}
	}
	*out = loader_finish(&l);
out:
	if (err != CS_OK)
		cidr_index_free(l.idx);
	fclose(fp);
	return err;
}

struct asn_table *
asn_table_ref(struct asn_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void
asn_table_unref(struct asn_table *t)
{
	if (t == NULL ||
	    atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	cidr_index_free(t->idx);
	free(t);
}

bool
asn_table_lookup(const struct asn_table *t, const struct ip_addr *addr,
                 uint32_t *asn_out, struct cidr *network_out)
{
	int64_t v;

	if (cidr_index_lookup(t->idx, addr, &v, 1, network_out) == 0)
		return false;
	*asn_out = (uint32_t)v;
	return true;
}

unsigned
asn_enrich(const struct asn_table *t, struct event *ev)
{
	const uint64_t src = (1ULL << EF_SOURCE_ASN) |
	                     (1ULL << EF_SOURCE_NETWORK),
	               dst = 1ULL << EF_DEST_ASN;
	struct cidr net;
	uint32_t asn;
	unsigned n = 0;

	if ((ev->present & (1ULL << EF_SOURCE_IP)) &&
	    (ev->present & src) != src &&
	    asn_table_lookup(t, &ev->source_ip, &asn, &net)) {
		if (!(ev->present & (1ULL << EF_SOURCE_ASN))) {
			ev->source_asn = asn;
			ev->present |= 1ULL << EF_SOURCE_ASN;
			n++;
		}
		if (!(ev->present & (1ULL << EF_SOURCE_NETWORK))) {
			ev->source_network = net;
			ev->present |= 1ULL << EF_SOURCE_NETWORK;
			n++;
		}
	}
	if ((ev->present & (1ULL << EF_DEST_IP)) && !(ev->present & dst) &&
	    asn_table_lookup(t, &ev->dest_ip, &asn, NULL)) {
		ev->dest_asn = asn;
		ev->present |= dst;
		n++;
	}
	return n;
}

size_t
asn_table_count(const struct asn_table *t)
{
	return cidr_index_count(t->idx);
}

size_t
asn_table_memory(const struct asn_table *t)
{
	return sizeof(*t) + cidr_index_memory(t->idx);
}

struct asn_holder *
asn_holder_new(struct asn_table *initial)
{
	struct asn_holder *h = xmalloc(sizeof(*h));

	pthread_mutex_init(&h->mu, NULL);
	h->cur = initial;
	return h;
}

void
asn_holder_free(struct asn_holder *h)
{
	if (h == NULL)
		return;
	asn_table_unref(h->cur);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

struct asn_table *
asn_holder_acquire(struct asn_holder *h)
{
	struct asn_table *t;

	pthread_mutex_lock(&h->mu);
	t = h->cur != NULL ? asn_table_ref(h->cur) : NULL;
	pthread_mutex_unlock(&h->mu);
	return t;
}

void
asn_holder_swap_take(struct asn_holder *h, struct asn_table *t)
{
	struct asn_table *old;

	pthread_mutex_lock(&h->mu);
	old = h->cur;
	h->cur = t;
	pthread_mutex_unlock(&h->mu);
	asn_table_unref(old);
}
