#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/proxies.h"
#include "core/incident.h"
#include "core/log.h"

enum type { T_STR, T_INT, T_DUR, T_SIZE, T_BOOL };

struct directive {
	const char *section, *key, *env;
	enum type type;
	size_t off, size; /* size: buffer size for T_STR */
	int64_t min, max;
	bool (*check)(const char *v);
	const char *help;
};

static bool
check_listen(const char *v)
{
	char host[256];
	int port;

	return listen_parse(v, host, sizeof(host), &port);
}

static bool
check_code(const char *v)
{
	size_t n = strlen(v);

	if (n < 2 || n > 16)
		return false;
	for (; *v; v++)
		if (!isupper((unsigned char)*v) && !isdigit((unsigned char)*v))
			return false;
	return true;
}

static bool
check_langs(const char *v)
{
	/* comma-separated ISO 639-1 codes: "en,es,ca,eu,fr" */
	size_t n = 0;

	for (const char *p = v; *p; p++) {
		if (*p == ',') {
			if (n != 2)
				return false;
			n = 0;
		} else if (islower((unsigned char)*p)) {
			n++;
		} else if (*p != ' ') {
			return false;
		}
	}
	return n == 2;
}

static bool
check_tlp(const char *v)
{
	return strcmp(v, "clear") == 0 || strcmp(v, "green") == 0 ||
	       strcmp(v, "amber") == 0 || strcmp(v, "amber+strict") == 0 ||
	       strcmp(v, "red") == 0;
}

static bool
check_dedup_mode(const char *v)
{
	return strcmp(v, "drop") == 0 || strcmp(v, "aggregate") == 0;
}

static bool
check_level(const char *v)
{
	enum log_level l;

	return log_level_parse(v, &l);
}

static bool
check_matrix(const char *v)
{
	struct priority_matrix m;

	return priority_matrix_parse(v, &m);
}

static bool
check_sla(const char *v)
{
	struct sla_policy s;

	return sla_policy_parse(v, &s);
}

static bool
check_oneline(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20)
			return false;
	return true;
}

/* "" or an OpenPGP fingerprint: 40 (v4) or 64 (v6) hex digits, spaces
 * allowed between groups. */
static bool
check_fingerprint(const char *v)
{
	size_t n = 0;

	for (; *v; v++) {
		if (isxdigit((unsigned char)*v))
			n++;
		else if (*v != ' ')
			return false;
	}
	return n == 0 || n == 40 || n == 64;
}

static bool
check_proxies(const char *v)
{
	struct proxies p;
	char why[128];

	return proxies_parse(v, &p, why, sizeof(why));
}

bool
config_fetch_parse(const char *spec, struct config_fetch *out, size_t cap,
                   size_t *n_out, char *why, size_t whylen)
{
	const char *p = spec;
	size_t n = 0;

	*n_out = 0;
	for (;;) {
		const char *tok[3];
		size_t len[3];
		struct config_fetch *f;
		const char *slash;
		char dur[32];

		for (int i = 0; i < 3; i++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0') {
				if (i == 0)
					goto done;
				snprintf(why, whylen,
				         "entry %zu: FEED[/KIND] URL INTERVAL "
				         "expected",
				         n + 1);
				return false;
			}
			tok[i] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			len[i] = (size_t)(p - tok[i]);
		}
		if (n == cap) {
			snprintf(why, whylen, "more than %zu entries", cap);
			return false;
		}
		f = &out[n];
		memset(f, 0, sizeof(*f));
		slash = memchr(tok[0], '/', len[0]);
		if (slash == tok[0] || len[0] >= sizeof(f->feed) ||
		    (slash != NULL && slash + 1 == tok[0] + len[0])) {
			snprintf(why, whylen, "entry %zu: bad feed name",
			         n + 1);
			return false;
		}
		if (slash != NULL) {
			memcpy(f->feed, tok[0], (size_t)(slash - tok[0]));
			memcpy(f->report, slash + 1,
			       len[0] - (size_t)(slash - tok[0]) - 1);
		} else {
			memcpy(f->feed, tok[0], len[0]);
		}
		if (len[1] >= sizeof(f->url) ||
		    (strncmp(tok[1], "http://", 7) != 0 &&
		     strncmp(tok[1], "https://", 8) != 0)) {
			snprintf(why, whylen,
			         "entry %zu: the URL must start with http:// "
			         "or https://",
			         n + 1);
			return false;
		}
		memcpy(f->url, tok[1], len[1]);
		if (len[2] >= sizeof(dur)) {
			snprintf(why, whylen, "entry %zu: bad interval", n + 1);
			return false;
		}
		memcpy(dur, tok[2], len[2]);
		dur[len[2]] = '\0';
		if (!duration_parse(dur, &f->interval) || f->interval < 1 ||
		    f->interval > 7 * 86400) {
			snprintf(why, whylen,
			         "entry %zu: the interval is a duration of 1s "
			         "to 7d",
			         n + 1);
			return false;
		}
		n++;
	}
