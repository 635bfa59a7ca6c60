/*
 * rules_internal.h - the compiled form of a rule file, shared by
 * rules_parse.c (which builds it) and rules_eval.c (which runs it).
 *
 * Everything but the PCRE2 codes and CIDR indexes lives in the set's arena;
 * those two are listed in struct rules and freed with it. Nothing here is
 * written after loading.
 */
#ifndef CS_RULES_INTERNAL_H
#define CS_RULES_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "pipeline/rules.h"

/* A field reference, resolved at load. */
struct fref {
	bool extra;         /* extra.<key> not among the typed fields */
	enum event_field f; /* when !extra */
	enum event_type ty; /* when !extra: event_field_type(f) */
	const char *key;    /* when extra: the key without "extra." */
};

enum lit_kind { L_INT, L_FLOAT, L_STR, L_BOOL, L_IP, L_CIDR };

struct lit {
	enum lit_kind kind;
	union {
		int64_t i; /* ports, ASNs, times, extra integers */
		double f;
		const char *s;
		bool b;
		struct ip_addr ip;
		struct cidr net;
	} u;
};

enum op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_NIN,
	OP_RE,
	OP_NRE
};

enum node_kind { N_AND, N_OR, N_NOT, N_CMP, N_EXISTS, N_MISSING };

struct node {
	enum node_kind kind;
	enum op op;
	struct node *a, *b; /* and, or: both; not: a */
	struct fref fld;
	struct lit v;     /* ==, !=, <, ...: the value */
	struct lit *list; /* in: sorted (ints, strings) or as written */
	size_t n_list;
	const struct cidr_index *idx; /* in: long lists of blocks */
	pcre2_code *re;               /* =~ !~ */
};

enum act_kind {
	A_DROP,
	A_STOP,
	A_SET,
	A_TAG,
	A_NOTIFY,
	A_INCIDENT,
	A_CLASSIFY,
	A_TLP,
};

struct action {
	enum act_kind kind;
	struct fref fld;  /* set */
	const char *text; /* set on a typed field: the validated text */
	size_t len;
	struct lit v;      /* set on an extra */
	const char *s;     /* tag, incident title; classify: taxonomy */
	const char *type;  /* classify */
	const char *ident; /* classify: identifier or NULL */
	enum rule_notify notify;
	enum rule_tlp tlp;
};

struct rule {
	const char *name;
	int line, col;
	struct node *cond; /* NULL: always */
	struct action *acts;
	size_t n_acts;
};

struct rules {
	atomic_uint refs;
	struct arena *arena;
	struct rule *rule;
	size_t n_rules;
	pcre2_code **codes;
	size_t n_codes;
	struct cidr_index **idxs;
	size_t n_idxs;
};

/* Frees a set (whatever parts it has). */
void rules_destroy(struct rules *r);

#endif
