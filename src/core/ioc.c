/*
 * ioc.c - observables: type names, ioc_normalise(), ioc_guess_type() and
 * the byte-class table every scanner of the engine runs on.
 *
 * See ioc.h for the contract, ioc_internal.h for how the engine is cut
 * into files and docs/internals/ioc.md for the rules. No regex anywhere:
 * each parser is a hand-written scanner over ioc_cls[].
 */
#include <stdint.h>
#include <string.h>

#include "core/ioc_internal.h"

/* clang-format off */
const uint16_t ioc_cls[256] = {
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x000, 0x001, 0x000, 0x000, 0x400, 0x000, 0x001,
	0x080, 0x080, 0x000, 0x400, 0x000, 0xe00, 0x610, 0x000,
	0xe0a, 0xe0a, 0xe0a, 0xe0a, 0xe0a, 0xe0a, 0xe0a, 0xe0a,
	0xe0a, 0xe0a, 0x020, 0x000, 0x001, 0x000, 0x001, 0x000,
	0x040, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe04,
	0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04,
	0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04,
	0xe04, 0xe04, 0xe04, 0x080, 0x001, 0x080, 0x000, 0x600,
	0x001, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe0c, 0xe04,
	0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04,
	0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04, 0xe04,
	0xe04, 0xe04, 0xe04, 0x080, 0x001, 0x080, 0x000, 0x001,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
};
/* clang-format on */

static const char *const type_names[IOC_TYPE_COUNT] = {
    "ipv4", "ipv6",   "cidr", "domain", "url",      "email",     "md5",
    "sha1", "sha256", "asn",  "cve",    "filename", "user-agent"};

const char *
ioc_type_name(enum ioc_type type)
{
	if ((unsigned)type >= IOC_TYPE_COUNT)
		return "?";
	return type_names[type];
}

enum cs_err
ioc_type_parse(const char *name, enum ioc_type *type_out)
{
	for (unsigned t = 0; t < IOC_TYPE_COUNT; t++) {
		if (name != NULL && strcmp(name, type_names[t]) == 0) {
			*type_out = (enum ioc_type)t;
			return CS_OK;
		}
	}
	return CS_E_INVAL;
}

/* The reason text: in out when it fits, else a static string. */
static const char *
why_text(const struct ioc_why *w, char *out, size_t outlen)
{
	char num[24];
	size_t pl, nl, sl;

	if (w->pre == NULL)
		return "the value is invalid";
	if (!w->has_num)
		return w->pre;
	pl = strlen(w->pre);
	nl = ioc_put_dec(num, w->num);
	sl = strlen(w->post);
	if (out == NULL || pl + nl + sl + 1 > outlen)
		return "the value is invalid";
	memcpy(out, w->pre, pl);
	memcpy(out + pl, num, nl);
	memcpy(out + pl + nl, w->post, sl + 1);
	return out;
}

/* Copies in (at most IOC_INPUT_MAX bytes) to buf, refanged if the type
 * takes it. Returns false if in is too long. */
static bool
prepare(enum ioc_type type, const char *in, char *buf, size_t *n_out)
{
	size_t n = strnlen(in, IOC_INPUT_MAX + 1);

	if (n > IOC_INPUT_MAX)
		return false;
	if (type == IOC_FILENAME || type == IOC_USER_AGENT) {
		memcpy(buf, in, n);
		buf[n] = '\0';
		*n_out = n;
	} else {
		*n_out = ioc_refang_value(in, n, buf);
	}
	return true;
}

enum cs_err
ioc_normalise(enum ioc_type type, const char *in, char *out, size_t outlen,
              const char **why)
{
	char buf[IOC_INPUT_MAX + 16], res[IOC_OUT_MAX + 64];
	struct ioc_why w = {0};
	struct ioc_host hi;
	enum cs_err err = CS_E_INVAL;
	size_t n, rl;

	if ((unsigned)type >= IOC_TYPE_COUNT) {
		ioc_bad(&w, "unknown observable type");
		goto out;
	}
	if (in == NULL || !prepare(type, in, buf, &n)) {
		ioc_bad(&w, "the value is longer than 8192 bytes");
		goto out;
	}
	if (!ioc_norm_typed(type, buf, n, res, &rl, &hi, &w))
		goto out;
	if (out == NULL || rl + 1 > outlen) {
		err = CS_E_TOOBIG;
		ioc_bad(&w, "the output buffer is too small");
		goto out;
	}
	memcpy(out, res, rl + 1);
	err = CS_OK;
out:
	if (err != CS_OK && why != NULL)
		*why = why_text(&w, out, outlen);
	return err;
}

