/*
 * rules_parse.c - the rule file: lexer, recursive-descent parser, load-time
 * type checks and the conversion of literals into their binary forms.
 *
 * The parser stops at the first error and writes "NAME:LINE:COL: message";
 * the partly built set is destroyed, so a caller sees all or nothing.
 * Recursion is bounded by RULES_DEPTH_MAX (parentheses and not).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/taxonomy.h"
#include "core/xmalloc.h"
#include "pipeline/rules_internal.h"

/* A set may use this much memory besides its regexes and indexes: ample
 * for RULES_FILE_MAX bytes of text. */
#define RULES_MEM_MAX (64u << 20)

enum tok {
	T_EOF,
	T_WORD,
	T_STR,
	T_REGEX,
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_LC,
	T_RC,
	T_COMMA,
	T_SEMI,
	T_ASSIGN,
	T_EQ,
	T_NE,
	T_MATCH,
	T_NMATCH,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
};

struct token {
	enum tok t;
	const char *p; /* the text as written (a string: its decoded form) */
	size_t n;
	const char *flags; /* regex flags as written */
	size_t n_flags;
	int line, col;
};

struct parser {
	const char *name;
	const char *s, *end;
	const char *pos;
	int line;
	const char *line_start;
	struct token tok; /* the current token */
	char *why;
	bool failed;
	int depth;
	size_t terms;
	struct rules *r;
	size_t cap_rules, cap_codes, cap_idxs;
	struct event_batch *scratch; /* validates values with event_set_text */
	struct event *sev;
};

__attribute__((format(printf, 4, 5))) static enum cs_err
fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	char msg[RULES_WHY_MAX - 128];
	va_list ap;

	if (p->failed)
		return CS_E_INVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->why, RULES_WHY_MAX, "%s:%d:%d: %s", p->name, line, col,
	         msg);
	p->failed = true;
	return CS_E_INVAL;
}

#define fail(p, ...) fail_at((p), (p)->tok.line, (p)->tok.col, __VA_ARGS__)

static enum cs_err
too_big(struct parser *p)
{
	fail(p, "rule set too large (more than %u MiB)", RULES_MEM_MAX >> 20);
	return CS_E_TOOBIG;
}

static void *
alloc(struct parser *p, size_t n)
{
	return arena_alloc(p->r->arena, n);
}

/* ---- lexer ---- */

static bool
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	       c == '/' || c == '+' || c == '-';
}

static int
col_of(const struct parser *p, const char *at)
{
	return (int)(at - p->line_start) + 1;
}

