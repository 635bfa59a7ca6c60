/*
 * geo.h - country, region and city of an address from a MaxMind database.
 *
 * Reads any MaxMind DB format 2 file (GeoLite2/GeoIP2 Country or City,
 * DB-IP's lite databases, ...) through libmaxminddb, memory-mapped. Values
 * used: country.iso_code (else registered_country.iso_code) for
 * *.geolocation.cc, subdivisions[0].names.en for *.geolocation.region and
 * city.names.en for *.geolocation.city; a database without region or city
 * (Country editions) fills the country only.
 *
 * Optional: geo_open() with no path gives a disabled handle and
 * geo_enrich() then does nothing, so callers need no special case.
 *
 * Fill rule: a side (source.ip, destination.ip) is looked up only when the
 * event has no geolocation.cc for it: the feed's own geolocation wins as a
 * whole (no city from the database next to a country from the feed). Then
 * cc, region and city are set where absent. A country code that is not two
 * letters is ignored rather than stored.
 *
 * Ownership and threads: the handle owns the mapping; lookups only read, so
 * any number of threads may call geo_enrich() on one handle. Reload = open
 * a new handle, publish it, free the old one when no reader holds it (the
 * same contract as asn_holder in asn.h).
 */
#ifndef CS_GEO_H
#define CS_GEO_H

#include <stdbool.h>

#include "core/err.h"
#include "pipeline/event.h"

#define GEO_WHY_MAX 256

struct geo;

/* path NULL or "": a disabled handle. CS_E_IO if the file cannot be read,
 * CS_E_INVAL if it is not a valid MaxMind DB; why names the file and the
 * libmaxminddb reason. */
enum cs_err geo_open(const char *path, struct geo **out, char why[GEO_WHY_MAX]);
void geo_free(struct geo *g);
bool geo_is_enabled(const struct geo *g);
/* The database_type from the metadata ("GeoLite2-City", ...); NULL when
 * disabled. */
const char *geo_database_type(const struct geo *g);

/* Fills absent geolocation fields (see above) and adds how many it set to
 * *filled_out (may be NULL). CS_E_IO with why on a damaged database
 * (corrupt tree or data), CS_E_TOOBIG at the batch's memory cap. */
enum cs_err geo_enrich(const struct geo *g, struct event_batch *b,
                       struct event *ev, unsigned *filled_out,
                       char why[GEO_WHY_MAX]);

#endif
