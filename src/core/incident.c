#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/incident.h"
#include "core/text.h"

static const char *const tlp_names[] = {"CLEAR", "GREEN", "AMBER",
                                        "AMBER+STRICT", "RED"};
static const char *const pap_names[] = {"CLEAR", "GREEN", "AMBER", "RED"};
static const char *const level_names[] = {"critical", "high", "medium", "low"};
static const char *const status_names[] = {"new", "open", "stalled", "resolved",
                                           "closed"};
static const char *const resolution_names[] = {
    "",          "fixed",        "mitigated",  "false-positive",
    "duplicate", "out-of-scope", "no-response"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool
find(const char *const *names, size_t n, const char *s, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] != '\0' && strcasecmp(names[i], s) == 0) {
			*out = (int)i;
			return true;
		}
	return false;
}

const char *
tlp_name(enum tlp t)
{
	return tlp_names[t];
}

bool
tlp_parse(const char *s, enum tlp *out)
{
	int i;

	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	if (strcasecmp(s, "WHITE") == 0) {
		*out = TLP_CLEAR;
		return true;
	}
	if (!find(tlp_names, N(tlp_names), s, &i))
		return false;
	*out = (enum tlp)i;
	return true;
}

const char *
pap_name(enum pap p)
{
	return pap_names[p];
}

bool
pap_parse(const char *s, enum pap *out)
{
	int i;

	if (strncasecmp(s, "PAP:", 4) == 0)
		s += 4;
	if (strcasecmp(s, "WHITE") == 0) {
		*out = PAP_CLEAR;
		return true;
	}
	if (!find(pap_names, N(pap_names), s, &i))
		return false;
	*out = (enum pap)i;
	return true;
}

const char *
level_name(enum level l)
{
	return level_names[l];
}

bool
level_parse(const char *s, enum level *out)
{
	int i;

	if (!find(level_names, N(level_names), s, &i))
		return false;
	*out = (enum level)i;
	return true;
}

const char *
status_name(enum status s)
{
	return status_names[s];
}

bool
status_parse(const char *s, enum status *out)
{
	int i;

	if (!find(status_names, N(status_names), s, &i))
		return false;
	*out = (enum status)i;
	return true;
}

const char *
resolution_name(enum resolution r)
{
	return resolution_names[r];
}

bool
resolution_parse(const char *s, enum resolution *out)
{
	int i;

	if (!find(resolution_names, N(resolution_names), s, &i))
		return false;
	*out = (enum resolution)i;
	return true;
}

void
priority_matrix_default(struct priority_matrix *m)
{
	static const unsigned char def[4][4] = {
	    {1, 1, 2, 2}, /* critical impact */
	    {1, 2, 2, 3}, /* high */
	    {2, 2, 3, 4}, /* medium */
	    {2, 3, 4, 4}, /* low */
	};

	memcpy(m->p, def, sizeof(def));
}

bool
priority_matrix_parse(const char *s, struct priority_matrix *out)
{
	struct priority_matrix m;

	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 4; j++) {
			if (*s < '1' || *s > '4')
				return false;
			m.p[i][j] = (unsigned char)(*s++ - '0');
		}
		if (i < 3 && *s++ != ',')
			return false;
	}
	if (*s != '\0')
		return false;
	*out = m;
	return true;
}

int
priority_of(const struct priority_matrix *m, enum level impact,
            enum level urgency)
{
	return m->p[impact][urgency];
}

void
sla_policy_default(struct sla_policy *s)
{
	static const int64_t response[] = {3600, 4 * 3600, 24 * 3600,
	                                   3 * 86400};
	static const int64_t resolve[] = {86400, 3 * 86400, 7 * 86400,
	                                  30 * 86400};

	memcpy(s->response, response, sizeof(response));
	memcpy(s->resolve, resolve, sizeof(resolve));
}

bool
sla_policy_parse(const char *text, struct sla_policy *out)
{
	struct sla_policy s;
	char buf[128], *p = buf;

	if (strlen(text) >= sizeof(buf))
		return false;
	memcpy(buf, text, strlen(text) + 1);
	for (int i = 0; i < PRIORITY_LEVELS; i++) {
		char *end = strchr(p, i < PRIORITY_LEVELS - 1 ? ',' : '\0');
		char *slash;

		if (end == NULL)
			return false;
		*end = '\0';
		while (*p == ' ')
			p++;
		if ((slash = strchr(p, '/')) == NULL)
			return false;
		*slash = '\0';
		if (!duration_parse(p, &s.response[i]) ||
		    !duration_parse(slash + 1, &s.resolve[i]) ||
		    s.response[i] <= 0 || s.response[i] > s.resolve[i])
			return false;
		p = end + 1;
	}
	*out = s;
	return true;
}

/* allowed[from] is a bit set of targets */
static const unsigned char allowed[STATUS_N] = {
    [STATUS_NEW] = 1u << STATUS_OPEN | 1u << STATUS_RESOLVED,
    [STATUS_OPEN] = 1u << STATUS_STALLED | 1u << STATUS_RESOLVED,
    [STATUS_STALLED] = 1u << STATUS_OPEN | 1u << STATUS_RESOLVED,
    [STATUS_RESOLVED] = 1u << STATUS_CLOSED | 1u << STATUS_OPEN,
    [STATUS_CLOSED] = 1u << STATUS_OPEN,
};

bool
status_transition_ok(enum status from, enum status to)
{
	return (allowed[from] >> to) & 1u;
}

void
status_allowed(enum status s, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (int t = 0; t < STATUS_N; t++) {
		if (!((allowed[s] >> t) & 1u))
			continue;
		len +=
		    (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s",
		                     len ? ", " : "", status_names[t]);
	}
}

bool
status_is_active(enum status s)
{
	return s == STATUS_NEW || s == STATUS_OPEN || s == STATUS_STALLED;
}

void
incident_ref_format(const char *code, int year, int64_t seq, char *out,
                    size_t n)
{
	snprintf(out, n, "%s-%04d-%06lld", code, year, (long long)seq);
}

bool
incident_ref_valid(const char *ref)
{
	const char *d1 = strchr(ref, '-'), *d2;
	size_t code = d1 ? (size_t)(d1 - ref) : 0;

	if (code < 2 || code > 16)
		return false;
	for (size_t i = 0; i < code; i++)
		if (!((ref[i] >= 'A' && ref[i] <= 'Z') ||
		      (ref[i] >= '0' && ref[i] <= '9')))
			return false;
	d2 = strchr(d1 + 1, '-');
	if (d2 == NULL || d2 - d1 != 5 || strspn(d1 + 1, "0123456789") != 4)
		return false;
	return strlen(d2 + 1) >= 6 && strlen(d2 + 1) <= 12 &&
	       strspn(d2 + 1, "0123456789") == strlen(d2 + 1);
}

bool
attack_technique_valid(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != 'T' || strspn(s + 1, "0123456789") != 4)
		return false;
	if (n == 5)
		return true;
	return n == 9 && s[5] == '.' && strspn(s + 6, "0123456789") == 3;
}

bool
tag_valid(const char *s, const char **why)
{
	if (s[0] == '\0' || !text_is_clean(s, 64) || strchr(s, ',') != NULL) {
		*why = "must be 1 to 64 bytes of text without commas or "
		       "control characters";
		return false;
	}
	/* Something shaped like an ATT&CK id must be one. */
	if (s[0] == 'T' && s[1] >= '0' && s[1] <= '9' &&
	    !attack_technique_valid(s)) {
		*why = "is not a MITRE ATT&CK technique id (T1566 or "
		       "T1566.001)";
		return false;
	}
	return true;
}
