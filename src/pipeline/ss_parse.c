/*
 * ss_parse.c - Shadowserver CSV records to events: the CSV framing (the
 * language libcsv accepted, see scan()), the converters (IntelMQ's
 * semantics, re-implemented) and the mapping loop with its per-header
 * plan.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pipeline/ss_internal.h"

#define NO_COL ((size_t)-1)

/* A value every event of the report gets: a constant of the schema or
 * feed.*. canon is the text event_set_text() stores for it, worked out
 * once; NULL means "set it through store() each time" (a typed field, a
 * value event_set_text() refuses or copies without interning). */
struct cfield {
	enum target target;
	enum event_field field;
	const char *extra_key;
	int xid;
	const char *value, *canon;
	size_t n, cn;
	const char *in_batch; /* canon interned in this batch, or NULL */
};

struct parser {
	const struct ss_report *r;
	const struct ss_sink *sink;
	struct ss_stats st;
	struct event_batch *batch;
	size_t in_batch;
	int64_t observation;
	char *why;
	enum cs_err fatal; /* a report-level error: stop */

	/* header */
	bool have_header;
	size_t n_cols;
	const char *col_name[SS_MAX_COLUMNS]; /* batch-independent copies */
	size_t *req_idx, *opt_idx;            /* per mapping */

	/* resolved once per header (see plan_header()) */
	int *req_xid, *opt_xid, *col_xid; /* extra key ids, -1: none */
	struct icache *req_ic, *opt_ic, *col_ic;
	struct cfield *cf; /* constants, then feed.* */
	size_t n_cf, n_cf_const;
	size_t n_xkeys;
	uint32_t *xgen; /* per key id: the record that set it */
	uint16_t *xpos; /* its index in ev->extra */
	uint32_t gen;
	struct event_batch *cbatch; /* canonical constant values */
	size_t ix_cc_dns, ix_http_host, ix_url, ix_http_url, ix_application,
	    ix_category, ix_detail;

	/* the current record */
	char *rec;
	size_t rec_len;
	size_t off[SS_MAX_COLUMNS], len[SS_MAX_COLUMNS];
	size_t n_fields;
	size_t line, rec_line, newlines_in_rec;
	const char *bad; /* why the record is malformed, or NULL */

	/* the framing (see scan()) */
	int state;     /* enum scan_state */
	size_t flen;   /* bytes of the current field so far */
	size_t flf;    /* LFs in it */
	bool fcheck;   /* it holds a byte utf8/NUL checks must see */
	bool buf_over; /* see LIBCSV_BUF_LIMIT */
	char badbuf[SS_WHY_MAX];
	bool consumed[SS_MAX_COLUMNS];
	struct arena *hdr_arena;
};

/* ---- small helpers --------------------------------------------------- */

static bool
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += k + 1;
	}
	return true;
}