done:
	*n_out = n;
	return true;
}

static bool
check_fetch(const char *v)
{
	struct config_fetch f[CONFIG_FETCH_MAX];
	char why[128];
	size_t n;

	return check_oneline(v) &&
	       config_fetch_parse(v, f, CONFIG_FETCH_MAX, &n, why, sizeof(why));
}

#define S(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define N(f) offsetof(struct config, f), 0

static const struct directive dirs[] = {
    {"server", "data", "CSIRTD_DATA", T_STR, S(data_dir), 0, 0, check_oneline,
     "data directory (database, artefacts); default ./var"},
    {"server", "database", "CSIRTD_DATABASE", T_STR, S(database), 0, 0,
     check_oneline, "database URL; default sqlite:<data>/csirtd.db"},
    {"server", "listen", "CSIRTD_LISTEN", T_STR, S(listen), 0, 0, check_listen,
     "address and port to serve HTTP on"},
    {"server", "threads", "CSIRTD_THREADS", T_INT, N(threads), 1, 256, NULL,
     "HTTP threads; default: number of CPUs (at least 2)"},
    {"server", "workers", "CSIRTD_WORKERS", T_INT, N(workers), 0, 64, NULL,
     "background job workers (0 runs no jobs in this process)"},
    {"server", "database_pool", "CSIRTD_DATABASE_POOL", T_INT, N(db_pool), 0,
     1024, NULL,
     "database connections of this process; default (0): threads + workers "
     "+ 2"},
    {"server", "max_body", "CSIRTD_MAX_BODY", T_SIZE, N(max_body), 1024,
     1LL << 32, NULL, "largest request body in bytes (413 beyond)"},
    {"server", "request_memory", "CSIRTD_REQUEST_MEMORY", T_SIZE,
     N(request_memory), 1 << 20, 1LL << 34, NULL,
     "memory one request may use, body included"},
    {"server", "public_url", "CSIRTD_PUBLIC_URL", T_STR, S(public_url), 0, 0,
     check_oneline,
     "URL users reach csirtd at (https:// makes cookies "
     "Secure)"},
    {"server", "tls_cert", "CSIRTD_TLS_CERT", T_STR, S(tls_cert), 0, 0,
     check_oneline, "PEM certificate chain: serve HTTPS directly"},
    {"server", "tls_key", "CSIRTD_TLS_KEY", T_STR, S(tls_key), 0, 0,
     check_oneline, "PEM private key for tls_cert"},
    {"server", "trusted_proxies", "CSIRTD_TRUSTED_PROXIES", T_STR,
     S(trusted_proxies), 0, 0, check_proxies,
     "reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For "
     "names the client"},
    {"team", "name", "CSIRTD_TEAM_NAME", T_STR, S(team_name), 0, 0,
     check_oneline, "the team's name"},
    {"team", "code", "CSIRTD_TEAM_CODE", T_STR, S(team_code), 0, 0, check_code,
     "short code used in references (2-16 of A-Z, 0-9)"},
    {"team", "email", "CSIRTD_TEAM_EMAIL", T_STR, S(team_email), 0, 0,
     check_oneline, "the team's contact address"},
    {"team", "languages", "CSIRTD_TEAM_LANGUAGES", T_STR, S(team_languages), 0,
     0, check_langs, "languages the team works in, first is default"},
    {"team", "timezone", "CSIRTD_TEAM_TIMEZONE", T_STR, S(team_timezone), 0, 0,
     check_oneline, "the team's time zone (IANA name)"},
    {"team", "address", "CSIRTD_TEAM_ADDRESS", T_STR, S(team_address), 0, 0,
     check_oneline, "the team's postal address (public profile)"},
    {"team", "phone", "CSIRTD_TEAM_PHONE", T_STR, S(team_phone), 0, 0,
     check_oneline, "the team's telephone number (public profile)"},
    {"team", "hours", "CSIRTD_TEAM_HOURS", T_STR, S(team_hours), 0, 0,
     check_oneline, "when the team answers, e.g. Mon-Fri 08:00-18:00"},
    {"team", "pgp_fingerprint", "CSIRTD_TEAM_PGP_FINGERPRINT", T_STR,
     S(team_pgp_fingerprint), 0, 0, check_fingerprint,
     "OpenPGP fingerprint of the team's key (40 or 64 hex digits)"},
    {"team", "constituency", "CSIRTD_TEAM_CONSTITUENCY", T_STR,
     S(team_constituency), 0, 0, check_oneline,
     "whom the team serves (RFC 2350 charter)"},
    {"team", "mission", "CSIRTD_TEAM_MISSION", T_STR, S(team_mission), 0, 0,
     check_oneline, "the team's mission statement (RFC 2350 charter)"},
    {"team", "sponsorship", "CSIRTD_TEAM_SPONSORSHIP", T_STR,
     S(team_sponsorship), 0, 0, check_oneline,
     "who funds and hosts the team (RFC 2350 charter)"},
    {"portal", "report_limit", "CSIRTD_REPORT_LIMIT", T_INT, N(report_limit), 1,
     100000, NULL, "reports one client address may send within report_window"},
    {"portal", "report_window", "CSIRTD_REPORT_WINDOW", T_DUR, N(report_window),
     60, 86400, NULL,
     "window of report_limit; a client over it waits this long"},
    {"mail", "smtp_url", "CSIRTD_SMTP_URL", T_STR, S(smtp_url), 0, 0,
     check_oneline,
     "relay mail is sent through: smtp://host:587 (STARTTLS) or "
     "smtps://host:465; empty: nothing is sent"},
    {"mail", "smtp_user", "CSIRTD_SMTP_USER", T_STR, S(smtp_user), 0, 0,
     check_oneline, "user name for SMTP AUTH; empty: no AUTH"},
    {"mail", "smtp_password", "CSIRTD_SMTP_PASSWORD", T_STR, S(smtp_password),
     0, 0, check_oneline, "password for SMTP AUTH"},
    {"mail", "smtp_tls", "CSIRTD_SMTP_TLS", T_BOOL, N(smtp_tls), 0, 0, NULL,
     "refuse to send unless the relay talks TLS"},
    {"mail", "smtp_ca", "CSIRTD_SMTP_CA", T_STR, S(smtp_ca), 0, 0,
     check_oneline, "PEM CA bundle for the relay; empty: the system's"},
    {"mail", "imap_url", "CSIRTD_IMAP_URL", T_STR, S(imap_url), 0, 0,
     check_oneline,
     "mailboxes polled for reports, separated by spaces: "
     "imaps://host/INBOX; empty: no polling"},
    {"mail", "imap_user", "CSIRTD_IMAP_USER", T_STR, S(imap_user), 0, 0,
     check_oneline, "IMAP user name"},
    {"mail", "imap_password", "CSIRTD_IMAP_PASSWORD", T_STR, S(imap_password),
     0, 0, check_oneline, "IMAP password"},
    {"mail", "imap_tls", "CSIRTD_IMAP_TLS", T_BOOL, N(imap_tls), 0, 0, NULL,
     "refuse to poll unless the server talks TLS"},
    {"mail", "imap_ca", "CSIRTD_IMAP_CA", T_STR, S(imap_ca), 0, 0,
     check_oneline, "PEM CA bundle for the IMAP server; empty: the system's"},
    {"mail", "imap_interval", "CSIRTD_IMAP_INTERVAL", T_DUR, N(imap_interval),
     5, 86400, NULL, "time between two polls of the mailboxes"},
    {"mail", "max_size", "CSIRTD_MAIL_MAX_SIZE", T_SIZE, N(mail_max_size),
     64 * 1024, 25 << 20, NULL,
     "largest message accepted; larger ones are quarantined"},
    {"mail", "acknowledge", "CSIRTD_MAIL_ACKNOWLEDGE", T_BOOL, N(mail_ack), 0,
     0, NULL, "answer each new e-mail report with its reference"},
    {"mail", "sign", "CSIRTD_MAIL_SIGN", T_BOOL, N(mail_sign), 0, 0, NULL,
     "sign outgoing mail with the team's OpenPGP key (PGP/MIME)"},
    {"portal", "attachment_max", "CSIRTD_REPORT_ATTACHMENT_MAX", T_SIZE,
     N(report_attachment_max), 0, 64 << 20, NULL,
     "bytes of files one report form may carry (0: no files); they travel "
     "in base64, so max_body must be a third larger"},
    {"pipeline", "shadowserver_schema", "CSIRTD_SHADOWSERVER_SCHEMA", T_STR,
     S(shadowserver_schema), 0, 0, check_oneline,
     "Shadowserver's intelmq.json schema file: its reports are parsed "
     "as it describes them"},
    {"pipeline", "tlp", "CSIRTD_EVENT_TLP", T_STR, S(event_tlp), 0, 0,
     check_tlp,
     "TLP of feed events (clear, green, amber, amber+strict, red); rules "
     "may change it per event"},
    {"pipeline", "feeds", "CSIRTD_FEEDS", T_STR, S(feeds_dir), 0, 0,
     check_oneline,
     "directory of generic CSV/JSON feed definitions (NAME.json, "
     "docs/feeds.md); empty: none"},
    {"pipeline", "rules", "CSIRTD_RULES", T_STR, S(rules_file), 0, 0,
     check_oneline,
     "rule file that filters, changes and routes events (docs/rules.md); "
     "empty: none"},
    {"pipeline", "asn_table", "CSIRTD_ASN_TABLE", T_STR, S(asn_table), 0, 0,
     check_oneline,
     "routing table (pyasn ipasn format: prefix TAB asn) for source.asn "
     "and source.network; empty: none"},
    {"pipeline", "geoip", "CSIRTD_GEOIP", T_STR, S(geoip_db), 0, 0,
     check_oneline,
     "MaxMind DB (GeoLite2/GeoIP2 Country or City) for geolocation; "
     "empty: none"},
    {"pipeline", "dedup_key", "CSIRTD_DEDUP_KEY", T_STR, S(dedup_key), 0, 0,
     check_oneline,
     "fields (IntelMQ names, comma-separated) that make two events of a "
     "report the same; empty: no deduplication"},
    {"pipeline", "dedup_mode", "CSIRTD_DEDUP_MODE", T_STR, S(dedup_mode), 0, 0,
     check_dedup_mode,
     "drop: keep the first event of a window; aggregate: one event per "
     "window with extra.first_seen, last_seen and count"},
    {"pipeline", "dedup_window", "CSIRTD_DEDUP_WINDOW", T_DUR, N(dedup_window),
     1, 30 * 86400, NULL, "how long a key stays seen (by event time)"},
    {"pipeline", "dedup_capacity", "CSIRTD_DEDUP_CAPACITY", T_INT,
     N(dedup_capacity), 1, 1 << 26, NULL,
     "keys held at once; beyond it the oldest window is closed early"},
    {"pipeline", "dedup_memory", "CSIRTD_DEDUP_MEMORY", T_SIZE, N(dedup_memory),
     1 << 20, 1LL << 36, NULL,
     "bytes one report's dedup table may hold (about 64 bytes a key, "
     "plus 1 KiB in aggregate mode); caps dedup_capacity"},
    {"pipeline", "commit_events", "CSIRTD_COMMIT_EVENTS", T_INT,
     N(commit_events), 1024, 1 << 20, NULL,
     "events stored per transaction: a report interrupted resumes after "
     "its last one"},
    {"pipeline", "retention", "CSIRTD_EVENT_RETENTION", T_DUR,
     N(event_retention), 0, 100LL * 365 * 86400, NULL,
     "reports and their events older than this are deleted; 0: kept"},
    {"pipeline", "report_max", "CSIRTD_REPORT_MAX", T_SIZE, N(report_max), 1024,
     64LL << 30, NULL,
     "largest report collected (upload, drop directory, URL fetch)"},
    {"pipeline", "drop_dir", "CSIRTD_DROP_DIR", T_STR, S(drop_dir), 0, 0,
     check_oneline,
     "directory watched for reports: files written then renamed into "
     "DROP_DIR/FEED/ are queued; empty: none"},
    {"pipeline", "drop_interval", "CSIRTD_DROP_INTERVAL", T_DUR,
     N(drop_interval), 1, 86400, NULL,
     "time between two looks into the drop directory"},
    {"pipeline", "fetch", "CSIRTD_FETCH", T_STR, S(fetch), 0, 0, check_fetch,
     "feeds fetched over HTTP(S): FEED[/KIND] URL INTERVAL, repeated; "
     "empty: none"},
    {"pipeline", "fetch_timeout", "CSIRTD_FETCH_TIMEOUT", T_DUR,
     N(fetch_timeout), 5, 86400, NULL, "longest one URL fetch may take"},
    {"pipeline", "fetch_ca", "CSIRTD_FETCH_CA", T_STR, S(fetch_ca), 0, 0,
     check_oneline,
     "PEM CA bundle HTTPS fetches verify against; empty: the system's"},
    {"notify", "tick", "CSIRTD_NOTIFY_TICK", T_DUR, N(notify_tick), 1, 3600,
     NULL,
     "how often worker 0 looks for organisations whose digest is due "
     "(0 workers: never)"},
    {"notify", "max_events", "CSIRTD_NOTIFY_MAX_EVENTS", T_INT,
     N(notify_max_events), 1, 100000, NULL,
     "events one digest carries at most; the rest go in the next one"},
    {"notify", "settle", "CSIRTD_NOTIFY_SETTLE", T_DUR, N(notify_settle), 0,
     3600, NULL,
     "events stored less than this long ago wait for the next digest, so "
     "that one never passes over an event whose transaction commits later"},
    {"notify", "amber_unencrypted", "CSIRTD_NOTIFY_AMBER_UNENCRYPTED", T_BOOL,
     N(notify_amber_unencrypted), 0, 0, NULL,
     "digests carry TLP:AMBER events to contacts without an OpenPGP key "
     "too (no: only encrypted)"},
    {"auth", "session_idle", "CSIRTD_SESSION_IDLE", T_DUR, N(session_idle), 60,
     30 * 86400, NULL, "a session ends after this long unused"},
    {"auth", "session_max", "CSIRTD_SESSION_MAX", T_DUR, N(session_max), 60,
     365 * 86400, NULL, "a session ends this long after login at most"},
    {"auth", "login_max_failures", "CSIRTD_LOGIN_MAX_FAILURES", T_INT,
     N(login_max_failures), 1, 1000, NULL,
     "failed logins per account within login_window before lockout"},
    {"auth", "address_max_failures", "CSIRTD_ADDRESS_MAX_FAILURES", T_INT,
     N(address_max_failures), 1, 100000, NULL,
     "failed logins per client address within login_window before lockout"},
    {"auth", "login_window", "CSIRTD_LOGIN_WINDOW", T_DUR, N(login_window), 1,
     86400, NULL, "window in which failed logins are counted"},
    {"auth", "login_lockout", "CSIRTD_LOGIN_LOCKOUT", T_DUR, N(login_lockout),
     1, 86400, NULL, "how long a locked key stays locked"},
    {"incidents", "priority_matrix", "CSIRTD_PRIORITY_MATRIX", T_STR,
     S(priority_matrix), 0, 0, check_matrix,
     "priority (1-4) per impact (rows critical..low) and urgency (digits "
     "critical..low)"},
    {"incidents", "sla", "CSIRTD_SLA", T_STR, S(sla), 0, 0, check_sla,
     "first response / resolution deadlines for priorities 1 to 4"},
    {"jobs", "lease", "CSIRTD_JOB_LEASE", T_DUR, N(job_lease), 10, 86400, NULL,
     "a running job not finished in this time is run again"},
    {"jobs", "max_attempts", "CSIRTD_JOB_MAX_ATTEMPTS", T_INT,
     N(job_max_attempts), 1, 100, NULL,
     "attempts before a job is marked failed"},
    {"jobs", "idempotency_ttl", "CSIRTD_IDEMPOTENCY_TTL", T_DUR,
     N(idempotency_ttl), 60, 30 * 86400, NULL,
     "how long Idempotency-Key answers are kept"},
    {"log", "level", "CSIRTD_LOG_LEVEL", T_STR, S(log_level), 0, 0, check_level,
     "error, warn, info or debug"},
    {"log", "syslog", "CSIRTD_LOG_SYSLOG", T_BOOL, N(log_syslog), 0, 0, NULL,
     "also log to syslog (daemon facility)"},
};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

