/*
 * mime.c - inbound mail parsing with GMime 3 (see mime.h for the contract).
 *
 * Why GMime: it is the most battle-tested MIME parser in C (Evolution,
 * notmuch, Balsa), decodes RFC 2047/2231 headers and every transfer
 * encoding leniently (base64 with garbage, broken quoted-printable), bounds
 * its own recursion (1024 levels) and integrates PGP/MIME through gpgme.
 * GObjects never leave this file: every result is copied into the caller's
 * arena and every reference is dropped before mime_parse() returns.
 *
 * Limits: MIME_MAX_SIZE raw bytes (CS_E_TOOBIG), MIME_MAX_DEPTH nested
 * multiparts/messages, MIME_MAX_PARTS parts and MIME_MAX_ATTACHMENTS
 * attachments (CS_E_INVAL with a reason); readable text is cut at
 * MIME_MAX_TEXT on a UTF-8 boundary.
 *
 * Charsets: GMime's own text conversion fails on wrong declarations, so
 * text is converted here with iconv: the declared charset strictly, then
 * UTF-8 if the bytes validate, then the declared charset with U+FFFD for
 * bad bytes, and windows-1252 (a superset of latin1 in practice) when the
 * declaration is unknown or UTF-8 is claimed but not delivered.
 *
 * OpenPGP: PGP/MIME goes through GMime's gpg context, inline PGP through
 * gpgme directly; both use the gpg home set by pgp_init(). With
 * MIME_NO_CRYPTO gpg is never run and a signed message reports
 * MIME_SIG_ERROR (present but unverifiable).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>
#include <gpgme.h>

#include "mail/mime.h"

#define REPLACEMENT        "\xEF\xBF\xBD" /* U+FFFD */
#define FILENAME_MAX_BYTES 255

struct ctx {
	struct arena *a;
	unsigned flags;
	struct mime_msg *out;
	const char *why;
	GMimeParserOptions *opts;
	GString *text;
	struct mime_attachment *att;
	size_t n_att;
	size_t parts;
	bool have_plain, have_html;
	bool sig_set;
};

/* ---- small helpers ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
do_init(void)
{
	g_mime_init();
	g_mime_crypto_context_register("application/pgp-encrypted",
	                               g_mime_gpg_context_new);
	g_mime_crypto_context_register("application/pgp-signature",
	                               g_mime_gpg_context_new);
	g_mime_crypto_context_register("application/pgp-keys",
	                               g_mime_gpg_context_new);
}

void
mime_init(void)
{
	pthread_once(&init_once, do_init);
}

const char *
mime_sig_name(enum mime_sig s)
{
	switch (s) {
	case MIME_SIG_NONE:
		return "none";
	case MIME_SIG_GOOD:
		return "good";
	case MIME_SIG_BAD:
		return "bad";
	case MIME_SIG_UNKNOWN_KEY:
		return "unknown_key";
	case MIME_SIG_ERROR:
		return "error";
	}
	return "error";
}

/* Length of the longest prefix of s[0..len) that does not end inside a
 * UTF-8 sequence, at most max. s must be valid UTF-8. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Appends s as valid UTF-8 without NUL bytes; CR LF and lone CR become LF
 * when multiline, every control character a space otherwise. */
static void
append_clean(GString *g, const char *s, size_t len, bool multiline)
{
	gchar *valid = g_utf8_make_valid(s, (gssize)len);

	for (size_t i = 0; valid[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)valid[i];

		if (ch == '\r') {
			if (!multiline)
				g_string_append_c(g, ' ');
			else if (valid[i + 1] != '\n')
				g_string_append_c(g, '\n');
		} else if (ch == '\n' || ch == '\t') {
			g_string_append_c(g, multiline ? (char)ch : ' ');
		} else if (ch < 0x20 || ch == 0x7F) {
			if (!multiline)
				g_string_append_c(g, ' ');
		} else {
			g_string_append_c(g, (char)ch);
		}
	}
	g_free(valid);
}

/* NUL bytes become U+FFFD before validation so nothing is cut short. */
static void
append_text(GString *g, const char *s, size_t len, bool multiline)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '\0') {
			if (i > start)
				append_clean(g, s + start, i - start,
				             multiline);
			if (i < len)
				g_string_append(g, REPLACEMENT);
			start = i + 1;
		}
	}
}

/* A one-line clean UTF-8 copy of s in the arena, "" for NULL. */
static const char *
dup_line(struct ctx *c, const char *s)
{
	GString *g;
	char *r;

	if (s == NULL || s[0] == '\0')
		return "";
	g = g_string_new(NULL);
	append_text(g, s, strlen(s), false);
	g_strstrip(g->str);
	r = arena_strdup(c->a, g->str);
	g_string_free(g, TRUE);
	return r;
}

/* A file name as valid UTF-8 with control characters removed and
 * surrounding blanks trimmed. */
static const char *
dup_filename(struct ctx *c, const char *s)
{
	gchar *valid = g_utf8_make_valid(s, -1);
	size_t n = 0;
	char *r;

	for (const char *p = valid; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7F)
			valid[n++] = *p;
	valid[n] = '\0';
	g_strstrip(valid);
	r = arena_strdup(c->a, valid);
	g_free(valid);
	return r;
}

/* Bare address with its domain in lower case. */
static const char *
dup_addr(struct ctx *c, const char *addr)
{
	const char *s = dup_line(c, addr);
	char *r, *at;

	if (s == NULL || s[0] == '\0')
		return s;
	if ((r = arena_strdup(c->a, s)) == NULL)
		return NULL;
	if ((at = strrchr(r, '@')) != NULL)
		for (char *p = at + 1; *p != '\0'; p++)
			*p = (char)g_ascii_tolower(*p);
	return r;
}

/* ---- charsets ---- */

static const unsigned short cp1252_hi[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static void
from_cp1252(GString *g, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		gunichar u = s[i];

		if (u >= 0x80 && u < 0xA0)
			u = cp1252_hi[u - 0x80];
		g_string_append_unichar(g, u);
	}
}

