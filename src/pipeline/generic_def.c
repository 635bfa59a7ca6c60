/*
 * generic_def.c - loading and validating a feed definition, and the time
 * formats it can declare.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "pipeline/generic_internal.h"

/* ---- time ------------------------------------------------------------ */

static int64_t
civil_days(int64_t y, int m, int d)
{
	/* days since 1970-01-01 of a proleptic Gregorian date */
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
in_range(int64_t t)
{
	return t >= EVENT_TIME_MIN && t <= EVENT_TIME_MAX;
}

/* [-]digits[.digits]; the fraction is dropped (rounding towards minus
 * infinity). scale 1000: the digits are milliseconds. */
static bool
parse_epoch(const char *s, size_t n, int64_t scale, bool frac_ok, int64_t *out)
{
	size_t i = 0, d0;
	bool neg = false, frac = false;
	int64_t v = 0;

	if (i < n && s[i] == '-')
		neg = true, i++;
	d0 = i;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (v > 999999999999999LL) /* far beyond the event range */
			return false;
		v = v * 10 + (s[i++] - '0');
	}
	if (i == d0)
		return false;
	if (frac_ok && i < n && s[i] == '.') {
		size_t f0 = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (s[i] != '0')
				frac = true;
			i++;
		}
		if (i == f0)
			return false;
	}
	if (i != n)
		return false;
	if (neg) {
		v = -v;
		if (frac && scale == 1)
			v--;
	}
	if (scale > 1)
		v = v >= 0 ? v / scale : -((-v + scale - 1) / scale);
	*out = v;
	return in_range(v);
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* 1..max digits (exactly max when exact); returns false if none */
static bool
take_num(const char *s, size_t n, size_t *i, size_t max, bool exact, int *v)
{
	size_t k = 0;

	*v = 0;
	while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++, k++;
	}
	return k > 0 && (!exact || k == max);
}

static bool
take_zone(const char *s, size_t n, size_t *i, int *off)
{
	int oh, om;
	int sign;

	if (*i < n && s[*i] == 'Z') {
		(*i)++;
		*off = 0;
		return true;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	if (!take_num(s, n, i, 2, true, &oh))
		return false;
	if (*i < n && s[*i] == ':')
		(*i)++;
	if (!take_num(s, n, i, 2, true, &om) || oh > 23 || om > 59)
		return false;
	*off = sign * (oh * 3600 + om * 60);
	return true;
}

static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* The strptime-style subset: see gen_time_pattern_ok(). */
static bool
parse_pattern(const char *pat, const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y = -1, mo = 1, d = 1, h = 0, mi = 0, se = 0, off = 0, v;
	size_t i = 0;
	int64_t epoch = 0;
	bool have_epoch = false;

	for (const char *p = pat; *p != '\0'; p++) {
		if (*p != '%') {
			if (i >= n || s[i] != *p)
				return false;
			i++;
			continue;
		}
		switch (*++p) {
		case 'Y':
			if (!take_num(s, n, &i, 4, true, &y))
				return false;
			break;
		case 'm':
			if (!take_num(s, n, &i, 2, false, &mo))
				return false;
			break;
		case 'd':
			if (!take_num(s, n, &i, 2, false, &d))
				return false;
			break;
		case 'H':
			if (!take_num(s, n, &i, 2, false, &h))
				return false;
			break;
		case 'M':
			if (!take_num(s, n, &i, 2, false, &mi))
				return false;
			break;
		case 'S':
			if (!take_num(s, n, &i, 2, false, &se))
				return false;
			break;
		case 'f':
			if (!take_num(s, n, &i, 9, false, &v))
				return false;
			break;
		case 'b':
			if (n - i < 3)
				return false;
			for (mo = 0; mo < 12; mo++)
				if (strncasecmp(months + 3 * mo, s + i, 3) == 0)
					break;
			if (mo == 12)
				return false;
			mo++;
			i += 3;
			break;
		case 'z':
			if (!take_zone(s, n, &i, &off))
				return false;
			break;
		case 'Z':
			if (n - i >= 3 && (memcmp(s + i, "UTC", 3) == 0 ||
			                   memcmp(s + i, "GMT", 3) == 0))
				i += 3;
			else if (i < n && s[i] == 'Z')
				i++;
			else
				return false;
			break;
		case 's': {
			size_t j = i;

			if (j < n && s[j] == '-')
				j++;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			if (!parse_epoch(s + i, j - i, 1, false, &epoch))
				return false;
			have_epoch = true;
			i = j;
			break;
		}
		case '%':
			if (i >= n || s[i] != '%')
				return false;
			i++;
			break;
		default:
			return false; /* refused at load */
		}
	}
	if (i != n)
		return false;
	if (have_epoch) {
		*out = epoch;
		return true;
	}
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 60)
		return false;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	*out = civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return in_range(*out);
}