/* Skips blanks, newlines and comments. */
static void
skip_space(struct parser *p)
{
	while (p->pos < p->end) {
		char c = *p->pos;

		if (c == '\n') {
			p->pos++;
			p->line++;
			p->line_start = p->pos;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else if (c == '#') {
			while (p->pos < p->end && *p->pos != '\n')
				p->pos++;
		} else {
			break;
		}
	}
}

static enum cs_err
lex_string(struct parser *p, struct token *t)
{
	const char *q = p->pos + 1;
	char *out;
	size_t n = 0;

	size_t len = 0;

	/* the decoded text is never longer than the source */
	for (const char *e = q; e < p->end && *e != '"' && *e != '\n'; e++) {
		if (*e == '\\' && e + 1 < p->end)
			e++;
		len = (size_t)(e - q) + 1;
	}
	if (len > EVENT_VALUE_MAX)
		len = EVENT_VALUE_MAX;
	if ((out = alloc(p, len + 1)) == NULL)
		return too_big(p);
	for (;;) {
		char c;

		if (q >= p->end || *q == '\n')
			return fail_at(p, t->line, t->col,
			               "unterminated string");
		c = *q++;
		if (c == '"')
			break;
		if (c == '\0' || (unsigned char)c < 0x20) {
			if (c == '\t')
				goto plain;
			return fail_at(p, p->line, col_of(p, q - 1),
			               "control character in a string");
		}
		if (c == '\\') {
			if (q >= p->end)
				return fail_at(p, t->line, t->col,
				               "unterminated string");
			c = *q++;
			switch (c) {
			case '"':
			case '\\':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			default:
				return fail_at(p, p->line, col_of(p, q - 2),
				               "unknown escape \\%c (use \\\" "
				               "\\\\ \\n or \\t)",
				               c >= 0x20 && c < 0x7f ? c : '?');
			}
		}
	plain:
		if (n >= EVENT_VALUE_MAX)
			return fail_at(p, t->line, t->col,
			               "string longer than %d bytes",
			               EVENT_VALUE_MAX);
		out[n++] = c;
	}
	out[n] = '\0';
	t->t = T_STR;
	t->p = out;
	t->n = n;
	p->pos = q;
	return CS_OK;
}

static enum cs_err
lex_regex(struct parser *p, struct token *t)
{
	const char *q = p->pos + 1;

	t->p = q;
	for (;;) {
		if (q >= p->end || *q == '\n')
			return fail_at(p, t->line, t->col,
			               "unterminated regex (a / is missing)");
		if (*q == '\\' && q + 1 < p->end && q[1] != '\n') {
			q += 2;
			continue;
		}
		if (*q == '/')
			break;
		q++;
	}
	t->n = (size_t)(q - t->p);
	if (t->n > RULES_REGEX_MAX)
		return fail_at(p, t->line, t->col, "regex longer than %d bytes",
		               RULES_REGEX_MAX);
	q++;
	t->flags = q;
	while (q < p->end &&
	       ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
		q++;
	t->n_flags = (size_t)(q - t->flags);
	t->t = T_REGEX;
	p->pos = q;
	return CS_OK;
}

/* Reads the next token into p->tok. */
static enum cs_err
next(struct parser *p)
{
	struct token *t = &p->tok;
	const char *q;
	char c;

	if (p->failed)
		return CS_E_INVAL;
	skip_space(p);
	memset(t, 0, sizeof(*t));
	t->line = p->line;
	t->col = col_of(p, p->pos);
	t->p = p->pos;
	if (p->pos >= p->end) {
		t->t = T_EOF;
		return CS_OK;
	}
	q = p->pos;
	c = *q;
	if (c == '"')
		return lex_string(p, t);
	if (c == '/')
		return lex_regex(p, t);
	if (is_word((unsigned char)c)) {
		while (q < p->end && is_word((unsigned char)*q))
			q++;
		t->t = T_WORD;
		t->n = (size_t)(q - p->pos);
		p->pos = q;
		return CS_OK;
	}
	t->n = 1;
	switch (c) {
	case '(':
		t->t = T_LP;
		break;
	case ')':
		t->t = T_RP;
		break;
	case '[':
		t->t = T_LB;
		break;
	case ']':
		t->t = T_RB;
		break;
	case '{':
		t->t = T_LC;
		break;
	case '}':
		t->t = T_RC;
		break;
	case ',':
		t->t = T_COMMA;
		break;
	case ';':
		t->t = T_SEMI;
		break;
	case '=':
		if (q + 1 < p->end && q[1] == '=')
			t->t = T_EQ, t->n = 2;
		else if (q + 1 < p->end && q[1] == '~')
			t->t = T_MATCH, t->n = 2;
		else
			t->t = T_ASSIGN;
		break;
	case '!':
		if (q + 1 < p->end && q[1] == '=')
			t->t = T_NE, t->n = 2;
		else if (q + 1 < p->end && q[1] == '~')
			t->t = T_NMATCH, t->n = 2;
		else
			return fail(p, "'!' must be followed by = or ~ "
			               "(use not for negation)");
		break;
	case '<':
		if (q + 1 < p->end && q[1] == '=')
			t->t = T_LE, t->n = 2;
		else
			t->t = T_LT;
		break;
	case '>':
		if (q + 1 < p->end && q[1] == '=')
			t->t = T_GE, t->n = 2;
		else
			t->t = T_GT;
		break;
	default:
		if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
			return fail(p, "unexpected character '%c'", c);
		return fail(p, "unexpected byte 0x%02x", (unsigned char)c);
	}
	p->pos += t->n;
	return CS_OK;
}

static bool
is_kw(const struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	return p->tok.t == T_WORD && p->tok.n == n &&
	       memcmp(p->tok.p, kw, n) == 0;
}

/* What the current token looks like, for messages. */
static const char *
describe(const struct parser *p, char *buf, size_t cap)
{
	switch (p->tok.t) {
	case T_EOF:
		return "end of file";
	case T_STR:
		return "a string";
	case T_REGEX:
		return "a regex";
	default:
		snprintf(buf, cap, "'%.*s'",
		         (int)(p->tok.n > 40 ? 40 : p->tok.n), p->tok.p);
		return buf;
	}
}

static enum cs_err
expect(struct parser *p, enum tok t, const char *what)
{
	char buf[64];

	if (p->tok.t != t)
		return fail(p, "expected %s, found %s", what,
		            describe(p, buf, sizeof(buf)));
	return next(p);
}

static enum cs_err
expect_kw(struct parser *p, const char *kw)
{
	char buf[64];

	if (!is_kw(p, kw))
		return fail(p, "expected '%s', found %s", kw,
		            describe(p, buf, sizeof(buf)));
	return next(p);
}

/* ---- fields and values ---- */

static char *
tok_dup(struct parser *p, const char *s, size_t n)
{
	char *d = alloc(p, n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static enum cs_err
parse_field(struct parser *p, struct fref *out)
{
	char name[128], buf[64];

	if (p->tok.t != T_WORD)
		return fail(p, "expected a field name, found %s",
		            describe(p, buf, sizeof(buf)));
	if (p->tok.n >= sizeof(name))
		return fail(p, "unknown field '%.40s...'", p->tok.p);
	memcpy(name, p->tok.p, p->tok.n);
	name[p->tok.n] = '\0';
	memset(out, 0, sizeof(*out));
	if (event_field_lookup(name, &out->f)) {
		out->ty = event_field_type(out->f);
		return next(p);
	}
	if (strncmp(name, "extra.", 6) == 0 && name[6] != '\0') {
		for (const char *c = name + 6; *c != '\0'; c++)
			if (*c == '/' || *c == ':' || *c == '+')
				return fail(p, "invalid extra key '%s'", name);
		out->extra = true;
		if ((out->key = tok_dup(p, name + 6, p->tok.n - 6)) == NULL)
			return too_big(p);
		return next(p);
	}
	return fail(p, "unknown field '%s'", name);
}

static const char *
fname(const struct fref *f, char *buf, size_t cap)
{
	if (!f->extra)
		return event_field_name(f->f);
	snprintf(buf, cap, "extra.%s", f->key);
	return buf;
}

static bool
parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!((buf[0] >= '0' && buf[0] <= '9') ||
	      (buf[0] == '-' && n > 1 && buf[1] >= '0' && buf[1] <= '9')))
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* An extra.* literal: "string", integer, float, true or false. */
static enum cs_err
parse_extra_lit(struct parser *p, struct lit *out)
{
	char buf[64], *end;
	double d;

	if (p->tok.t == T_STR) {
		out->kind = L_STR;
		out->u.s = p->tok.p;
		return next(p);
	}
	if (p->tok.t == T_WORD) {
		if (is_kw(p, "true") || is_kw(p, "false")) {
			out->kind = L_BOOL;
			out->u.b = is_kw(p, "true");
			return next(p);
		}
		if (parse_int(p->tok.p, p->tok.n, INT64_MIN, INT64_MAX,
		              &out->u.i)) {
			out->kind = L_INT;
			return next(p);
		}
		if (p->tok.n < sizeof(buf) &&
		    ((p->tok.p[0] >= '0' && p->tok.p[0] <= '9') ||
		     p->tok.p[0] == '-')) {
			memcpy(buf, p->tok.p, p->tok.n);
			buf[p->tok.n] = '\0';
			errno = 0;
			d = strtod(buf, &end);
			if (errno == 0 && *end == '\0' && isfinite(d)) {
				out->kind = L_FLOAT;
				out->u.f = d;
				return next(p);
			}
		}
	}
	return fail(p,
	            "expected a value: a \"string\", a number, true or "
	            "false, found %s",
	            describe(p, buf, sizeof(buf)));
}

/* Checks a typed field's value as event_set_text() would and returns the
 * scratch event holding it. */
static enum cs_err
check_typed(struct parser *p, enum event_field f, const char *s, size_t n)
{
	char why[EVENT_WHY_MAX];

	event_batch_reset(p->scratch);
	if (event_new(p->scratch, &p->sev) != CS_OK)
		return too_big(p);
	if (event_set_text(p->scratch, p->sev, f, s, n, why) != CS_OK)
		return fail(p, "%s", why);
	return CS_OK;
}

static bool
is_numeric_type(enum event_type t)
{
	return t == ET_PORT || t == ET_ASN || t == ET_TIME;
}

static bool
is_text_type(enum event_type t)
{
	return !is_numeric_type(t) && t != ET_IP && t != ET_NETWORK;
}

/* Addresses are IPv4 when written as IPv4-mapped IPv6 (ip_parse() maps
 * them), so an IPv4-mapped block of length >= 96 is the IPv4 block (as in
 * the CIDR index); shorter ones keep their IPv6 form. */
static void
unmap(struct cidr *c)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};
	struct cidr v4;

	if (c->addr.family != 6 || c->len < 96 ||
	    memcmp(c->addr.b, prefix, sizeof(prefix)) != 0)
		return;
	memset(&v4, 0, sizeof(v4));
	v4.addr.family = 4;
	memcpy(v4.addr.b, c->addr.b + 12, 4);
	v4.len = (uint8_t)(c->len - 96);
	*c = v4;
}

/* One value of a typed field, for a comparison with op (OP_IN: an element
 * of a list, where addresses become blocks). */
static enum cs_err
parse_typed_lit(struct parser *p, enum event_field f, enum op op,
                struct lit *out)
{
	enum event_type ty = event_field_type(f);
	const char *name = event_field_name(f);
	char buf[CIDR_TEXT_MAX + 8], why[CIDR_WHY_MAX];
	struct token t = p->tok;

	switch (ty) {
	case ET_PORT:
	case ET_ASN:
		if (t.t == T_STR)
			return fail(p, "%s: expected a number, not a string",
			            name);
		if (t.t != T_WORD ||
		    !parse_int(t.p, t.n, ty == ET_PORT ? 0 : 1,
		               ty == ET_PORT ? 65535 : UINT32_MAX, &out->u.i))
			return fail(p, "%s: expected %s", name,
			            ty == ET_PORT ? "a port number (0-65535)"
			                          : "an AS number "
			                            "(1-4294967295)");
		out->kind = L_INT;
		return next(p);
	case ET_TIME:
		if ((t.t != T_WORD && t.t != T_STR) ||
		    !event_time_parse(t.p, t.n, &out->u.i))
			return fail(p,
			            "%s: expected a date and time "
			            "(\"2024-01-31T12:00:00Z\")",
			            name);
		out->kind = L_INT;
		return next(p);
	case ET_IP:
	case ET_NETWORK:
		if (t.t != T_WORD || t.n >= sizeof(buf))
			return fail(p, "%s: expected %s (without quotes)", name,
			            op == OP_IN || ty == ET_NETWORK
			                ? "a CIDR block"
			                : "an IP address");
		memcpy(buf, t.p, t.n);
		buf[t.n] = '\0';
		if (ty == ET_IP && op != OP_IN) {
			if (strchr(buf, '/') != NULL)
				return fail(p,
				            "%s: a block needs 'in', not a "
				            "comparison",
				            name);
			if (!ip_parse(buf, &out->u.ip))
				return fail(p, "%s: '%s' is not an IP address",
				            name, buf);
			out->kind = L_IP;
			return next(p);
		}
		if (!cidr_parse(buf, &out->u.net, why, sizeof(why)))
			return fail(p, "%s: '%s': %s", name, buf, why);
		if (ty == ET_IP)
			unmap(&out->u.net);
		out->kind = L_CIDR;
		return next(p);
	default:
		break;
	}
	if (t.t != T_STR)
		return fail(p, "%s: expected a \"string\"", name);
	if (check_typed(p, f, t.p, t.n) != CS_OK)
		return CS_E_INVAL;
	out->kind = L_STR;
	/* the normalised form (upper-cased country, lower-cased names) */
	out->u.s = tok_dup(p, p->sev->str[f], strlen(p->sev->str[f]));
	if (out->u.s == NULL)
		return too_big(p);
	return next(p);
}

static enum cs_err
parse_lit(struct parser *p, const struct fref *fld, enum op op, struct lit *out)
{
	memset(out, 0, sizeof(*out));
	if (fld->extra)
		return parse_extra_lit(p, out);
	return parse_typed_lit(p, fld->f, op, out);
}

static int
cmp_int(const void *a, const void *b)
{
	int64_t x = ((const struct lit *)a)->u.i,
	        y = ((const struct lit *)b)->u.i;

	return (x > y) - (x < y);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(((const struct lit *)a)->u.s,
	              ((const struct lit *)b)->u.s);
}

static void
own_code(struct parser *p, pcre2_code *c)
{
	if (p->r->n_codes == p->cap_codes) {
		p->cap_codes = p->cap_codes ? 2 * p->cap_codes : 8;
		p->r->codes =
		    xrealloc(p->r->codes, p->cap_codes * sizeof(*p->r->codes));
	}
	p->r->codes[p->r->n_codes++] = c;
}

static void
own_idx(struct parser *p, struct cidr_index *x)
{
	if (p->r->n_idxs == p->cap_idxs) {
		p->cap_idxs = p->cap_idxs ? 2 * p->cap_idxs : 4;
		p->r->idxs =
		    xrealloc(p->r->idxs, p->cap_idxs * sizeof(*p->r->idxs));
	}
	p->r->idxs[p->r->n_idxs++] = x;
}

/* Lists of more blocks than this on an address field are looked up in a
 * CIDR index instead of one by one. */
#define LIST_INDEX_MIN 8

static enum cs_err
parse_list(struct parser *p, struct node *n)
{
	struct lit tmp[RULES_LIST_MAX];
	enum event_type ty =
	    n->fld.extra ? ET_STRING : event_field_type(n->fld.f);
	size_t cnt = 0;
	enum cs_err err;

	if (p->tok.t != T_LB) {
		/* a single block: source.ip in 192.0.2.0/24 */
		if (n->fld.extra || (ty != ET_IP && ty != ET_NETWORK))
			return fail(p, "expected a [list] after 'in'");
		n->list = alloc(p, sizeof(*n->list));
		if (n->list == NULL)
			return too_big(p);
		n->n_list = 1;
		return parse_lit(p, &n->fld, OP_IN, &n->list[0]);
	}
	if ((err = next(p)) != CS_OK)
		return err;
	while (p->tok.t != T_RB) {
		if (cnt == RULES_LIST_MAX)
			return fail(p, "list longer than %d values",
			            RULES_LIST_MAX);
		if ((err = parse_lit(p, &n->fld, OP_IN, &tmp[cnt])) != CS_OK)
			return err;
		cnt++;
		if (p->tok.t == T_COMMA) {
			if ((err = next(p)) != CS_OK)
				return err;
		} else if (p->tok.t != T_RB) {
			return expect(p, T_RB, "',' or ']'");
		}
	}
	if (cnt == 0)
		return fail(p, "empty list");
	if ((err = next(p)) != CS_OK)
		return err;
	n->list = alloc(p, cnt * sizeof(*n->list));
	if (n->list == NULL)
		return too_big(p);
	memcpy(n->list, tmp, cnt * sizeof(*n->list));
	n->n_list = cnt;
	if (n->fld.extra)
		return CS_OK;
	if (is_numeric_type(ty))
		qsort(n->list, cnt, sizeof(*n->list), cmp_int);
	else if (is_text_type(ty))
		qsort(n->list, cnt, sizeof(*n->list), cmp_str);
	else if (ty == ET_IP && cnt > LIST_INDEX_MIN) {
		struct cidr_index *x = cidr_index_new(cnt);

		own_idx(p, x);
		for (size_t i = 0; i < cnt; i++)
			/* CS_E_CONFLICT: the block is listed twice */
			(void)cidr_index_add(x, &n->list[i].u.net, 1);
		n->idx = x;
	}
	return CS_OK;
}

static enum cs_err
parse_regex(struct parser *p, struct node *n)
{
	uint32_t opts = PCRE2_NEVER_BACKSLASH_C;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *re;
	int rc;

	if (p->tok.t != T_REGEX)
		return fail(p, "expected a /regex/ after =~ or !~");
	for (size_t i = 0; i < p->tok.n_flags; i++) {
		switch (p->tok.flags[i]) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		case 'u':
			opts |= PCRE2_UTF | PCRE2_UCP;
			break;
		default:
			return fail_at(p, p->tok.line,
			               p->tok.col + (int)p->tok.n + 2 + (int)i,
			               "unknown regex flag '%c' (use i, m, s, "
			               "x or u)",
			               p->tok.flags[i]);
		}
	}
	re = pcre2_compile((PCRE2_SPTR)p->tok.p, p->tok.n, opts, &rc, &off,
	                   NULL);
	if (re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		return fail_at(p, p->tok.line, p->tok.col + 1 + (int)off,
		               "regex: %s", (const char *)msg);
	}
	own_code(p, re);
	/* without JIT support, the interpreter runs the same pattern */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	n->re = re;
	return next(p);
}