static bool
is_utf8_name(const char *cs)
{
	static const char *const names[] = {
	    "utf-8",          "utf8",         "us-ascii",  "ascii",
	    "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "unknown",
	    "default",        "iso-646-us",   "us",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (g_ascii_strcasecmp(cs, names[i]) == 0)
			return true;
	return false;
}

/* iconv from charset to UTF-8. strict: fail on the first bad byte;
 * otherwise bad bytes become U+FFFD. false if the charset is unknown or
 * (strict) the bytes do not fit it. */
static bool
convert(const char *charset, unsigned char *in, size_t len, bool strict,
        GString *g)
{
	const char *name = g_mime_charset_iconv_name(charset);
	GIConv cd = g_iconv_open("UTF-8", name);
	char buf[4096], *ip = (char *)in, *op;
	gsize il = len, ol;
	size_t start = g->len;
	bool ok = true;

	if (cd == (GIConv)-1)
		return false;
	while (il > 0) {
		op = buf;
		ol = sizeof(buf);
		gsize r = g_iconv(cd, &ip, &il, &op, &ol);
		g_string_append_len(g, buf, (gssize)(op - buf));
		if (r != (gsize)-1 || errno == E2BIG)
			continue;
		if (strict) {
			ok = false;
			break;
		}
		g_string_append(g, REPLACEMENT);
		ip++;
		il--;
		g_iconv(cd, NULL, NULL, NULL, NULL);
	}
	if (ok) {
		op = buf;
		ol = sizeof(buf);
		g_iconv(cd, NULL, NULL, &op, &ol);
		g_string_append_len(g, buf, (gssize)(op - buf));
	}
	g_iconv_close(cd);
	if (!ok)
		g_string_truncate(g, start);
	return ok;
}

/* Whether invalid UTF-8 still looks like UTF-8 with a few bad bytes (at
 * least one well-formed multi-byte sequence) rather than a legacy 8-bit
 * charset. */
static bool
mostly_utf8(const char *s, size_t len)
{
	size_t good = 0, bad = 0;
	const char *end = s + len;

	while (s < end) {
		const gchar *stop;

		if (g_utf8_validate_len(s, (gsize)(end - s), &stop))
			break;
		for (const char *p = s; p < stop; p++)
			if ((unsigned char)*p >= 0xC0)
				good++;
		bad++;
		s = stop + 1;
	}
	for (const char *p = s; p < end; p++)
		if ((unsigned char)*p >= 0xC0)
			good++;
	return good > bad;
}

/* Decoded bytes of a text part in any charset to valid UTF-8 (NUL bytes
 * and all). */
static void
to_utf8(const char *charset, unsigned char *s, size_t len, GString *g)
{
	bool valid = g_utf8_validate_len((const char *)s, len, NULL);

	if (charset == NULL || charset[0] == '\0' || is_utf8_name(charset)) {
		if (valid || mostly_utf8((const char *)s, len))
			g_string_append_len(g, (const char *)s, (gssize)len);
		else
			from_cp1252(g, s, len);
		return;
	}
	if (convert(charset, s, len, true, g))
		return;
	if (valid) {
		g_string_append_len(g, (const char *)s, (gssize)len);
		return;
	}
	if (!convert(charset, s, len, false, g))
		from_cp1252(g, s, len);
}

/* The decoded (transfer encoding removed) content of a leaf part. */
static GByteArray *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *ms = g_mime_stream_mem_new();
	GByteArray *ba = g_byte_array_new();

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
	g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(ms), ba);
	if (dw != NULL)
		g_mime_data_wrapper_write_to_stream(dw, ms);
	g_object_unref(ms);
	return ba;
}

/* ---- HTML to text ---- */

struct html {
	GString *out;
	int pending; /* 0 none, 1 space, 2 newline, 3 blank line */
	char *href;  /* of the open <a>, g_malloc'ed */
	size_t link_start;
};

static void
html_ws(struct html *h, int level)
{
	if (level > h->pending)
		h->pending = level;
}

static void
html_emit(struct html *h, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (h->out->len > 0) {
		if (h->pending == 1)
			g_string_append_c(h->out, ' ');
		else if (h->pending == 2)
			g_string_append_c(h->out, '\n');
		else if (h->pending == 3)
			g_string_append(h->out, "\n\n");
	}
	h->pending = 0;
	if (h->href != NULL && h->link_start == SIZE_MAX)
		h->link_start = h->out->len;
	g_string_append_len(h->out, s, (gssize)n);
}

static const struct {
	const char *name;
	unsigned cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},     {"copy", 0xA9},    {"reg", 0xAE},
    {"euro", 0x20AC},  {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"laquo", 0xAB},   {"raquo", 0xBB},    {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"middot", 0xB7},  {"bull", 0x2022},
    {"iexcl", 0xA1},   {"iquest", 0xBF},   {"ordf", 0xAA},    {"ordm", 0xBA},
    {"aacute", 0xE1},  {"Aacute", 0xC1},   {"eacute", 0xE9},  {"Eacute", 0xC9},
    {"iacute", 0xED},  {"Iacute", 0xCD},   {"oacute", 0xF3},  {"Oacute", 0xD3},
    {"uacute", 0xFA},  {"Uacute", 0xDA},   {"agrave", 0xE0},  {"Agrave", 0xC0},
    {"egrave", 0xE8},  {"Egrave", 0xC8},   {"ograve", 0xF2},  {"Ograve", 0xD2},
    {"ntilde", 0xF1},  {"Ntilde", 0xD1},   {"ccedil", 0xE7},  {"Ccedil", 0xC7},
    {"uuml", 0xFC},    {"Uuml", 0xDC},     {"iuml", 0xEF},    {"Iuml", 0xCF},
    {"auml", 0xE4},    {"ouml", 0xF6},     {"szlig", 0xDF},   {"zwnj", 0x200C},
    {"zwj", 0x200D},   {"shy", 0xAD},
};

/* Decodes the entity at s (just after '&'); returns the bytes consumed
 * (0 if it is not one) and the code point in *cp. */
