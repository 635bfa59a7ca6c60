/*
 * event.c - the harmonised event: validation, batches, IntelMQ JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/event.h"

/*
 * Interning keeps the first INTERN_LIMIT distinct strings of a batch; later
 * new strings are copied but not remembered. The table has four times
 * more slots than that limit so that a look-up, which a batch of scan
 * reports makes mostly for strings it has never seen, ends after one or
 * two probes; only the slots used are cleared at reset.
 */
#define INTERN_LIMIT 3072
#define INTERN_SLOTS 16384 /* power of two, > INTERN_LIMIT */

struct intern_slot {
	uint32_t hash, len;
	const char *s;
};

struct event_batch {
	struct arena *arena;
	struct intern_slot *slots; /* INTERN_SLOTS, heap */
	size_t n_interned;
	uint16_t used[INTERN_LIMIT]; /* slots to clear at reset */
};

static const struct field_def {
	const char *name; /* as written in IntelMQ JSON */
	enum event_type type;
} fields[EF_COUNT] = {
    [EF_TIME_SOURCE] = {"time.source", ET_TIME},
    [EF_TIME_OBSERVATION] = {"time.observation", ET_TIME},
    [EF_SOURCE_IP] = {"source.ip", ET_IP},
    [EF_SOURCE_PORT] = {"source.port", ET_PORT},
    [EF_SOURCE_ASN] = {"source.asn", ET_ASN},
    [EF_SOURCE_NETWORK] = {"source.network", ET_NETWORK},
    [EF_SOURCE_REVERSE_DNS] = {"source.reverse_dns", ET_FQDN},
    [EF_SOURCE_FQDN] = {"source.fqdn", ET_FQDN},
    [EF_SOURCE_URL] = {"source.url", ET_URL},
    [EF_SOURCE_ACCOUNT] = {"source.account", ET_STRING},
    [EF_SOURCE_LOCAL_HOSTNAME] = {"source.local_hostname", ET_STRING},
    [EF_SOURCE_GEO_CC] = {"source.geolocation.cc", ET_CC},
    [EF_SOURCE_GEO_REGION] = {"source.geolocation.region", ET_STRING},
    [EF_SOURCE_GEO_CITY] = {"source.geolocation.city", ET_STRING},
    [EF_DEST_IP] = {"destination.ip", ET_IP},
    [EF_DEST_PORT] = {"destination.port", ET_PORT},
    [EF_DEST_ASN] = {"destination.asn", ET_ASN},
    [EF_DEST_REVERSE_DNS] = {"destination.reverse_dns", ET_FQDN},
    [EF_DEST_FQDN] = {"destination.fqdn", ET_FQDN},
    [EF_DEST_URL] = {"destination.url", ET_URL},
    [EF_DEST_ACCOUNT] = {"destination.account", ET_STRING},
    [EF_DEST_GEO_CC] = {"destination.geolocation.cc", ET_CC},
    [EF_DEST_GEO_REGION] = {"destination.geolocation.region", ET_STRING},
    [EF_DEST_GEO_CITY] = {"destination.geolocation.city", ET_STRING},
    [EF_PROTO_TRANSPORT] = {"protocol.transport", ET_LOWER},
    [EF_PROTO_APPLICATION] = {"protocol.application", ET_LOWER},
    [EF_CLASS_TAXONOMY] = {"classification.taxonomy", ET_TAXONOMY},
    [EF_CLASS_TYPE] = {"classification.type", ET_CLASSTYPE},
    [EF_CLASS_IDENTIFIER] = {"classification.identifier", ET_STRING},
    [EF_FEED_NAME] = {"feed.name", ET_STRING},
    [EF_FEED_PROVIDER] = {"feed.provider", ET_STRING},
    [EF_FEED_DOCUMENTATION] = {"feed.documentation", ET_STRING},
    [EF_MALWARE_NAME] = {"malware.name", ET_LOWER},
    [EF_MALWARE_MD5] = {"malware.hash.md5", ET_STRING},
    [EF_MALWARE_SHA1] = {"malware.hash.sha1", ET_STRING},
    [EF_MALWARE_SHA256] = {"malware.hash.sha256", ET_STRING},
    [EF_EVENT_DESCRIPTION_TEXT] = {"event_description.text", ET_STRING},
    [EF_STATUS] = {"status", ET_STRING},
    [EF_SEVERITY] = {"extra.severity", ET_STRING},
    [EF_PRODUCT_VENDOR] = {"extra.product.vendor", ET_STRING},
    [EF_PRODUCT_NAME] = {"extra.product.name", ET_STRING},
    [EF_PRODUCT_VERSION] = {"extra.product.version", ET_STRING},
    [EF_PRODUCT_VULNERABILITIES] = {"extra.product.vulnerabilities", ET_STRING},
};