static enum cs_err parse_or(struct parser *p, struct node **out);

static struct node *
new_node(struct parser *p, enum node_kind k)
{
	struct node *n = alloc(p, sizeof(*n));

	if (n != NULL) {
		memset(n, 0, sizeof(*n));
		n->kind = k;
	}
	return n;
}

static enum cs_err
parse_cmp(struct parser *p, struct node **out)
{
	struct node *n = new_node(p, N_CMP);
	enum event_type ty;
	int line, col;
	enum tok op;
	enum cs_err err;
	char buf[64], fb[140];

	if (n == NULL)
		return too_big(p);
	if (++p->terms > RULES_TERMS_MAX)
		return fail(p, "more than %d comparisons in one rule",
		            RULES_TERMS_MAX);
	if ((err = parse_field(p, &n->fld)) != CS_OK)
		return err;
	ty = n->fld.extra ? ET_STRING : event_field_type(n->fld.f);
	line = p->tok.line;
	col = p->tok.col;
	op = p->tok.t;
	*out = n;
	if (is_kw(p, "in") || is_kw(p, "not")) {
		n->op = OP_IN;
		if (is_kw(p, "not")) {
			n->op = OP_NIN;
			if ((err = next(p)) != CS_OK)
				return err;
			if (!is_kw(p, "in"))
				return fail(p, "expected 'in' after 'not'");
		}
		if ((err = next(p)) != CS_OK)
			return err;
		return parse_list(p, n);
	}
	switch (op) {
	case T_EQ:
	case T_NE:
		n->op = op == T_EQ ? OP_EQ : OP_NE;
		break;
	case T_LT:
	case T_LE:
	case T_GT:
	case T_GE:
		n->op = op == T_LT   ? OP_LT
		        : op == T_LE ? OP_LE
		        : op == T_GT ? OP_GT
		                     : OP_GE;
		if (!n->fld.extra && !is_numeric_type(ty))
			return fail_at(p, line, col,
			               "%s: < <= > >= compare ports, AS "
			               "numbers, times and extra numbers",
			               fname(&n->fld, fb, sizeof(fb)));
		if ((err = next(p)) != CS_OK ||
		    (err = parse_lit(p, &n->fld, n->op, &n->v)) != CS_OK)
			return err;
		if (n->fld.extra && n->v.kind != L_INT && n->v.kind != L_FLOAT)
			return fail_at(p, line, col,
			               "%s: < <= > >= need a number",
			               fname(&n->fld, fb, sizeof(fb)));
		return CS_OK;
	case T_MATCH:
	case T_NMATCH:
		n->op = op == T_MATCH ? OP_RE : OP_NRE;
		if (!n->fld.extra && !is_text_type(ty))
			return fail_at(p, line, col,
			               "%s: =~ and !~ apply to text fields",
			               fname(&n->fld, fb, sizeof(fb)));
		if ((err = next(p)) != CS_OK)
			return err;
		return parse_regex(p, n);
	default:
		return fail(p,
		            "expected an operator (== != < <= > >= =~ !~ "
		            "in), found %s",
		            describe(p, buf, sizeof(buf)));
	}
	if ((err = next(p)) != CS_OK)
		return err;
	return parse_lit(p, &n->fld, n->op, &n->v);
}

