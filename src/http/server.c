/*
 * server.c - all libmicrohttpd glue: connections, bodies, dispatch,
 * responses, idempotency keys, the request log and graceful shutdown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/xmalloc.h"
#include "http/auth.h"
#include "http/metrics.h"
#include "http/server.h"

#define DRAIN_SECONDS 30
#define IDEM_KEY_MAX  255
/* a streamed body answered early: read and dropped up to this, then the
 * connection is closed */
#define DROP_MAX (16u << 20)

struct httpd {
	struct MHD_Daemon *d;
	struct cs_server *srv;
	_Atomic int inflight;
	char *tls_cert, *tls_key;
};

/* ---- request input ---- */

const char *
req_header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
req_query(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

const char *
req_cookie(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

struct store *
req_store(struct request *req)
{
	if (req->st == NULL)
		req->st = store_acquire(req->srv->pool);
	return req->st;
}

bool
req_json_object(struct request *req, json_t **out)
{
	const char *ct = req_header(req, "Content-Type");
	json_error_t jerr;
	json_t *obj;
	char *detail;

	if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0 &&
	    strstr(ct, "+json") == NULL) {
		reply_problem(req, 415, "the body must be application/json");
		return false;
	}
	if (req->body_len == 0) {
		reply_problem(req, 400, "a JSON object body is required");
		return false;
	}
	obj =
	    json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		detail = arena_printf(req->a,
		                      "malformed JSON at line %d, column %d: "
		                      "%s",
		                      jerr.line, jerr.column, jerr.text);
		reply_problem(req, 400, detail ? detail : "malformed JSON");
		return false;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		reply_problem(req, 400, "the body must be a JSON object");
		return false;
	}
	*out = obj;
	return true;
}

/* ---- responses ---- */

void
req_add_header(struct request *req, const char *name, const char *value)
{
	if (req->nhdrs < REQ_HDRS) {
		req->hdrs[req->nhdrs].name = name;
		req->hdrs[req->nhdrs].value = value;
		req->nhdrs++;
	}
}

void
reply(struct request *req, int status, const char *ctype, const char *body,
      size_t len)
{
	req->status = status;
	req->ctype = ctype;
	req->resp = body;
	req->resp_len = len;
	req->replied = true;
}

void
reply_json(struct request *req, int status, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	char *copy = text ? arena_strdup(req->a, text) : NULL;

	free(text);
	json_decref(obj);
	if (copy == NULL) {
		reply_problem(req, 500, "the response is too large");
		return;
	}
	reply(req, status, "application/json", copy, strlen(copy));
}

static const char *
status_slug(int status, const char **title)
{
	static const struct {
		int status;
		const char *slug, *title;
	} t[] = {
	    {400, "bad-request", "Bad Request"},
	    {401, "unauthorized", "Unauthorized"},
	    {403, "forbidden", "Forbidden"},
	    {404, "not-found", "Not Found"},
	    {405, "method-not-allowed", "Method Not Allowed"},
	    {409, "conflict", "Conflict"},
	    {412, "precondition-failed", "Precondition Failed"},
	    {413, "content-too-large", "Content Too Large"},
	    {415, "unsupported-media-type", "Unsupported Media Type"},
	    {422, "unprocessable-content", "Unprocessable Content"},
	    {428, "precondition-required", "Precondition Required"},
	    {429, "too-many-requests", "Too Many Requests"},
	    {503, "unavailable", "Service Unavailable"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].status == status) {
			*title = t[i].title;
			return t[i].slug;
		}
	*title = "Internal Server Error";
	return "internal";
}

static void
problem(struct request *req, int status, const char *slug_override,
        const char *detail, const struct verrs *ve)
{
	const char *title, *slug = status_slug(status, &title);
	char type[96];
	json_t *p;

	if (slug_override != NULL)
		slug = slug_override;
	snprintf(type, sizeof(type), "urn:csirtd:problem:%s", slug);
	p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", type, "title", title,
	              "status", status, "detail", detail ? detail : title,
	              "instance", req->path ? req->path : "/");
	if (p == NULL) /* detail was not valid UTF-8 */
		p = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", title,
		              "status", status, "instance", "/");
	if (ve != NULL && ve->n > 0) {
		json_t *errs = json_array();

		for (size_t i = 0; i < ve->n; i++) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "#/%s", ve->e[i].field);
			json_array_append_new(
			    errs, json_pack("{s:s,s:s,s:s}", "field",
			                    ve->e[i].field, "pointer", ptr,
			                    "detail", ve->e[i].detail));
		}
		json_object_set_new(p, "errors", errs);
	}
	reply_json(req, status, p);
	req->ctype = "application/problem+json";
}

