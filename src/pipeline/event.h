/*
 * event.h - one harmonised event (IntelMQ field names) and its JSON form.
 *
 * The fields Shadowserver reports fill are typed members: times as Unix
 * seconds, addresses as struct ip_addr, networks as struct cidr, ports and
 * ASNs as integers with a present flag, and strings as NUL-terminated
 * pointers (NULL: absent). Everything else is an extra.* pair whose value is
 * a string, integer, float or bool. Values are validated once, when set
 * (event_set_text() or event_from_json()); serialising never fails on
 * content.
 *
 * Ownership: an event borrows all its strings and its extra array from an
 * event batch (struct event_batch: one arena plus a string interning table).
 * event_batch_reset() releases them all at once; no event outlives its
 * batch. Nothing here allocates with malloc per event.
 *
 * JSON: IntelMQ's flat dotted object, one per line, with "__type":"Event"
 * and times as "YYYY-MM-DDTHH:MM:SS+00:00". severity and product.* are not
 * in IntelMQ's harmonisation, so IntelMQ (and we) write them as
 * extra.severity and extra.product.*; reading maps them back. Round trips
 * are exact for every field type.
 */
#ifndef CS_EVENT_H
#define CS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/err.h"

#define EVENT_EXTRA_MAX 256  /* extra.* pairs per event */
#define EVENT_VALUE_MAX 8192 /* bytes in one string value */
#define EVENT_WHY_MAX   160  /* enough for any reason given here */

/* Typed fields, in output order. Types: see event_field_type(). */
enum event_field {
	EF_TIME_SOURCE,
	EF_TIME_OBSERVATION,
	EF_SOURCE_IP,
	EF_SOURCE_PORT,
	EF_SOURCE_ASN,
	EF_SOURCE_NETWORK,
	EF_SOURCE_REVERSE_DNS,
	EF_SOURCE_FQDN,
	EF_SOURCE_URL,
	EF_SOURCE_ACCOUNT,
	EF_SOURCE_LOCAL_HOSTNAME,
	EF_SOURCE_GEO_CC,
	EF_SOURCE_GEO_REGION,
	EF_SOURCE_GEO_CITY,
	EF_DEST_IP,
	EF_DEST_PORT,
	EF_DEST_ASN,
	EF_DEST_REVERSE_DNS,
	EF_DEST_FQDN,
	EF_DEST_URL,
	EF_DEST_ACCOUNT,
	EF_DEST_GEO_CC,
	EF_DEST_GEO_REGION,
	EF_DEST_GEO_CITY,
	EF_PROTO_TRANSPORT,
	EF_PROTO_APPLICATION,
	EF_CLASS_TAXONOMY,
	EF_CLASS_TYPE,
	EF_CLASS_IDENTIFIER,
	EF_FEED_NAME,
	EF_FEED_PROVIDER,
	EF_FEED_DOCUMENTATION,
	EF_MALWARE_NAME,
	EF_MALWARE_MD5,
	EF_MALWARE_SHA1,
	EF_MALWARE_SHA256,
	EF_EVENT_DESCRIPTION_TEXT,
	EF_STATUS,
	EF_SEVERITY,
	EF_PRODUCT_VENDOR,
	EF_PRODUCT_NAME,
	EF_PRODUCT_VERSION,
	EF_PRODUCT_VULNERABILITIES,
	EF_COUNT
};

enum event_type {
	ET_TIME,    /* DateTime */
	ET_IP,      /* IPAddress */
	ET_PORT,    /* Integer 0..65535 */
	ET_ASN,     /* 1..4294967295 */
	ET_NETWORK, /* IPNetwork; host bits are cleared */
	ET_FQDN,    /* lower-cased, trailing dot removed, not an address */
	ET_URL,     /* scheme://host... */
	ET_STRING,
	ET_LOWER,    /* LowercaseString */
	ET_CC,       /* two letters, upper-cased */
	ET_TAXONOMY, /* RSIT class or IntelMQ's "other"/"test" */
	ET_CLASSTYPE,
};

enum extra_kind { XV_STRING, XV_INT, XV_FLOAT, XV_BOOL };