static bool
eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Python int(): optional whitespace and sign, digits. */
static bool
parse_int(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool
parse_float(const char *s, size_t n, double *out)
{
	char buf[64], *end;
	double d;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == buf || *end != '\0' || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* "Thu, 19 Apr 2018 00:02:28 GMT" (RFC 1123), for convert_date. */
static bool
parse_http_date(const char *s, size_t n, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char iso[32];
	int m;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
		return false;
	for (m = 0; m < 12; m++)
		if (memcmp(months + 3 * m, s + 8, 3) == 0)
			break;
	if (m == 12)
		return false;
	/* "%.4s-%02d-%.2s %.8s" of year, month, day and time; the fields
	 * hold no NUL */
	memcpy(iso, s + 12, 4);
	iso[4] = '-';
	iso[5] = (char)('0' + (m + 1) / 10);
	iso[6] = (char)('0' + (m + 1) % 10);
	iso[7] = '-';
	memcpy(iso + 8, s + 5, 2);
	iso[10] = ' ';
	memcpy(iso + 11, s + 17, 8);
	return event_time_parse(iso, 19, out);
}

static bool
has_item(const char **items, const size_t *lens, size_t ni, const char *s,
         size_t n)
{
	for (size_t i = 0; i < ni; i++)
		if (lens[i] == n && memcmp(items[i], s, n) == 0)
			return true;
	return false;
}

/* Python's string order: bytes, then the shorter first. */
static int
item_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : (an > bn) - (an < bn);
}

static void
sort_items(const char **items, size_t *lens, size_t ni)
{
	for (size_t i = 1; i < ni; i++)
		for (size_t j = i; j > 0 && item_cmp(items[j - 1], lens[j - 1],
		                                     items[j], lens[j]) > 0;
		     j--) {
			const char *t = items[j];
			size_t tl = lens[j];

			items[j] = items[j - 1], lens[j] = lens[j - 1];
			items[j - 1] = t, lens[j - 1] = tl;
		}
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Python's b64decode(validate=True): alphabet only, correct padding. */
static bool
is_base64(const char *s, size_t n)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || strchr(b64chars, s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return pad <= 2;
}

/* ---- converter results ----------------------------------------------- */

enum vkind { V_NONE, V_STR, V_INT, V_FLOAT, V_BOOL };

struct val {
	enum vkind kind;
	bool has_ip; /* ip holds the address s reads as */
	struct ip_addr ip;
	const char *s; /* V_STR: not NUL-terminated unless from the arena */
	size_t n;
	int64_t i;
	double f;
	bool b;
};

static const char *
col_val(const struct parser *p, size_t ix, size_t *n)
{
	if (ix == NO_COL) {
		*n = 0;
		return NULL;
	}
	*n = p->len[ix];
	return p->rec + p->off[ix];
}

/* Returns false when the converter "raises" (the record is malformed). */
static bool
convert_other(struct parser *p, const struct mapping *m, const char *s,
              size_t n, struct val *v)
{
	char tmp[CIDR_TEXT_MAX + 8];
	int64_t t;
	struct cidr c;

	v->kind = V_STR;
	v->s = s;
	v->n = n;
	v->has_ip = false;
	switch (m->conv) {
	case SC_NONE:
	case SC_ADD_UTC_TO_TIMESTAMP: /* the field parser assumes UTC */
		return true;
	case SC_CONVERT_BOOL: {
		char low[16];

		v->kind = V_NONE;
		if (n >= sizeof(low))
			return true;
		for (size_t i = 0; i < n; i++)
			low[i] = (char)tolower((unsigned char)s[i]);
		if (eq(low, n, "y") || eq(low, n, "yes") ||
		    eq(low, n, "true") || eq(low, n, "enabled") ||
		    eq(low, n, "1"))
			v->kind = V_BOOL, v->b = true;
		else if (eq(low, n, "n") || eq(low, n, "no") ||
		         eq(low, n, "false") || eq(low, n, "disabled") ||
		         eq(low, n, "0"))
			v->kind = V_BOOL, v->b = false;
		return true;
	}
	case SC_VALIDATE_TO_NONE:
		if (n == 0 || eq(s, n, "0") || eq(s, n, "unknown"))
			v->kind = V_NONE;
		return true;
	case SC_CONVERT_INT:
	case SC_INVALIDATE_ZERO:
		if (n == 0) {
			v->kind = V_NONE;
			return true;
		}
		if (!parse_int(s, n, &v->i))
			return false;
		v->kind = (m->conv == SC_INVALIDATE_ZERO && v->i == 0) ? V_NONE
		                                                       : V_INT;
		return true;
	case SC_CONVERT_FLOAT:
		if (n == 0) {
			v->kind = V_NONE;
			return true;
		}
		v->kind = V_FLOAT;
		return parse_float(s, n, &v->f);
	case SC_VALIDATE_IP:
		if (n == 0 || n >= sizeof(tmp) || eq(s, n, "0.0.0.0") ||
		    memchr(s, '/', n) != NULL) {
			v->kind = V_NONE;
			return true;
		}
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (!ip_parse(tmp, &v->ip))
			v->kind = V_NONE;
		else
			v->has_ip = true;
		return true;
	case SC_VALIDATE_NETWORK: {
		char cwhy[CIDR_WHY_MAX];

		if (n == 0 || n >= sizeof(tmp) || memchr(s, '/', n) == NULL) {
			v->kind = V_NONE;
			return true;
		}
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (!cidr_parse(tmp, &c, cwhy, sizeof(cwhy)) &&
		    strncmp(cwhy, "host bits", 9) != 0)
			v->kind = V_NONE;
		return true;
	}
	case SC_VALIDATE_FQDN: {
		char why[EVENT_WHY_MAX];
		struct event scratch;

		/* validated again when set; here only to decide None */
		memset(&scratch, 0, sizeof(scratch));
		if (n == 0 || event_set_text(p->batch, &scratch, EF_SOURCE_FQDN,
		                             s, n, why) != CS_OK)
			v->kind = V_NONE;
		return true;
	}
	case SC_CONVERT_DATE:
	case SC_CONVERT_DATE_UTC: {
		char out[26];

		if (!(event_time_parse(s, n, &t) ||
		      (m->conv == SC_CONVERT_DATE &&
		       parse_http_date(s, n, &t)))) {
			v->kind = V_NONE;
			return true;
		}
		event_time_format(t, out);
		if ((v->s = event_batch_intern(p->batch, out, 25)) == NULL)
			return false;
		v->n = 25;
		return true;
	}
	case SC_FORCE_BASE64: {
		size_t j = 0;

		if (n == 0) {
			v->kind = V_NONE;
			return true;
		}
		if (is_base64(s, n))
			return true;
		if (n > SS_MAX_FIELD)
			return false;
		{
			char buf[(SS_MAX_FIELD + 2) / 3 * 4 + 1];
			const unsigned char *u = (const unsigned char *)s;

			for (size_t i = 0; i < n; i += 3) {
				uint32_t w = (uint32_t)u[i] << 16;

				if (i + 1 < n)
					w |= (uint32_t)u[i + 1] << 8;
				if (i + 2 < n)
					w |= u[i + 2];
				buf[j++] = b64chars[(w >> 18) & 63];
				buf[j++] = b64chars[(w >> 12) & 63];
				buf[j++] =
				    i + 1 < n ? b64chars[(w >> 6) & 63] : '=';
				buf[j++] = i + 2 < n ? b64chars[w & 63] : '=';
			}
			v->s = event_batch_intern(p->batch, buf, j);
		}
		v->n = j;
		return v->s != NULL;
	}
	case SC_SCAN_EXCHANGE_TAXONOMY:
		v->s =
		    eq(s, n, "exchange;webshell") ? "intrusions" : "vulnerable";
		v->n = strlen(v->s);
		return true;
	case SC_SCAN_EXCHANGE_TYPE:
		v->s = eq(s, n, "exchange;webshell") ? "system-compromise"
		                                     : "infected-system";
		v->n = strlen(v->s);
		return true;
	case SC_SCAN_EXCHANGE_IDENTIFIER:
		v->s = eq(s, n, "exchange;webshell")
		           ? "exchange-server-webshell"
		           : "vulnerable-exchange-server";
		v->n = strlen(v->s);
		return true;
	case SC_CATEGORY_OR_DETAIL: {
		size_t cn, dn;
		const char *cv = col_val(p, p->ix_category, &cn),
		           *dv = col_val(p, p->ix_detail, &dn);

		if (!m->whole_row)
			return true;
		if (cn > 0)
			v->s = cv, v->n = cn;
		else if (dn > 0)
			v->s = dv, v->n = dn;
		else
			v->kind = V_NONE; /* '' is ignored by IntelMQ's add() */
		return true;
	}
	case SC_CONVERT_HTTP_HOST_AND_URL: {
		size_t hn, pn, an, k;
		const char *h, *path, *app;
		char buf[2 * SS_MAX_FIELD + 16];
		int len;

		if (!m->whole_row)
			return true;
		h = col_val(
		    p, p->ix_cc_dns != NO_COL ? p->ix_cc_dns : p->ix_http_host,
		    &hn);
		path = col_val(
		    p, p->ix_url != NO_COL ? p->ix_url : p->ix_http_url, &pn);
		if (hn == 0 || pn == 0)
			return true;
		/* drop anything before the first '/', then from the first
		 * whitespace on (a full request line holds only the path) */
		for (k = 0; k < pn && path[k] != '/'; k++)
			;
		path += k;
		pn -= k;
		for (k = 0; k < pn && !strchr(" \t\n\r\f\v", path[k]); k++)
			;
		pn = k;
		app = col_val(p, p->ix_application, &an);
		if (!(eq(app, an, "http") || eq(app, an, "https")))
			app = "http", an = 4;
		len = snprintf(buf, sizeof(buf), "%.*s://%.*s%.*s", (int)an,
		               app, (int)hn, h, (int)pn, path);
		if ((v->s = event_batch_intern(p->batch, buf, (size_t)len)) ==
		    NULL)
			return false;
		v->n = (size_t)len;
		return true;
	}
	case SC_EXTRACT_CVE_FROM_TAG: {
		/* ';'-separated items matching ^cve-[0-9]+-[0-9]+$, unique,
		 * sorted, joined with ';'; None when there is none */
		const char *items[64];
		size_t lens[64], ni = 0, i = 0, bl = 0;
		char buf[SS_MAX_FIELD + 1];

		while (i <= n) {
			size_t e = i, q = i + 4, d1, d2;

			while (e < n && s[e] != ';')
				e++;
			if (e - i > 6 && memcmp(s + i, "cve-", 4) == 0) {
				for (d1 = 0;
				     q < e && isdigit((unsigned char)s[q]); q++)
					d1++;
				d2 = 0;
				if (q < e && s[q] == '-')
					for (q++; q < e &&
					          isdigit((unsigned char)s[q]);
					     q++)
						d2++;
				if (q == e && d1 > 0 && d2 > 0 && ni < 64 &&
				    !has_item(items, lens, ni, s + i, e - i)) {
					items[ni] = s + i;
					lens[ni++] = e - i;
				}
			}
			i = e + 1;
		}
		if (ni == 0) {
			v->kind = V_NONE;
			return true;
		}
		sort_items(items, lens, ni);
		for (size_t j = 0; j < ni; j++) {
			if (j > 0)
				buf[bl++] = ';';
			memcpy(buf + bl, items[j], lens[j]);
			bl += lens[j];
		}
		if ((v->s = event_batch_intern(p->batch, buf, bl)) == NULL)
			return false;
		v->n = bl;
		return true;
	}
	}
	return true;
}

/* The converters most columns have, without a call. */
static inline bool
convert(struct parser *p, const struct mapping *m, const char *s, size_t n,
        struct val *v)
{
	switch (m->conv) {
	case SC_NONE:
	case SC_ADD_UTC_TO_TIMESTAMP: /* the field parser assumes UTC */
		v->kind = V_STR;
		break;
	case SC_VALIDATE_TO_NONE:
		v->kind = n == 0 || eq(s, n, "0") || eq(s, n, "unknown")
		              ? V_NONE
		              : V_STR;
		break;
	default:
		return convert_other(p, m, s, n, v);
	}
	v->s = s;
	v->n = n;
	v->has_ip = false;
	return true;
}

/* A string interned in the batch, remembered per column: a column that
 * repeats its last value (a country, a sector) gets the pointer the batch
 * would give again without hashing it. c->s is only kept while the batch
 * keeps the string (until batch_end). */
struct icache {
	const char *s;
	size_t n;
};

static const char *
intern_cached(struct parser *p, struct icache *c, const char *s, size_t n)
{
	const char *q;
	bool kept;

	if (c != NULL && c->s != NULL && c->n == n && memcmp(c->s, s, n) == 0)
		return c->s;
	q = event_batch_intern_kept(p->batch, s, n, &kept);
	if (c != NULL && q != NULL) {
		c->s = kept ? q : NULL;
		c->n = n;
	}
	return q;
}

/* ---- storing a value -------------------------------------------------- */

/* extra.<key> of this record, key by its id: what event_set_extra() does
 * (a key set again keeps its place and takes the new value) without
 * comparing the key with every extra set before it */
static int
set_extra(struct parser *p, struct event *ev, int xid, const char *key,
          struct extra_value x)
{
	if (p->xgen[xid] == p->gen) {
		ev->extra[p->xpos[xid]].v = x;
		return 1;
	}
	if (ev->n_extra >= EVENT_EXTRA_MAX)
		return -1;
	p->xgen[xid] = p->gen;
	p->xpos[xid] = (uint16_t)ev->n_extra;
	ev->extra[ev->n_extra].key = key;
	ev->extra[ev->n_extra++].v = x;
	return 1;
}

static int
field_invalid(enum event_field f, const char *reason, char *why)
{
	snprintf(why, EVENT_WHY_MAX, "%s: %s", event_field_name(f), reason);
	return 0;
}

/* 1 stored, 0 invalid value (InvalidValue), -1 out of memory or limit.
 * xid: the key's id for T_EXTRA. */
static int
store(struct parser *p, struct event *ev, enum target t, enum event_field f,
      const char *xk, int xid, struct icache *ic, const struct val *v,
      char *why)
{
	char num[32];
	const char *s = v->s;
	size_t n = v->n;
	struct extra_value x;

	if (t == T_EXTRA) {
		switch (v->kind) {
		case V_STR:
			x.kind = XV_STRING;
			if ((x.u.s = intern_cached(p, ic, s, n)) == NULL)
				return -1;
			break;
		case V_INT:
			x.kind = XV_INT, x.u.i = v->i;
			break;
		case V_FLOAT:
			x.kind = XV_FLOAT, x.u.f = v->f;
			break;
		default:
			x.kind = XV_BOOL, x.u.b = v->b;
			break;
		}
		return set_extra(p, ev, xid, xk, x);
	}
	/* typed values the converter already has: what event_set_text()
	 * would make of their text, without printing and parsing it */
	switch (event_field_type(f)) {
	case ET_PORT:
		if (v->kind != V_INT)
			break;
		if (v->i < 0 || v->i > 65535)
			return field_invalid(f, "not a port (0-65535)", why);
		if (f == EF_SOURCE_PORT)
			ev->source_port = (uint16_t)v->i;
		else
			ev->dest_port = (uint16_t)v->i;
		ev->present |= 1ULL << f;
		return 1;
	case ET_ASN:
		if (v->kind != V_INT)
			break;
		if (v->i < 1 || v->i > (int64_t)UINT32_MAX)
			return field_invalid(
			    f, "not an AS number (1-4294967295)", why);
		if (f == EF_SOURCE_ASN)
			ev->source_asn = (uint32_t)v->i;
		else
			ev->dest_asn = (uint32_t)v->i;
		ev->present |= 1ULL << f;
		return 1;
	case ET_STRING:
		/* event_set_text()'s checks, then set_string() unfolded */
		if (v->kind != V_STR || n == 0 || n > EVENT_VALUE_MAX ||
		    memchr(s, '\0', n) != NULL)
			break;
		if ((s = intern_cached(p, ic, s, n)) == NULL)
			return -1;
		ev->str[f] = s;
		ev->present |= 1ULL << f;
		return 1;
	case ET_IP:
		if (v->kind != V_STR || !v->has_ip)
			break;
		if (f == EF_SOURCE_IP)
			ev->source_ip = v->ip;
		else
			ev->dest_ip = v->ip;
		ev->present |= 1ULL << f;
		return 1;
	default:
		break;
	}
	if (v->kind == V_INT) {
		n = (size_t)snprintf(num, sizeof(num), "%" PRId64, v->i);
		s = num;
	} else if (v->kind == V_FLOAT) {
		n = (size_t)snprintf(num, sizeof(num), "%.17g", v->f);
		s = num;
	} else if (v->kind == V_BOOL) {
		s = v->b ? "true" : "false";
		n = strlen(s);
	}
	switch (event_set_text(p->batch, ev, f, s, n, why)) {
	case CS_OK:
		return 1;
	case CS_E_INVAL:
		return 0;
	default:
		return -1;
	}
}

static void
malformed(struct parser *p, const char *reason)
{
	p->st.malformed++;
	if (p->sink->on_malformed)
		p->sink->on_malformed(p->rec_line, reason, p->sink->ctx);
}

static void
batch_end(struct parser *p)
{
	if (p->in_batch == 0)
		return;
	if (p->sink->on_batch_end)
		p->sink->on_batch_end(p->sink->ctx);
	event_batch_reset(p->batch);
	for (size_t i = 0; i < p->n_cf; i++)
		p->cf[i].in_batch = NULL;
	if (p->have_header) {
		memset(p->req_ic, 0, p->r->n_req * sizeof(*p->req_ic));
		memset(p->opt_ic, 0, p->r->n_opt * sizeof(*p->opt_ic));
		memset(p->col_ic, 0, p->n_cols * sizeof(*p->col_ic));
	}
	p->in_batch = 0;
}

/* ---- per-header plan ----------------------------------------------------- */

static int
xkey_id(const char **keys, size_t *nk, const char *key)
{
	for (size_t i = 0; i < *nk; i++)
		if (strcmp(keys[i], key) == 0)
			return (int)i;
	keys[*nk] = key;
	return (int)(*nk)++;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *q = calloc(n ? n : 1, size);

	if (q == NULL)
		abort();
	return q;
}

static void
plan_cfield(struct parser *p, struct cfield *c)
{
	enum event_type t = event_field_type(c->field);
	char why[EVENT_WHY_MAX];
	struct event *ev;
	bool fold = t == ET_FQDN || t == ET_CC || t == ET_LOWER;

	c->canon = NULL;
	if (c->target != T_FIELD || t == ET_TIME || t == ET_IP ||
	    t == ET_PORT || t == ET_ASN || t == ET_NETWORK)
		return;
	if (event_new(p->cbatch, &ev) != CS_OK ||
	    event_set_text(p->cbatch, ev, c->field, c->value, c->n, why) !=
	        CS_OK)
		return;
	c->canon = ev->str[c->field];
	c->cn = strlen(c->canon);
	if (fold && c->cn > 256) /* set_string copies these uninterned */
		c->canon = NULL;
}

/* What each record needs of the report and the header, resolved once:
 * the id of every extra key (by content, so that a key set twice is
 * found without string compares) and the constant values. */
static void
plan_header(struct parser *p)
{
	const struct ss_report *r = p->r;
	size_t nk = 0, k = 0;
	const char **keys = xcalloc(
	    r->n_req + r->n_opt + r->n_const + p->n_cols, sizeof(*keys));

	p->req_xid = xcalloc(r->n_req, sizeof(int));
	p->opt_xid = xcalloc(r->n_opt, sizeof(int));
	p->col_xid = xcalloc(p->n_cols, sizeof(int));
	p->req_ic = xcalloc(r->n_req, sizeof(*p->req_ic));
	p->opt_ic = xcalloc(r->n_opt, sizeof(*p->opt_ic));
	p->col_ic = xcalloc(p->n_cols, sizeof(*p->col_ic));
	for (size_t i = 0; i < r->n_req; i++)
		p->req_xid[i] = r->req[i].target == T_EXTRA
		                    ? xkey_id(keys, &nk, r->req[i].extra_key)
		                    : -1;
	for (size_t i = 0; i < r->n_opt; i++)
		p->opt_xid[i] = r->opt[i].target == T_EXTRA
		                    ? xkey_id(keys, &nk, r->opt[i].extra_key)
		                    : -1;
	p->cf = xcalloc(r->n_const + 3, sizeof(*p->cf));
	for (size_t i = 0; i < r->n_const; i++) {
		const struct constant *c = &r->consts[i];
		struct cfield *f = &p->cf[k++];

		f->target = c->target;
		f->field = c->field;
		f->extra_key = c->extra_key;
		f->xid = c->target == T_EXTRA ? xkey_id(keys, &nk, c->extra_key)
		                              : -1;
		f->value = c->value;
		f->n = strlen(c->value);
	}
	p->n_cf_const = k;
	p->cf[k++] = (struct cfield){.target = T_FIELD,
	                             .field = EF_FEED_NAME,
	                             .xid = -1,
	                             .value = r->feed_name};
	p->cf[k++] = (struct cfield){.target = T_FIELD,
	                             .field = EF_FEED_PROVIDER,
	                             .xid = -1,
	                             .value = SS_PROVIDER};
	if (r->url != NULL)
		p->cf[k++] = (struct cfield){.target = T_FIELD,
		                             .field = EF_FEED_DOCUMENTATION,
		                             .xid = -1,
		                             .value = r->url};
	p->n_cf = k;
	for (size_t i = p->n_cf_const; i < k; i++)
		p->cf[i].n = strlen(p->cf[i].value);
	for (size_t i = 0; i < k; i++)
		plan_cfield(p, &p->cf[i]);
	for (size_t i = 0; i < p->n_cols; i++)
		p->col_xid[i] = p->col_name[i][0] != '\0'
		                    ? xkey_id(keys, &nk, p->col_name[i])
		                    : -1;
	p->n_xkeys = nk;
	p->xgen = xcalloc(nk, sizeof(*p->xgen));
	p->xpos = xcalloc(nk, sizeof(*p->xpos));
	p->gen = 0;
	free(keys);
}

/* 1 set, -1 out of memory or limit (as store() for a constant) */
static int
set_cfield(struct parser *p, struct event *ev, struct cfield *c, char *why)
{
	struct val cv = {.kind = V_STR, .s = c->value, .n = c->n};
	const char *q;

	if (c->target == T_FIELD && c->canon != NULL) {
		bool kept;

		if ((q = c->in_batch) == NULL) {
			q = event_batch_intern_kept(p->batch, c->canon, c->cn,
			                            &kept);
			if (q == NULL)
				return -1;
			if (kept)
				c->in_batch = q;
		}
		ev->str[c->field] = q;
		ev->present |= 1ULL << c->field;
		return 1;
	}
	return store(p, ev, c->target, c->field, c->extra_key, c->xid, NULL,
	             &cv, why);
}

/* ---- header ------------------------------------------------------------ */

static size_t
header_index(const struct parser *p, const char *name)
{
	size_t found = NO_COL;

	for (size_t i = 0; i < p->n_cols; i++) /* the last one wins */
		if (strcmp(p->col_name[i], name) == 0)
			found = i;
	return found;
}

static void
take_header(struct parser *p)
{
	const struct ss_report *r = p->r;

	if (p->n_fields == 1 && p->len[0] == 0) {
		snprintf(p->why, SS_WHY_MAX, "empty header line");
		p->fatal = CS_E_INVAL;
		return;
	}
	p->n_cols = p->n_fields;
	for (size_t i = 0; i < p->n_cols; i++) {
		const char *s = p->rec + p->off[i];
		size_t n = p->len[i];

		if (i == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3, n -= 3; /* a UTF-8 byte order mark */
		p->col_name[i] = arena_strndup(p->hdr_arena, s, n);
		if (p->col_name[i] == NULL) {
			snprintf(p->why, SS_WHY_MAX, "header too large");
			p->fatal = CS_E_TOOBIG;
			return;
		}
	}
	p->req_idx = arena_alloc(p->hdr_arena, (r->n_req + 1) * sizeof(size_t));
	p->opt_idx = arena_alloc(p->hdr_arena, (r->n_opt + 1) * sizeof(size_t));
	if (p->req_idx == NULL || p->opt_idx == NULL) {
		snprintf(p->why, SS_WHY_MAX, "header too large");
		p->fatal = CS_E_TOOBIG;
		return;
	}
	for (size_t i = 0; i < r->n_req; i++) {
		p->req_idx[i] = header_index(p, r->req[i].column);
		if (p->req_idx[i] == NO_COL) {
			snprintf(p->why, SS_WHY_MAX,
			         "required column %.60s not found in report "
			         "%.60s (%.60s)",
			         r->req[i].column, r->name, r->feed_name);
			p->fatal = CS_E_INVAL;
			return;
		}
	}
	for (size_t i = 0; i < r->n_opt; i++)
		p->opt_idx[i] = header_index(p, r->opt[i].column);
	p->ix_cc_dns = header_index(p, "cc_dns");
	p->ix_http_host = header_index(p, "http_host");
	p->ix_url = header_index(p, "url");
	p->ix_http_url = header_index(p, "http_url");
	p->ix_application = header_index(p, "application");
	p->ix_category = header_index(p, "category");
	p->ix_detail = header_index(p, "detail");
	plan_header(p);
	p->have_header = true;
}

/* ---- one record -------------------------------------------------------- */

static void
take_record(struct parser *p)
{
	const struct ss_report *r = p->r;
	struct event *ev;
	struct val v;
	char why[EVENT_WHY_MAX], msg[SS_WHY_MAX];
	int rc;

	p->st.rows++;
	if (p->bad != NULL) {
		malformed(p, p->bad);
		return;
	}
	if (p->n_fields != p->n_cols) {
		snprintf(msg, sizeof(msg), "%zu columns, the header has %zu",
		         p->n_fields, p->n_cols);
		malformed(p, msg);
		return;
	}
	if (p->in_batch >= SS_BATCH_EVENTS)
		batch_end(p);
	if (event_new(p->batch, &ev) != CS_OK)
		goto toobig;
	memset(p->consumed, 0, p->n_cols * sizeof(p->consumed[0]));
	p->gen++; /* no extra key set yet */

	for (size_t i = 0; i < r->n_req; i++) {
		const struct mapping *m = &r->req[i];
		size_t ix = p->req_idx[i], n;
		const char *s = col_val(p, ix, &n);

		p->consumed[ix] = false;
		if (!convert(p, m, s, n, &v)) {
			snprintf(msg, sizeof(msg),
			         "column %.60s: %.60s failed on \"%.40s\"",
			         m->column, ss_conv_name(m->conv), s);
			malformed(p, msg);
			return;
		}
		if (v.kind == V_NONE)
			continue; /* IntelMQ leaves the column for extra */
		if (v.kind == V_STR && v.n == 0) {
			p->consumed[ix] = true;
			continue;
		}
		rc = store(p, ev, m->target, m->field, m->extra_key,
		           p->req_xid[i], &p->req_ic[i], &v, why);
		if (rc < 0)
			goto toobig;
		if (rc == 0) {
			snprintf(msg, sizeof(msg), "column %.60s: %s",
			         m->column, why);
			malformed(p, msg);
			return;
		}
		p->consumed[ix] = true;
	}
	for (size_t i = 0; i < r->n_opt; i++) {
		const struct mapping *m = &r->opt[i];
		size_t ix = p->opt_idx[i], n;
		const char *s;

		if (ix == NO_COL)
			continue;
		s = col_val(p, ix, &n);
		p->consumed[ix] = false;
		if (!convert(p, m, s, n, &v)) {
			snprintf(msg, sizeof(msg),
			         "column %.60s: %.60s failed on \"%.40s\"",
			         m->column, ss_conv_name(m->conv), s);
			malformed(p, msg);
			return;
		}
		if (v.kind == V_NONE || m->target == T_IGNORE ||
		    (v.kind == V_STR && v.n == 0)) {
			p->consumed[ix] = true;
			continue;
		}
		rc = store(p, ev, m->target, m->field, m->extra_key,
		           p->opt_xid[i], &p->opt_ic[i], &v, why);
		if (rc < 0)
			goto toobig;
		p->consumed[ix] = rc == 1; /* invalid: kept for extra */
	}
	for (size_t i = 0; i < p->n_cf_const; i++)
		if (set_cfield(p, ev, &p->cf[i], why) < 1)
			goto toobig;
	for (size_t i = 0; i < p->n_cols; i++) {
		/* a column without a name cannot be named in extra */
		if (p->consumed[i] || p->len[i] == 0 ||
		    p->col_name[i][0] == '\0')
			continue;
		v.kind = V_STR;
		v.s = p->rec + p->off[i];
		v.n = p->len[i];
		if (store(p, ev, T_EXTRA, EF_COUNT, p->col_name[i],
		          p->col_xid[i], &p->col_ic[i], &v, why) < 1)
			goto toobig;
	}
	for (size_t i = p->n_cf_const; i < p->n_cf; i++) /* feed.* */
		if (set_cfield(p, ev, &p->cf[i], why) < 1)
			goto toobig;
	if (p->observation != 0)
		event_set_time(ev, EF_TIME_OBSERVATION, p->observation);
	p->st.events++;
	p->in_batch++;
	p->sink->on_event(ev, p->batch, p->sink->ctx);
	return;
toobig:
	malformed(p, "record exceeds the event size limits");
}

/* ---- CSV framing ---------------------------------------------------------
 *
 * The records are framed here rather than by libcsv's per-byte callbacks
 * (docs/dependencies.md says why). The accepted language is exactly what
 * libcsv 3.0 accepted with the options this parser used (CSV_REPALL_NL, no
 * space trimming, not strict), state for state:
 *
 *   S_ROW    no field yet in this record (libcsv ROW_NOT_BEGUN)
 *   S_FIELD  after a delimiter (FIELD_NOT_BEGUN)
 *   S_UNQ    in an unquoted field: ends at ',' CR or LF; '"' is data
 *   S_QUO    in a quoted field: ends at '"' only (CR, LF, ',' are data)
 *   S_MIGHT  after a '"' in a quoted field: ',' CR LF end the field, a
 *            second '"' is one literal quote, anything else is data and
 *            the first '"' stays in the value (`"a"b` is `a"b`)
 *
 * CR and LF each end a record; an empty record (the LF of CRLF, a blank
 * line) is reported and skipped. Only LF counts lines, as before. The end
 * of the input ends an open field and record (an unterminated quoted field
 * keeps what it has). Field bytes are decoded straight into the record
 * buffer, once.
 */
enum scan_state { S_ROW, S_FIELD, S_UNQ, S_QUO, S_MIGHT };

/* libcsv's field buffer grew by 128 bytes whenever a byte came in while
 * the field held as many bytes as the buffer; the report stopped when that
 * buffer was beyond twice SS_MAX_RECORD after a slice of input. Keeping
 * that rule keeps the same reports stopping at the same place. */
#define LIBCSV_BUF_LIMIT ((size_t)SS_MAX_RECORD * 2)

/* a byte the UTF-8 and NUL checks must see */
static inline bool
needs_check(unsigned char c)
{
	return c == 0 || c >= 0x80;
}

/* ASCII without NUL: nothing to check */
static bool
field_bytes_ok(struct parser *p, const char *s, size_t n)
{
	if (!utf8_ok((const unsigned char *)s, n)) {
		snprintf(p->badbuf, sizeof(p->badbuf),
		         "column %zu: invalid UTF-8", p->n_fields + 1);
		p->bad = p->badbuf;
		return false;
	}
	if (memchr(s, '\0', n) != NULL) {
		snprintf(p->badbuf, sizeof(p->badbuf), "column %zu: NUL byte",
		         p->n_fields + 1);
		p->bad = p->badbuf;
		return false;
	}
	return true;
}

/* A field is complete: flen bytes, in the record buffer when they fit. */
static inline void
end_field(struct parser *p)
{
	size_t n = p->flen;
	char *s = p->rec + p->rec_len;

	if (p->n_fields == 0)
		p->rec_line = p->line;
	p->newlines_in_rec += p->flf;
	if (p->bad == NULL) {
		if (p->n_fields >= SS_MAX_COLUMNS)
			p->bad = "too many columns";
		else if (n > SS_MAX_FIELD || p->rec_len + n + 1 > SS_MAX_RECORD)
			p->bad = "field or record too long";
		else if (!p->fcheck || field_bytes_ok(p, s, n)) {
			s[n] = '\0';
			p->off[p->n_fields] = p->rec_len;
			p->len[p->n_fields++] = n;
			p->rec_len += n + 1;
		}
	}
	p->flen = 0;
	p->flf = 0;
	p->fcheck = false;
}

/* A record ends with byte c (CR, LF, or -1 at the end of the input). */
static void
end_record(struct parser *p, int c)
{
	if (p->fatal == CS_OK && (p->n_fields > 0 || p->bad != NULL)) {
		if (!p->have_header)
			take_header(p);
		else
			take_record(p);
	}
	if (c == '\n' || c == -1)
		p->line++;
	p->line += p->newlines_in_rec;
	p->newlines_in_rec = 0;
	p->n_fields = 0;
	p->rec_len = 0;
	p->bad = NULL;
}

/* Appends d[0..r) to the current field: into the record buffer as far as
 * a storable field can reach, counted in any case. */
static inline void
append(struct parser *p, const char *d, size_t r, size_t avail)
{
	/* a field that can be kept has at most this many bytes and its
	 * closing quote or NUL */
	size_t bound = SS_MAX_RECORD - p->rec_len, room;
	char *to = p->rec + p->rec_len + p->flen;

	if (p->bad != NULL)
		goto out;
	/* a short run: one fixed 16-byte copy (from the input, which has
	 * that many bytes, into the record buffer, which has that much room;
	 * bytes past the run are overwritten later or never read) */
	if (r <= 16 && avail >= 16 &&
	    p->rec_len + p->flen + 16 <= SS_MAX_RECORD) {
		memcpy(to, d, 16);
		goto out;
	}
	if (bound > SS_MAX_FIELD + 1)
		bound = SS_MAX_FIELD + 1;
	room = bound > p->flen ? bound - p->flen : 0;
	if (room > 0)
		memcpy(to, d, r < room ? r : room);
out:
	p->flen += r;
}

/* libcsv saw a byte while its field held `at` bytes */
static void
saw_byte_at(struct parser *p, size_t at)
{
	if (at >= LIBCSV_BUF_LIMIT)
		p->buf_over = true;
}

/*
 * The end of a run of field bytes starting at d[i]: the first ',', CR or
 * LF (unquoted) or '"' (quoted), or n. *check is set when the run holds a
 * byte the UTF-8 and NUL checks must see; *lf counts a quoted run's LFs.
 * Sixteen bytes at a time where SSE2 is there (every x86-64).
 */
static inline size_t
run_unq(const char *d, size_t i, size_t n, bool *check)
{
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8(','), b = _mm_set1_epi8('\r'),
	              c = _mm_set1_epi8('\n'), z = _mm_setzero_si128();

	while (i + 16 <= n) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		__m128i e = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)),
		    _mm_or_si128(_mm_cmpeq_epi8(v, c), _mm_cmpeq_epi8(v, z)));
		unsigned m = (unsigned)_mm_movemask_epi8(e) |
		             (unsigned)_mm_movemask_epi8(v);

		if (m == 0) {
			i += 16;
			continue;
		}
		i += (size_t)__builtin_ctz(m);
		if (d[i] == ',' || d[i] == '\r' || d[i] == '\n')
			return i;
		*check = true;
		i++;
	}
