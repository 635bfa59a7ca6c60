/*
 * imap.c - polling an IMAP mailbox through libcurl.
 *
 * One easy handle, so one connection, serves the whole poll; every command
 * is a CURLOPT_CUSTOMREQUEST on the mailbox URL (libcurl SELECTs the
 * mailbox before the first one and remembers it):
 *
 *   UID SEARCH UNSEEN                      -> "* SEARCH 4 7 9"
 *   UID FETCH n (RFC822.SIZE)              -> "* 3 FETCH (UID n RFC822.SIZE
 * 1234)" UID FETCH n BODY.PEEK[]<off.len>       -> "* 3 FETCH (UID n
 * BODY[]<off> {m}" m bytes, ")" UID STORE n +FLAGS (\Seen)             after
 * deliver() returned CS_OK
 *
 * For a custom command libcurl hands only the first line of an untagged
 * response to the write callback ("* 3 FETCH (UID n BODY[]<0> {m}\r\n"); the
 * literal's bytes reach only the header callback, which gets every line the
 * server sends, byte for byte. So bodies are parsed from the header stream.
 * libcurl's reader strips a "line" longer than half its buffer, so the
 * buffer is set to CURL_MAX_READ_SIZE and bodies are fetched in FETCH_CHUNK
 * slices, far below that; a short literal is detected and is an error, not
 * a silently damaged message.
 *
 * Memory: the message buffer is at most max_size + 1 bytes, the capture
 * of one response at most FETCH_CHUNK + CAPTURE_SLACK, the UID list at
 * most SEARCH_MAX bytes of "* SEARCH" text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/xmalloc.h"
#include "mail/imap.h"
#include "mail/imap_parse.h"

#define FETCH_CHUNK   (64 * 1024)
#define CAPTURE_SLACK (64 * 1024)
#define SEARCH_MAX    (1024 * 1024)
#define CMD_MAX       128
#define READ_BUFFER   (512L * 1024)
#define RESYNC_MAX    16

/* A bounded byte buffer; over marks that something did not fit. */
struct cap {
	char *p;
	size_t len, max;
	bool over;
};

struct poll {
	const struct imap_config *c;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	struct cap body; /* write callback: untagged response lines */
	struct cap hdr;  /* header callback: every line from the server */
};

static void
cap_init(struct cap *b, size_t max)
{
	b->p = xmalloc(max);
	b->len = 0;
	b->max = max;
	b->over = false;
}

static void
cap_free(struct cap *b)
{
	free(b->p);
	b->p = NULL;
}

static size_t
cap_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct cap *b = arg;
	size_t n = size * nmemb, room = b->max - b->len;

	if (n > room) {
		b->over = true;
		n = room;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return size * nmemb; /* keep reading: over is checked afterwards */
}

/* Runs one command on the mailbox; captures are reset first. */
static enum cs_err
run(struct poll *pl, const char *cmd, char *why, size_t why_len)
{
	CURLcode rc;

	pl->body.len = pl->hdr.len = 0;
	pl->body.over = pl->hdr.over = false;
	pl->errbuf[0] = '\0';
	curl_easy_setopt(pl->h, CURLOPT_CUSTOMREQUEST, cmd);
	if ((rc = curl_easy_perform(pl->h)) != CURLE_OK) {
		snprintf(why, why_len, "imap: %s: %s", cmd,
		         pl->errbuf[0] != '\0' ? pl->errbuf
		                               : curl_easy_strerror(rc));
		return CS_E_IO;
	}
	return CS_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Parses the "* SEARCH n n ..." lines of buf into a sorted, duplicate-free
 * list of at most max UIDs. A cut-off last number (over) is dropped. */
size_t
imap_parse_search(const char *buf, size_t len, bool over, uint32_t **uids_out,
                  size_t max)
{
	uint32_t *u = NULL;
	size_t n = 0, cap = 0, i = 0, k;

	while (i < len) {
		size_t eol = i;

		while (eol < len && buf[eol] != '\n')
			eol++;
		if (eol - i >= 8 && memcmp(buf + i, "* SEARCH", 8) == 0) {
			size_t j = i + 8;

			while (j < eol) {
				uint64_t v = 0;
				size_t d = j;

				while (j < eol && buf[j] >= '0' &&
				       buf[j] <= '9') {
					if (v <= UINT32_MAX)
						v = v * 10 +
						    (uint64_t)(buf[j] - '0');
					j++;
				}
				if (j == d) {
					j++;
					continue;
				}
				if (over && j == len)
					break; /* possibly cut off */
				if (v == 0 || v > UINT32_MAX)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					u = xrealloc(u, cap * sizeof(*u));
				}
				u[n++] = (uint32_t)v;
			}
		}
		i = eol + 1;
	}
	if (n > 0) {
		qsort(u, n, sizeof(*u), cmp_u32);
		for (i = 1, k = 1; i < n; i++)
			if (u[i] != u[k - 1])
				u[k++] = u[i];
		n = k;
	}
	if (max > 0 && n > max)
		n = max;
	*uids_out = u;
	return n;
}