struct extra_value {
	enum extra_kind kind;
	union {
		const char *s;
		int64_t i;
		double f;
		bool b;
	} u;
};

struct extra {
	const char *key; /* without the "extra." prefix */
	struct extra_value v;
};

struct event {
	uint64_t present; /* bit per enum event_field */
	int64_t time_source, time_observation;
	struct ip_addr source_ip, dest_ip;
	uint16_t source_port, dest_port;
	uint32_t source_asn, dest_asn;
	struct cidr source_network;
	const char *str[EF_COUNT]; /* string fields; NULL when absent */
	struct extra *extra;       /* batch memory, EVENT_EXTRA_MAX slots */
	size_t n_extra;
};

struct event_batch;

struct event_batch *event_batch_new(size_t mem_cap);
void event_batch_free(struct event_batch *b);
void event_batch_reset(struct event_batch *b);
size_t event_batch_used(const struct event_batch *b);
/* A string with this content living in the batch (the same pointer for the
 * same content until the next reset). NULL at the memory cap. */
const char *event_batch_intern(struct event_batch *b, const char *s, size_t n);
/* The same, and *kept_out tells whether the string is now in the table:
 * then the same content gives this pointer, allocating nothing, until the
 * next reset (a caller may keep the pointer that long instead of asking
 * again). Interning stops remembering new strings once a batch holds
 * thousands. */
const char *event_batch_intern_kept(struct event_batch *b, const char *s,
                                    size_t n, bool *kept_out);

/* A new empty event in the batch. CS_E_TOOBIG at the memory cap. */
enum cs_err event_new(struct event_batch *b, struct event **out);

const char *event_field_name(enum event_field f);
enum event_type event_field_type(enum event_field f);
/* The field with this IntelMQ name (as written in JSON); false if none. */
bool event_field_lookup(const char *name, enum event_field *out);
bool event_has(const struct event *ev, enum event_field f);

/* Validates and sets a field from text (n bytes, no NUL needed).
 * CS_E_INVAL with a reason when the text is not a valid value of the
 * field's type; CS_E_TOOBIG at the memory cap. */
enum cs_err event_set_text(struct event_batch *b, struct event *ev,
                           enum event_field f, const char *text, size_t n,
                           char why[EVENT_WHY_MAX]);
void event_set_time(struct event *ev, enum event_field f, int64_t t);
/* Sets extra.<key> (replacing an earlier value of the same key). key and a
 * string value must live in the batch (or be static). CS_E_TOOBIG beyond
 * EVENT_EXTRA_MAX pairs. */
enum cs_err event_set_extra(struct event *ev, const char *key,
                            struct extra_value v);
const struct extra_value *event_get_extra(const struct event *ev,
                                          const char *key);

/* Parses IntelMQ DateTime text: "YYYY-MM-DD[T ]HH:MM:SS[.frac]" followed by
 * nothing (UTC), "Z", " UTC", "+HH:MM", "+HHMM" or "-HH:MM". */
bool event_time_parse(const char *s, size_t n, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SS+00:00"; out holds at least 26 bytes. */
void event_time_format(int64_t t, char out[26]);
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: event times lie between */
#define EVENT_TIME_MIN (-62135596800LL)
#define EVENT_TIME_MAX 253402300799LL

/* The JSON object; NULL only when jansson runs out of memory. */
json_t *event_to_json(const struct event *ev);
/* One JSON line (no newline) into out. CS_E_TOOBIG if it does not fit. */
enum cs_err event_to_text(const struct event *ev, char *out, size_t cap,
                          size_t *len_out);
/* Reads an IntelMQ event line back. CS_E_INVAL with a reason naming the key
 * on anything invalid (bad JSON, "__type" not "Event", a value of the wrong
 * type, more than EVENT_EXTRA_MAX extras). Keys IntelMQ has but this model
 * lacks (raw, comment, ...) are refused too, so nothing is silently lost. */
enum cs_err event_from_json(struct event_batch *b, const char *text, size_t n,
                            struct event **out, char why[EVENT_WHY_MAX]);

#endif