bool
gen_time_pattern_ok(const char *pat, char why[GEN_WHY_MAX])
{
	bool year = false, epoch = false;

	for (const char *p = pat; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0' || strchr("YmdHMSfbzZs%", *p) == NULL) {
			snprintf(why, GEN_WHY_MAX,
			         "time_format: unsupported directive %%%c "
			         "(use %%Y %%m %%d %%H %%M %%S %%f %%b %%z %%Z "
			         "%%s %%%%)",
			         *p == '\0' ? ' ' : *p);
			return false;
		}
		year |= *p == 'Y';
		epoch |= *p == 's';
	}
	if (!year && !epoch) {
		snprintf(why, GEN_WHY_MAX, "time_format: needs %%Y or %%s");
		return false;
	}
	return true;
}

bool
gen_time_parse(const struct feed_def *d, const char *s, size_t n, int64_t *out)
{
	switch (d->time_kind) {
	case GTF_AUTO:
		if (event_time_parse(s, n, out))
			return true;
		if (!all_digits(s, n) || n > 14)
			return false;
		return parse_epoch(s, n, n <= 11 ? 1 : 1000, false, out);
	case GTF_EPOCH:
		return parse_epoch(s, n, 1, true, out);
	case GTF_EPOCH_MS:
		return parse_epoch(s, n, 1000, false, out);
	case GTF_PATTERN:
		return parse_pattern(d->time_pattern, s, n, out);
	}
	return false;
}

/* ---- loading ---------------------------------------------------------- */

struct loader {
	struct feed_def *d;
	char *why;
	struct event_batch *scratch; /* validates constants */
};

static enum cs_err __attribute__((format(printf, 2, 3)))
fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, GEN_WHY_MAX, fmt, ap);
	va_end(ap);
	return CS_E_INVAL;
}

static enum cs_err
oom(struct loader *l)
{
	snprintf(l->why, GEN_WHY_MAX, "definition too large");
	return CS_E_TOOBIG;
}

/* An optional string member; *out stays as it is when absent. */
static enum cs_err
get_str(struct loader *l, json_t *o, const char *key, const char **out,
        size_t max)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return CS_OK;
	if (!json_is_string(v))
		return fail(l, "%s: not a string", key);
	if (json_string_length(v) > max)
		return fail(l, "%s: longer than %zu bytes", key, max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(l, "%s: NUL byte", key);
	if ((*out = arena_strdup(l->d->arena, json_string_value(v))) == NULL)
		return oom(l);
	return CS_OK;
}