static enum cs_err
parse_unary(struct parser *p, struct node **out)
{
	struct node *n;
	enum cs_err err;

	if (++p->depth > RULES_DEPTH_MAX)
		return fail(p, "conditions nested deeper than %d",
		            RULES_DEPTH_MAX);
	if (is_kw(p, "not")) {
		if ((n = new_node(p, N_NOT)) == NULL)
			return too_big(p);
		if ((err = next(p)) != CS_OK ||
		    (err = parse_unary(p, &n->a)) != CS_OK)
			return err;
		*out = n;
	} else if (p->tok.t == T_LP) {
		if ((err = next(p)) != CS_OK ||
		    (err = parse_or(p, out)) != CS_OK ||
		    (err = expect(p, T_RP, "')'")) != CS_OK)
			return err;
	} else if (is_kw(p, "exists") || is_kw(p, "missing")) {
		if ((n = new_node(p, is_kw(p, "exists") ? N_EXISTS
		                                        : N_MISSING)) == NULL)
			return too_big(p);
		if (++p->terms > RULES_TERMS_MAX)
			return fail(p, "more than %d comparisons in one rule",
			            RULES_TERMS_MAX);
		if ((err = next(p)) != CS_OK ||
		    (err = parse_field(p, &n->fld)) != CS_OK)
			return err;
		*out = n;
	} else if ((err = parse_cmp(p, out)) != CS_OK) {
		return err;
	}
	p->depth--;
	return CS_OK;
}

