/*
 * smtp.c - one message to an SMTP relay through libcurl.
 *
 * The message is streamed from the caller's buffer (no copy): bare LF line
 * ends become CRLF on the way, libcurl does the dot-stuffing. Outcomes are
 * classified by the relay's last reply code: 5xx (and a refused login) is
 * permanent, everything else that is not a 2xx is worth a retry.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "mail/smtp.h"

/* Longest EHLO name and URL we build. */
#define HELO_MAX 255
#define URL_MAX  2048

struct reader {
	const char *data;
	size_t len;
	size_t pos;
	bool prev_cr; /* the last byte handed out was CR */
};

enum cs_err
smtp_global_init(void)
{
	static bool done;

	if (done)
		return CS_OK;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return CS_E_INTERNAL;
	done = true;
	return CS_OK;
}

/* Copies the message, turning a bare LF into CRLF; a CRLF split between two
 * calls is recognised through prev_cr. */
static size_t
read_cb(char *out, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t room = size * nitems, n = 0;

	while (r->pos < r->len && n < room) {
		char ch = r->data[r->pos];

		if (ch == '\n' && !r->prev_cr) {
			out[n++] = '\r';
			r->prev_cr =
			    true; /* the LF follows, now or next call */
			continue;
		}
		out[n++] = ch;
		r->prev_cr = ch == '\r';
		r->pos++;
	}
	return n;
}

static bool
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static bool
helo_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > HELO_MAX)
		return false;
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' ||
		      *h == '[' || *h == ']' || *h == ':'))
			return false;
	return true;
}

/* libcurl takes the EHLO name from the URL's path: smtp://host:port/name. */
static enum cs_err
build_url(const struct smtp_config *c, char *url, size_t url_len, char *why,
          size_t why_len)
{
	const char *sep, *path;
	int n;

	if (c->helo == NULL) {
		n = snprintf(url, url_len, "%s", c->url);
	} else {
		if (!helo_ok(c->helo)) {
			snprintf(why, why_len, "smtp: bad EHLO name");
			return CS_E_INVAL;
		}
		sep = strstr(c->url, "://");
		path = sep != NULL ? strchr(sep + 3, '/') : NULL;
		n = snprintf(url, url_len, "%.*s/%s",
		             (int)(path != NULL ? (size_t)(path - c->url)
		                                : strlen(c->url)),
		             c->url, c->helo);
	}
	if (n < 0 || (size_t)n >= url_len) {
		snprintf(why, why_len, "smtp: URL too long");
		return CS_E_INVAL;
	}
	return CS_OK;
}

static enum cs_err
validate(const struct smtp_config *c, const char *from_addr,
         const char *const *rcpt, size_t n_rcpt, const char *data, char *why,
         size_t why_len)
{
	if (c == NULL || c->url == NULL || c->url[0] == '\0' ||
	    has_crlf(c->url)) {
		snprintf(why, why_len, "smtp: no relay URL");
		return CS_E_INVAL;
	}
	if (strncmp(c->url, "smtp://", 7) != 0 &&
	    strncmp(c->url, "smtps://", 8) != 0) {
		snprintf(why, why_len, "smtp: URL must be smtp:// or smtps://");
		return CS_E_INVAL;
	}
	if (from_addr == NULL || has_crlf(from_addr)) {
		snprintf(why, why_len, "smtp: bad sender address");
		return CS_E_INVAL;
	}
	if (rcpt == NULL || n_rcpt == 0) {
		snprintf(why, why_len, "smtp: no recipient");
		return CS_E_INVAL;
	}
	for (size_t i = 0; i < n_rcpt; i++)
		if (rcpt[i] == NULL || rcpt[i][0] == '\0' ||
		    has_crlf(rcpt[i])) {
			snprintf(why, why_len, "smtp: bad recipient address");
			return CS_E_INVAL;
		}
	if (data == NULL) {
		snprintf(why, why_len, "smtp: no message");
		return CS_E_INVAL;
	}
	return CS_OK;
}

/* Permanent: a 5xx reply, or a login the relay refused for good.
 * Configuration mistakes libcurl detects itself are permanent as well. */
static enum cs_err
classify(CURLcode rc, long code)
{
	if (code >= 500)
		return CS_E_INVAL;
	if (code >= 400)
		return CS_E_IO;
	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return CS_E_INVAL;
	default:
		return CS_E_IO;
	}
}

enum cs_err
smtp_send(const struct smtp_config *c, const char *from_addr,
          const char *const *rcpt, size_t n_rcpt, const char *data, size_t len,
          char *why, size_t why_len)
{
	char errbuf[CURL_ERROR_SIZE], url[URL_MAX];
	struct reader rd = {data, len, 0, false};
	struct curl_slist *rcpts = NULL, *tmp;
	CURL *h = NULL;
	CURLcode rc;
	long code = 0;
	enum cs_err err;

	if (why_len > 0)
		why[0] = '\0';
	if ((err = validate(c, from_addr, rcpt, n_rcpt, data, why, why_len)) !=
	        CS_OK ||
	    (err = build_url(c, url, sizeof(url), why, why_len)) != CS_OK)
		return err;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(why, why_len, "smtp: curl_easy_init failed");
		return CS_E_INTERNAL;
	}
	for (size_t i = 0; i < n_rcpt; i++) {
		if ((tmp = curl_slist_append(rcpts, rcpt[i])) == NULL) {
			snprintf(why, why_len, "smtp: out of memory");
			err = CS_E_INTERNAL;
			goto out;
		}
		rcpts = tmp;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_addr);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
#ifdef CURLOPT_MAIL_RCPT_ALLOWFAILS
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 0L);
#else
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 0L);
#endif
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 c->tls_required ? (long)CURLUSESSL_ALL
	                                 : (long)CURLUSESSL_TRY);
	if (c->user != NULL && c->user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		                 c->password != NULL ? c->password : "");
	}
	if (c->ca_file != NULL && c->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->timeout > 0) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout);
	}

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		err = CS_OK;
		goto out;
	}
	err = classify(rc, code);
	snprintf(why, why_len, "smtp: %s (reply %ld)",
	         errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc), code);
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	return err;
}