/* Splits a JSON pointer ("/a/b~1c") into unescaped segments. */
static enum cs_err
split_pointer(struct loader *l, const char *what, const char *ptr,
              const char ***seg_out, size_t *n_out)
{
	const char **seg;
	size_t n = 0;

	for (const char *p = ptr; *p != '\0'; p++)
		n += *p == '/';
	if (n > GEN_MAX_DEPTH)
		return fail(l, "%s: JSON pointer deeper than %d", what,
		            GEN_MAX_DEPTH);
	if ((seg = arena_alloc(l->d->arena, (n + 1) * sizeof(*seg))) == NULL)
		return oom(l);
	n = 0;
	for (const char *p = ptr; *p == '/';) {
		const char *e = strchr(p + 1, '/');
		size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1), k = 0;
		char *s = arena_alloc(l->d->arena, len + 1);

		if (s == NULL)
			return oom(l);
		for (size_t i = 0; i < len; i++) {
			char c = p[1 + i];

			if (c == '~') {
				char nx = i + 1 < len ? p[2 + i] : '\0';

				if (nx != '0' && nx != '1')
					return fail(l,
					            "%s: bad escape in JSON "
					            "pointer %.80s",
					            what, ptr);
				c = nx == '0' ? '~' : '/';
				i++;
			}
			s[k++] = c;
		}
		s[k] = '\0';
		seg[n++] = s;
		if (e == NULL)
			break;
		p = e;
	}
	*seg_out = seg;
	*n_out = n;
	return CS_OK;
}

/* A target name: an event field, extra.<name>, or JSON null (ignore). */
static enum cs_err
parse_target(struct loader *l, const char *what, json_t *v, enum gen_target *t,
             enum event_field *f, const char **xk)
{
	const char *s;

	if (json_is_null(v)) {
		*t = GT_IGNORE;
		return CS_OK;
	}
	if (!json_is_string(v))
		return fail(l, "%s: target is not a string or null", what);
	s = json_string_value(v);
	if (event_field_lookup(s, f) && strncmp(s, "extra.", 6) != 0) {
		if (*f == EF_TIME_OBSERVATION || *f == EF_FEED_NAME ||
		    *f == EF_FEED_PROVIDER || *f == EF_FEED_DOCUMENTATION)
			return fail(l,
			            "%s: %s is set by the parser, not mapped",
			            what, s);
		*t = GT_FIELD;
		return CS_OK;
	}
	if (event_field_lookup(s, f)) { /* extra.severity, extra.product.* */
		*t = GT_FIELD;
		return CS_OK;
	}
	if (strncmp(s, "extra.", 6) == 0 && s[6] != '\0' &&
	    strlen(s) <= GEN_MAX_KEY && strlen(s) == json_string_length(v)) {
		*t = GT_EXTRA;
		if ((*xk = arena_strdup(l->d->arena, s + 6)) == NULL)
			return oom(l);
		return CS_OK;
	}
	return fail(l,
	            "%s: unknown target \"%.60s\" (an event field or extra.*)",
	            what, s);
}

static bool
is_position(const char *s, size_t *pos)
{
	size_t v = 0;

	if (!all_digits(s, strlen(s)) || s[0] == '0' || strlen(s) > 4)
		return false;
	for (; *s; s++)
		v = v * 10 + (size_t)(*s - '0');
	if (v > GEN_MAX_COLUMNS)
		return false;
	*pos = v - 1;
	return true;
}