static bool
try_type(enum ioc_type t, const char *s, size_t n, char *res, size_t *len_out)
{
	struct ioc_why w;
	struct ioc_host hi;

	return ioc_norm_typed(t, s, n, res, len_out, &hi, &w);
}

static bool
last_label_known(const char *d, size_t n)
{
	size_t i = n;

	while (i > 0 && d[i - 1] != '.')
		i--;
	return ioc_tld_is_known(d + i, n - i);
}

enum cs_err
ioc_guess_type(const char *in, enum ioc_type *type_out)
{
	static const enum ioc_type simple[] = {IOC_IPV4, IOC_IPV6,   IOC_MD5,
	                                       IOC_SHA1, IOC_SHA256, IOC_CVE};
	char buf[IOC_INPUT_MAX + 16], res[IOC_OUT_MAX + 64];
	struct ioc_host hi;
	struct ioc_why w;
	size_t n, rl, k;

	if (in == NULL || !prepare(IOC_DOMAIN, in, buf, &n) || n == 0)
		return CS_E_INVAL;
	if (memmem(buf, n, "://", 3) != NULL) {
		if (!try_type(IOC_URL, buf, n, res, &rl))
			return CS_E_INVAL;
		*type_out = IOC_URL;
		return CS_OK;
	}
	if (memchr(buf, '@', n) != NULL &&
	    try_type(IOC_EMAIL, buf, n, res, &rl)) {
		*type_out = IOC_EMAIL;
		return CS_OK;
	}
	if (memchr(buf, '/', n) != NULL &&
	    try_type(IOC_CIDR, buf, n, res, &rl)) {
		*type_out = IOC_CIDR;
		return CS_OK;
	}
	for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
		if (try_type(simple[k], buf, n, res, &rl)) {
			*type_out = simple[k];
			return CS_OK;
		}
	}
	if (ioc_iprefix(buf, n, "as") && try_type(IOC_ASN, buf, n, res, &rl)) {
		*type_out = IOC_ASN;
		return CS_OK;
	}
	if (try_type(IOC_DOMAIN, buf, n, res, &rl) &&
	    last_label_known(res, rl)) {
		*type_out = IOC_DOMAIN;
		return CS_OK;
	}
	if (memchr(buf, '/', n) != NULL &&
	    ioc_norm_url(buf, n, res, &rl, &hi, &w) &&
	    (hi.kind != 0 || last_label_known(res + hi.off, hi.len))) {
		*type_out = IOC_URL;
		return CS_OK;
	}
	/* product/version, as in "curl/8.5.0" or "Mozilla/5.0 (...)" */
	n = strnlen(in, IOC_INPUT_MAX + 1);
	for (k = 0; k < n &&
	            ((ioc_cls[(unsigned char)in[k]] & C_HOST) || in[k] == '+');
	     k++)
		;
	if (k > 0 && k + 1 < n && in[k] == '/' &&
	    (ioc_cls[(unsigned char)in[k + 1]] & C_DIGIT) &&
	    try_type(IOC_USER_AGENT, in, n, res, &rl)) {
		*type_out = IOC_USER_AGENT;
		return CS_OK;
	}
	/* name.ext with a short alphanumeric extension */
	{
		const char *dot = memrchr(in, '.', n);
		size_t el = dot ? n - (size_t)(dot - in) - 1 : 0;

		if (dot != NULL && dot != in && el >= 1 && el <= 10 &&
		    memchr(in, ' ', n) == NULL &&
		    try_type(IOC_FILENAME, in, n, res, &rl)) {
			for (k = 0; k < el; k++)
				if (!(ioc_cls[(unsigned char)dot[1 + k]] &
				      (C_ALPHA | C_DIGIT)))
					return CS_E_INVAL;
			*type_out = IOC_FILENAME;
			return CS_OK;
		}
	}
	return CS_E_INVAL;
}