void
config_defaults(struct config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "var");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	c->threads = n < 2 ? 2 : (int)(n > 64 ? 64 : n);
	c->workers = 2;
	c->max_body = 1 << 20;
	c->request_memory = 64 << 20;
	snprintf(c->team_name, sizeof(c->team_name), "Example CSIRT");
	snprintf(c->team_code, sizeof(c->team_code), "CSIRT");
	snprintf(c->team_email, sizeof(c->team_email), "csirt@example.org");
	snprintf(c->team_languages, sizeof(c->team_languages), "en");
	snprintf(c->team_timezone, sizeof(c->team_timezone), "UTC");
	c->report_limit = 5;
	c->smtp_tls = true;
	c->imap_tls = true;
	c->imap_interval = 60;
	c->mail_max_size = 25 << 20;
	c->mail_ack = true;
	c->mail_sign = true;
	c->report_window = 10 * 60;
	c->report_attachment_max = 512 * 1024;
	snprintf(c->event_tlp, sizeof(c->event_tlp), "amber");
	snprintf(c->dedup_mode, sizeof(c->dedup_mode), "drop");
	c->dedup_window = 86400;
	c->dedup_capacity = 1 << 20;
	c->dedup_memory = 256 << 20;
	c->commit_events = 16384;
	c->event_retention = 180 * 86400;
	c->report_max = 1LL << 30;
	c->drop_interval = 10;
	c->fetch_timeout = 300;
	c->notify_tick = 60;
	c->notify_max_events = 10000;
	c->notify_settle = 30;
	c->session_idle = 8 * 3600;
	c->session_max = 7 * 86400;
	c->login_max_failures = 5;
	c->address_max_failures = 20;
	c->login_window = 15 * 60;
	c->login_lockout = 15 * 60;
	snprintf(c->priority_matrix, sizeof(c->priority_matrix),
	         "1122,1223,2234,2344");
	snprintf(c->sla, sizeof(c->sla), "1h/1d,4h/3d,1d/7d,3d/30d");
	c->job_lease = 300;
	c->job_max_attempts = 8;
	c->idempotency_ttl = 86400;
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

