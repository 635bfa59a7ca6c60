/*
 * ioc_refang.c - defang markers out: in a whole value before it is
 * normalised (every form of docs/internals/ioc.md), and in one word of
 * free text during extraction (the bracketed forms only, with a map back
 * to the offsets of the original text).
 */
#include <stdint.h>
#include <string.h>

#include "core/ioc_internal.h"

/* ---- a whole value ---- */

static const struct {
	const char *pat, *rep;
} fangs[] = {
    {"[.]", "."},
    {"(.)", "."},
    {"{.}", "."},
    {"[dot]", "."},
    {"(dot)", "."},
    {"{dot}", "."},
    {"[,]", "."},
    {"(,)", "."},
    {"[punto]", "."},
    {"(punto)", "."},
    {"[://]", "://"},
    {"[:]", ":"},
    {"(:)", ":"},
    {"{:}", ":"},
    {"[/]", "/"},
    {"(/)", "/"},
    {"{/}", "/"},
    {"[@]", "@"},
    {"(@)", "@"},
    {"{@}", "@"},
    {"[at]", "@"},
    {"(at)", "@"},
    {"{at}", "@"},
    {"[arroba]", "@"},
    {"(arroba)", "@"},
    {"\\.", "."},
    {"^.", "."},
    /* brackets left half-open by careless defanging */
    {"[dot", "."},
    {"dot]", "."},
    {"[.", "."},
    {".]", "."},
    {"[/", "/"},
};

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* Characters next to which white space is dropped: "example .com /x". */
static bool
glue(unsigned char c)
{
	return c == '.' || c == '/' || c == '@' || c == ':';
}

/*
 * Refangs s[0..n) into out (n + 8 bytes): bracketed markers, " dot ",
 * " at ", white space around '.', '/', '@', ':', and the separator after
 * a web scheme (http__, http:__, http:\\). Returns the new length.
 */
size_t
ioc_refang_value(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0, m, k;

	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		bool done = false;

		if (c == '[' || c == '(' || c == '{' || c == '\\' || c == '^' ||
		    c == '.' || c == 'd' || c == 'D') {
			for (k = 0; k < sizeof(fangs) / sizeof(fangs[0]); k++) {
				size_t pl = strlen(fangs[k].pat);

				if (pl <= n - i &&
				    ioc_ieq(s + i, pl, fangs[k].pat)) {
					size_t rl = strlen(fangs[k].rep);

					memcpy(out + o, fangs[k].rep, rl);
					o += rl;
					i += pl;
					done = true;
					break;
				}
			}
		} else if (is_space(c)) {
			size_t j = i, wl = 0;

			while (j < n && is_space((unsigned char)s[j]))
				j++;
			if (ioc_iprefix(s + j, n - j, "dot"))
				wl = 3;
			else if (ioc_iprefix(s + j, n - j, "at"))
				wl = 2;
			if (wl && j + wl < n &&
			    is_space((unsigned char)s[j + wl])) {
				out[o++] = wl == 3 ? '.' : '@';
				for (i = j + wl;
				     i < n && is_space((unsigned char)s[i]);
				     i++)
					;
				done = true;
			}
		}
		if (!done)
			out[o++] = s[i++];
	}
	/* drop white space glued to '.', '/', '@' or ':' */
	for (i = 0, m = 0; i < o;) {
		if (is_space((unsigned char)out[i])) {
			size_t j = i;

			while (j < o && is_space((unsigned char)out[j]))
				j++;
			if ((m > 0 && glue((unsigned char)out[m - 1])) ||
			    (j < o && glue((unsigned char)out[j]))) {
				i = j;
				continue;
			}
		}
		out[m++] = out[i++];
	}
	o = m;
	/* http__x, http:__x, http:\\x */
	for (k = 0; k < o && (ioc_cls[(unsigned char)out[k]] & C_ALPHA); k++)
		;
	if (k > 0 && ioc_scheme_is_web(out, k)) {
		size_t sep = 0;

		if (o - k >= 3 && memcmp(out + k, ":__", 3) == 0)
			sep = 3;
		else if (o - k >= 3 && memcmp(out + k, ":\\\\", 3) == 0)
			sep = 3;
		else if (o - k >= 2 && memcmp(out + k, "__", 2) == 0)
			sep = 2;
		else if (o - k >= 2 && memcmp(out + k, ":\\", 2) == 0)
			sep = 2;
		if (sep) {
			memmove(out + k + 3, out + k + sep, o - k - sep);
			memcpy(out + k, "://", 3);
			o = o - sep + 3;
		}
	}
	out[o] = '\0';
	return o;
}

/* ---- a word of free text ---- */

/*
 * The marker that starts at w[i] (an opening bracket): its replacement in
 * *rep_out (*rl_out bytes) and its length in w, or 0 if there is none.
 * The markers: [.] (.) {.} [dot] (dot) {dot} [:] [://] [/] [@] (@) {@}
 * [at] (at) {at}, letters in any case.
 */
static size_t
marker_at(const unsigned char *w, size_t i, size_t n, const char **rep_out,
          size_t *rl_out)
{
	unsigned char open = w[i];
	unsigned char close = open == '[' ? ']' : open == '(' ? ')' : '}';
	size_t left = n - i;

	if (left < 3)
		return 0;
	*rl_out = 1;
	switch (ioc_lower(w[i + 1])) {
	case '.':
		*rep_out = ".";
		return w[i + 2] == close ? 3 : 0;
	case '@':
		*rep_out = "@";
		return w[i + 2] == close ? 3 : 0;
	case ':':
		if (open != '[')
			return 0;
		if (left >= 5 && memcmp(w + i, "[://]", 5) == 0) {
			*rep_out = "://";
			*rl_out = 3;
			return 5;
		}
		*rep_out = ":";
		return w[i + 2] == ']' ? 3 : 0;
	case '/':
		*rep_out = "/";
		return open == '[' && w[i + 2] == ']' ? 3 : 0;
	case 'd':
		*rep_out = ".";
		return left >= 5 && ioc_lower(w[i + 2]) == 'o' &&
		               ioc_lower(w[i + 3]) == 't' && w[i + 4] == close
		           ? 5
		           : 0;
	case 'a':
		*rep_out = "@";
		return left >= 4 && ioc_lower(w[i + 2]) == 't' &&
		               w[i + 3] == close
		           ? 4
		           : 0;
	default:
		return 0;
	}
}

static bool
is_open(unsigned char c)
{
	return c == '[' || c == '(' || c == '{';
}

bool
ioc_refang_word(const unsigned char *w, size_t n, char *tok, uint16_t *map,
                size_t *len_out)
{
	const char *rep;
	size_t i, o, ml, rl;

	/* most bracketed words hold no marker: "(see", "sshd[42]:" */
	for (i = 0; i + 2 < n; i++)
		if ((ioc_cls[w[i]] & C_BRACK) && is_open(w[i]) &&
		    marker_at(w, i, n, &rep, &rl) > 0)
			break;
	if (i + 2 >= n)
		return false;
	for (o = 0; o < i; o++) {
		tok[o] = (char)w[o];
		map[o] = (uint16_t)o;
	}
	while (i < n) {
		if (is_open(w[i]) && (ml = marker_at(w, i, n, &rep, &rl)) > 0) {
			for (size_t k = 0; k < rl; k++) {
				tok[o] = rep[k];
				map[o++] = (uint16_t)i;
			}
			i += ml;
			continue;
		}
		tok[o] = (char)w[i];
		map[o++] = (uint16_t)i++;
	}
	tok[o] = '\0';
	map[o] = (uint16_t)n;
	*len_out = o;
	return true;
}
