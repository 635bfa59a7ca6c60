/*
 * config.h - csirtd.conf, CSIRTD_* environment variables and flags.
 *
 * Precedence: built-in defaults < INI file < environment < command-line
 * flags. Every setting is one row of a static table (section, key, env
 * name, type, bounds) so documentation, parsing and validation agree; see
 * docs/configuration.md. Values are checked when set: a bad value names the
 * setting and its source and changes nothing.
 */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CONFIG_STR  256
#define CONFIG_PATH 1024
#define CONFIG_TEXT 1024 /* a paragraph: the team's mission, constituency */

struct config {
	/* [server] */
	char data_dir[CONFIG_PATH];
	char database[CONFIG_PATH];    /* as configured; "" = in the data dir */
	char db_url[CONFIG_PATH + 16]; /* effective, set by config_finish() */
	char listen[CONFIG_STR];
	int threads, workers;
	int db_pool; /* 0 = threads + workers + 2 */
	int64_t max_body, request_memory;
	char public_url[CONFIG_STR];
	char tls_cert[CONFIG_PATH], tls_key[CONFIG_PATH];
	char trusted_proxies[CONFIG_TEXT];
	/* [team] */
	char team_name[CONFIG_STR], team_code[CONFIG_STR];
	char team_email[CONFIG_STR], team_languages[CONFIG_STR];
	char team_timezone[CONFIG_STR];
	char team_address[CONFIG_STR], team_phone[CONFIG_STR];
	char team_hours[CONFIG_STR], team_pgp_fingerprint[CONFIG_STR];
	char team_constituency[CONFIG_TEXT], team_mission[CONFIG_TEXT];
	char team_sponsorship[CONFIG_TEXT];
	/* [portal] */
	int report_limit;
	int64_t report_window, report_attachment_max;
	/* [mail] */
	char smtp_url[CONFIG_STR], smtp_user[CONFIG_STR];
	char smtp_password[CONFIG_STR], smtp_ca[CONFIG_PATH];
	bool smtp_tls;
	char imap_url[CONFIG_TEXT], imap_user[CONFIG_STR];
	char imap_password[CONFIG_STR], imap_ca[CONFIG_PATH];
	bool imap_tls;
	int64_t imap_interval, mail_max_size;
	bool mail_ack, mail_sign;
	/* [pipeline] */
	char shadowserver_schema[CONFIG_PATH];
	char event_tlp[CONFIG_STR];
	char feeds_dir[CONFIG_PATH];  /* generic feed definitions, NAME.json */
	char rules_file[CONFIG_PATH]; /* "" = no rules */
	char asn_table[CONFIG_PATH], geoip_db[CONFIG_PATH]; /* "" = none */
	char dedup_key[CONFIG_STR];                         /* "" = no dedup */
	char dedup_mode[CONFIG_STR]; /* drop, aggregate */
	int64_t dedup_window, dedup_memory;
	int dedup_capacity;
	int commit_events;          /* per ingest transaction */
	int64_t event_retention;    /* seconds; 0 = keep */
	int64_t report_max;         /* bytes of one collected report */
	char drop_dir[CONFIG_PATH]; /* "" = no drop directory */
	int64_t drop_interval;
	char fetch[CONFIG_TEXT]; /* FEED[/KIND] URL INTERVAL ... */
	int64_t fetch_timeout;
	char fetch_ca[CONFIG_PATH]; /* "" = the system's CA bundle */
	/* [notify] */
	int64_t notify_tick, notify_settle;
	int notify_max_events;
	bool notify_amber_unencrypted;
	/* [auth] */
	int64_t session_idle, session_max, login_window, login_lockout;
	int login_max_failures, address_max_failures;
	/* [incidents] */
	char priority_matrix[CONFIG_STR], sla[CONFIG_STR];
	/* [jobs] */
	int64_t job_lease, idempotency_ttl;
	int job_max_attempts;
	/* [log] */
	char log_level[CONFIG_STR];
	bool log_syslog;
};

void config_defaults(struct config *c);
/* Reads an INI file; a missing file is an error only when required. */
enum cs_err config_load_file(struct config *c, const char *path, bool required,
                             char *errbuf, size_t errlen);
enum cs_err config_load_string(struct config *c, const char *text, char *errbuf,
                               size_t errlen);
enum cs_err config_load_env(struct config *c, char *errbuf, size_t errlen);
/* Sets one setting by its key (e.g. "listen", "team_code"). */
enum cs_err config_set(struct config *c, const char *key, const char *value,
                       const char *source, char *errbuf, size_t errlen);
/* Cross-field checks and derived values (the database URL). */
enum cs_err config_finish(struct config *c, char *errbuf, size_t errlen);

/* Iterates the settings for documentation and `csirtd config`. */
struct config_item {
	const char *section, *key, *env, *help;
};
size_t config_items(const struct config_item **out);
/* The effective value of one setting as text. */
void config_value(const struct config *c, const char *key, char *out, size_t n);

/* [pipeline] fetch: whitespace-separated triples FEED[/KIND] URL INTERVAL
 * (http:// or https:// URLs, intervals as durations of 1s to 7d). */
#define CONFIG_FETCH_MAX 16
struct config_fetch {
	char feed[64], report[64]; /* report "" = detected */
	char url[CONFIG_STR + 512];
	int64_t interval;
};
bool config_fetch_parse(const char *spec, struct config_fetch *out, size_t cap,
                        size_t *n_out, char *why, size_t whylen);

/* "host:port" -> parts; IPv6 as "[::1]:8080". */
bool listen_parse(const char *s, char *host, size_t hostlen, int *port);

#endif
