#include <stdint.h>
#include <string.h>

#include "http/handlers.h"
#include "http/router.h"

static const struct route routes[] = {
    {"GET", "/", ACCESS_PUBLIC, web_portal},
    {"GET", "/report", ACCESS_PUBLIC, web_portal},
    {"GET", "/about", ACCESS_PUBLIC, web_portal},
    {"GET", "/.well-known/security.txt", ACCESS_PUBLIC, web_security_txt},
    {"GET", "/static/{*}", ACCESS_PUBLIC, web_static},
    {"GET", "/ui/{*}", ACCESS_PUBLIC, web_ui},
    {"GET", "/api/v1/public/team", ACCESS_PUBLIC, api_public_team},
    {"POST", "/api/v1/public/reports", ACCESS_PUBLIC, api_public_report},
    {"GET", "/healthz", ACCESS_PUBLIC, api_healthz},
    {"GET", "/metrics", ACCESS_PUBLIC, api_metrics},
    {"GET", "/api/v1/openapi.json", ACCESS_PUBLIC, api_openapi},
    {"POST", "/api/v1/session", ACCESS_PUBLIC, api_session_create},
    {"GET", "/api/v1/session", ACCESS_USER, api_session_get},
    {"DELETE", "/api/v1/session", ACCESS_USER, api_session_delete},
    {"GET", "/api/v1/me", ACCESS_USER, api_me},
    {"GET", "/api/v1/users", ACCESS_ADMIN, api_users_list},
    {"POST", "/api/v1/users", ACCESS_ADMIN, api_users_create},
    {"GET", "/api/v1/users/{login}", ACCESS_USER, api_users_get},
    {"PATCH", "/api/v1/users/{login}", ACCESS_ADMIN, api_users_update},
    {"GET", "/api/v1/tokens", ACCESS_USER, api_tokens_list},
    {"POST", "/api/v1/tokens", ACCESS_USER, api_tokens_create},
    {"DELETE", "/api/v1/tokens/{id}", ACCESS_USER, api_tokens_revoke},
    {"GET", "/api/v1/audit", ACCESS_ADMIN, api_audit_list},
    {"GET", "/api/v1/jobs", ACCESS_ADMIN, api_jobs_list},
    {"POST", "/api/v1/jobs", ACCESS_ADMIN, api_jobs_create},
    {"GET", "/api/v1/jobs/{id}", ACCESS_ADMIN, api_jobs_get},
    {"GET", "/api/v1/orgs", ACCESS_USER, api_orgs_list},
    {"POST", "/api/v1/orgs", ACCESS_HANDLER, api_orgs_create},
    {"GET", "/api/v1/orgs/{id}", ACCESS_USER, api_orgs_get},
    {"PATCH", "/api/v1/orgs/{id}", ACCESS_HANDLER, api_orgs_update},
    {"POST", "/api/v1/orgs/{id}/notify", ACCESS_HANDLER, api_orgs_notify},
    {"GET", "/api/v1/orgs/{id}/contacts", ACCESS_USER, api_contacts_list},
    {"POST", "/api/v1/orgs/{id}/contacts", ACCESS_HANDLER, api_contacts_create},
    {"DELETE", "/api/v1/orgs/{id}/contacts/{cid}", ACCESS_HANDLER,
     api_contacts_delete},
    {"GET", "/api/v1/orgs/{id}/assets", ACCESS_USER, api_assets_list},
    {"POST", "/api/v1/orgs/{id}/assets", ACCESS_HANDLER, api_assets_create},
    {"DELETE", "/api/v1/orgs/{id}/assets/{aid}", ACCESS_HANDLER,
     api_assets_delete},
    {"POST", "/api/v1/assets:import", ACCESS_HANDLER, api_assets_import},
    {"GET", "/api/v1/lookup", ACCESS_USER, api_lookup},
    {"GET", "/api/v1/search", ACCESS_USER, api_search},
    {"GET", "/api/v1/templates", ACCESS_TEAM, api_templates_list},
    {"POST", "/api/v1/templates", ACCESS_HANDLER, api_templates_create},
    {"GET", "/api/v1/templates/{id}", ACCESS_TEAM, api_templates_get},
    {"PATCH", "/api/v1/templates/{id}", ACCESS_HANDLER, api_templates_update},
    {"DELETE", "/api/v1/templates/{id}", ACCESS_HANDLER, api_templates_delete},
    {"GET", "/api/v1/reports", ACCESS_TEAM, api_reports_list},
    {"POST", "/api/v1/reports", ACCESS_HANDLER, api_reports_create},
    {"GET", "/api/v1/reports/{id}", ACCESS_TEAM, api_reports_get},
    {"POST", "/api/v1/reports/{id}:triage", ACCESS_HANDLER, api_reports_triage},
    {"GET", "/api/v1/incidents", ACCESS_USER, api_incidents_list},
    {"POST", "/api/v1/incidents", ACCESS_HANDLER, api_incidents_create},
    {"GET", "/api/v1/incidents/{ref}", ACCESS_USER, api_incidents_get},
    {"PATCH", "/api/v1/incidents/{ref}", ACCESS_HANDLER, api_incidents_update},
    {"GET", "/api/v1/incidents/{ref}/entries", ACCESS_USER, api_entries_list},
    {"POST", "/api/v1/incidents/{ref}/entries", ACCESS_HANDLER,
     api_entries_create},
    {"GET", "/api/v1/incidents/{ref}/links", ACCESS_USER, api_links_list},
    {"POST", "/api/v1/incidents/{ref}/links", ACCESS_HANDLER, api_links_create},
    {"DELETE", "/api/v1/incidents/{ref}/links/{id}", ACCESS_HANDLER,
     api_links_delete},
    {"GET", "/api/v1/incidents/{ref}/tasks", ACCESS_TEAM, api_tasks_list},
    {"POST", "/api/v1/incidents/{ref}/tasks", ACCESS_HANDLER, api_tasks_create},
    {"PATCH", "/api/v1/incidents/{ref}/tasks/{id}", ACCESS_HANDLER,
     api_tasks_update},
    {"GET", "/api/v1/incidents/{ref}/observables", ACCESS_USER,
     api_observables_list},
    {"POST", "/api/v1/incidents/{ref}/observables", ACCESS_HANDLER,
     api_observables_create},
    {"DELETE", "/api/v1/incidents/{ref}/observables/{id}", ACCESS_HANDLER,
     api_observables_delete},
    {"POST", "/api/v1/incidents/{ref}/observables:extract", ACCESS_HANDLER,
     api_observables_extract},
    {"GET", "/api/v1/incidents/{ref}/threads", ACCESS_TEAM, api_threads_list},
    {"POST", "/api/v1/incidents/{ref}/threads", ACCESS_HANDLER,
     api_threads_create},
    {"GET", "/api/v1/incidents/{ref}/threads/{id}/messages", ACCESS_TEAM,
     api_thread_messages_list},
    {"POST", "/api/v1/incidents/{ref}/threads/{id}/messages", ACCESS_HANDLER,
     api_thread_messages_send},
    {"GET", "/api/v1/mail", ACCESS_TEAM, api_mail_list},
    {"GET", "/api/v1/directory", ACCESS_HANDLER, api_directory},
    {"GET", "/api/v1/mail/{id}", ACCESS_TEAM, api_mail_get},
    {"GET", "/api/v1/mail/{id}/raw", ACCESS_HANDLER, api_mail_raw},
    {"GET", "/api/v1/mail/{id}/attachments/{n}", ACCESS_HANDLER,
     api_mail_attachment},
    {"GET", "/api/v1/reports/{id}/observables", ACCESS_TEAM,
     api_reports_observables},
    {"GET", "/api/v1/reports/{id}/attachments/{n}", ACCESS_HANDLER,
     api_reports_attachment},
    {"GET", "/api/v1/events", ACCESS_USER, api_events_list},
    {"GET", "/api/v1/feed-reports", ACCESS_TEAM, api_feed_reports_list},
    {"GET", "/api/v1/feed-reports/{id}", ACCESS_TEAM, api_feed_reports_get},
    {"GET", "/api/v1/feed-reports/{id}/malformed", ACCESS_TEAM,
     api_feed_reports_malformed},
    {"GET", "/api/v1/feeds", ACCESS_TEAM, api_feeds_list},
    {"POST", "/api/v1/feeds/{name}/reports", ACCESS_HANDLER, api_feeds_upload},
    {"POST", "/api/v1/pipeline/reload", ACCESS_ADMIN, api_pipeline_reload},
    {"GET", "/api/v1/notifications", ACCESS_USER, api_notifications_list},
    {"GET", "/api/v1/notifications/{id}", ACCESS_USER, api_notifications_get},
    {"POST", "/api/v1/notifications/{id}/resend", ACCESS_HANDLER,
     api_notifications_resend},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Matches path (already split into segs) against one pattern. A parameter
 * segment may carry a literal suffix ("{id}:triage" matches "42:triage" and
 * binds "42"); the suffix is cut off only once the whole route matched. A
 * last segment "{*}" matches the rest of the path, maybe empty: *rest is
 * then the index of its first segment (nsegs when empty), else -1. */
static bool
match(const char *pattern, char *const *segs, size_t nsegs,
      const char *params[ROUTE_PARAMS], long *rest)
{
	size_t i = 0, np = 0, cut[ROUTE_PARAMS] = {0};
	const char *p = pattern + 1;

	*rest = -1;
	if (strcmp(pattern, "/") == 0)
		return nsegs == 0;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (strcmp(p, "{*}") == 0) {
			if (np >= ROUTE_PARAMS)
				return false;
			*rest = (long)i;
			cut[np] = SIZE_MAX; /* nothing to cut */
			params[np++] = i < nsegs ? segs[i] : "";
			i = nsegs;
			break;
		}
		if (i >= nsegs)
			return false;
		if (p[0] == '{') {
			const char *close = memchr(p, '}', len);
			size_t slen = close ? len - (size_t)(close + 1 - p) : 0;
			size_t seglen = strlen(segs[i]);

			if (close == NULL || np >= ROUTE_PARAMS ||
			    seglen <= slen ||
			    memcmp(segs[i] + seglen - slen, close + 1, slen) !=
			        0)
				return false;
			cut[np] = seglen - slen;
			params[np++] = segs[i];
		} else if (strlen(segs[i]) != len ||
		           strncmp(segs[i], p, len) != 0) {
			return false;
		}
		i++;
		p += len;
		if (*p == '/')
			p++;
	}
	if (i != nsegs)
		return false;
	for (size_t k = 0; k < np; k++)
		if (cut[k] != SIZE_MAX)
			((char *)(uintptr_t)params[k])[cut[k]] = '\0';
	return true;
}