static bool
parse_size(const char *v, int64_t *out)
{
	char *end;
	long long n;
	int64_t mul = 1;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0)
		return false;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024 * 1024 * 1024, end++;
	if (*end != '\0' || n > INT64_MAX / mul)
		return false;
	*out = n * mul;
	return true;
}

static const struct directive *
find(const char *section, const char *key)
{
	for (size_t i = 0; i < NDIRS; i++) {
		if (strcmp(dirs[i].key, key) != 0)
			continue;
		if (section == NULL || strcmp(dirs[i].section, section) == 0)
			return &dirs[i];
	}
	return NULL;
}

/* Flags and config_set() use flat keys: "listen", "team_code",
 * "session_idle", "log_level", "job_lease". */
static const struct directive *
find_flat(const char *key)
{
	const char *us = strchr(key, '_');
	const struct directive *d = find(NULL, key);
	char sect[32];

	if (d != NULL)
		return d;
	if (us != NULL && (size_t)(us - key) < sizeof(sect)) {
		memcpy(sect, key, (size_t)(us - key));
		sect[us - key] = '\0';
		if (strcmp(sect, "job") == 0)
			snprintf(sect, sizeof(sect), "jobs");
		return find(sect, us + 1);
	}
	return NULL;
}

static enum cs_err
apply(struct config *c, const struct directive *d, const char *v,
      const char *source, char *errbuf, size_t errlen)
{
	char *base = (char *)c;
	int64_t n;

	switch (d->type) {
	case T_STR:
		if (strlen(v) >= d->size || (d->check && !d->check(v)))
			goto bad;
		snprintf(base + d->off, d->size, "%s", v);
		return CS_OK;
	case T_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
			*(bool *)(base + d->off) = true;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		         strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
			*(bool *)(base + d->off) = false;
		else
			goto bad;
		return CS_OK;
	case T_INT:
	case T_DUR:
	case T_SIZE:
		if (d->type == T_DUR ? !duration_parse(v, &n)
		                     : !parse_size(v, &n))
			goto bad;
		if (d->type == T_INT && strspn(v, "0123456789") != strlen(v))
			goto bad;
		if (n < d->min || n > d->max)
			goto bad;
		if (d->type == T_INT)
			*(int *)(base + d->off) = (int)n;
		else
			*(int64_t *)(base + d->off) = n;
		return CS_OK;
	}
bad:
	snprintf(errbuf, errlen, "%s: invalid value for %s.%s: \"%.100s\" (%s)",
	         source, d->section, d->key, v, d->help);
	return CS_E_INVAL;
}