static enum cs_err
parse_and(struct parser *p, struct node **out)
{
	enum cs_err err;

	if ((err = parse_unary(p, out)) != CS_OK)
		return err;
	while (is_kw(p, "and")) {
		struct node *n = new_node(p, N_AND);

		if (n == NULL)
			return too_big(p);
		n->a = *out;
		if ((err = next(p)) != CS_OK ||
		    (err = parse_unary(p, &n->b)) != CS_OK)
			return err;
		*out = n;
	}
	return CS_OK;
}

static enum cs_err
parse_or(struct parser *p, struct node **out)
{
	enum cs_err err;

	if ((err = parse_and(p, out)) != CS_OK)
		return err;
	while (is_kw(p, "or")) {
		struct node *n = new_node(p, N_OR);

		if (n == NULL)
			return too_big(p);
		n->a = *out;
		if ((err = next(p)) != CS_OK ||
		    (err = parse_and(p, &n->b)) != CS_OK)
			return err;
		*out = n;
	}
	return CS_OK;
}

/* ---- actions ---- */

static enum cs_err
parse_name(struct parser *p, const char *what, const char **out)
{
	if (p->tok.t != T_STR)
		return fail(p, "expected the %s as a \"string\"", what);
	if (p->tok.n == 0)
		return fail(p, "empty %s", what);
	if (p->tok.n > RULES_NAME_MAX)
		return fail(p, "%s longer than %d bytes", what, RULES_NAME_MAX);
	/* names end up in logs, mail subjects and headers: one line each */
	for (size_t i = 0; i < p->tok.n; i++)
		if ((unsigned char)p->tok.p[i] < 0x20 || p->tok.p[i] == 0x7f)
			return fail(p, "control character in the %s", what);
	*out = p->tok.p;
	return next(p);
}