static size_t
entity(const char *s, const char *end, gunichar *cp)
{
	const char *p = s;
	char name[16];
	size_t n = 0;

	if (p < end && *p == '#') {
		unsigned long v = 0;
		int base = 10, digits = 0;

		p++;
		if (p < end && (*p == 'x' || *p == 'X')) {
			base = 16;
			p++;
		}
		for (; p < end && g_ascii_isxdigit(*p) && digits < 8; p++) {
			if (base == 10 && !g_ascii_isdigit(*p))
				break;
			v = v * (unsigned long)base +
			    (unsigned long)g_ascii_xdigit_value(*p);
			digits++;
		}
		if (digits == 0)
			return 0;
		if (p < end && *p == ';')
			p++;
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			v = 0xFFFD;
		else if (v >= 0x80 && v < 0xA0)
			v = cp1252_hi[v - 0x80];
		*cp = (gunichar)v;
		return (size_t)(p - s);
	}
	while (p < end && g_ascii_isalnum(*p) && n < sizeof(name) - 1)
		name[n++] = *p++;
	name[n] = '\0';
	if (n == 0)
		return 0;
	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
		if (strcmp(entities[i].name, name) == 0) {
			if (p < end && *p == ';')
				p++;
			*cp = entities[i].cp;
			return (size_t)(p - s);
		}
	}
	return 0;
}

/* Decoded text of s[0..n) with entities resolved, into g. */
static void
decode_entities(GString *g, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		gunichar cp;
		size_t used;

		if (*s == '&' && (used = entity(s + 1, end, &cp)) > 0) {
			g_string_append_unichar(g, cp == 0xA0 ? ' ' : cp);
			s += 1 + used;
		} else {
			g_string_append_c(g, *s++);
		}
	}
}

static bool
is_block(const char *tag)
{
	static const char *const blocks[] = {
	    "p",       "div",     "br",       "tr",      "li",         "ul",
	    "ol",      "table",   "h1",       "h2",      "h3",         "h4",
	    "h5",      "h6",      "hr",       "pre",     "blockquote", "dd",
	    "dt",      "dl",      "section",  "article", "header",     "footer",
	    "address", "form",    "center",   "nav",     "main",       "tbody",
	    "thead",   "caption", "fieldset", "figure",
	};

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (strcmp(tag, blocks[i]) == 0)
			return true;
	return false;
}

/* The value of attribute name in the tag text t[0..n), g_malloc'ed with
 * entities decoded, or NULL. */
static char *
tag_attr(const char *t, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl < n; i++) {
		if (g_ascii_strncasecmp(t + i, name, nl) != 0 ||
		    (i > 0 && !g_ascii_isspace(t[i - 1])))
			continue;
		size_t j = i + nl;
		while (j < n && g_ascii_isspace(t[j]))
			j++;
		if (j >= n || t[j] != '=')
			continue;
		j++;
		while (j < n && g_ascii_isspace(t[j]))
			j++;
		char q = (j < n && (t[j] == '"' || t[j] == '\'')) ? t[j] : 0;
		size_t k = q ? ++j : j;
		while (k < n && (q ? t[k] != q : !g_ascii_isspace(t[k])))
			k++;
		GString *g = g_string_new(NULL);
		decode_entities(g, t + j, k - j);
		g_strstrip(g->str);
		return g_string_free(g, FALSE);
	}
	return NULL;
}

/* Skips from p to the end of the element `tag` (its closing tag). */
static const char *
skip_element(const char *p, const char *end, const char *tag)
{
	size_t tl = strlen(tag);

	for (; p + 2 + tl <= end; p++)
		if (p[0] == '<' && p[1] == '/' &&
		    g_ascii_strncasecmp(p + 2, tag, tl) == 0 &&
		    (p + 2 + tl == end || !g_ascii_isalnum(p[2 + tl]))) {
			const char *gt = memchr(p, '>', (size_t)(end - p));
			return gt != NULL ? gt + 1 : end;
		}
	return end;
}

static void
html_link_end(struct html *h)
{
	char *href = h->href;
	const char *txt;

	if (href == NULL)
		return;
	txt = h->link_start == SIZE_MAX ? "" : h->out->str + h->link_start;
	h->href = NULL;
	if (href[0] != '\0' && href[0] != '#' && strcmp(txt, href) != 0) {
		char *u = g_strdup_printf("<%s>", href);
		html_ws(h, 1);
		html_emit(h, u, strlen(u));
		g_free(u);
	}
	g_free(href);
}

/* Readable text of an HTML document (valid UTF-8 in, valid UTF-8 out). */
static void
html_to_text(const char *s, size_t len, GString *out)
{
	struct html h = {.out = out, .pending = 0, .href = NULL};
	const char *p = s, *end = s + len;
	while (p < end) {
		if (*p == '<') {
			if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
				const char *e =
				    g_strstr_len(p + 4, end - p - 4, "-->");
				p = e != NULL ? e + 3 : end;
				continue;
			}
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (gt == NULL)
				break;
			const char *t = p + 1;
			bool closing = t < gt && *t == '/';
			char tag[16];
			size_t n = 0;

			if (closing)
				t++;
			while (t < gt && g_ascii_isalnum(*t) &&
			       n < sizeof(tag) - 1)
				tag[n++] = g_ascii_tolower(*t++);
			tag[n] = '\0';
			p = gt + 1;
			if (n == 0)
				continue;
			if (!closing && (strcmp(tag, "script") == 0 ||
			                 strcmp(tag, "style") == 0 ||
			                 strcmp(tag, "head") == 0 ||
			                 strcmp(tag, "title") == 0)) {
				p = skip_element(p, end, tag);
				continue;
			}
			if (strcmp(tag, "a") == 0) {
				if (closing) {
					html_link_end(&h);
				} else {
					html_link_end(&h);
					h.href = tag_attr(t, (size_t)(gt - t),
					                  "href");
					h.link_start = SIZE_MAX;
				}
				continue;
			}
			if (strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0)
				html_ws(&h, 1);
			else if (strcmp(tag, "p") == 0 ||
			         (tag[0] == 'h' && tag[1] >= '1' &&
			          tag[1] <= '6' && tag[2] == '\0'))
				html_ws(&h, 3);
			else if (is_block(tag))
				html_ws(&h, 2);
			continue;
		}
		const char *q = p;
		while (q < end && *q != '<')
			q++;
		GString *g = g_string_new(NULL);
		decode_entities(g, p, (size_t)(q - p));
		for (const char *w = g->str; *w != '\0';) {
			if (g_ascii_isspace(*w)) {
				html_ws(&h, 1);
				w++;
				continue;
			}
			const char *we = w;
			while (*we != '\0' && !g_ascii_isspace(*we))
				we++;
			html_emit(&h, w, (size_t)(we - w));
			w = we;
		}
		g_string_free(g, TRUE);
		p = q;
	}
	html_link_end(&h);
}

