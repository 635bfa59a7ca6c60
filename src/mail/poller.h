/*
 * poller.h - the mailboxes of [mail] imap_url, polled by serve on a thread
 * of their own every imap_interval, or once by `csirtd mail poll`.
 */
#ifndef CS_POLLER_H
#define CS_POLLER_H

#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

struct poller;

/* Polls every configured mailbox once; *n_out counts messages taken in.
 * The first error is returned after every mailbox was tried. */
enum cs_err mail_poll_once(const struct config *cfg, struct store *st,
                           size_t *n_out, char *why, size_t why_len);

/* NULL (and nothing started) when no mailbox is configured. */
struct poller *poller_start(const struct config *cfg);
void poller_stop(struct poller *p);

#endif