static enum cs_err
add_map(struct loader *l, const char *key, json_t *target, size_t pos)
{
	struct feed_def *d = l->d;
	struct gen_map *m = &d->maps[d->n_maps];
	char what[GEN_MAX_KEY + 16];
	enum cs_err err;

	snprintf(what, sizeof(what), "fields: \"%s\"", key);
	memset(m, 0, sizeof(*m));
	m->pos = pos;
	if ((m->key = arena_strdup(d->arena, key)) == NULL)
		return oom(l);
	m->label = m->key;
	if ((err = parse_target(l, what, target, &m->target, &m->field,
	                        &m->extra_key)) != CS_OK)
		return err;
	if (d->format != GF_CSV && key[0] == '/') {
		char *lab;

		if ((err = split_pointer(l, what, key, &m->seg, &m->nseg)) !=
		    CS_OK)
			return err;
		if (m->nseg == 0)
			return fail(l, "%s: empty JSON pointer", what);
		/* the dotted form names the value in extra */
		if ((lab = arena_strdup(d->arena, key + 1)) == NULL)
			return oom(l);
		for (char *p = lab; *p; p++)
			if (*p == '/')
				*p = '.';
		m->label = lab;
	} else if (d->format == GF_CSV && !d->header) {
		m->label = arena_printf(d->arena, "column_%zu", pos + 1);
		if (m->label == NULL)
			return oom(l);
	}
	for (size_t i = 0; i < d->n_maps; i++) {
		const struct gen_map *o = &d->maps[i];

		if (m->target == GT_IGNORE || o->target != m->target)
			continue;
		if ((m->target == GT_FIELD && o->field == m->field) ||
		    (m->target == GT_EXTRA &&
		     strcmp(o->extra_key, m->extra_key) == 0))
			return fail(l, "%s: target also mapped from \"%.60s\"",
			            what, o->key);
	}
	d->n_maps++;
	return CS_OK;
}

static enum cs_err
load_fields(struct loader *l, json_t *f)
{
	struct feed_def *d = l->d;
	const char *key;
	json_t *v;
	size_t n;
	enum cs_err err;

	if (json_is_array(f))
		n = json_array_size(f);
	else if (json_is_object(f))
		n = json_object_size(f);
	else
		return fail(l, "fields: missing, or not an object or array");
	if (n == 0)
		return fail(l, "fields: empty");
	if (n > GEN_MAX_MAPS)
		return fail(l, "fields: more than %d entries", GEN_MAX_MAPS);
	if (json_is_array(f) && (d->format != GF_CSV || d->header))
		return fail(l, "fields: an array (by position) needs a CSV "
		               "without a header");
	d->maps = arena_alloc(d->arena, n * sizeof(*d->maps));
	if (d->maps == NULL)
		return oom(l);
	if (json_is_array(f)) {
		for (size_t i = 0; i < n; i++) {
			char k[16];

			snprintf(k, sizeof(k), "%zu", i + 1);
			if ((err = add_map(l, k, json_array_get(f, i), i)) !=
			    CS_OK)
				return err;
		}
		return CS_OK;
	}
	json_object_foreach(f, key, v)
	{
		size_t pos = 0;

		if (key[0] == '\0' || strlen(key) > GEN_MAX_KEY)
			return fail(l,
			            "fields: a key is empty or longer than "
			            "%d bytes",
			            GEN_MAX_KEY);
		if (d->format == GF_CSV && !d->header &&
		    !is_position(key, &pos))
			return fail(l,
			            "fields: \"%.60s\": without a header, keys "
			            "are column numbers 1..%d",
			            key, GEN_MAX_COLUMNS);
		if ((err = add_map(l, key, v, pos)) != CS_OK)
			return err;
	}
	return CS_OK;
}