/* Finds "RFC822.SIZE <n>" in a FETCH response. */
bool
imap_parse_size(const char *buf, size_t len, size_t *size_out)
{
	static const char key[] = "RFC822.SIZE ";
	const size_t kl = sizeof(key) - 1;

	for (size_t i = 0; i + kl < len; i++) {
		size_t v = 0, j, d;

		if (memcmp(buf + i, key, kl) != 0)
			continue;
		for (j = i + kl; j < len && buf[j] >= '0' && buf[j] <= '9';
		     j++) {
			/* v * 10 + d must fit: 1844674407370955161 * 10 + 9
			 * would wrap to a small size */
			d = (size_t)(buf[j] - '0');
			if (v > (SIZE_MAX - d) / 10)
				return false;
			v = v * 10 + d;
		}
		if (j == i + kl)
			return false;
		*size_out = v;
		return true;
	}
	return false;
}

/* Reads "{digits}" ending right before eol (the CRLF ending a line). */
static bool
literal_at_eol(const char *line, size_t n, size_t *len_out)
{
	size_t j, v = 0;

	if (n >= 1 && line[n - 1] == '\r')
		n--;
	if (n < 3 || line[n - 1] != '}')
		return false;
	for (j = n - 1; j > 0 && line[j - 1] >= '0' && line[j - 1] <= '9'; j--)
		;
	if (j == 0 || j == n - 1 || line[j - 1] != '{')
		return false;
	for (size_t k = j; k < n - 1; k++) {
		if (v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(line[k] - '0');
	}
	*len_out = v;
	return true;
}

/* The BODY[] literal for uid in the header stream: see imap_parse.h. */
enum imap_body
imap_find_body(const char *s, size_t len, uint32_t uid, size_t *off_out,
               size_t *lit_out, size_t *avail_out)
{
	char want[32];
	size_t i = 0, wl;

	wl = (size_t)snprintf(want, sizeof(want), "UID %u ", uid);
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		const char *line = s + i;
		size_t eol, ll, lit, avail;

		if (nl == NULL)
			return IMAP_BODY_NONE;
		eol = (size_t)(nl - s);
		ll = eol - i;
		if (!literal_at_eol(line, ll, &lit)) {
			i = eol + 1;
			continue;
		}
		avail = len - (eol + 1);
		if (ll > 2 && memcmp(line, "* ", 2) == 0 &&
		    memmem(line, ll, " FETCH (", 8) != NULL &&
		    memmem(line, ll, "BODY[]", 6) != NULL &&
		    (memmem(line, ll, "UID ", 4) == NULL ||
		     memmem(line, ll, want, wl) != NULL)) {
			*off_out = eol + 1;
			*lit_out = lit;
			/* the response goes on: ")" or more items */
			if (lit >= avail || (s[eol + 1 + lit] != ')' &&
			                     s[eol + 1 + lit] != ' ')) {
				*avail_out = lit < avail ? lit : avail;
				return IMAP_BODY_PARTIAL;
			}
			*avail_out = lit;
			return IMAP_BODY_OK;
		}
		if (lit > avail)
			return IMAP_BODY_NONE;
		i = eol + 1 + lit; /* skip someone else's literal */
	}
	return IMAP_BODY_NONE;
}