#endif
	for (; i < n; i++) {
		unsigned char u = (unsigned char)d[i];

		if (u == ',' || u == '\r' || u == '\n')
			break;
		if (needs_check(u))
			*check = true;
	}
	return i;
}

static inline size_t
run_quo(const char *d, size_t i, size_t n, bool *check, size_t *lf)
{
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8('"'), c = _mm_set1_epi8('\n'),
	              z = _mm_setzero_si128();

	while (i + 16 <= n) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		__m128i e = _mm_or_si128(
		    _mm_cmpeq_epi8(v, a),
		    _mm_or_si128(_mm_cmpeq_epi8(v, c), _mm_cmpeq_epi8(v, z)));
		unsigned m = (unsigned)_mm_movemask_epi8(e) |
		             (unsigned)_mm_movemask_epi8(v);

		if (m == 0) {
			i += 16;
			continue;
		}
		i += (size_t)__builtin_ctz(m);
		if (d[i] == '"')
			return i;
		if (d[i] == '\n')
			(*lf)++;
		else
			*check = true;
		i++;
	}
#endif
	for (; i < n; i++) {
		unsigned char u = (unsigned char)d[i];

		if (u == '"')
			break;
		if (u == '\n')
			(*lf)++;
		else if (needs_check(u))
			*check = true;
	}
	return i;
}