/* ---- results ---- */

static enum cs_err
fail(struct ctx *c, enum cs_err err, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return err;
}

static enum cs_err
oom(struct ctx *c)
{
	return fail(c, CS_E_TOOBIG, "message too large for its memory budget");
}

static void
append_body(struct ctx *c, const char *s, size_t len)
{
	if (c->text->len > MIME_MAX_TEXT)
		return;
	if (c->text->len > 0 && c->text->str[c->text->len - 1] != '\n')
		g_string_append_c(c->text, '\n');
	append_text(c->text, s, len, true);
}

static enum cs_err
add_attachment(struct ctx *c, const char *filename, const char *ctype,
               const guint8 *data, size_t size, bool is_message)
{
	struct mime_attachment *at;
	unsigned char *d;
	char *ct;

	if (c->n_att >= MIME_MAX_ATTACHMENTS)
		return fail(c, CS_E_INVAL, "more than 100 attachments");
	at = &c->att[c->n_att];
	if ((d = arena_alloc(c->a, size + 1)) == NULL)
		return oom(c);
	if (size > 0)
		memcpy(d, data, size);
	d[size] = '\0';
	if ((ct = arena_strdup(c->a, ctype)) == NULL)
		return oom(c);
	for (char *p = ct; *p != '\0'; p++)
		*p = (char)g_ascii_tolower(*p);
	at->filename = "";
	if (filename != NULL) {
		const char *b = filename;
		for (const char *p = filename; *p != '\0'; p++)
			if (*p == '/' || *p == '\\')
				b = p + 1;
		const char *f = dup_filename(c, b);
		if (f == NULL)
			return oom(c);
		size_t n = utf8_cut(f, strlen(f), FILENAME_MAX_BYTES);
		if (strcmp(f, ".") == 0 || strcmp(f, "..") == 0)
			n = 0;
		if ((at->filename = arena_strndup(c->a, f, n)) == NULL)
			return oom(c);
	}
	at->content_type = ct;
	at->data = d;
	at->size = size;
	at->is_message = is_message;
	c->n_att++;
	return CS_OK;
}

/* ---- signatures ---- */

static void
set_sig(struct ctx *c, enum mime_sig s, const char *fpr, const char *uid)
{
	if (c->sig_set)
		return;
	c->sig_set = true;
	c->out->signature = s;
	c->out->signer_fpr = fpr != NULL ? dup_line(c, fpr) : "";
	c->out->signer_uid = uid != NULL ? dup_line(c, uid) : "";
	if (c->out->signer_fpr == NULL)
		c->out->signer_fpr = "";
	if (c->out->signer_uid == NULL)
		c->out->signer_uid = "";
}

static void
gmime_sigs(struct ctx *c, GMimeSignatureList *list)
{
	GMimeSignature *sig;
	GMimeSignatureStatus st;
	GMimeCertificate *cert;
	enum mime_sig s;

	if (list == NULL || g_mime_signature_list_length(list) == 0) {
		set_sig(c, MIME_SIG_ERROR, NULL, NULL);
		return;
	}
	sig = g_mime_signature_list_get_signature(list, 0);
	st = g_mime_signature_get_status(sig);
	if (st & GMIME_SIGNATURE_STATUS_KEY_MISSING)
		s = MIME_SIG_UNKNOWN_KEY;
	else if (st & (GMIME_SIGNATURE_STATUS_KEY_REVOKED |
	               GMIME_SIGNATURE_STATUS_KEY_EXPIRED |
	               GMIME_SIGNATURE_STATUS_SIG_EXPIRED |
	               GMIME_SIGNATURE_STATUS_SYS_ERROR |
	               GMIME_SIGNATURE_STATUS_BAD_POLICY |
	               GMIME_SIGNATURE_STATUS_CRL_MISSING |
	               GMIME_SIGNATURE_STATUS_CRL_TOO_OLD |
	               GMIME_SIGNATURE_STATUS_TOFU_CONFLICT))
		s = MIME_SIG_ERROR;
	else if (st & GMIME_SIGNATURE_STATUS_RED)
		s = MIME_SIG_BAD;
	else
		s = MIME_SIG_GOOD;
	cert = g_mime_signature_get_certificate(sig);
	set_sig(c, s, cert ? g_mime_certificate_get_fingerprint(cert) : NULL,
	        cert ? g_mime_certificate_get_user_id(cert) : NULL);
}

static void
gpgme_sigs(struct ctx *c, gpgme_ctx_t g, gpgme_verify_result_t vr)
{
	gpgme_signature_t sig = vr != NULL ? vr->signatures : NULL;
	gpgme_key_t key = NULL;
	enum mime_sig s;

	if (sig == NULL)
		return;
	switch (gpgme_err_code(sig->status)) {
	case GPG_ERR_NO_ERROR:
		s = (sig->summary & GPGME_SIGSUM_RED) ? MIME_SIG_ERROR
		                                      : MIME_SIG_GOOD;
		break;
	case GPG_ERR_BAD_SIGNATURE:
		s = MIME_SIG_BAD;
		break;
	case GPG_ERR_NO_PUBKEY:
		s = MIME_SIG_UNKNOWN_KEY;
		break;
	default:
		s = MIME_SIG_ERROR;
		break;
	}
	if (sig->fpr != NULL && s != MIME_SIG_UNKNOWN_KEY)
		(void)gpgme_get_key(g, sig->fpr, &key, 0);
	set_sig(c, s, sig->fpr,
	        key != NULL && key->uids != NULL ? key->uids->uid : NULL);
	gpgme_key_unref(key);
}

/* ---- inline PGP ---- */

static const char *
find_mem(const char *s, size_t len, const char *needle)
{
	return g_strstr_len(s, (gssize)len, needle);
}