/* How much of a literal cut short by a tag line to keep: see
 * imap_parse.h. */
size_t
imap_resync_keep(const char *lit, size_t avail)
{
	size_t ls = 0;

	for (size_t i = 0; i + 1 < avail; i++)
		if (lit[i] == '\n')
			ls = i + 1;
	return ls + 1 <= avail ? ls + 1 : avail;
}

static void setup(struct poll *pl);

/* A new handle, so a new connection (the old one is logged out). */
static enum cs_err
reconnect(struct poll *pl, char *why, size_t why_len)
{
	curl_easy_cleanup(pl->h);
	if ((pl->h = curl_easy_init()) == NULL) {
		snprintf(why, why_len, "imap: curl_easy_init failed");
		return CS_E_INTERNAL;
	}
	setup(pl);
	return CS_OK;
}

/* Fetches the first want bytes of uid into msg (at most max_size + 1).
 * *cut_out: the message could not be read whole (RESYNC_MAX reached); msg
 * then holds the part that could. */
static enum cs_err
fetch_body(struct poll *pl, uint32_t uid, char *msg, size_t want,
           size_t *got_out, bool *cut_out, char *why, size_t why_len)
{
	char cmd[CMD_MAX];
	size_t got = 0, off = 0, lit = 0, avail = 0, ask;
	int resyncs = 0;
	enum imap_body found;
	enum cs_err err = CS_OK;

	*cut_out = false;
	while (got < want) {
		ask = want - got < FETCH_CHUNK ? want - got : FETCH_CHUNK;
		snprintf(cmd, sizeof(cmd), "UID FETCH %u BODY.PEEK[]<%zu.%zu>",
		         uid, got, ask);
		err = run(pl, cmd, why, why_len);
		found = pl->hdr.over ? IMAP_BODY_NONE
		                     : imap_find_body(pl->hdr.p, pl->hdr.len,
		                                      uid, &off, &lit, &avail);
		if (found == IMAP_BODY_PARTIAL) {
			if (avail == 0 || ++resyncs > RESYNC_MAX) {
				*cut_out = true;
				err = reconnect(pl, why, why_len);
				break;
			}
			avail = imap_resync_keep(pl->hdr.p + off, avail);
			if (avail > ask)
				avail = ask;
			memcpy(msg + got, pl->hdr.p + off, avail);
			got += avail;
			if ((err = reconnect(pl, why, why_len)) != CS_OK)
				break;
			continue;
		}
		if (err != CS_OK)
			break;
		if (found == IMAP_BODY_NONE) {
			snprintf(why, why_len, "imap: %s: %s", cmd,
			         pl->hdr.over
			             ? "response too large"
			             : "no BODY[] literal in the response");
			err = CS_E_IO;
			break;
		}
		if (lit == 0)
			break; /* the message is shorter than announced */
		if (lit > ask)
			lit = ask;
		memcpy(msg + got, pl->hdr.p + off, lit);
		got += lit;
	}
	*got_out = got;
	return err;
}

static void
setup(struct poll *pl)
{
	const struct imap_config *c = pl->c;
	CURL *h = pl->h;

	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, pl->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD,
	                 c->password != NULL ? c->password : "");
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 c->tls_required ? (long)CURLUSESSL_ALL
	                                 : (long)CURLUSESSL_TRY);
	if (c->ca_file != NULL && c->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->timeout > 0) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout);
	}
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, READ_BUFFER);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cap_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &pl->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cap_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &pl->hdr);
}

