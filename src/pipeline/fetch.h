/*
 * fetch.h - feeds fetched over HTTP(S) on a schedule ([pipeline] fetch).
 *
 * Each entry "FEED[/KIND] URL INTERVAL" is fetched when the server starts
 * and then every INTERVAL, by one thread through libcurl: HTTPS verified
 * (peer and host name; [pipeline] fetch_ca or the system's CA bundle),
 * http and https only (redirects too, at most 5), the body streamed to the
 * spool and bounded by [pipeline] report_max, the whole transfer bounded by
 * [pipeline] fetch_timeout. Requests are conditional: the ETag and
 * Last-Modified of the last content queued are sent back (If-None-Match,
 * If-Modified-Since), so an unchanged feed answers 304 and is not
 * downloaded again; the validators live in memory, so after a restart the
 * first fetch downloads, and collect.h answers "already processed" for
 * content the feed had. A Shadowserver report kind is KIND when given,
 * else detected from the URL's last path segment. The report's source is
 * the URL without its query.
 */
#ifndef CS_FETCH_H
#define CS_FETCH_H

#include "core/config.h"
#include "core/err.h"
#include "pipeline/collect.h"

struct fetcher;

/* NULL when cfg has no fetch entries (or they do not parse: config
 * checked them). Entries naming no feed are logged and skipped. */
struct fetcher *fetcher_start(const struct config *cfg, struct collect *c,
                              struct pipeline *p);
void fetcher_stop(struct fetcher *f);

#endif