static enum cs_err
load_constants(struct loader *l, json_t *c)
{
	struct feed_def *d = l->d;
	const char *key;
	json_t *v;
	size_t i = 0;
	enum cs_err err;

	if (c == NULL)
		return CS_OK;
	if (!json_is_object(c))
		return fail(l, "constants: not an object");
	if (json_object_size(c) > GEN_MAX_MAPS)
		return fail(l, "constants: more than %d entries", GEN_MAX_MAPS);
	d->consts = arena_alloc(d->arena,
	                        (json_object_size(c) + 1) * sizeof(*d->consts));
	if (d->consts == NULL)
		return oom(l);
	json_object_foreach(c, key, v)
	{
		struct gen_const *k = &d->consts[i];
		char what[GEN_MAX_KEY + 16], ewhy[EVENT_WHY_MAX];
		json_t *name = json_string(key);
		struct event *ev;

		snprintf(what, sizeof(what), "constants: \"%.200s\"", key);
		if (name == NULL)
			return fail(l, "%s: invalid key", what);
		err = parse_target(l, what, name, &k->target, &k->field,
		                   &k->extra_key);
		json_decref(name);
		if (err != CS_OK)
			return err;
		if (!json_is_string(v) || json_string_length(v) == 0)
			return fail(l, "%s: not a non-empty string", what);
		if ((k->value = arena_strdup(d->arena, json_string_value(v))) ==
		    NULL)
			return oom(l);
		for (size_t j = 0; j < d->n_maps; j++)
			if (d->maps[j].target == k->target &&
			    ((k->target == GT_FIELD &&
			      d->maps[j].field == k->field) ||
			     (k->target == GT_EXTRA &&
			      strcmp(d->maps[j].extra_key, k->extra_key) == 0)))
				return fail(l, "%s: also mapped from fields",
				            what);
		if (k->target == GT_FIELD) {
			event_batch_reset(l->scratch);
			if (event_new(l->scratch, &ev) != CS_OK)
				return oom(l);
			if (event_set_text(l->scratch, ev, k->field, k->value,
			                   json_string_length(v),
			                   ewhy) != CS_OK)
				return fail(l, "%s: %s", what, ewhy);
		}
		d->n_consts = ++i;
	}
	return CS_OK;
}

static enum cs_err
load_required(struct loader *l, json_t *r)
{
	struct feed_def *d = l->d;
	json_t *v;
	size_t i;

	if (r == NULL)
		return CS_OK;
	if (!json_is_array(r))
		return fail(l, "required: not an array");
	json_array_foreach(r, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		enum event_field f = EF_COUNT;
		bool found = false, field = event_field_lookup(s, &f);

		for (size_t j = 0; j < d->n_maps; j++) {
			struct gen_map *m = &d->maps[j];

			if ((field && m->target == GT_FIELD && m->field == f) ||
			    (!field && m->target == GT_EXTRA &&
			     strncmp(s, "extra.", 6) == 0 &&
			     strcmp(m->extra_key, s + 6) == 0))
				m->required = found = true;
		}
		if (!found)
			return fail(l,
			            "required: \"%.60s\" is not a target in "
			            "fields",
			            s);
	}
	return CS_OK;
}

static enum cs_err
load_csv(struct loader *l, json_t *c)
{
	struct feed_def *d = l->d;
	const char *delim = ",", *quote = "\"", *comment = NULL;
	json_t *v;
	const char *key;
	enum cs_err err;

	d->header = true;
	if (c == NULL)
		goto done;
	if (!json_is_object(c))
		return fail(l, "csv: not an object");
	json_object_foreach(c, key, v)
	{
		if (strcmp(key, "delimiter") != 0 &&
		    strcmp(key, "quote") != 0 && strcmp(key, "comment") != 0 &&
		    strcmp(key, "header") != 0 &&
		    strcmp(key, "skip_lines") != 0)
			return fail(l, "csv: unknown option \"%.60s\"", key);
	}
	if ((err = get_str(l, c, "delimiter", &delim, 1)) != CS_OK ||
	    (err = get_str(l, c, "quote", &quote, 1)) != CS_OK ||
	    (err = get_str(l, c, "comment", &comment, 8)) != CS_OK)
		return err;
	if ((v = json_object_get(c, "header")) != NULL) {
		if (!json_is_boolean(v))
			return fail(l, "csv: header: not true or false");
		d->header = json_is_true(v);
	}
	if ((v = json_object_get(c, "skip_lines")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000000)
			return fail(l, "csv: skip_lines: not an integer "
			               "0..1000000");
		d->skip_lines = (size_t)json_integer_value(v);
	}
done:
	if (strlen(delim) != 1 || strchr("\r\n", delim[0]))
		return fail(l, "csv: delimiter: one character, not a newline");
	if (strlen(quote) != 1 || strchr("\r\n", quote[0]) ||
	    quote[0] == delim[0])
		return fail(l, "csv: quote: one character, not a newline or "
		               "the delimiter");
	if (comment != NULL &&
	    (comment[0] == '\0' || strpbrk(comment, "\r\n") != NULL))
		return fail(l, "csv: comment: 1 to 8 characters, no newline");
	d->delim = delim[0];
	d->quote = quote[0];
	d->comment = comment;
	d->comment_len = comment ? strlen(comment) : 0;
	return CS_OK;
}