static bool
mailbox_url_ok(const char *url)
{
	const char *p;

	if (strncmp(url, "imap://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "imaps://", 8) == 0)
		p = url + 8;
	else
		return false;
	p = strchr(p, '/');
	return p != NULL && p[1] != '\0' && strpbrk(url, "\r\n ") == NULL;
}

/* One message: size, body (PEEK), deliver, then \Seen. */
static enum cs_err
poll_one(struct poll *pl, uint32_t uid, imap_deliver_fn deliver, void *ctx,
         char *msg, bool *delivered_out, char *why, size_t why_len)
{
	const struct imap_config *c = pl->c;
	char cmd[CMD_MAX];
	size_t size, want, got;
	bool truncated, cut;
	enum cs_err err;

	*delivered_out = false;
	snprintf(cmd, sizeof(cmd), "UID FETCH %u (RFC822.SIZE)", uid);
	if ((err = run(pl, cmd, why, why_len)) != CS_OK)
		return err;
	if (!imap_parse_size(pl->body.p, pl->body.len, &size))
		return CS_OK; /* expunged meanwhile: nothing to deliver */
	truncated = size > c->max_size;
	want = truncated ? c->max_size + 1 : size;
	if ((err = fetch_body(pl, uid, msg, want, &got, &cut, why, why_len)) !=
	    CS_OK)
		return err;
	if (cut)
		truncated = true; /* a hostile message: quarantine what came */
	if (got > c->max_size) {
		truncated = true;
		got = c->max_size + 1;
	}
	if ((err = deliver(msg, got, truncated, ctx)) != CS_OK) {
		snprintf(why, why_len,
		         "imap: delivering UID %u failed: %s (left unseen)",
		         uid, cs_err_str(err));
		return err;
	}
	*delivered_out = true;
	snprintf(cmd, sizeof(cmd), "UID STORE %u +FLAGS (\\Seen)", uid);
	return run(pl, cmd, why, why_len);
}

enum cs_err
imap_poll(const struct imap_config *c, imap_deliver_fn deliver, void *ctx,
          size_t *delivered_out, char *why, size_t why_len)
{
	struct poll pl = {0};
	uint32_t *uids = NULL;
	char *msg = NULL;
	size_t n = 0, delivered = 0;
	bool ok;
	enum cs_err err = CS_OK;

	if (why_len > 0)
		why[0] = '\0';
	if (delivered_out != NULL)
		*delivered_out = 0;
	if (c == NULL || c->url == NULL || !mailbox_url_ok(c->url)) {
		snprintf(why, why_len,
		         "imap: URL must be imap[s]://host[:port]/MAILBOX");
		return CS_E_INVAL;
	}
	if (c->user == NULL || c->user[0] == '\0' || deliver == NULL ||
	    c->max_size == 0 || c->max_size >= SIZE_MAX - 1) {
		snprintf(why, why_len, "imap: bad configuration");
		return CS_E_INVAL;
	}
	pl.c = c;
	if ((pl.h = curl_easy_init()) == NULL) {
		snprintf(why, why_len, "imap: curl_easy_init failed");
		return CS_E_INTERNAL;
	}
	cap_init(&pl.body, SEARCH_MAX);
	cap_init(&pl.hdr, FETCH_CHUNK + CAPTURE_SLACK);
	setup(&pl);

	if ((err = run(&pl, "UID SEARCH UNSEEN", why, why_len)) != CS_OK)
		goto out;
	n = imap_parse_search(pl.body.p, pl.body.len, pl.body.over, &uids,
	                      c->max_messages);
	if (n > 0)
		msg = xmalloc(c->max_size + 1);
	for (size_t i = 0; i < n; i++) {
		err = poll_one(&pl, uids[i], deliver, ctx, msg, &ok, why,
		               why_len);
		if (ok)
			delivered++;
		if (err != CS_OK)
			goto out;
	}
out:
	if (delivered_out != NULL)
		*delivered_out = delivered;
	free(msg);
	free(uids);
	cap_free(&pl.body);
	cap_free(&pl.hdr);
	curl_easy_cleanup(pl.h);
	return err;
}