static const char *const tlp_names[] = {
    [RULE_TLP_NONE] = NULL,
    [RULE_TLP_CLEAR] = "clear",
    [RULE_TLP_GREEN] = "green",
    [RULE_TLP_AMBER] = "amber",
    [RULE_TLP_AMBER_STRICT] = "amber+strict",
    [RULE_TLP_RED] = "red",
};

const char *
rule_tlp_name(enum rule_tlp t)
{
	if ((size_t)t >= sizeof(tlp_names) / sizeof(tlp_names[0]))
		return NULL;
	return tlp_names[t];
}

static enum cs_err
parse_set(struct parser *p, struct action *a)
{
	enum event_type ty;
	enum cs_err err;

	if ((err = parse_field(p, &a->fld)) != CS_OK ||
	    (err = expect(p, T_ASSIGN, "'='")) != CS_OK)
		return err;
	if (a->fld.extra)
		return parse_extra_lit(p, &a->v);
	ty = event_field_type(a->fld.f);
	if (is_text_type(ty) && p->tok.t != T_STR)
		return fail(p, "%s: expected a \"string\"",
		            event_field_name(a->fld.f));
	if (!is_text_type(ty) && ty != ET_TIME && p->tok.t != T_WORD)
		return fail(p, "%s: expected a value without quotes",
		            event_field_name(a->fld.f));
	if (p->tok.t != T_STR && p->tok.t != T_WORD)
		return fail(p, "%s: expected a value",
		            event_field_name(a->fld.f));
	if ((err = check_typed(p, a->fld.f, p->tok.p, p->tok.n)) != CS_OK)
		return err;
	a->len = p->tok.n;
	if ((a->text = tok_dup(p, p->tok.p, p->tok.n)) == NULL)
		return too_big(p);
	return next(p);
}

