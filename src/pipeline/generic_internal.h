/*
 * generic_internal.h - the loaded feed definition, shared by the loader
 * (generic_def.c) and the parsers (generic.c). Not a public API.
 */
#ifndef CS_GENERIC_INTERNAL_H
#define CS_GENERIC_INTERNAL_H

#include <stdbool.h>

#include "core/arena.h"
#include "pipeline/generic.h"

enum gen_format { GF_CSV, GF_JSONL, GF_JSON };
enum gen_target { GT_FIELD, GT_EXTRA, GT_IGNORE };
enum gen_time { GTF_AUTO, GTF_EPOCH, GTF_EPOCH_MS, GTF_PATTERN };

struct gen_map {
	const char *key;   /* as written in the definition */
	const char *label; /* extra.<label> keeps an invalid optional value */
	enum gen_target target;
	enum event_field field; /* GT_FIELD */
	const char *extra_key;  /* GT_EXTRA, without "extra." */
	size_t pos;             /* CSV without a header: 0-based column */
	const char **seg;       /* JSON pointer segments, or NULL */
	size_t nseg;
	bool required;
};

struct gen_const {
	enum gen_target target; /* GT_FIELD or GT_EXTRA */
	enum event_field field;
	const char *extra_key;
	const char *value;
};

struct feed_def {
	struct arena *arena;
	const char *name, *provider, *documentation;
	enum gen_format format;
	/* csv */
	char delim, quote;
	const char *comment; /* NULL: none */
	size_t comment_len;
	bool header;
	size_t skip_lines;
	/* json */
	const char *rec_text; /* as written; NULL: the top level */
	const char **rec_seg; /* path to the array */
	size_t rec_nseg;
	size_t max_bytes;

	struct gen_map *maps;
	size_t n_maps;
	struct gen_const *consts;
	size_t n_consts;
	bool unmapped_ignore;
	enum gen_time time_kind;
	const char *time_pattern;
};

/* Converts time text with the definition's time format; false when the
 * text is not a time in that format (or lies outside the event range). */
bool gen_time_parse(const struct feed_def *d, const char *s, size_t n,
                    int64_t *out);
/* Checks a strptime-style pattern: false with why on an unknown directive */
bool gen_time_pattern_ok(const char *pat, char why[GEN_WHY_MAX]);

#endif