/* Replaces the first armoured block of text[0..len) by its plaintext. */
static enum cs_err
inline_pgp(struct ctx *c, const char *text, size_t len, bool *handled)
{
	static const char enc_begin[] = "-----BEGIN PGP MESSAGE-----";
	static const char enc_end[] = "-----END PGP MESSAGE-----";
	static const char sig_begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	static const char sig_end[] = "-----END PGP SIGNATURE-----";
	const char *b, *e;
	bool encrypted;
	gpgme_ctx_t g = NULL;
	gpgme_data_t in = NULL, plain = NULL;
	gpgme_error_t ge;
	enum cs_err err = CS_OK;
	char *pt = NULL;
	size_t ptlen = 0;

	*handled = false;
	if ((b = find_mem(text, len, enc_begin)) != NULL &&
	    (e = find_mem(b, len - (size_t)(b - text), enc_end)) != NULL) {
		encrypted = true;
		e += sizeof(enc_end) - 1;
	} else if ((b = find_mem(text, len, sig_begin)) != NULL &&
	           (e = find_mem(b, len - (size_t)(b - text), sig_end)) !=
	               NULL) {
		encrypted = false;
		e += sizeof(sig_end) - 1;
	} else {
		return CS_OK;
	}
	if (c->flags & MIME_NO_CRYPTO) {
		if (encrypted)
			return fail(c, CS_E_INVAL, "encrypted (not decrypted)");
		set_sig(c, MIME_SIG_ERROR, NULL, NULL);
		return CS_OK;
	}
	if ((ge = gpgme_new(&g)) != 0 ||
	    (ge = gpgme_set_protocol(g, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (ge = gpgme_data_new_from_mem(&in, b, (size_t)(e - b), 0)) != 0 ||
	    (ge = gpgme_data_new(&plain)) != 0) {
		err = fail(c, CS_E_INTERNAL, "gpgme is unusable");
		goto out;
	}
	gpgme_set_pinentry_mode(g, GPGME_PINENTRY_MODE_CANCEL);
	if (encrypted) {
		ge = gpgme_op_decrypt_verify(g, in, plain);
		if (ge != 0) {
			c->why = arena_printf(c->a, "cannot decrypt: %s",
			                      gpgme_strerror(ge));
			err = fail(c, CS_E_INVAL, "cannot decrypt");
			goto out;
		}
		c->out->encrypted = true;
	} else {
		ge = gpgme_op_verify(g, in, NULL, plain);
		if (ge != 0) {
			set_sig(c, MIME_SIG_ERROR, NULL, NULL);
			goto out; /* keep the text as it is */
		}
	}
	gpgme_sigs(c, g, gpgme_op_verify_result(g));
	pt = gpgme_data_release_and_get_mem(plain, &ptlen);
	plain = NULL;
	if (pt == NULL)
		ptlen = 0;
	/* the armour's last line break follows the block anyway */
	while (ptlen > 0 && (pt[ptlen - 1] == '\n' || pt[ptlen - 1] == '\r'))
		ptlen--;
	if (pt != NULL || encrypted) {
		GString *t = g_string_new(NULL);
		GString *u = g_string_new(NULL);

		g_string_append_len(t, text, b - text);
		if (ptlen > 0)
			to_utf8(NULL, (unsigned char *)pt, ptlen, u);
		g_string_append_len(t, u->str, (gssize)u->len);
		g_string_append_len(t, e, (gssize)(len - (size_t)(e - text)));
		append_body(c, t->str, t->len);
		g_string_free(t, TRUE);
		g_string_free(u, TRUE);
		*handled = true;
	}
out:
	gpgme_free(pt);
	gpgme_data_release(plain);
	gpgme_data_release(in);
	gpgme_release(g);
	return err;
}

/* ---- the tree ---- */

static enum cs_err walk(struct ctx *c, GMimeObject *obj, int depth,
                        bool skip_text, bool nested);

static const char *
header_or_empty(GMimeObject *o, const char *name)
{
	const char *v = g_mime_object_get_header(o, name);
	return v != NULL ? v : "";
}

static enum cs_err
message_part(struct ctx *c, GMimeMessagePart *mp, int depth, bool skip_text)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	GMimeStream *ms;
	GByteArray *ba;
	enum cs_err err;
	GString *g;

	if (m == NULL)
		return CS_OK;
	ms = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, ms);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	err = add_attachment(c,
	                     g_mime_object_get_content_disposition_parameter(
	                         GMIME_OBJECT(mp), "filename"),
	                     "message/rfc822", ba->data, ba->len, true);
	g_object_unref(ms);
	if (err != CS_OK)
		return err;
	if (!skip_text) {
		InternetAddressList *from = g_mime_message_get_from(m);
		InternetAddressList *to = g_mime_message_get_to(m);
		char *f = internet_address_list_to_string(from, NULL, FALSE);
		char *t = internet_address_list_to_string(to, NULL, FALSE);

		g = g_string_new("---------- Forwarded message ----------\n");
		g_string_append_printf(
		    g, "From: %s\nDate: %s\nSubject: %s\nTo: %s\n\n",
		    f ? f : "", header_or_empty(GMIME_OBJECT(m), "Date"),
		    g_mime_message_get_subject(m)
		        ? g_mime_message_get_subject(m)
		        : "",
		    t ? t : "");
		g_free(f);
		g_free(t);
		if (c->text->len > 0)
			g_string_prepend_c(g, '\n');
		append_body(c, g->str, g->len);
		g_string_free(g, TRUE);
	}
	if (g_mime_message_get_mime_part(m) == NULL)
		return CS_OK;
	return walk(c, g_mime_message_get_mime_part(m), depth + 1, skip_text,
	            true);
}

static enum cs_err
leaf(struct ctx *c, GMimePart *part, bool skip_text)
{
	GMimeObject *o = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
	bool attachment =
	    cd != NULL && g_mime_content_disposition_is_attachment(cd);
	bool plain = g_mime_content_type_is_type(ct, "text", "plain");
	bool html = g_mime_content_type_is_type(ct, "text", "html");
	GByteArray *ba = part_bytes(part);
	enum cs_err err = CS_OK;
	char *type;

	if ((plain || html) && !attachment) {
		GString *u;
		bool handled = false;

		if (skip_text)
			goto out;
		u = g_string_new(NULL);
		to_utf8(g_mime_object_get_content_type_parameter(o, "charset"),
		        ba->data, ba->len, u);
		if (html) {
			GString *h = g_string_new(NULL);
			html_to_text(u->str, u->len, h);
			append_body(c, h->str, h->len);
			g_string_free(h, TRUE);
			c->have_html = true;
		} else {
			err = inline_pgp(c, u->str, u->len, &handled);
			if (err == CS_OK && !handled)
				append_body(c, u->str, u->len);
			c->have_plain = true;
		}
		g_string_free(u, TRUE);
		goto out;
	}
	type = g_mime_content_type_get_mime_type(ct);
	err = add_attachment(c, g_mime_part_get_filename(part), type, ba->data,
	                     ba->len, false);
	g_free(type);
out:
	g_byte_array_unref(ba);
	return err;
}