static void
scan(struct parser *p, const char *d, size_t n)
{
	size_t i = 0;

	while (i < n && p->fatal == CS_OK) {
		unsigned char c;
		size_t j;

		switch (p->state) {
		case S_ROW:
		case S_FIELD:
			c = (unsigned char)d[i];
			if (c == '\r' || c == '\n') {
				i++;
				if (p->state == S_FIELD)
					end_field(p);
				end_record(p, c);
				p->state = S_ROW;
			} else if (c == ',') {
				i++;
				end_field(p);
				p->state = S_FIELD;
			} else if (c == '"') {
				i++;
				p->state = S_QUO;
			} else {
				p->state = S_UNQ; /* c is the first byte */
			}
			break;
		case S_UNQ:
			j = run_unq(d, i, n, &p->fcheck);
			if (p->flen + (j - i) >= LIBCSV_BUF_LIMIT)
				saw_byte_at(p, p->flen + (j - i) -
				                   (j == n && j > i ? 1 : 0));
			append(p, d + i, j - i, n - i);
			i = j;
			if (i == n)
				break;
			c = (unsigned char)d[i++];
			end_field(p);
			if (c == ',') {
				p->state = S_FIELD;
			} else {
				end_record(p, c);
				p->state = S_ROW;
			}
			break;
		case S_QUO:
			j = run_quo(d, i, n, &p->fcheck, &p->flf);
			if (p->flen + (j - i) >= LIBCSV_BUF_LIMIT)
				saw_byte_at(p, p->flen + (j - i) -
				                   (j == n && j > i ? 1 : 0));
			append(p, d + i, j - i, n - i);
			i = j;
			if (i == n)
				break;
			/* the usual case, a closing quote and then a delimiter
			 * or the end of the line, without a trip through
			 * S_MIGHT (which would drop that quote again) */
			if (i + 1 < n && p->flen + 1 < LIBCSV_BUF_LIMIT) {
				c = (unsigned char)d[i + 1];
				if (c == ',' || c == '\r' || c == '\n') {
					i += 2;
					end_field(p);
					if (c == ',') {
						p->state = S_FIELD;
					} else {
						end_record(p, c);
						p->state = S_ROW;
					}
					break;
				}
			}
			append(p, d + i, 1, n - i); /* maybe a literal quote */
			i++;
			p->state = S_MIGHT;
			break;
		case S_MIGHT:
			c = (unsigned char)d[i];
			saw_byte_at(p, p->flen);
			if (c == ',' || c == '\r' || c == '\n') {
				i++;
				p->flen--; /* the closing quote */
				end_field(p);
				if (c == ',') {
					p->state = S_FIELD;
				} else {
					end_record(p, c);
					p->state = S_ROW;
				}
			} else if (c == '"') {
				i++; /* "" is the quote appended before */
				p->state = S_QUO;
			} else {
				p->state = S_QUO; /* c is data */
			}
			break;
		}
	}
}