static enum cs_err
check_keys(struct loader *l, json_t *o)
{
	static const char *const known[] = {
	    "name",     "provider", "documentation", "description",
	    "format",   "csv",      "fields",        "constants",
	    "required", "unmapped", "time_format",   "records",
	    "max_bytes"};
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return fail(l, "unknown key \"%.60s\"", key);
	}
	return CS_OK;
}

static enum cs_err
load(struct loader *l, json_t *o)
{
	struct feed_def *d = l->d;
	const char *fmt = NULL, *un = NULL, *tf = "auto", *rec = NULL,
	           *desc = NULL;
	json_t *v;
	enum cs_err err;

	if (!json_is_object(o))
		return fail(l, "the definition is not a JSON object");
	if ((err = check_keys(l, o)) != CS_OK ||
	    (err = get_str(l, o, "name", &d->name, 200)) != CS_OK ||
	    (err = get_str(l, o, "provider", &d->provider, 200)) != CS_OK ||
	    (err = get_str(l, o, "documentation", &d->documentation, 2000)) !=
	        CS_OK ||
	    (err = get_str(l, o, "description", &desc, 4000)) != CS_OK ||
	    (err = get_str(l, o, "format", &fmt, 10)) != CS_OK ||
	    (err = get_str(l, o, "unmapped", &un, 10)) != CS_OK ||
	    (err = get_str(l, o, "time_format", &tf, 100)) != CS_OK ||
	    (err = get_str(l, o, "records", &rec, GEN_MAX_KEY)) != CS_OK)
		return err;
	if (d->name == NULL || d->name[0] == '\0')
		return fail(l, "name: missing or empty");
	if (d->provider == NULL || d->provider[0] == '\0')
		return fail(l, "provider: missing or empty");
	if (d->documentation != NULL && d->documentation[0] == '\0')
		d->documentation = NULL;
	if (fmt == NULL)
		return fail(l, "format: missing (csv, jsonl or json)");
	if (strcmp(fmt, "csv") == 0)
		d->format = GF_CSV;
	else if (strcmp(fmt, "jsonl") == 0)
		d->format = GF_JSONL;
	else if (strcmp(fmt, "json") == 0)
		d->format = GF_JSON;
	else
		return fail(l, "format: \"%.20s\" is not csv, jsonl or json",
		            fmt);
	if (d->format != GF_CSV && json_object_get(o, "csv") != NULL)
		return fail(l, "csv: only for format csv");
	if (d->format != GF_JSON &&
	    (rec != NULL || json_object_get(o, "max_bytes") != NULL))
		return fail(l, "records, max_bytes: only for format json");
	if (d->format == GF_CSV &&
	    (err = load_csv(l, json_object_get(o, "csv"))) != CS_OK)
		return err;
	d->max_bytes = GEN_DEFAULT_DOC;
	if ((v = json_object_get(o, "max_bytes")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > GEN_MAX_DOC)
			return fail(l, "max_bytes: not an integer 1..%d",
			            GEN_MAX_DOC);
		d->max_bytes = (size_t)json_integer_value(v);
	}
	d->rec_text = rec;
	if (rec != NULL && rec[0] == '/') {
		if ((err = split_pointer(l, "records", rec, &d->rec_seg,
		                         &d->rec_nseg)) != CS_OK)
			return err;
	} else if (rec != NULL) {
		if (rec[0] == '\0')
			return fail(l, "records: empty");
		if ((d->rec_seg = arena_alloc(d->arena, sizeof(char *))) ==
		    NULL)
			return oom(l);
		d->rec_seg[0] = rec;
		d->rec_nseg = 1;
	}
	if (un == NULL || strcmp(un, "extra") == 0)
		d->unmapped_ignore = false;
	else if (strcmp(un, "ignore") == 0)
		d->unmapped_ignore = true;
	else
		return fail(l, "unmapped: \"%.20s\" is not extra or ignore",
		            un);
	if (strcmp(tf, "auto") == 0) {
		d->time_kind = GTF_AUTO;
	} else if (strcmp(tf, "epoch") == 0) {
		d->time_kind = GTF_EPOCH;
	} else if (strcmp(tf, "epoch_ms") == 0) {
		d->time_kind = GTF_EPOCH_MS;
	} else if (strchr(tf, '%') != NULL) {
		if (!gen_time_pattern_ok(tf, l->why))
			return CS_E_INVAL;
		d->time_kind = GTF_PATTERN;
		d->time_pattern = tf;
	} else {
		return fail(l,
		            "time_format: \"%.40s\" is not auto, epoch, "
		            "epoch_ms or a %%-pattern",
		            tf);
	}
	if ((err = load_fields(l, json_object_get(o, "fields"))) != CS_OK ||
	    (err = load_constants(l, json_object_get(o, "constants"))) !=
	        CS_OK ||
	    (err = load_required(l, json_object_get(o, "required"))) != CS_OK)
		return err;
	return CS_OK;
}