/* Schema keys that name a field by its harmonisation name rather than the
 * JSON name (IntelMQ writes these under extra. because its harmonisation
 * lacks them). */
static const struct {
	const char *name;
	enum event_field f;
} aliases[] = {
    {"severity", EF_SEVERITY},
    {"product.vendor", EF_PRODUCT_VENDOR},
    {"product.name", EF_PRODUCT_NAME},
    {"product.version", EF_PRODUCT_VERSION},
    {"product.vulnerabilities", EF_PRODUCT_VULNERABILITIES},
};

struct event_batch *
event_batch_new(size_t mem_cap)
{
	struct event_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		abort();
	b->arena = arena_new(mem_cap);
	b->slots = calloc(INTERN_SLOTS, sizeof(*b->slots));
	if (b->slots == NULL)
		abort();
	return b;
}

void
event_batch_free(struct event_batch *b)
{
	if (b == NULL)
		return;
	arena_free(b->arena);
	free(b->slots);
	free(b);
}

void
event_batch_reset(struct event_batch *b)
{
	arena_reset(b->arena);
	for (size_t i = 0; i < b->n_interned; i++)
		b->slots[b->used[i]].s = NULL;
	b->n_interned = 0;
}

size_t
event_batch_used(const struct event_batch *b)
{
	return arena_used(b->arena);
}

/* A multiplicative hash over 8-byte words (the last word overlapping the
 * one before): strings here are short, and the byte-at-a-time FNV loop
 * was a visible part of each event. Equality is decided by memcmp. */
static inline uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static uint32_t
str_hash(const char *s, size_t n)
{
	const char *e = s + n;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
	uint32_t a, b;

	if (n >= 8) {
		for (; e - s > 8; s += 8) {
			memcpy(&w, s, 8);
			h = mix(h, w);
		}
		memcpy(&w, e - 8, 8);
		h = mix(h, w);
	} else if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, e - 4, 4);
		h = mix(h, (uint64_t)a << 32 | b);
	} else if (n > 0) {
		h = mix(h, (uint64_t)(unsigned char)s[0] << 16 |
		               (uint64_t)(unsigned char)s[n / 2] << 8 |
		               (unsigned char)s[n - 1]);
	}
	h *= 0xc4ceb9fe1a85ec53ULL;
	return (uint32_t)(h >> 32);
}

const char *
event_batch_intern_kept(struct event_batch *b, const char *s, size_t n,
                        bool *kept_out)
{
	uint32_t h;
	size_t i;
	char *p;

	*kept_out = false;
	if (n > UINT32_MAX)
		return NULL;
	h = str_hash(s, n);
	for (i = h & (INTERN_SLOTS - 1);; i = (i + 1) & (INTERN_SLOTS - 1)) {
		struct intern_slot *sl = &b->slots[i];

		if (sl->s == NULL)
			break;
		if (sl->hash == h && sl->len == n && memcmp(sl->s, s, n) == 0) {
			*kept_out = true;
			return sl->s;
		}
	}
	if ((p = arena_strndup(b->arena, s, n)) == NULL)
		return NULL;
	if (b->n_interned < INTERN_LIMIT) {
		b->slots[i] = (struct intern_slot){h, (uint32_t)n, p};
		b->used[b->n_interned++] = (uint16_t)i;
		*kept_out = true;
	}
	return p;
}

