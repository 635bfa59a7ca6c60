/*
 * fetch.c - scheduled URL fetches of feeds (fetch.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "pipeline/fetch.h"
#include "pipeline/pipeline.h"

#define VALIDATOR_MAX 256

struct fetch_entry {
	struct config_fetch def;
	char source[sizeof(((struct config_fetch *)0)->url)];
	char etag[VALIDATOR_MAX], modified[VALIDATOR_MAX];
	int64_t due;
};

struct fetcher {
	const struct config *cfg;
	struct collect *c;
	struct fetch_entry *e;
	size_t n;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
};

/* One transfer's state. */
struct xfer {
	struct collect *c;
	struct collect_spool *sp; /* opened by the first byte of a body */
	enum cs_err err;
	char etag[VALIDATOR_MAX], modified[VALIDATOR_MAX];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	char why[COLLECT_WHY_MAX];

	if (x->err != CS_OK)
		return 0;
	if (x->sp == NULL &&
	    (x->err = collect_spool_open(x->c, &x->sp, why)) != CS_OK) {
		log_warnx("msg=\"fetch: cannot spool\" why=\"%s\"", why);
		return 0;
	}
	if ((x->err = collect_spool_write(x->sp, ptr, n)) != CS_OK)
		return 0; /* stops the transfer */
	return n;
}

/* "Name: value\r\n" into out when the name matches (value trimmed). */
static void
header_value(const char *line, size_t len, const char *name, char *out,
             size_t outlen)
{
	size_t nl = strlen(name), v;

	if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 ||
	    line[nl] != ':')
		return;
	v = nl + 1;
	while (v < len && (line[v] == ' ' || line[v] == '\t'))
		v++;
	while (len > v && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	                   line[len - 1] == ' '))
		len--;
	if (len - v >= outlen)
		return; /* too long to send back: not kept */
	memcpy(out, line + v, len - v);
	out[len - v] = '\0';
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	/* a redirect's headers start over */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		x->etag[0] = x->modified[0] = '\0';
	header_value(ptr, n, "ETag", x->etag, sizeof(x->etag));
	header_value(ptr, n, "Last-Modified", x->modified, sizeof(x->modified));
	return n;
}

static void
fetch_one(struct fetcher *f, struct store *st, struct fetch_entry *e)
{
	struct xfer x = {0};
	struct curl_slist *hdrs = NULL;
	struct collect_result res;
	char why[COLLECT_WHY_MAX], errbuf[CURL_ERROR_SIZE] = "";
	char hdr[VALIDATOR_MAX + 32];
	long code = 0;
	CURLcode rc;
	CURL *h;
	enum cs_err err;

	x.c = f->c;
	if ((h = curl_easy_init()) == NULL)
		return;
	if (e->etag[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "If-None-Match: %s", e->etag);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	if (e->modified[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s",
		         e->modified);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	curl_easy_setopt(h, CURLOPT_URL, e->def.url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->cfg->fetch_ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, f->cfg->fetch_ca);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)f->cfg->fetch_timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer ends (and its spool file with it) */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	                 (curl_off_t)collect_report_max(f->c));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "csirtd/" CS_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || code != 200) {
		collect_spool_abort(x.sp);
		if (rc == CURLE_OK && code == 304)
			log_info("msg=\"fetch: not modified\" feed=%s url=%s",
			         e->def.feed, e->source);
		else if (x.err == CS_E_TOOBIG || rc == CURLE_FILESIZE_EXCEEDED)
			log_warnx("msg=\"fetch: larger than report_max\" "
			          "feed=%s url=%s",
			          e->def.feed, e->source);
		else
			log_warnx(
			    "msg=\"fetch failed\" feed=%s url=%s "
			    "status=%ld error=\"%s\"",
			    e->def.feed, e->source, code,
			    rc != CURLE_OK
			        ? (errbuf[0] ? errbuf : curl_easy_strerror(rc))
			        : "unexpected status");
		return;
	}
	if (x.sp == NULL || collect_spool_size(x.sp) == 0) {
		collect_spool_abort(x.sp);
		log_info("msg=\"fetch: empty\" feed=%s url=%s", e->def.feed,
		         e->source);
		return;
	}
	err = collect_spool_commit(f->c, st, x.sp, e->def.feed,
	                           e->def.report[0] ? e->def.report : NULL,
	                           e->source, NULL, &res, why);
	if (err != CS_OK) {
		log_warnx("msg=\"fetch: not queued\" feed=%s url=%s why=\"%s\"",
		          e->def.feed, e->source, why);
		return;
	}
	/* validators only for content that is safely queued */
	memcpy(e->etag, x.etag, sizeof(e->etag));
	memcpy(e->modified, x.modified, sizeof(e->modified));
	log_info("msg=\"fetched\" feed=%s url=%s report=%lld already=%s",
	         e->def.feed, e->source, (long long)res.report_id,
	         res.already ? "yes" : "no");
}