/* The input has ended: close an open field and record. */
static void
scan_end(struct parser *p)
{
	switch (p->state) {
	case S_ROW:
		return;
	case S_MIGHT:
		p->flen--;
		/* FALLTHROUGH */
	case S_FIELD:
	case S_UNQ:
	case S_QUO:
		end_field(p);
		end_record(p, -1);
		p->state = S_ROW;
	}
}

struct run {
	struct parser p;
};

static void
run_init(struct run *u, const struct ss_report *r, int64_t observation,
         const struct ss_sink *sink, char *why)
{
	memset(u, 0, sizeof(*u));
	u->p.r = r;
	u->p.sink = sink;
	u->p.observation = observation;
	u->p.why = why;
	u->p.line = 1;
	u->p.state = S_ROW;
	u->p.batch = event_batch_new(64 * 1024 * 1024);
	u->p.hdr_arena = arena_new(1024 * 1024);
	u->p.cbatch = event_batch_new(1024 * 1024);
	if ((u->p.rec = malloc(SS_MAX_RECORD)) == NULL)
		abort();
	why[0] = '\0';
}

static enum cs_err
run_feed(struct run *u, const char *data, size_t n)
{
	scan(&u->p, data, n);
	/* a field that long cannot be resynchronised safely: stop */
	if (u->p.fatal == CS_OK && u->p.buf_over) {
		snprintf(u->p.why, SS_WHY_MAX,
		         "line %zu: field longer than %d bytes", u->p.line,
		         SS_MAX_RECORD);
		u->p.fatal = CS_E_TOOBIG;
	}
	return u->p.fatal;
}