void
reply_problem(struct request *req, int status, const char *detail)
{
	problem(req, status, NULL, detail, NULL);
}

void
reply_verrs(struct request *req, int status, const struct verrs *ve)
{
	char *detail = NULL;

	if (ve->n == 1)
		detail = arena_printf(req->a, "%s %s", ve->e[0].field,
		                      ve->e[0].detail);
	problem(req, status, status == 400 ? "validation" : NULL,
	        detail ? detail : "the request has invalid fields", ve);
}

int
cs_err_http(enum cs_err err)
{
	switch (err) {
	case CS_OK:
		return 200;
	case CS_E_INVAL:
		return 400;
	case CS_E_AUTH:
		return 401;
	case CS_E_DENIED:
		return 403;
	case CS_E_NOTFOUND:
		return 404;
	case CS_E_CONFLICT:
		return 409;
	case CS_E_STALE:
		return 412;
	case CS_E_TOOBIG:
		return 413;
	case CS_E_LIMITED:
		return 429;
	case CS_E_DB:
	case CS_E_IO:
		return 503;
	case CS_E_INTERNAL:
		break;
	}
	return 500;
}

void
reply_err(struct request *req, enum cs_err err, const char *detail)
{
	if (detail == NULL) {
		switch (err) {
		case CS_E_STALE:
			detail = "the object changed since it was read "
			         "(If-Match does not match its ETag)";
			break;
		case CS_E_DB:
			detail = "the database is unavailable; try again";
			break;
		default:
			detail = cs_err_str(err);
		}
	}
	reply_problem(req, cs_err_http(err), detail);
}

/* ---- idempotency keys ---- */

static bool
idem_key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (; *k; k++)
		if (*k < 0x21 || *k > 0x7e)
			return false;
	return true;
}

/* Runs the handler under an Idempotency-Key: a retried POST gets the first
 * answer, and its effect happens once. */
static void
run_idempotent(struct request *req, const struct route *r, const char *key)
{
	struct store *st = req_store(req);
	char hash[SECRET_SHA256_HEX];
	struct idem old = {0};
	bool claimed;
	enum cs_err err;
	char *msg;
	size_t plen = strlen(req->path);

	if (!idem_key_valid(key)) {
		reply_problem(req, 400,
		              "Idempotency-Key must be 1 to 255 visible ASCII "
		              "characters");
		return;
	}
	msg = arena_alloc(req->a, plen + req->body_len + 2);
	if (msg == NULL) {
		reply_problem(req, 413, "request too large");
		return;
	}
	memcpy(msg, req->path, plen);
	msg[plen] = '\n';
	if (req->body_len > 0)
		memcpy(msg + plen + 1, req->body, req->body_len);
	sha256_hex(msg, plen + 1 + req->body_len, hash);
	err = store_call(st, idem_claim, req->a, req->user.id, key, hash,
	                 clock_now(), &claimed, &old);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (!claimed) {
		if (strcmp(old.req_hash, hash) != 0)
			reply_problem(req, 422,
			              "this Idempotency-Key was used for a "
			              "different request");
		else if (!old.done)
			reply_problem(req, 409,
			              "a request with this Idempotency-Key is "
			              "still in progress");
		else {
			reply(req, old.status, old.content_type, old.body,
			      strlen(old.body));
			req_add_header(req, "Idempotency-Replayed", "true");
		}
		return;
	}
	r->handler(req);
	if (req->replied && req->status < 500)
		err = store_call(st, idem_finish, req->user.id, key,
		                 req->status, req->ctype, req->resp);
	else
		err = store_call(st, idem_release, req->user.id, key);
	if (err != CS_OK)
		log_warnx("msg=\"idempotency record not saved\" key_len=%zu",
		          strlen(key));
}

/* ---- dispatch ---- */