/* Whether obj is or holds (not under a message) a part of type/subtype. */
static bool
holds(GMimeObject *obj, const char *type, const char *subtype, int depth)
{
	if (depth > MIME_MAX_DEPTH)
		return false;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			if (holds(g_mime_multipart_get_part(mp, i), type,
			          subtype, depth + 1))
				return true;
		return false;
	}
	return GMIME_IS_PART(obj) &&
	       g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
	                                   type, subtype);
}

static enum cs_err
alternative(struct ctx *c, GMimeMultipart *mp, int depth, bool skip_text,
            bool nested)
{
	int n = g_mime_multipart_get_count(mp), best = -1;
	enum cs_err err;

	for (int i = 0; i < n && best < 0; i++)
		if (holds(g_mime_multipart_get_part(mp, i), "text", "plain", 0))
			best = i;
	for (int i = 0; i < n && best < 0; i++)
		if (holds(g_mime_multipart_get_part(mp, i), "text", "html", 0))
			best = i;
	for (int i = 0; i < n; i++)
		if ((err = walk(c, g_mime_multipart_get_part(mp, i), depth + 1,
		                skip_text || (best >= 0 && i != best),
		                nested)) != CS_OK)
			return err;
	return CS_OK;
}

static enum cs_err
encrypted(struct ctx *c, GMimeMultipartEncrypted *mpe, int depth,
          bool skip_text, bool nested)
{
	GMimeDecryptResult *res = NULL;
	GError *gerr = NULL;
	GMimeObject *clear;
	enum cs_err err;

	if (c->flags & MIME_NO_CRYPTO)
		return fail(c, CS_E_INVAL, "encrypted (not decrypted)");
	clear = g_mime_multipart_encrypted_decrypt(mpe, GMIME_DECRYPT_NONE,
	                                           NULL, &res, &gerr);
	if (clear == NULL) {
		c->why = arena_printf(c->a, "cannot decrypt: %s",
		                      gerr != NULL ? gerr->message
		                                   : "unknown error");
		err = fail(c, CS_E_INVAL, "cannot decrypt");
		goto out;
	}
	c->out->encrypted = true;
	if (res != NULL) {
		GMimeSignatureList *sl =
		    g_mime_decrypt_result_get_signatures(res);
		if (sl != NULL && g_mime_signature_list_length(sl) > 0)
			gmime_sigs(c, sl);
	}
	err = walk(c, clear, depth + 1, skip_text, nested);
out:
	if (gerr != NULL)
		g_error_free(gerr);
	if (res != NULL)
		g_object_unref(res);
	if (clear != NULL)
		g_object_unref(clear);
	return err;
}

static enum cs_err
walk(struct ctx *c, GMimeObject *obj, int depth, bool skip_text, bool nested)
{
	if (depth > MIME_MAX_DEPTH)
		return fail(c, CS_E_INVAL, "nesting deeper than 32 levels");
	if (++c->parts > MIME_MAX_PARTS)
		return fail(c, CS_E_INVAL, "more than 1000 parts");
	if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return encrypted(c, GMIME_MULTIPART_ENCRYPTED(obj), depth,
		                 skip_text, nested);
	if (GMIME_IS_MULTIPART_SIGNED(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeObject *content;

		if (g_mime_multipart_get_count(mp) < 1)
			return CS_OK;
		if (c->flags & MIME_NO_CRYPTO) {
			set_sig(c, MIME_SIG_ERROR, NULL, NULL);
		} else {
			GError *gerr = NULL;
			GMimeSignatureList *sl = g_mime_multipart_signed_verify(
			    GMIME_MULTIPART_SIGNED(obj), GMIME_VERIFY_NONE,
			    &gerr);
			gmime_sigs(c, sl);
			if (sl != NULL)
				g_object_unref(sl);
			if (gerr != NULL)
				g_error_free(gerr);
		}
		content = g_mime_multipart_get_part(
		    mp, GMIME_MULTIPART_SIGNED_CONTENT);
		return walk(c, content, depth + 1, skip_text, nested);
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		enum cs_err err;

		if (g_mime_content_type_is_type(ct, "multipart", "alternative"))
			return alternative(c, mp, depth, skip_text, nested);
		if (!nested &&
		    g_mime_content_type_is_type(ct, "multipart", "report")) {
			const char *rt = g_mime_content_type_get_parameter(
			    ct, "report-type");
			if (rt != NULL &&
			    g_ascii_strcasecmp(rt, "delivery-status") == 0)
				c->out->bounce = true;
		}
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			if ((err = walk(c, g_mime_multipart_get_part(mp, i),
			                depth + 1, skip_text, nested)) != CS_OK)
				return err;
		return CS_OK;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return message_part(c, GMIME_MESSAGE_PART(obj), depth,
		                    skip_text);
	if (GMIME_IS_PART(obj))
		return leaf(c, GMIME_PART(obj), skip_text);
	return CS_OK; /* message/partial and the like: nothing readable */
}

/* ---- top-level headers ---- */

static enum cs_err
addr_list(struct ctx *c, InternetAddressList *l, const char ***out,
          size_t *n_out, const char **name_out)
{
	size_t n = 0, cap = 0;
	const char **v;

	*out = NULL;
	*n_out = 0;
	if (l == NULL)
		return CS_OK;
	/* groups hold mailboxes: flatten one level, count first */
	for (int i = 0; i < internet_address_list_length(l); i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia))
			cap += (size_t)internet_address_list_length(
			    internet_address_group_get_members(
			        INTERNET_ADDRESS_GROUP(ia)));
		else
			cap++;
	}
	if (cap == 0)
		return CS_OK;
	if ((v = arena_alloc(c->a, cap * sizeof(*v))) == NULL)
		return oom(c);
	for (int i = 0; i < internet_address_list_length(l); i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		InternetAddressList *m = NULL;
		int cnt = 1;

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			m = internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			cnt = internet_address_list_length(m);
		}
		for (int j = 0; j < cnt; j++) {
			InternetAddress *x =
			    m != NULL ? internet_address_list_get_address(m, j)
			              : ia;
			const char *s;

			if (!INTERNET_ADDRESS_IS_MAILBOX(x))
				continue;
			s = dup_addr(c, internet_address_mailbox_get_addr(
			                    INTERNET_ADDRESS_MAILBOX(x)));
			if (s == NULL)
				return oom(c);
			if (s[0] == '\0')
				continue;
			if (n == 0 && name_out != NULL &&
			    (*name_out = dup_line(
			         c, internet_address_get_name(x))) == NULL)
				return oom(c);
			v[n++] = s;
		}
	}
	*out = v;
	*n_out = n;
	return CS_OK;
}

