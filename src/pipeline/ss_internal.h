/*
 * ss_internal.h - the loaded Shadowserver schema, shared by the loader
 * (shadowserver.c) and the record parser (ss_parse.c). Not a public API.
 */
#ifndef CS_SS_INTERNAL_H
#define CS_SS_INTERNAL_H

#include "core/arena.h"
#include "pipeline/shadowserver.h"

enum target { T_FIELD, T_EXTRA, T_IGNORE };

struct mapping {
	enum target target;
	enum event_field field;
	const char *extra_key; /* T_EXTRA */
	const char *column;
	enum ss_conv conv;
	bool whole_row;
};

struct constant {
	enum target target; /* T_FIELD or T_EXTRA */
	enum event_field field;
	const char *extra_key;
	const char *value;
};

struct ss_report {
	const char *name, *file_name, *feed_name, *url;
	struct mapping *req, *opt;
	size_t n_req, n_opt;
	struct constant *consts;
	size_t n_const;
};

struct ss_schema {
	struct arena *arena;
	struct ss_report *reports;
	size_t n;
};

#endif
