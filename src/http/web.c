/*
 * web.c - the web pages: the public portal at /, the analysts' workspace
 * at /ui/, their static files at /static/, and the team's security.txt.
 *
 * Everything is embedded in the binary at build time (src/web/, see
 * tools/mkassets.c): no CDN, works offline. Pages get a strict
 * Content-Security-Policy (scripts and styles from this origin only, no
 * inline script); static files an ETag and revalidation.
 */
#include <stdio.h>
#include <string.h>

#include "core/assets.h"
#include "core/clock.h"
#include "http/handlers.h"
#include "http/server.h"

#define PAGE_CSP                                                               \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; "       \
	"base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

/* Answers with the embedded file at path (relative to src/). */
static void
send_asset(struct request *req, const struct asset *a)
{
	const char *inm = req_header(req, "If-None-Match");

	req->no_store = true;
	req->csp = PAGE_CSP;
	req_add_header(req, "ETag", a->etag);
	req_add_header(req, "Cache-Control", "no-cache");
	if (inm != NULL && strcmp(inm, a->etag) == 0) {
		reply(req, 304, a->mime, "", 0);
		return;
	}
	req->resp_static = true;
	reply(req, 200, a->mime, (const char *)a->data, a->len);
}

/* A path below a web directory: no "..", no hidden files, no empty
 * segments. */
static bool
safe_rest(const char *rest)
{
	const char *s = rest;

	if (*s == '\0')
		return false;
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		if (len == 0 || s[0] == '.')
			return false;
		if (slash == NULL)
			return true;
		s = slash + 1;
	}
}

static void
not_found(struct request *req)
{
	reply_problem(req, 404, "no such page");
}

/* GET /static/{*}: scripts, styles, translation catalogues. */
void
web_static(struct request *req)
{
	char path[512];
	const struct asset *a;

	if (!safe_rest(req->params[0]) ||
	    snprintf(path, sizeof(path), "web/%s", req->params[0]) >=
	        (int)sizeof(path) ||
	    (a = asset_find(path)) == NULL) {
		not_found(req);
		return;
	}
	send_asset(req, a);
}

/* GET /ui/{*}: the workspace is one page; its own router reads the path. */
void
web_ui(struct request *req)
{
	const struct asset *a = asset_find("web/ui/index.html");

	if (a == NULL) {
		not_found(req);
		return;
	}
	send_asset(req, a);
}

/* GET / and the portal's pages. An API client asking for JSON at / gets
 * the service description. */
void
web_portal(struct request *req)
{
	const char *accept = req_header(req, "Accept");
	const struct asset *a = asset_find("web/portal/index.html");

	if (strcmp(req->path, "/") == 0 && accept != NULL &&
	    strstr(accept, "application/json") != NULL &&
	    strstr(accept, "text/html") == NULL) {
		api_root(req);
		return;
	}
	if (a == NULL) {
		api_root(req);
		return;
	}
	send_asset(req, a);
}

/* GET /.well-known/security.txt (RFC 9116), from the configuration. It
 * expires in a year from each answer: the file is generated, so it is as
 * current as the configuration that serves it. */
void
web_security_txt(struct request *req)
{
	const struct config *c = &req->srv->cfg;
	char expires[CLOCK_RFC3339_MAX], *out;
	size_t cap = 2048;
	int n;

	if (c->team_email[0] == '\0') {
		reply_problem(
		    req, 404,
		    "no security contact is configured ([team] email)");
		return;
	}
	clock_fmt(clock_now() + 365 * 86400, expires);
	if ((out = arena_alloc(req->a, cap)) == NULL) {
		reply_err(req, CS_E_TOOBIG, NULL);
		return;
	}
	n = snprintf(
	    out, cap,
	    "# %s\n"
	    "Contact: mailto:%s\n"
	    "Expires: %s\n"
	    "Preferred-Languages: %s\n"
	    "%s%s%s"
	    "%s%s%s"
	    "%s%s%s",
	    c->team_name, c->team_email, expires,
	    c->team_languages[0] ? c->team_languages : "en",
	    /* RFC 9116 2.5.4: a key named by its fingerprint */
	    c->team_pgp_fingerprint[0] ? "Encryption: openpgp4fpr:" : "",
	    c->team_pgp_fingerprint, c->team_pgp_fingerprint[0] ? "\n" : "",
	    c->public_url[0] ? "Canonical: " : "", c->public_url,
	    c->public_url[0] ? "/.well-known/security.txt\n" : "",
	    c->public_url[0] ? "Policy: " : "", c->public_url,
	    c->public_url[0] ? "/about\n" : "");
	if (n < 0 || (size_t)n >= cap) {
		reply_err(req, CS_E_TOOBIG, NULL);
		return;
	}
	req_add_header(req, "Cache-Control", "max-age=86400");
	req->no_store = true;
	reply(req, 200, "text/plain; charset=utf-8", out, (size_t)n);
}