enum cs_err
config_set(struct config *c, const char *key, const char *value,
           const char *source, char *errbuf, size_t errlen)
{
	const struct directive *d = find_flat(key);

	if (d == NULL) {
		snprintf(errbuf, errlen, "%s: unknown setting %s", source, key);
		return CS_E_INVAL;
	}
	return apply(c, d, value, source, errbuf, errlen);
}

struct ini_ctx {
	struct config *c;
	const char *source;
	char msg[512];
	enum cs_err err;
};

/* Debian's inih passes no line number to the handler; returning 0 makes the
 * parser return the line, which ini_result() puts in front of the message. */
static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	const struct directive *d;

	if (x->err != CS_OK)
		return 0;
	if ((d = find(section, name)) == NULL) {
		snprintf(x->msg, sizeof(x->msg), "unknown setting [%s] %s",
		         section, name);
		x->err = CS_E_INVAL;
		return 0;
	}
	x->err = apply(x->c, d, value, "value", x->msg, sizeof(x->msg));
	return x->err == CS_OK;
}

static enum cs_err
ini_result(struct ini_ctx *x, int rc, char *errbuf, size_t errlen)
{
	if (x->err != CS_OK) {
		snprintf(errbuf, errlen, "%s:%d: %s", x->source, rc, x->msg);
		return x->err;
	}
	if (rc > 0) {
		snprintf(errbuf, errlen, "%s:%d: syntax error", x->source, rc);
		return CS_E_INVAL;
	}
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s: cannot read: %s", x->source,
		         strerror(errno));
		return CS_E_IO;
	}
	return CS_OK;
}