static enum cs_err
parse_classify(struct parser *p, struct action *a)
{
	char cls[80], *slash;
	const struct rsit_type *rt;
	const char *why;
	int line = p->tok.line, col = p->tok.col;

	if (p->tok.t != T_WORD || p->tok.n >= sizeof(cls) ||
	    memchr(p->tok.p, '/', p->tok.n) == NULL)
		return fail(p, "classify needs CLASS/TYPE, e.g. "
		               "intrusion-attempts/brute-force");
	memcpy(cls, p->tok.p, p->tok.n);
	cls[p->tok.n] = '\0';
	slash = strchr(cls, '/');
	*slash = '\0';
	if (rsit_check(cls, NULL, &rt, &why) != CS_OK)
		return fail(p, "'%s' %s", cls, why);
	if (rsit_check(cls, slash + 1, &rt, &why) != CS_OK)
		return fail_at(p, line, col + (int)(slash + 1 - cls), "'%s' %s",
		               slash + 1, why);
	a->s = rt->class_id;
	a->type = rt->type_id;
	if (next(p) != CS_OK)
		return CS_E_INVAL;
	if (p->tok.t == T_STR) {
		if (check_typed(p, EF_CLASS_IDENTIFIER, p->tok.p, p->tok.n) !=
		    CS_OK)
			return CS_E_INVAL;
		a->ident = p->tok.p;
		return next(p);
	}
	return CS_OK;
}

static enum cs_err
parse_action(struct parser *p, struct action *a)
{
	char buf[64];
	enum cs_err err;

	memset(a, 0, sizeof(*a));
	if (is_kw(p, "drop") || is_kw(p, "stop")) {
		a->kind = is_kw(p, "drop") ? A_DROP : A_STOP;
		return next(p);
	}
	if (is_kw(p, "set")) {
		a->kind = A_SET;
		if ((err = next(p)) != CS_OK)
			return err;
		return parse_set(p, a);
	}
	if (is_kw(p, "tag") || is_kw(p, "incident")) {
		a->kind = is_kw(p, "tag") ? A_TAG : A_INCIDENT;
		if ((err = next(p)) != CS_OK)
			return err;
		return parse_name(
		    p, a->kind == A_TAG ? "tag" : "incident title", &a->s);
	}
	if (is_kw(p, "notify")) {
		a->kind = A_NOTIFY;
		a->notify = RULE_NOTIFY_YES;
		if ((err = next(p)) != CS_OK)
			return err;
		if (is_kw(p, "yes") || is_kw(p, "no")) {
			a->notify =
			    is_kw(p, "yes") ? RULE_NOTIFY_YES : RULE_NOTIFY_NO;
			return next(p);
		}
		return CS_OK;
	}
	if (is_kw(p, "classify")) {
		a->kind = A_CLASSIFY;
		if ((err = next(p)) != CS_OK)
			return err;
		return parse_classify(p, a);
	}
	if (is_kw(p, "tlp")) {
		a->kind = A_TLP;
		if ((err = next(p)) != CS_OK)
			return err;
		for (size_t i = 1; i < sizeof(tlp_names) / sizeof(*tlp_names);
		     i++)
			if (is_kw(p, tlp_names[i])) {
				a->tlp = (enum rule_tlp)i;
				return next(p);
			}
		return fail(p,
		            "expected a TLP level (clear, green, amber, "
		            "amber+strict, red), found %s",
		            describe(p, buf, sizeof(buf)));
	}
	return fail(p,
	            "expected an action (drop, stop, set, tag, notify, "
	            "incident, classify, tlp), found %s",
	            describe(p, buf, sizeof(buf)));
}

/* ---- rules ---- */

