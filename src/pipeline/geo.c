/*
 * geo.c - MaxMind DB lookups (libmaxminddb) into event geolocation fields.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "core/xmalloc.h"
#include "pipeline/geo.h"

struct geo {
	bool enabled;
	MMDB_s db;
};

enum cs_err
geo_open(const char *path, struct geo **out, char why[GEO_WHY_MAX])
{
	struct geo *g = xcalloc(1, sizeof(*g));
	int status;

	if (path == NULL || path[0] == '\0') {
		*out = g;
		return CS_OK;
	}
	status = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
	if (status != MMDB_SUCCESS) {
		if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR)
			snprintf(why, GEO_WHY_MAX, "%.120s: %s: %s", path,
			         MMDB_strerror(status), strerror(errno));
		else
			snprintf(why, GEO_WHY_MAX, "%.120s: %s", path,
			         MMDB_strerror(status));
		free(g);
		return status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR
		           ? CS_E_IO
		           : CS_E_INVAL;
	}
	g->enabled = true;
	*out = g;
	return CS_OK;
}

void
geo_free(struct geo *g)
{
	if (g == NULL)
		return;
	if (g->enabled)
		MMDB_close(&g->db);
	free(g);
}

bool
geo_is_enabled(const struct geo *g)
{
	return g->enabled;
}

const char *
geo_database_type(const struct geo *g)
{
	return g->enabled ? g->db.metadata.database_type : NULL;
}

/* The UTF-8 string at a path in the entry: 1 found, 0 absent, -1 error. */
static int
get_str(MMDB_entry_s *entry, const char *const *path, const char **s_out,
        size_t *n_out, int *status_out)
{
	MMDB_entry_data_s d;
	int status = MMDB_aget_value(entry, &d, path);

	if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	    (status == MMDB_SUCCESS &&
	     (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)))
		return 0;
	if (status != MMDB_SUCCESS) {
		*status_out = status;
		return -1;
	}
	*s_out = d.utf8_string;
	*n_out = d.data_size;
	return 1;
}

static const char *const P_CC[] = {"country", "iso_code", NULL};
static const char *const P_RCC[] = {"registered_country", "iso_code", NULL};
static const char *const P_REGION[] = {"subdivisions", "0", "names", "en",
                                       NULL};
static const char *const P_CITY[] = {"city", "names", "en", NULL};

static enum cs_err
fill_side(const struct geo *g, struct event_batch *b, struct event *ev,
          const struct ip_addr *ip, const enum event_field f[3],
          unsigned *n_out, char why[GEO_WHY_MAX])
{
	const char *const *paths[3] = {P_CC, P_REGION, P_CITY};
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	MMDB_lookup_result_s res;
	char vwhy[EVENT_WHY_MAX];
	const char *s;
	size_t n;
	int gai, mmerr = MMDB_SUCCESS, found;
	enum cs_err err;

	memset(&ss, 0, sizeof(ss));
	if (ip->family == 4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->b, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip->b, 16);
	}
	res =
	    MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&ss, &mmerr);
	/* an IPv6 address in an IPv4-only database is simply not there */
	if (mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return CS_OK;
	if (mmerr != MMDB_SUCCESS) {
		snprintf(why, GEO_WHY_MAX, "lookup: %s", MMDB_strerror(mmerr));
		return CS_E_IO;
	}
	if (!res.found_entry)
		return CS_OK;
	for (int i = 0; i < 3; i++) {
		if (event_has(ev, f[i]))
			continue;
		found = get_str(&res.entry, paths[i], &s, &n, &gai);
		if (found == 0 && i == 0)
			found = get_str(&res.entry, P_RCC, &s, &n, &gai);
		if (found < 0) {
			snprintf(why, GEO_WHY_MAX, "%s: %s",
			         event_field_name(f[i]), MMDB_strerror(gai));
			return CS_E_IO;
		}
		if (found == 0)
			continue;
		err = event_set_text(b, ev, f[i], s, n, vwhy);
		if (err == CS_E_TOOBIG)
			return err;
		if (err == CS_OK)
			(*n_out)++;
	}
	return CS_OK;
}

enum cs_err
geo_enrich(const struct geo *g, struct event_batch *b, struct event *ev,
           unsigned *filled_out, char why[GEO_WHY_MAX])
{
	static const enum event_field src[3] = {
	    EF_SOURCE_GEO_CC, EF_SOURCE_GEO_REGION, EF_SOURCE_GEO_CITY};
	static const enum event_field dst[3] = {
	    EF_DEST_GEO_CC, EF_DEST_GEO_REGION, EF_DEST_GEO_CITY};
	unsigned n = 0;
	enum cs_err err = CS_OK;

	if (!g->enabled)
		goto out;
	if (event_has(ev, EF_SOURCE_IP) && !event_has(ev, EF_SOURCE_GEO_CC) &&
	    (err = fill_side(g, b, ev, &ev->source_ip, src, &n, why)) != CS_OK)
		goto out;
	if (event_has(ev, EF_DEST_IP) && !event_has(ev, EF_DEST_GEO_CC))
		err = fill_side(g, b, ev, &ev->dest_ip, dst, &n, why);
out:
	if (filled_out != NULL)
		*filled_out += n;
	return err;
}