enum cs_err
config_load_string(struct config *c, const char *text, char *errbuf,
                   size_t errlen)
{
	struct ini_ctx x = {.c = c, .source = "config"};

	return ini_result(&x, ini_parse_string(text, on_ini, &x), errbuf,
	                  errlen);
}

enum cs_err
config_load_file(struct config *c, const char *path, bool required,
                 char *errbuf, size_t errlen)
{
	struct ini_ctx x = {.c = c, .source = path};
	FILE *f = fopen(path, "r");
	enum cs_err err;

	if (f == NULL) {
		if (errno == ENOENT && !required)
			return CS_OK;
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return CS_E_IO;
	}
	err = ini_result(&x, ini_parse_file(f, on_ini, &x), errbuf, errlen);
	fclose(f);
	return err;
}

enum cs_err
config_load_env(struct config *c, char *errbuf, size_t errlen)
{
	enum cs_err err;

	for (size_t i = 0; i < NDIRS; i++) {
		const char *v = getenv(dirs[i].env);

		if (v != NULL && (err = apply(c, &dirs[i], v, dirs[i].env,
		                              errbuf, errlen)) != CS_OK)
			return err;
	}
	return CS_OK;
}

enum cs_err
config_finish(struct config *c, char *errbuf, size_t errlen)
{
	if (c->data_dir[0] == '\0') {
		snprintf(errbuf, errlen, "the data directory is empty");
		return CS_E_INVAL;
	}
	if (c->database[0] != '\0')
		snprintf(c->db_url, sizeof(c->db_url), "%s", c->database);
	else if (snprintf(c->db_url, sizeof(c->db_url), "sqlite:%s/csirtd.db",
	                  c->data_dir) >= (int)sizeof(c->db_url)) {
		snprintf(errbuf, errlen, "the data directory path is too long");
		return CS_E_INVAL;
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(errbuf, errlen,
		         "tls_cert and tls_key must be set together");
		return CS_E_INVAL;
	}
	if (c->session_max < c->session_idle)
		c->session_idle = c->session_max;
	if (c->max_body > c->request_memory / 2) {
		snprintf(errbuf, errlen,
		         "max_body must be at most half of request_memory");
		return CS_E_INVAL;
	}
	return CS_OK;
}