enum cs_err
feed_def_load_text(const char *json, size_t n, struct feed_def **out,
                   char why[GEN_WHY_MAX])
{
	struct loader l = {NULL, why, NULL};
	json_error_t jerr;
	json_t *o = NULL;
	enum cs_err err;

	why[0] = '\0';
	*out = NULL;
	if (n > GEN_DEF_MAX) {
		snprintf(why, GEN_WHY_MAX, "definition longer than %d bytes",
		         GEN_DEF_MAX);
		return CS_E_TOOBIG;
	}
	if ((l.d = calloc(1, sizeof(*l.d))) == NULL)
		abort();
	l.d->arena = arena_new(4 * GEN_DEF_MAX + 64 * 1024);
	l.scratch = event_batch_new(1024 * 1024);
	o = json_loadb(json, n, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		snprintf(why, GEN_WHY_MAX, "not JSON: line %d: %s", jerr.line,
		         jerr.text);
		err = CS_E_INVAL;
		goto out;
	}
	err = load(&l, o);
out:
	json_decref(o);
	event_batch_free(l.scratch);
	if (err != CS_OK)
		feed_def_free(l.d);
	else
		*out = l.d;
	return err;
}

enum cs_err
feed_def_load(const char *path, struct feed_def **out, char why[GEN_WHY_MAX])
{
	char *buf = malloc(GEN_DEF_MAX + 1);
	size_t n = 0;
	ssize_t got = 0;
	enum cs_err err;
	int fd;

	if (buf == NULL)
		abort();
	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, GEN_WHY_MAX, "%.120s: %s", path, strerror(errno));
		err = CS_E_IO;
		goto out;
	}
	while (n <= GEN_DEF_MAX) {
		got = read(fd, buf + n, GEN_DEF_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (got < 0) {
		snprintf(why, GEN_WHY_MAX, "%.120s: %s", path, strerror(errno));
		err = CS_E_IO;
	} else {
		err = feed_def_load_text(buf, n, out, why);
	}
	close(fd);
out:
	free(buf);
	return err;
}

void
feed_def_free(struct feed_def *d)
{
	if (d == NULL)
		return;
	arena_free(d->arena);
	free(d);
}

const char *
feed_def_name(const struct feed_def *d)
{
	return d->name;
}

const char *
feed_def_provider(const struct feed_def *d)
{
	return d->provider;
}

const char *
feed_def_format(const struct feed_def *d)
{
	static const char *const names[] = {"csv", "jsonl", "json"};

	return names[d->format];
}