static void
dispatch(struct request *req)
{
	size_t seglen = strlen(req->path) + 1;
	char *segbuf = arena_alloc(req->a, seglen), allow[64];
	const struct route *r;
	const char *key;
	int idx;

	if (segbuf == NULL || req->path[0] != '/') {
		reply_problem(req, 400, "bad request path");
		return;
	}
	idx = router_match(req->method, req->path, segbuf, seglen, req->params,
	                   allow, sizeof(allow));
	if (idx == -1) {
		char *a = arena_strdup(req->a, allow);

		req_add_header(req, "Allow", a ? a : "GET");
		reply_problem(req, 405,
		              "this resource does not allow that "
		              "method");
		return;
	}
	if (idx < 0) {
		reply_problem(req, 404, "no such resource");
		return;
	}
	req->route = idx;
	r = router_route((size_t)idx);
	if (req->body_too_big) {
		char *d =
		    arena_printf(req->a, "the body is larger than %lld bytes",
		                 (long long)req->srv->cfg.max_body);
		reply_problem(req, 413, d);
		return;
	}
	if (!auth_request(req, r->access))
		return;
	key = req_header(req, "Idempotency-Key");
	if (key != NULL && req->authed && strcmp(req->method, "POST") == 0)
		run_idempotent(req, r, key);
	else
		r->handler(req);
	if (!req->replied)
		reply_problem(req, 500, "the handler gave no answer");
}

/* A streamed route: matched, access-checked and begun on the headers, so
 * that a refusal comes before the body is taken. */
static void
stream_begin(struct request *req)
{
	size_t seglen = strlen(req->path) + 1;
	char *segbuf = arena_alloc(req->a, seglen), allow[64];
	const struct route_stream *rs;
	int idx;

	if (segbuf == NULL || req->path[0] != '/')
		return;
	idx = router_match(req->method, req->path, segbuf, seglen, req->params,
	                   allow, sizeof(allow));
	if (idx < 0 || (rs = router_stream((size_t)idx)) == NULL)
		return;
	req->route = idx;
	req->stream = rs;
	if (auth_request(req, router_route((size_t)idx)->access))
		(void)rs->begin(req);
	if (req->st != NULL) { /* not held while the body arrives */
		store_rollback(req->st);
		store_release(req->srv->pool, req->st);
		req->st = NULL;
	}
}

static bool
expects_continue(struct request *req)
{
	const char *e = req_header(req, "Expect");

	return e != NULL && strcasecmp(e, "100-continue") == 0;
}

static void
client_addr(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		          out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)n);
}