static enum cs_err
parse_rule(struct parser *p)
{
	struct action acts[RULES_ACTIONS_MAX];
	struct rule ru;
	enum cs_err err;

	memset(&ru, 0, sizeof(ru));
	ru.line = p->tok.line;
	ru.col = p->tok.col;
	if ((err = expect_kw(p, "rule")) != CS_OK)
		return err;
	if (p->r->n_rules == RULES_MAX)
		return fail_at(p, ru.line, ru.col, "more than %d rules",
		               RULES_MAX);
	if ((err = parse_name(p, "rule name", &ru.name)) != CS_OK)
		return err;
	for (size_t i = 0; i < p->r->n_rules; i++)
		if (strcmp(p->r->rule[i].name, ru.name) == 0)
			return fail_at(p, ru.line, ru.col,
			               "rule \"%s\" is already defined at "
			               "line %d",
			               ru.name, p->r->rule[i].line);
	if ((err = expect(p, T_LC, "'{'")) != CS_OK)
		return err;
	p->terms = 0;
	p->depth = 0;
	if (is_kw(p, "if")) {
		if ((err = next(p)) != CS_OK ||
		    (err = parse_or(p, &ru.cond)) != CS_OK)
			return err;
	}
	if ((err = expect_kw(p, "then")) != CS_OK)
		return err;
	for (;;) {
		if (ru.n_acts == RULES_ACTIONS_MAX)
			return fail(p, "more than %d actions in one rule",
			            RULES_ACTIONS_MAX);
		if ((err = parse_action(p, &acts[ru.n_acts])) != CS_OK)
			return err;
		ru.n_acts++;
		if (p->tok.t != T_SEMI)
			break;
		if ((err = next(p)) != CS_OK)
			return err;
		if (p->tok.t == T_RC)
			break;
	}
	if ((err = expect(p, T_RC, "';' or '}'")) != CS_OK)
		return err;
	if ((ru.acts = alloc(p, ru.n_acts * sizeof(*acts))) == NULL)
		return too_big(p);
	memcpy(ru.acts, acts, ru.n_acts * sizeof(*acts));
	if (p->r->n_rules == p->cap_rules) {
		p->cap_rules = p->cap_rules ? 2 * p->cap_rules : 16;
		p->r->rule =
		    xrealloc(p->r->rule, p->cap_rules * sizeof(*p->r->rule));
	}
	p->r->rule[p->r->n_rules++] = ru;
	return CS_OK;
}

void
rules_destroy(struct rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_codes; i++)
		pcre2_code_free(r->codes[i]);
	for (size_t i = 0; i < r->n_idxs; i++)
		cidr_index_free(r->idxs[i]);
	free(r->codes);
	free(r->idxs);
	free(r->rule);
	arena_free(r->arena);
	free(r);
}

enum cs_err
rules_load_text(const char *name, const char *text, size_t n,
                struct rules **out, char why[RULES_WHY_MAX])
{
	struct parser p;
	enum cs_err err = CS_OK;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.why = why;
	why[0] = '\0';
	p.s = p.pos = p.line_start = text;
	p.end = text + n;
	p.line = 1;
	if (n > RULES_FILE_MAX) {
		snprintf(why, RULES_WHY_MAX,
		         "%s: rule file larger than %u bytes", name,
		         RULES_FILE_MAX);
		return CS_E_TOOBIG;
	}
	p.r = xcalloc(1, sizeof(*p.r));
	atomic_init(&p.r->refs, 1);
	p.r->arena = arena_new(RULES_MEM_MAX);
	p.scratch = event_batch_new(4 * EVENT_VALUE_MAX + (64u << 10));
	if ((err = next(&p)) != CS_OK)
		goto out;
	while (p.tok.t != T_EOF)
		if ((err = parse_rule(&p)) != CS_OK)
			goto out;
out:
	event_batch_free(p.scratch);
	if (err != CS_OK) {
		if (!p.failed)
			fail(&p, "%s", cs_err_str(err));
		rules_destroy(p.r);
		return err;
	}
	*out = p.r;
	return CS_OK;
}

enum cs_err
rules_load_file(const char *path, struct rules **out, char why[RULES_WHY_MAX])
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	enum cs_err err = CS_OK;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) != 0) {
		snprintf(why, RULES_WHY_MAX, "%s: %s", path, strerror(errno));
		err = CS_E_IO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, RULES_WHY_MAX, "%s: not a regular file", path);
		err = CS_E_IO;
		goto out;
	}
	if (sb.st_size > (off_t)RULES_FILE_MAX) {
		snprintf(why, RULES_WHY_MAX,
		         "%s: rule file larger than %u bytes", path,
		         RULES_FILE_MAX);
		err = CS_E_TOOBIG;
		goto out;
	}
	/* one byte more than the limit tells a file that grew past it */
	buf = xmalloc(RULES_FILE_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, buf + got, RULES_FILE_MAX + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, RULES_WHY_MAX, "%s: %s", path,
			         strerror(errno));
			err = CS_E_IO;
			goto out;
		}
		if (r == 0 || (got += (size_t)r) > RULES_FILE_MAX)
			break;
	}
	err = rules_load_text(path, buf, got, out, why);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return err;
}
