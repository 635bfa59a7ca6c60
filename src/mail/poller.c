/*
 * poller.c - IMAP polling into the intake; see poller.h.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/imap.h"
#include "mail/intake.h"
#include "mail/poller.h"

struct deliver_ctx {
	const struct config *cfg;
	struct store *st;
	struct arena *a;
	const char *via;
};

static enum cs_err
deliver(const char *raw, size_t len, bool truncated, void *arg)
{
	struct deliver_ctx *d = arg;
	struct intake_result res;
	enum cs_err err;

	arena_reset(d->a);
	err =
	    mail_intake(d->st, d->a, d->cfg, raw, len, truncated, d->via, &res);
	if (err == CS_OK)
		log_info("msg=\"mail taken in\" via=%s outcome=%s mail=%lld",
		         d->via, res.outcome, (long long)res.mail_id);
	else
		log_warnx("msg=\"mail not taken in, left on the server\" "
		          "via=%s error=%s",
		          d->via, cs_err_str(err));
	return err;
}

enum cs_err
mail_poll_once(const struct config *cfg, struct store *st, size_t *n_out,
               char *why, size_t why_len)
{
	char urls[sizeof(cfg->imap_url)], *save = NULL;
	struct deliver_ctx d = {.cfg = cfg, .st = st, .via = "imap"};
	enum cs_err first = CS_OK;

	*n_out = 0;
	why[0] = '\0';
	snprintf(urls, sizeof(urls), "%s", cfg->imap_url);
	d.a = arena_new((size_t)cfg->mail_max_size * 4 + (16u << 20));
	for (char *u = strtok_r(urls, " \t", &save); u != NULL;
	     u = strtok_r(NULL, " \t", &save)) {
		struct imap_config ic = {
		    .url = u,
		    .user = cfg->imap_user,
		    .password = cfg->imap_password,
		    .tls_required = cfg->imap_tls,
		    .ca_file = cfg->imap_ca[0] ? cfg->imap_ca : NULL,
		    .timeout = 60,
		    .max_size = (size_t)cfg->mail_max_size,
		    .max_messages = 500,
		};
		char w[256] = "";
		size_t n = 0;
		enum cs_err err = imap_poll(&ic, deliver, &d, &n, w, sizeof(w));

		*n_out += n;
		if (err != CS_OK && first == CS_OK) {
			first = err;
			snprintf(why, why_len, "%s", w);
		}
	}
	arena_free(d.a);
	return first;
}

struct poller {
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
};

static void *
poller_main(void *arg)
{
	struct poller *p = arg;
	struct store *st = NULL;

	for (;;) {
		struct timespec ts;
		char why[256];
		size_t n;
		enum cs_err err;

		if (st == NULL && store_open(p->cfg->db_url, &st) != CS_OK) {
			log_warnx("msg=\"mail poller: cannot open the "
			          "database\"");
			st = NULL;
		}
		if (st != NULL) {
			err = mail_poll_once(p->cfg, st, &n, why, sizeof(why));
			if (err != CS_OK)
				log_warnx("msg=\"mail poll failed\" error=%s "
				          "why=\"%s\"",
				          cs_err_str(err), why);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += p->cfg->imap_interval;
		pthread_mutex_lock(&p->mu);
		while (!p->stopping &&
		       pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
			;
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
	}
	store_close(st);
	return NULL;
}

struct poller *
poller_start(const struct config *cfg)
{
	struct poller *p;

	if (cfg->imap_url[0] == '\0')
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->cfg = cfg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
		log_warnx("msg=\"cannot start the mail poller\"");
		free(p);
		return NULL;
	}
	return p;
}

void
poller_stop(struct poller *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