static enum MHD_Result
queue(struct request *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    req->resp_len, (void *)(uintptr_t)req->resp,
	    req->resp_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	                        req->ctype ? req->ctype : "text/plain");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
	                        req->csp ? req->csp
	                                 : "default-src 'none'; "
	                                   "frame-ancestors 'none'");
	if (!req->no_store)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (size_t i = 0; i < req->nhdrs; i++)
		MHD_add_response_header(resp, req->hdrs[i].name,
		                        req->hdrs[i].value);
	rc = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct request *req = *con_cls;

	(void)version;
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->srv = h->srv;
		req->conn = conn;
		req->t0 = clock_mono();
		req->route = -1;
		req->a = arena_new((size_t)h->srv->cfg.request_memory);
		req->method = arena_strdup(req->a, method);
		req->path = arena_strdup(req->a, url);
		{
			char peer[sizeof(req->addr)];

			client_addr(conn, peer, sizeof(peer));
			proxies_client(
			    &h->srv->proxies, peer,
			    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
			                                "X-Forwarded-For"),
			    req->addr, sizeof(req->addr));
		}
		atomic_fetch_add(&h->inflight, 1);
		*con_cls = req;
		if (req->method != NULL && req->path != NULL &&
		    strcmp(req->method, "POST") == 0)
			stream_begin(req);
		/* refused on the headers: a client waiting for 100 Continue
		 * hears the answer now */
		if (req->stream != NULL && req->replied &&
		    expects_continue(req))
			goto answer;
		return MHD_YES;
	}
	if (*upload_size > 0 && req->stream != NULL) {
		if (!req->replied)
			(void)req->stream->data(req, upload, *upload_size);
		else if ((req->dropped += *upload_size) > DROP_MAX)
			return MHD_NO; /* stop reading a refused body */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size, max = (size_t)h->srv->cfg.max_body;

		if (!req->body_too_big && req->body_len + n > max) {
			req->body_too_big = true;
			free(req->body);
			req->body = NULL;
			req->body_len = req->body_cap = 0;
		}
		if (!req->body_too_big) {
			if (req->body_len + n + 1 > req->body_cap) {
				size_t cap =
				    req->body_cap ? req->body_cap : 4096;

				while (cap < req->body_len + n + 1)
					cap *= 2;
				if (cap > max + 1)
					cap = max + 1;
				req->body = xrealloc(req->body, cap);
				req->body_cap = cap;
			}
			memcpy(req->body + req->body_len, upload, n);
			req->body_len += n;
			req->body[req->body_len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->method == NULL || req->path == NULL)
		reply_problem(req, 500, "out of request memory");
	else if (req->stream != NULL && !req->replied)
		router_route((size_t)req->route)->handler(req);
	else if (req->stream == NULL)
		dispatch(req);
	if (!req->replied)
		reply_problem(req, 500, "the handler gave no answer");
answer:
	/* counted before the answer leaves, so a client that reads /metrics
	 * next sees this request in it */
	metrics_request(h->srv->metrics,
	                req->route >= 0 ? (size_t)req->route : router_count(),
	                req->status, clock_mono() - req->t0);
	req->counted = true;
	return queue(req);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct request *req = *con_cls;
	double dur;
	char path[256];

	(void)conn;
	if (req == NULL)
		return;
	dur = clock_mono() - req->t0;
	if (!req->replied)
		req->status =
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? 200 : 499;
	if (!req->counted) /* ended before an answer was queued */
		metrics_request(h->srv->metrics,
		                req->route >= 0 ? (size_t)req->route
		                                : router_count(),
		                req->status, dur);
	log_info("msg=request method=%s path=\"%s\" status=%d dur_ms=%.2f "
	         "addr=%s user=%s bytes=%zu",
	         req->method ? req->method : "?",
	         log_esc(path, sizeof(path), req->path ? req->path : "?"),
	         req->status, dur * 1000, req->addr,
	         req->authed ? req->user.login : "-", req->resp_len);
	if (req->stream != NULL && req->stream->cleanup != NULL)
		req->stream->cleanup(req);
	if (req->st != NULL) {
		store_rollback(req->st); /* no transaction outlives a request */
		store_release(h->srv->pool, req->st);
	}
	free(req->body);
	arena_free(req->a);
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding of paths and query values, in place. An escape that
 * would produce a NUL (or is malformed) is kept literally, so "%00" can never
 * cut a path or a value short: "/users/admin%00" is not "/users/admin". */
static size_t
unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		int hi, lo;

		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 &&
		    (lo = hexval(r[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096)
			buf = xrealloc(buf, cap = cap ? cap * 2 : 8192);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0 && n < (1 << 20));
	fclose(f);
	buf[n] = '\0';
	return buf;
}

enum cs_err
server_start(struct cs_server *srv, struct httpd **out)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	struct sockaddr_storage ss = {0};
	char host[256];
	int port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG;

	h->srv = srv;
	if (!listen_parse(srv->cfg.listen, host, sizeof(host), &port))
		return CS_E_INVAL;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host,
	                     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else if (strcmp(host, "localhost") == 0) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
	} else {
		log_error("msg=\"listen address must be a numeric IP\" "
		          "listen=%s",
		          srv->cfg.listen);
		free(h);
		return CS_E_INVAL;
	}
	if (srv->cfg.tls_cert[0] != '\0') {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			log_error("msg=\"this libmicrohttpd has no TLS\"");
			free(h);
			return CS_E_INVAL;
		}
		h->tls_cert = slurp(srv->cfg.tls_cert);
		h->tls_key = slurp(srv->cfg.tls_key);
		if (h->tls_cert == NULL || h->tls_key == NULL) {
			log_warn("msg=\"cannot read TLS certificate or key\"");
			free(h->tls_cert);
			free(h->tls_key);
			free(h);
			return CS_E_IO;
		}
		flags |= MHD_USE_TLS;
	}
	h->d = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)0,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
	    h->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	    h->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_END);
	if (h->d == NULL) {
		log_error("msg=\"cannot listen\" listen=%s", srv->cfg.listen);
		free(h->tls_cert);
		free(h->tls_key);
		free(h);
		return CS_E_IO;
	}
	*out = h;
	return CS_OK;
}

void
server_stop(struct httpd *h)
{
	MHD_socket fd;
	double until = clock_mono() + DRAIN_SECONDS;

	if (h == NULL)
		return;
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&h->inflight) > 0 && clock_mono() < until) {
		struct timespec ts = {0, 10 * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (atomic_load(&h->inflight) > 0)
		log_warnx("msg=\"requests still running at shutdown\" n=%d",
		          atomic_load(&h->inflight));
	MHD_stop_daemon(h->d);
	free(h->tls_cert);
	free(h->tls_key);
	free(h);
}
