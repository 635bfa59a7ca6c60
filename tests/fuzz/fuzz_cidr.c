/*
 * fuzz_cidr.c - address and block parsing, RFC 5952 formatting, domain
 * validation, and a small cidr and domain index driven by the input.
 *
 * The input is lines. Each line is parsed as an address, a block and a
 * domain; a line starting with '+' adds the rest (block or domain) to the
 * indexes, '-' removes it, '?' looks it up. Invariants checked: a formatted
 * block parses back to itself; a looked-up block contains the address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/domidx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(struct cidr_index *idx, struct domidx *d, const char *line)
{
	char why[CIDR_WHY_MAX], txt[CIDR_TEXT_MAX], dom[DOMIDX_NAME_MAX + 1];
	const char *arg =
	    line + (line[0] == '+' || line[0] == '-' || line[0] == '?');
	const char *dwhy;
	struct cidr c, back, m;
	struct ip_addr a;
	int64_t v[CIDR_MAX_VALUES];
	size_t n;
	bool is_block;

	if (ip_parse(arg, &a)) {
		ip_format(&a, txt, sizeof(txt));
		if (!ip_parse(txt, &back.addr) ||
		    memcmp(&back.addr, &a, sizeof(a)) != 0)
			abort();
	}
	is_block = cidr_parse(arg, &c, why, sizeof(why));
	if (is_block) {
		cidr_format(&c, txt, sizeof(txt));
		if (!cidr_parse(txt, &back, NULL, 0) ||
		    memcmp(&back, &c, sizeof(c)) != 0)
			abort();
	}
	(void)domidx_normalise(arg, dom, &dwhy);
	switch (line[0]) {
	case '+':
		if (is_block)
			(void)cidr_index_add(idx, &c, (int64_t)strlen(line));
		(void)domidx_add(d, arg, (int64_t)strlen(line));
		break;
	case '-':
		if (is_block)
			(void)cidr_index_remove(idx, &c, (int64_t)strlen(line));
		(void)domidx_remove(d, arg, (int64_t)strlen(line));
		break;
	case '?':
		if (ip_parse(arg, &a)) {
			n = cidr_index_lookup(idx, &a, v, CIDR_MAX_VALUES, &m);
			if (n > 0 && !cidr_contains(&m, &a))
				abort();
		}
		(void)domidx_lookup(d, arg, v, CIDR_MAX_VALUES, dom);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_index *idx;
	struct domidx *d;
	char *text, *line, *nl;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	idx = cidr_index_new(16);
	d = domidx_new(16);
	for (line = text; line != NULL; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		one_line(idx, d, line);
	}
	cidr_index_free(idx);
	domidx_free(d);
	free(text);
	return 0;
}