static enum cs_err
references(struct ctx *c, GMimeObject *o, const char *name, const char ***out,
           size_t *n_out)
{
	const char *v = g_mime_object_get_header(o, name);
	GMimeReferences *refs;
	enum cs_err err = CS_OK;
	const char **ids;
	int n;

	*out = NULL;
	*n_out = 0;
	if (v == NULL || (refs = g_mime_references_parse(c->opts, v)) == NULL)
		return CS_OK;
	n = g_mime_references_length(refs);
	if (n > 0) {
		if ((ids = arena_alloc(c->a, (size_t)n * sizeof(*ids))) == NULL)
			err = oom(c);
		for (int i = 0; err == CS_OK && i < n; i++)
			if ((ids[i] =
			         dup_line(c, g_mime_references_get_message_id(
			                         refs, i))) == NULL)
				err = oom(c);
		if (err == CS_OK) {
			*out = ids;
			*n_out = (size_t)n;
		}
	}
	g_mime_references_free(refs);
	return err;
}

static bool
header_is(GMimeObject *o, const char *name, const char *const *values)
{
	const char *v = g_mime_object_get_header(o, name);
	char tok[32];
	size_t n = 0;

	if (v == NULL)
		return false;
	while (g_ascii_isspace(*v))
		v++;
	while (*v != '\0' && *v != ';' && !g_ascii_isspace(*v) &&
	       n < sizeof(tok) - 1)
		tok[n++] = g_ascii_tolower(*v++);
	tok[n] = '\0';
	for (; *values != NULL; values++)
		if (strcmp(tok, *values) == 0)
			return true;
	return false;
}

static bool
is_auto_submitted(GMimeObject *o)
{
	static const char *const no[] = {"no", NULL};
	static const char *const prec[] = {"bulk", "junk", "list", NULL};
	const char *v;

	if (g_mime_object_get_header(o, "Auto-Submitted") != NULL &&
	    !header_is(o, "Auto-Submitted", no))
		return true;
	if (header_is(o, "Precedence", prec) ||
	    g_mime_object_get_header(o, "X-Autoreply") != NULL ||
	    g_mime_object_get_header(o, "X-Autorespond") != NULL ||
	    g_mime_object_get_header(o, "List-Id") != NULL)
		return true;
	v = g_mime_object_get_header(o, "X-Auto-Response-Suppress");
	if (v != NULL) {
		gchar **tok = g_strsplit_set(v, ", \t", -1);
		bool hit = false;
		for (gchar **t = tok; *t != NULL; t++)
			if (g_ascii_strcasecmp(*t, "all") == 0 ||
			    g_ascii_strcasecmp(*t, "oof") == 0)
				hit = true;
		g_strfreev(tok);
		return hit;
	}
	return false;
}

static bool
is_bounce_sender(struct ctx *c, GMimeObject *o)
{
	const char *rp = g_mime_object_get_header(o, "Return-Path");
	const char *from = c->out->from_addr;
	size_t local;

	if (rp == NULL)
		return false;
	while (g_ascii_isspace(*rp))
		rp++;
	if (rp[0] != '\0' && strncmp(rp, "<>", 2) != 0)
		return false;
	local = strcspn(from, "@");
	return (local == 13 &&
	        g_ascii_strncasecmp(from, "mailer-daemon", 13) == 0) ||
	       (local == 10 &&
	        g_ascii_strncasecmp(from, "postmaster", 10) == 0);
}

static const char *
language(struct ctx *c, GMimeObject *o)
{
	const char *v = g_mime_object_get_header(o, "Content-Language");
	GMimeObject *body = g_mime_message_get_mime_part(GMIME_MESSAGE(o));
	char tag[4];
	size_t n = 0;

	/* GMime keeps Content-* headers with the top-level body part */
	if (v == NULL && body != NULL)
		v = g_mime_object_get_header(body, "Content-Language");
	if (v == NULL)
		return "";
	while (g_ascii_isspace(*v))
		v++;
	while (g_ascii_isalpha(*v) && n < sizeof(tag)) {
		tag[n++] = g_ascii_tolower(*v);
		v++;
	}
	if (n < 2 || n > 3 ||
	    (*v != '\0' && *v != '-' && *v != ',' && *v != ';' &&
	     !g_ascii_isspace(*v)))
		return "";
	return arena_strndup(c->a, tag, n);
}

static void
header_lines(GString *g, GMimeHeaderList *hl)
{
	for (int i = 0; hl != NULL && i < g_mime_header_list_get_count(hl);
	     i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *val = g_mime_header_get_value(h);
		GString *line = g_string_new(NULL);

		append_text(line, name ? name : "", name ? strlen(name) : 0,
		            false);
		g_string_append(line, ": ");
		if (val != NULL)
			append_text(line, val, strlen(val), false);
		g_string_append_c(line, '\n');
		if (g->len + line->len <= MIME_MAX_TEXT)
			g_string_append_len(g, line->str, (gssize)line->len);
		g_string_free(line, TRUE);
	}
}

/* The message's headers, then those GMime keeps with the top-level body
 * part (Content-*), as the sender wrote them. */
