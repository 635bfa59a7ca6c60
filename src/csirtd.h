/*
 * csirtd.h - the one server struct, built by main() and passed down.
 *
 * It is the only mutable state shared between threads; everything in it is
 * either immutable after start (cfg, login) or thread-safe (pool, metrics,
 * jobs).
 */
#ifndef CS_CSIRTD_H
#define CS_CSIRTD_H

#include <stdbool.h>

#include "core/config.h"
#include "core/proxies.h"
#include "core/credentials.h"
#include "core/incidents.h"
#include "store/store.h"

struct metrics;
struct jobs;
struct constituency_index;
struct pipeline;
struct collect;
struct collectors;

struct cs_server {
	struct config cfg;
	struct login_policy login;
	struct incident_policy incidents;
	struct store_pool *pool;
	struct metrics *metrics;
	struct jobs *jobs;
	struct constituency_index *constituency; /* the lookup index */
	struct pipeline *pipeline; /* the configured pipeline (thread-safe) */
	struct collect *collect;   /* the spool reports are queued through */
	bool secure_cookies;       /* served over TLS, directly or by a proxy */
	struct proxies proxies;    /* [server] trusted_proxies */
};

#endif