int
router_match(const char *method, const char *path, char *segbuf,
             size_t segbuf_len, const char *params[ROUTE_PARAMS], char *allow,
             size_t allow_len)
{
	char *segs[16];
	size_t nsegs = 0, plen = strlen(path), alen = 0;
	bool head = strcmp(method, "HEAD") == 0;

	allow[0] = '\0';
	if (path[0] != '/' || plen >= segbuf_len)
		return -2;
	memcpy(segbuf, path + 1, plen);
	if (plen > 1 && segbuf[plen - 2] == '/') /* one trailing slash */
		segbuf[plen - 2] = '\0';
	if (segbuf[0] != '\0') {
		char *s = segbuf;

		for (;;) {
			if (nsegs == sizeof(segs) / sizeof(segs[0]))
				return -2;
			segs[nsegs++] = s;
			if ((s = strchr(s, '/')) == NULL)
				break;
			*s++ = '\0';
		}
	}
	for (size_t r = 0; r < NROUTES; r++) {
		const char *m = routes[r].method;
		long rest;

		if (!match(routes[r].pattern, segs, nsegs, params, &rest))
			continue;
		if (strcmp(m, method) == 0 || (head && strcmp(m, "GET") == 0)) {
			/* the rest of the path, slashes put back */
			for (size_t k = rest < 0 ? nsegs : (size_t)rest;
			     k + 1 < nsegs; k++)
				segs[k][strlen(segs[k])] = '/';
			return (int)r;
		}
		if (alen + strlen(m) + 3 < allow_len) {
			if (alen > 0) {
				memcpy(allow + alen, ", ", 2);
				alen += 2;
			}
			memcpy(allow + alen, m, strlen(m));
			alen += strlen(m);
			allow[alen] = '\0';
		}
	}
	return alen > 0 ? -1 : -2;
}

const struct route *
router_route(size_t index)
{
	return index < NROUTES ? &routes[index] : NULL;
}

/* Routes whose body is streamed to them (router.h), by handler. */
static const struct {
	void (*handler)(struct request *req);
	const struct route_stream *stream;
} streams[] = {
    {api_feeds_upload, &api_feeds_upload_stream},
};

const struct route_stream *
router_stream(size_t index)
{
	if (index >= NROUTES)
		return NULL;
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		if (streams[i].handler == routes[index].handler)
			return streams[i].stream;
	return NULL;
}

size_t
router_count(void)
{
	return NROUTES;
}

void
router_route_name(size_t index, const char **method, const char **pattern)
{
	*method = routes[index].method;
	*pattern = routes[index].pattern;
}
