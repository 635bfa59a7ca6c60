/*
 * digest.h - what one event digest holds: the CSV of an organisation's
 * events and the message that carries it, for one recipient. No I/O: the
 * events come in, text comes out (notify.c stores and queues it).
 *
 * The CSV (RFC 4180, every field quoted, CRLF) has one row per event and
 * one column per field: first the ones a constituent acts on (time.source,
 * source.ip, source.port, source.asn, source.fqdn, source.reverse_dns,
 * classification.taxonomy/type/identifier, feed.name, malware.name,
 * protocol.application, protocol.transport), then every other field any
 * of the events has, sorted by name. It is meant to be opened in a
 * spreadsheet by the constituent: a cell that starts with = + - @, a tab
 * or a carriage return gets a leading apostrophe so that no spreadsheet
 * evaluates it (CSV injection). Events are read from their IntelMQ JSON
 * lines; "__type" is left out.
 *
 * TLP: TLP:RED events never reach a digest (the store does not hand them
 * out). TLP:AMBER and AMBER+STRICT events go only to a recipient the
 * digest is encrypted to, unless the team allows them unencrypted
 * ([notify] amber_unencrypted). CLEAR and GREEN go to every recipient.
 *
 * Limits: a CSV is at most max bytes (digest_csv tells how many events
 * fitted; notify.c puts the rest in the next digest), DIGEST_COLUMNS_MAX
 * distinct fields.
 */
#ifndef CS_DIGEST_H
#define CS_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define DIGEST_CSV_MAX     (10u << 20) /* bytes of CSV in one digest */
#define DIGEST_COLUMNS_MAX 1024

/* The CSV of the n events (IntelMQ JSON lines), in order, as long as it
 * stays within max bytes: *n_out events are in it (0 when even the first
 * is larger). CS_E_INVAL with *why for a line that is not a JSON object;
 * CS_E_TOOBIG when the arena is full or the events have too many fields. */
enum cs_err digest_csv(struct arena *a, const char *const *lines, size_t n,
                       size_t max, char **out, size_t *len_out, size_t *n_out,
                       const char **why);

/* The cell as the CSV writes it: v, or v with a leading apostrophe when a
 * spreadsheet would evaluate it. */
const char *digest_cell(struct arena *a, const char *v);

/* Whether an event of this TLP (stored form: clear, green, amber,
 * amber+strict, red) may go in a digest that is encrypted or not. */
bool digest_tlp_allowed(const char *tlp, bool encrypted,
                        bool amber_unencrypted);

struct digest_in {
	const char *team_name, *team_code, *team_email;
	const char *org_name, *org_short, *feed;
	const char *language; /* the recipient's; unknown: English */
	const char *contact;  /* the contact it is (or would be) for */
	bool test;            /* to the team, instead of contact */
	bool encrypted;       /* the mail will be encrypted */
	bool amber_unencrypted;
	const struct event_row *events; /* in id order, none TLP:RED */
	size_t n;
	int64_t now;
};

struct digest_out {
	const char *subject, *text, *filename;
	char *csv;
	size_t csv_len;
	size_t events;                   /* the events it carries: 0 = none */
	int64_t first_event, last_event; /* their ids */
};

/* The digest for one recipient: the events it may receive, their CSV and
 * the message in its language. out->events is 0 when it may receive none
 * (then nothing else is set). */
enum cs_err digest_compose(struct arena *a, const struct digest_in *in,
                           struct digest_out *out, const char **why);

#endif