static enum cs_err
run_finish(struct run *u, struct ss_stats *st_out)
{
	enum cs_err err;

	if (u->p.fatal == CS_OK)
		scan_end(&u->p);
	if (u->p.fatal == CS_OK && !u->p.have_header) {
		snprintf(u->p.why, SS_WHY_MAX, "no header line");
		u->p.fatal = CS_E_INVAL;
	}
	batch_end(&u->p);
	err = u->p.fatal;
	if (st_out != NULL)
		*st_out = u->p.st;
	free(u->p.rec);
	arena_free(u->p.hdr_arena);
	event_batch_free(u->p.batch);
	event_batch_free(u->p.cbatch);
	free(u->p.req_xid);
	free(u->p.opt_xid);
	free(u->p.col_xid);
	free(u->p.req_ic);
	free(u->p.opt_ic);
	free(u->p.col_ic);
	free(u->p.cf);
	free(u->p.xgen);
	free(u->p.xpos);
	return err;
}

enum cs_err
ss_parse_buf(const struct ss_report *r, const char *data, size_t n,
             int64_t observation, const struct ss_sink *sink,
             struct ss_stats *st_out, char why[SS_WHY_MAX])
{
	struct run *u = malloc(sizeof(*u));
	enum cs_err err;

	if (u == NULL)
		abort();
	run_init(u, r, observation, sink, why);
	/* in slices, so the over-long-field check sees the buffer grow */
	for (size_t off = 0; off < n && u->p.fatal == CS_OK; off += 65536)
		run_feed(u, data + off, n - off < 65536 ? n - off : 65536);
	err = run_finish(u, st_out);
	free(u);
	return err;
}

enum cs_err
ss_parse_fd(const struct ss_report *r, int fd, int64_t observation,
            const struct ss_sink *sink, struct ss_stats *st_out,
            char why[SS_WHY_MAX])
{
	struct run *u = malloc(sizeof(*u));
	char *buf = malloc(65536);
	enum cs_err err;
	ssize_t got;

	if (u == NULL || buf == NULL)
		abort();
	run_init(u, r, observation, sink, why);
	while (u->p.fatal == CS_OK) {
		got = read(fd, buf, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, SS_WHY_MAX, "read: %s", strerror(errno));
			u->p.fatal = CS_E_IO;
			break;
		}
		if (got == 0)
			break;
		run_feed(u, buf, (size_t)got);
	}
	err = run_finish(u, st_out);
	free(buf);
	free(u);
	return err;
}