static enum cs_err
all_headers(struct ctx *c, GMimeMessage *m)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GString *g = g_string_new(NULL);
	char *r;

	header_lines(g, g_mime_object_get_header_list(GMIME_OBJECT(m)));
	if (body != NULL)
		header_lines(g, g_mime_object_get_header_list(body));
	r = arena_strndup(c->a, g->str, g->len);
	g_string_free(g, TRUE);
	if (r == NULL)
		return oom(c);
	c->out->headers = r;
	return CS_OK;
}

static enum cs_err
top_headers(struct ctx *c, GMimeMessage *m)
{
	GMimeObject *o = GMIME_OBJECT(m);
	struct mime_msg *out = c->out;
	const char **rt = NULL, **ids;
	size_t n_rt = 0, n_ids;
	GDateTime *dt;
	enum cs_err err;

	out->from_name = "";
	if ((err = all_headers(c, m)) != CS_OK ||
	    (err = addr_list(c, g_mime_message_get_from(m), &ids, &n_ids,
	                     &out->from_name)) != CS_OK)
		return err;
	out->from_addr = n_ids > 0 ? ids[0] : "";
	if ((err = addr_list(c, g_mime_message_get_reply_to(m), &rt, &n_rt,
	                     NULL)) != CS_OK ||
	    (err = addr_list(c, g_mime_message_get_to(m), &out->to, &out->n_to,
	                     NULL)) != CS_OK ||
	    (err = addr_list(c, g_mime_message_get_cc(m), &out->cc, &out->n_cc,
	                     NULL)) != CS_OK ||
	    (err = references(c, o, "References", &out->references,
	                      &out->n_references)) != CS_OK ||
	    (err = references(c, o, "In-Reply-To", &ids, &n_ids)) != CS_OK)
		return err;
	out->reply_to = n_rt > 0 ? rt[0] : "";
	out->in_reply_to = n_ids > 0 ? ids[0] : "";
	out->message_id = dup_line(c, g_mime_message_get_message_id(m));
	out->subject = dup_line(c, g_mime_message_get_subject(m));
	out->language = language(c, o);
	if (out->message_id == NULL || out->subject == NULL ||
	    out->language == NULL)
		return oom(c);
	/* "<>" or stray brackets GMime left in place */
	if (out->message_id[0] == '<') {
		size_t n = strlen(out->message_id);
		out->message_id = arena_strndup(
		    c->a, out->message_id + 1,
		    n > 1 && out->message_id[n - 1] == '>' ? n - 2 : n - 1);
		if (out->message_id == NULL)
			return oom(c);
	}
	dt = g_mime_message_get_date(m);
	out->date = dt != NULL ? (int64_t)g_date_time_to_unix(dt) : 0;
	out->auto_submitted = is_auto_submitted(o);
	out->bounce = is_bounce_sender(c, o);
	return CS_OK;
}

/* The first line is a header field ("Name:"), possibly after an mbox
 * "From " line. */
static bool
looks_like_message(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);
		if (nl == NULL)
			return false;
		p = nl + 1;
	}
	const char *name = p;
	while (p<end && * p> 0x20 && *p < 0x7F && *p != ':')
		p++;
	if (p == name)
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && *p == ':';
}

enum cs_err
mime_parse(struct arena *a, const char *raw, size_t len, unsigned flags,
           struct mime_msg *out, const char **why)
{
	static const char *fallback[] = {"utf-8", "windows-1252", NULL};
	struct ctx c = {.a = a, .flags = flags, .out = out};
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *m = NULL;
	enum cs_err err = CS_E_INVAL;
	size_t tl;

	memset(out, 0, sizeof(*out));
	out->message_id = out->in_reply_to = out->from_addr = out->from_name =
	    out->reply_to = out->subject = out->language = out->headers =
	        out->text = out->signer_fpr = out->signer_uid = "";
	*why = "";
	if (len > MIME_MAX_SIZE) {
		*why = "message larger than 25 MB";
		return CS_E_TOOBIG;
	}
	if (!looks_like_message(raw, len)) {
		*why = "not an RFC 5322 message";
		return CS_E_INVAL;
	}
	mime_init();
	c.opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(c.opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(
	    c.opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(
	    c.opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(
	    c.opts, GMIME_RFC_COMPLIANCE_LOOSE);
	c.text = g_string_new(NULL);
	c.att = arena_alloc(a, MIME_MAX_ATTACHMENTS * sizeof(*c.att));
	if (c.att == NULL) {
		err = oom(&c);
		goto out;
	}
	/* GMime copies the buffer. */
	stream = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, c.opts);
	if (m == NULL ||
	    g_mime_header_list_get_count(
	        g_mime_object_get_header_list(GMIME_OBJECT(m))) == 0) {
		err = fail(&c, CS_E_INVAL, "not an RFC 5322 message");
		goto out;
	}
	if ((err = top_headers(&c, m)) != CS_OK)
		goto out;
	if (g_mime_message_get_mime_part(m) != NULL &&
	    (err = walk(&c, g_mime_message_get_mime_part(m), 0, false,
	                false)) != CS_OK)
		goto out;
	out->html_only = c.have_html && !c.have_plain;
	tl = utf8_cut(c.text->str, c.text->len, MIME_MAX_TEXT);
	while (tl > 0 &&
	       (c.text->str[tl - 1] == '\n' || c.text->str[tl - 1] == ' '))
		tl--;
	if ((out->text = arena_strndup(a, c.text->str, tl)) == NULL) {
		err = oom(&c);
		goto out;
	}
	out->attachments = c.n_att > 0 ? c.att : NULL;
	out->n_attachments = c.n_att;
	err = CS_OK;
out:
	if (err != CS_OK) {
		struct mime_msg empty = {0};
		empty.message_id = empty.in_reply_to = empty.from_addr =
		    empty.from_name = empty.reply_to = empty.subject =
		        empty.language = empty.headers = empty.text =
		            empty.signer_fpr = empty.signer_uid = "";
		*out = empty;
		*why = c.why != NULL ? c.why : "cannot parse the message";
	}
	if (m != NULL)
		g_object_unref(m);
	if (parser != NULL)
		g_object_unref(parser);
	if (stream != NULL)
		g_object_unref(stream);
	g_string_free(c.text, TRUE);
	g_mime_parser_options_free(c.opts);
	return err;
}