static void *
fetcher_main(void *arg)
{
	struct fetcher *f = arg;
	struct store *st = NULL;

	for (;;) {
		struct timespec ts;
		int64_t now = clock_now(), next = now + 86400;

		if (st == NULL && store_open(f->cfg->db_url, &st) != CS_OK) {
			log_warnx("msg=\"fetch: cannot open the database\"");
			st = NULL;
		}
		for (size_t i = 0; i < f->n && st != NULL; i++) {
			struct fetch_entry *e = &f->e[i];

			pthread_mutex_lock(&f->mu);
			if (f->stopping) {
				pthread_mutex_unlock(&f->mu);
				break;
			}
			pthread_mutex_unlock(&f->mu);
			if (e->due <= now) {
				fetch_one(f, st, e);
				e->due = clock_now() + e->def.interval;
			}
		}
		for (size_t i = 0; i < f->n; i++)
			if (f->e[i].due < next)
				next = f->e[i].due;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += next > clock_now() ? next - clock_now() : 1;
		pthread_mutex_lock(&f->mu);
		while (!f->stopping &&
		       pthread_cond_timedwait(&f->cv, &f->mu, &ts) == 0)
			;
		if (f->stopping) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		pthread_mutex_unlock(&f->mu);
	}
	store_close(st);
	return NULL;
}

struct fetcher *
fetcher_start(const struct config *cfg, struct collect *c, struct pipeline *p)
{
	struct config_fetch defs[CONFIG_FETCH_MAX];
	struct fetcher *f;
	char why[256];
	size_t n = 0;

	if (cfg->fetch[0] == '\0' ||
	    !config_fetch_parse(cfg->fetch, defs, CONFIG_FETCH_MAX, &n, why,
	                        sizeof(why)) ||
	    n == 0)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->cfg = cfg;
	f->c = c;
	f->e = xcalloc(n, sizeof(*f->e));
	for (size_t i = 0; i < n; i++) {
		struct fetch_entry *e = &f->e[f->n];
		char cwhy[COLLECT_WHY_MAX];
		const char *q;

		e->def = defs[i];
		snprintf(e->source, sizeof(e->source), "%s", defs[i].url);
		if ((q = strchr(e->source, '?')) != NULL)
			e->source[q - e->source] = '\0';
		if (!pipeline_feed_exists(p, defs[i].feed) ||
		    collect_check(c, defs[i].feed,
		                  defs[i].report[0] ? defs[i].report : NULL,
		                  e->source, cwhy) != CS_OK) {
			log_warnx("msg=\"fetch: entry skipped\" feed=%s url=%s "
			          "why=\"%s\"",
			          defs[i].feed, e->source,
			          pipeline_feed_exists(p, defs[i].feed)
			              ? cwhy
			              : "no such feed");
			continue;
		}
		f->n++;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (f->n == 0 ||
	    pthread_create(&f->thread, NULL, fetcher_main, f) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		free(f->e);
		free(f);
		return NULL;
	}
	log_info("msg=\"fetching feeds\" entries=%zu", n);
	return f;
}

void
fetcher_stop(struct fetcher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->e);
	free(f);
}