const char *
event_batch_intern(struct event_batch *b, const char *s, size_t n)
{
	bool kept;

	return event_batch_intern_kept(b, s, n, &kept);
}

enum cs_err
event_new(struct event_batch *b, struct event **out)
{
	struct event *ev = arena_alloc(b->arena, sizeof(*ev));

	if (ev == NULL)
		return CS_E_TOOBIG;
	memset(ev, 0, sizeof(*ev));
	ev->extra = arena_alloc(b->arena, EVENT_EXTRA_MAX * sizeof(*ev->extra));
	if (ev->extra == NULL)
		return CS_E_TOOBIG;
	*out = ev;
	return CS_OK;
}

const char *
event_field_name(enum event_field f)
{
	return fields[f].name;
}

enum event_type
event_field_type(enum event_field f)
{
	return fields[f].type;
}

bool
event_field_lookup(const char *name, enum event_field *out)
{
	for (int i = 0; i < EF_COUNT; i++)
		if (strcmp(fields[i].name, name) == 0) {
			*out = (enum event_field)i;
			return true;
		}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].name, name) == 0) {
			*out = aliases[i].f;
			return true;
		}
	return false;
}

bool
event_has(const struct event *ev, enum event_field f)
{
	return (ev->present >> f) & 1;
}

static int
digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
event_time_parse(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, off = 0;
	size_t i = 19;

	if (n < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return false;
	if ((y = digits(s, 4)) < 0 || (mo = digits(s + 5, 2)) < 1 || mo > 12 ||
	    (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 ||
	    (se = digits(s + 17, 2)) < 0 || se > 60)
		return false;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	if (i < n && s[i] == '.') {
		size_t j = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == j)
			return false;
	}
	if (i == n || (n - i == 1 && s[i] == 'Z') ||
	    (n - i == 4 && memcmp(s + i, " UTC", 4) == 0)) {
		off = 0;
	} else if ((s[i] == '+' || s[i] == '-') && (n - i == 6 || n - i == 5)) {
		int oh = digits(s + i + 1, 2), om;

		if (n - i == 6 && s[i + 3] != ':')
			return false;
		om = digits(s + n - 2, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
		off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
	} else {
		return false;
	}
	*out =
	    days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	/* years 0001 to 9999 once in UTC: what the four-digit form can say */
	return *out >= EVENT_TIME_MIN && *out <= EVENT_TIME_MAX;
}

static void
put_digits(char *p, unsigned v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* gmtime_r and snprintf were most of the cost of a converted date; this
 * is the same proleptic Gregorian calendar (days to civil, H. Hinnant). */
void
event_time_format(int64_t t, char out[26])
{
	int64_t days, secs, z, era, doe, yoe, doy, mp, y, m, d;

	if (t < EVENT_TIME_MIN)
		t = EVENT_TIME_MIN;
	else if (t > EVENT_TIME_MAX)
		t = EVENT_TIME_MAX;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)m, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)d, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)(secs % 60), 2);
	memcpy(out + 19, "+00:00", 7);
}

static bool
parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool
fqdn_ok(const char *s, size_t n, const char **why)
{
	size_t label = 0;
	char tmp[64];
	struct ip_addr a;

	if (n == 0 || n > 253) {
		*why = "not a domain name (length)";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0) {
				*why = "not a domain name (empty label)";
				return false;
			}
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63) {
				*why = "not a domain name (label too long)";
				return false;
			}
		} else {
			*why = "not a domain name (character)";
			return false;
		}
	}
	if (label == 0) { /* "a.." has lost one dot and still ends in one */
		*why = "not a domain name (empty label)";
		return false;
	}
	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (ip_parse(tmp, &a)) {
			*why = "an address, not a domain name";
			return false;
		}
	}
	return true;
}