size_t
config_items(const struct config_item **out)
{
	static struct config_item items[NDIRS];

	for (size_t i = 0; i < NDIRS; i++) {
		items[i].section = dirs[i].section;
		items[i].key = dirs[i].key;
		items[i].env = dirs[i].env;
		items[i].help = dirs[i].help;
	}
	*out = items;
	return NDIRS;
}

void
config_value(const struct config *c, const char *key, char *out, size_t n)
{
	const struct directive *d = find_flat(key);
	const char *base = (const char *)c;

	if (d == NULL) {
		snprintf(out, n, "?");
		return;
	}
	switch (d->type) {
	case T_STR:
		snprintf(out, n, "%s", base + d->off);
		break;
	case T_BOOL:
		snprintf(out, n, "%s",
		         *(const bool *)(base + d->off) ? "yes" : "no");
		break;
	case T_INT:
		snprintf(out, n, "%d", *(const int *)(base + d->off));
		break;
	case T_DUR:
		snprintf(out, n, "%llds",
		         (long long)*(const int64_t *)(base + d->off));
		break;
	case T_SIZE:
		snprintf(out, n, "%lld",
		         (long long)*(const int64_t *)(base + d->off));
		break;
	}
}

bool
listen_parse(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	size_t hl;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		hl = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strchr(s, ':');
		/* an IPv6 address needs brackets: "[::1]:8080" */
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return false;
		hl = (size_t)(colon - s);
	}
	if (colon[1] < '0' || colon[1] > '9' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	if (hl == 0 || hl >= hostlen)
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 ||
	    p > 65535)
		return false;
	*port = (int)p;
	return true;
}