static bool
url_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
	                 s[i] == '-' || s[i] == '.'))
		i++;
	if (n - i < 4 || memcmp(s + i, "://", 3) != 0)
		return false;
	i += 3;
	if (s[i] == '/' || s[i] == '?' || s[i] == '#')
		return false;
	for (size_t j = 0; j < n; j++)
		if ((unsigned char)s[j] <= ' ')
			return false;
	return true;
}

static bool
token_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* toupper/tolower (the locale's), called only for the bytes they may
 * change: digits, punctuation and letters already in the target case are
 * their own image in every locale. */
static inline char
fold_char(char c, int fold)
{
	unsigned char u = (unsigned char)c;

	if (fold > 0)
		return (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		               u == '.' || u == '-' || u == '_'
		           ? c
		           : (char)toupper(u);
	return (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '.' ||
	               u == '-' || u == '_'
	           ? c
	           : (char)tolower(u);
}

static enum cs_err
set_string(struct event_batch *b, struct event *ev, enum event_field f,
           const char *s, size_t n, int fold)
{
	char buf[256];
	const char *p;

	if (fold != 0 && n <= sizeof(buf)) {
		for (size_t i = 0; i < n; i++)
			buf[i] = fold_char(s[i], fold);
		s = buf;
	} else if (fold != 0) {
		char *q = arena_alloc(b->arena, n + 1);

		if (q == NULL)
			return CS_E_TOOBIG;
		for (size_t i = 0; i < n; i++)
			q[i] = (char)(fold > 0 ? toupper((unsigned char)s[i])
			                       : tolower((unsigned char)s[i]));
		q[n] = '\0';
		ev->str[f] = q;
		ev->present |= 1ULL << f;
		return CS_OK;
	}
	if ((p = event_batch_intern(b, s, n)) == NULL)
		return CS_E_TOOBIG;
	ev->str[f] = p;
	ev->present |= 1ULL << f;
	return CS_OK;
}

static enum cs_err
invalid(char why[EVENT_WHY_MAX], enum event_field f, const char *reason)
{
	snprintf(why, EVENT_WHY_MAX, "%s: %s", fields[f].name, reason);
	return CS_E_INVAL;
}

enum cs_err
event_set_text(struct event_batch *b, struct event *ev, enum event_field f,
               const char *s, size_t n, char why[EVENT_WHY_MAX])
{
	char tmp[CIDR_TEXT_MAX + 16], cwhy[CIDR_WHY_MAX];
	const char *reason = NULL;
	uint64_t u;
	int64_t t;

	if (n == 0)
		return invalid(why, f, "empty");
	if (n > EVENT_VALUE_MAX)
		return invalid(why, f, "value too long");
	if (memchr(s, '\0', n) != NULL)
		return invalid(why, f, "NUL byte");
	switch (fields[f].type) {
	case ET_TIME:
		if (!event_time_parse(s, n, &t))
			return invalid(why, f, "not a date and time");
		event_set_time(ev, f, t);
		return CS_OK;
	case ET_IP:
	case ET_NETWORK:
		if (n >= sizeof(tmp))
			return invalid(why, f, "not an IP address");
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (fields[f].type == ET_IP) {
			struct ip_addr *a =
			    f == EF_SOURCE_IP ? &ev->source_ip : &ev->dest_ip;

			if (!ip_parse(tmp, a))
				return invalid(why, f, "not an IP address");
		} else if (!cidr_parse(tmp, &ev->source_network, cwhy,
		                       sizeof(cwhy)) &&
		           strncmp(cwhy, "host bits", 9) != 0) {
			return invalid(why, f, cwhy);
		}
		ev->present |= 1ULL << f;
		return CS_OK;
	case ET_PORT:
		if (!parse_uint(s, n, 65535, &u))
			return invalid(why, f, "not a port (0-65535)");
		if (f == EF_SOURCE_PORT)
			ev->source_port = (uint16_t)u;
		else
			ev->dest_port = (uint16_t)u;
		ev->present |= 1ULL << f;
		return CS_OK;
	case ET_ASN:
		if (!parse_uint(s, n, UINT32_MAX, &u) || u == 0)
			return invalid(why, f,
			               "not an AS number (1-4294967295)");
		if (f == EF_SOURCE_ASN)
			ev->source_asn = (uint32_t)u;
		else
			ev->dest_asn = (uint32_t)u;
		ev->present |= 1ULL << f;
		return CS_OK;
	case ET_FQDN:
		if (n > 1 && s[n - 1] == '.')
			n--;
		if (!fqdn_ok(s, n, &reason))
			return invalid(why, f, reason);
		return set_string(b, ev, f, s, n, -1);
	case ET_URL:
		if (!url_ok(s, n))
			return invalid(why, f, "not a URL (scheme://host...)");
		return set_string(b, ev, f, s, n, 0);
	case ET_CC:
		if (n != 2 || !isalpha((unsigned char)s[0]) ||
		    !isalpha((unsigned char)s[1]))
			return invalid(why, f, "not a two-letter country code");
		return set_string(b, ev, f, s, n, 1);
	case ET_TAXONOMY:
	case ET_CLASSTYPE:
		if (!token_ok(s, n))
			return invalid(why, f,
			               "not a lower-case classification "
			               "name");
		return set_string(b, ev, f, s, n, 0);
	case ET_LOWER:
		return set_string(b, ev, f, s, n, -1);
	case ET_STRING:
		return set_string(b, ev, f, s, n, 0);
	}
	return invalid(why, f, "unknown type");
}

void
event_set_time(struct event *ev, enum event_field f, int64_t t)
{
	if (f == EF_TIME_SOURCE)
		ev->time_source = t;
	else
		ev->time_observation = t;
	ev->present |= 1ULL << f;
}

enum cs_err
event_set_extra(struct event *ev, const char *key, struct extra_value v)
{
	for (size_t i = 0; i < ev->n_extra; i++)
		if (ev->extra[i].key == key ||
		    strcmp(ev->extra[i].key, key) == 0) {
			ev->extra[i].v = v;
			return CS_OK;
		}
	if (ev->n_extra >= EVENT_EXTRA_MAX)
		return CS_E_TOOBIG;
	ev->extra[ev->n_extra].key = key;
	ev->extra[ev->n_extra++].v = v;
	return CS_OK;
}

const struct extra_value *
event_get_extra(const struct event *ev, const char *key)
{
	for (size_t i = 0; i < ev->n_extra; i++)
		if (strcmp(ev->extra[i].key, key) == 0)
			return &ev->extra[i].v;
	return NULL;
}

static json_t *
field_json(const struct event *ev, enum event_field f)
{
	char buf[CIDR_TEXT_MAX];

	switch (fields[f].type) {
	case ET_TIME:
		event_time_format(f == EF_TIME_SOURCE ? ev->time_source
		                                      : ev->time_observation,
		                  buf);
		return json_string(buf);
	case ET_IP:
		ip_format(f == EF_SOURCE_IP ? &ev->source_ip : &ev->dest_ip,
		          buf, sizeof(buf));
		return json_string(buf);
	case ET_NETWORK:
		cidr_format(&ev->source_network, buf, sizeof(buf));
		return json_string(buf);
	case ET_PORT:
		return json_integer(f == EF_SOURCE_PORT ? ev->source_port
		                                        : ev->dest_port);
	case ET_ASN:
		return json_integer(f == EF_SOURCE_ASN ? ev->source_asn
		                                       : ev->dest_asn);
	default:
		return json_string(ev->str[f]);
	}
}

json_t *
event_to_json(const struct event *ev)
{
	json_t *o = json_object(), *v;
	char key[EVENT_VALUE_MAX];

	if (o == NULL)
		return NULL;
	for (int f = 0; f < EF_COUNT; f++) {
		if (!event_has(ev, (enum event_field)f))
			continue;
		if ((v = field_json(ev, (enum event_field)f)) == NULL ||
		    json_object_set_new(o, fields[f].name, v) != 0)
			goto fail;
	}
	for (size_t i = 0; i < ev->n_extra; i++) {
		const struct extra_value *x = &ev->extra[i].v;

		snprintf(key, sizeof(key), "extra.%s", ev->extra[i].key);
		switch (x->kind) {
		case XV_STRING:
			v = json_string(x->u.s);
			break;
		case XV_INT:
			v = json_integer(x->u.i);
			break;
		case XV_FLOAT:
			v = json_real(x->u.f);
			break;
		default:
			v = json_boolean(x->u.b);
			break;
		}
		if (v == NULL || json_object_set_new(o, key, v) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "__type", json_string("Event")) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/*
 * event_to_text writes the line itself: it is the pipeline's hot path (every
 * stored event), where building a jansson object costs more than parsing
 * the record. The output is byte for byte what json_dumpb(event_to_json(),
 * JSON_COMPACT | JSON_PRESERVE_ORDER) gives (test_event checks it): keys in
 * event_to_json's order, jansson's escapes (\uXXXX in upper case for other
 * control characters, '/' and UTF-8 as they are) and its reals (%.17g, ".0"
 * added to an integral value, no '+' or leading zeros in the exponent).
 */
struct textbuf {
	char *p;
	size_t n, cap;
	bool full;
};

static void
tb_put(struct textbuf *t, const char *s, size_t n)
{
	if (t->full || t->cap - t->n < n + 1) {
		t->full = true;
		return;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
}

/* The escape of c, which needs one, into esc; its length. */
static size_t
esc_of(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789ABCDEF";

	esc[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		esc[1] = (char)c;
		return 2;
	case '\b':
		esc[1] = 'b';
		return 2;
	case '\f':
		esc[1] = 'f';
		return 2;
	case '\n':
		esc[1] = 'n';
		return 2;
	case '\r':
		esc[1] = 'r';
		return 2;
	case '\t':
		esc[1] = 't';
		return 2;
	default:
		memcpy(esc + 1, "u00", 3);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
}

static bool
needs_esc(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* Whether none of the 8 bytes of w needs an escape (a control character,
 * '"' or '\\'): the "has a byte less than n" and "has a zero byte" word
 * tests, which are exact for the word as a whole. */
static bool
word_is_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	uint64_t t =
	    ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b);

	return (t & high) == 0;
}

/* s's content escaped, without quotes: eight bytes at a time, since
 * escapes are rare and this runs over every string of every event */
static void
tb_esc(struct textbuf *t, const char *s)
{
	size_t n = strlen(s), run = 0, i = 0;
	char esc[6];

	while (i < n) {
		size_t end = i + 8;

		if (end <= n) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (word_is_plain(w)) {
				i = end;
				continue;
			}
		} else {
			end = n;
		}
		for (; i < end; i++) {
			if (!needs_esc((unsigned char)s[i]))
				continue;
			tb_put(t, s + run, i - run);
			run = i + 1;
			tb_put(t, esc, esc_of((unsigned char)s[i], esc));
		}
	}
	tb_put(t, s + run, n - run);
}

static void
tb_str(struct textbuf *t, const char *s)
{
	tb_put(t, "\"", 1);
	tb_esc(t, s);
	tb_put(t, "\"", 1);
}

static void
tb_int(struct textbuf *t, int64_t v)
{
	char b[24];
	size_t n = sizeof(b);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		b[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		b[--n] = '-';
	tb_put(t, b + n, sizeof(b) - n);
}

/* An IPv4 address as ip_format() writes it, without printf. */
static void
tb_ipv4(struct textbuf *t, const struct ip_addr *a)
{
	char b[17];
	size_t n = 0;

	b[n++] = '"';
	for (int i = 0; i < 4; i++) {
		unsigned v = a->b[i];

		if (i > 0)
			b[n++] = '.';
		if (v >= 100)
			b[n++] = (char)('0' + v / 100);
		if (v >= 10)
			b[n++] = (char)('0' + v / 10 % 10);
		b[n++] = (char)('0' + v % 10);
	}
	b[n++] = '"';
	tb_put(t, b, n);
}

static bool
tb_real(struct textbuf *t, double v)
{
	char b[40], *e;
	int n;

	if (!isfinite(v))
		return false;
	n = snprintf(b, sizeof(b) - 3, "%.17g", v);
	if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(b, 'e')) != NULL) {
		char *start = e + 1, *end = start + 1;

		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(b + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	tb_put(t, b, (size_t)n);
	return true;
}

static bool
tb_extra(struct textbuf *t, const struct extra_value *x)
{
	switch (x->kind) {
	case XV_STRING:
		tb_str(t, x->u.s);
		return true;
	case XV_INT:
		tb_int(t, x->u.i);
		return true;
	case XV_FLOAT:
		return tb_real(t, x->u.f);
	default:
		tb_put(t, x->u.b ? "true" : "false", x->u.b ? 4 : 5);
		return true;
	}
}

/* The typed field an extra key stands for (severity, product.*), when
 * that field is present: jansson would give the key once. */
static bool
extra_shadows_field(const struct event *ev, const char *key)
{
	if (key[0] != 's' && key[0] != 'p')
		return false;
	/* the typed fields named "extra.<key>" */
	for (int f = EF_SEVERITY; f <= EF_PRODUCT_VULNERABILITIES; f++)
		if (strcmp(fields[f].name + 6, key) == 0)
			return event_has(ev, (enum event_field)f);
	return false;
}

enum cs_err
event_to_text(const struct event *ev, char *out, size_t cap, size_t *len_out)
{
	struct textbuf t = {out, 0, cap, false};
	char buf[CIDR_TEXT_MAX];
	bool first = true;

	tb_put(&t, "{", 1);
	for (int i = 0; i < EF_COUNT; i++) {
		enum event_field f = (enum event_field)i;
		const struct extra_value *x = NULL;

		if (!event_has(ev, f))
			continue;
		if (!first)
			tb_put(&t, ",", 1);
		first = false;
		tb_str(&t, fields[f].name);
		tb_put(&t, ":", 1);
		if (f >= EF_SEVERITY &&
		    (x = event_get_extra(ev, fields[f].name + 6)) != NULL) {
			/* a later extra of the same name replaced the value
			 * where the key stands */
			if (!tb_extra(&t, x))
				return CS_E_INTERNAL;
			continue;
		}
		switch (fields[f].type) {
		case ET_TIME:
			event_time_format(f == EF_TIME_SOURCE
			                      ? ev->time_source
			                      : ev->time_observation,
			                  buf);
			tb_str(&t, buf);
			break;
		case ET_IP: {
			const struct ip_addr *a =
			    f == EF_SOURCE_IP ? &ev->source_ip : &ev->dest_ip;

			if (a->family == 4) {
				tb_ipv4(&t, a);
				break;
			}
			ip_format(a, buf, sizeof(buf));
			tb_str(&t, buf);
			break;
		}
		case ET_NETWORK:
			cidr_format(&ev->source_network, buf, sizeof(buf));
			tb_str(&t, buf);
			break;
		case ET_PORT:
			tb_int(&t, f == EF_SOURCE_PORT ? ev->source_port
			                               : ev->dest_port);
			break;
		case ET_ASN:
			tb_int(&t, f == EF_SOURCE_ASN ? ev->source_asn
			                              : ev->dest_asn);
			break;
		default:
			tb_str(&t, ev->str[f]);
		}
	}
	for (size_t i = 0; i < ev->n_extra; i++) {
		const struct extra *x = &ev->extra[i];

		if (extra_shadows_field(ev, x->key))
			continue;
		if (!first)
			tb_put(&t, ",", 1);
		first = false;
		tb_put(&t, "\"extra.", 7);
		tb_esc(&t, x->key);
		tb_put(&t, "\":", 2);
		if (!tb_extra(&t, &x->v))
			return CS_E_INTERNAL;
	}
	tb_put(&t, first ? "\"__type\":\"Event\"}" : ",\"__type\":\"Event\"}",
	       first ? 17 : 18);
	if (t.full)
		return CS_E_TOOBIG;
	out[t.n] = '\0';
	*len_out = t.n;
	return CS_OK;
}

static enum cs_err
extra_from_json(struct event_batch *b, struct event *ev, const char *key,
                json_t *v, char why[EVENT_WHY_MAX])
{
	struct extra_value x;
	const char *k;

	if (key[0] == '\0') {
		snprintf(why, EVENT_WHY_MAX, "extra.: empty key");
		return CS_E_INVAL;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		x.kind = XV_STRING;
		x.u.s = event_batch_intern(b, json_string_value(v),
		                           json_string_length(v));
		if (x.u.s == NULL)
			return CS_E_TOOBIG;
		break;
	case JSON_INTEGER:
		x.kind = XV_INT;
		x.u.i = json_integer_value(v);
		break;
	case JSON_REAL:
		x.kind = XV_FLOAT;
		x.u.f = json_real_value(v);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		x.kind = XV_BOOL;
		x.u.b = json_is_true(v);
		break;
	default:
		snprintf(why, EVENT_WHY_MAX,
		         "extra.%.60s: not a string, number or boolean", key);
		return CS_E_INVAL;
	}
	if ((k = event_batch_intern(b, key, strlen(key))) == NULL)
		return CS_E_TOOBIG;
	if (event_set_extra(ev, k, x) != CS_OK) {
		snprintf(why, EVENT_WHY_MAX, "more than %d extra fields",
		         EVENT_EXTRA_MAX);
		return CS_E_INVAL;
	}
	return CS_OK;
}

enum cs_err
event_from_json(struct event_batch *b, const char *text, size_t n,
                struct event **out, char why[EVENT_WHY_MAX])
{
	json_error_t jerr;
	json_t *o, *v;
	const char *key;
	struct event *ev;
	enum event_field f;
	enum cs_err err;
	char num[32];

	o = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		snprintf(why, EVENT_WHY_MAX, "not a JSON object: %.100s",
		         o == NULL ? jerr.text : "other JSON value");
		err = CS_E_INVAL;
		goto out;
	}
	v = json_object_get(o, "__type");
	if (!json_is_string(v) || strcmp(json_string_value(v), "Event") != 0) {
		snprintf(why, EVENT_WHY_MAX, "__type: not \"Event\"");
		err = CS_E_INVAL;
		goto out;
	}
	if ((err = event_new(b, &ev)) != CS_OK)
		goto out;
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "__type") == 0)
			continue;
		if (event_field_lookup(key, &f) &&
		    strcmp(fields[f].name, key) == 0 &&
		    !(strncmp(key, "extra.", 6) == 0 && !json_is_string(v))) {
			enum event_type t = fields[f].type;

			if (t == ET_PORT || t == ET_ASN) {
				if (!json_is_integer(v)) {
					err = invalid(why, f, "not an integer");
					goto out;
				}
				snprintf(num, sizeof(num), "%" PRId64,
				         (int64_t)json_integer_value(v));
				err = event_set_text(b, ev, f, num, strlen(num),
				                     why);
			} else if (!json_is_string(v)) {
				err = invalid(why, f, "not a string");
			} else {
				err = event_set_text(
				    b, ev, f, json_string_value(v),
				    json_string_length(v), why);
			}
			if (err == CS_OK &&
			    (t == ET_FQDN || t == ET_CC || t == ET_LOWER) &&
			    strcmp(ev->str[f], json_string_value(v)) != 0)
				err = invalid(why, f, "not in canonical form");
			if (err != CS_OK)
				goto out;
		} else if (strncmp(key, "extra.", 6) == 0) {
			if ((err = extra_from_json(b, ev, key + 6, v, why)) !=
			    CS_OK)
				goto out;
		} else {
			snprintf(why, EVENT_WHY_MAX,
			         "%.80s: field not supported by csirtd", key);
			err = CS_E_INVAL;
			goto out;
		}
	}
	*out = ev;
out:
	json_decref(o);
	return err;
}
