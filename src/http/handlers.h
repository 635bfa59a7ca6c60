/*
 * handlers.h - every HTTP handler, one api_*.c file per resource.
 *
 * A handler parses its input, checks what the route table could not (e.g.
 * "admin or self"), calls core, and replies. It never returns without a
 * reply: the reply_* helpers of server.h set it.
 */
#ifndef CS_HANDLERS_H
#define CS_HANDLERS_H

#include <jansson.h>

struct request;
struct arena;
struct incident;

/* The incident as every endpoint shows it (api_incidents.c). */
json_t *api_incident_json(struct arena *a, const struct incident *x);

void api_root(struct request *req);
/* api_feeds.c: the configured feeds, uploads to them, reload */
struct route_stream;
void api_feeds_list(struct request *req);
void api_feeds_upload(struct request *req);
extern const struct route_stream api_feeds_upload_stream;
void api_pipeline_reload(struct request *req);
/* web.c: the portal, the workspace, their files, security.txt */
void web_portal(struct request *req);
void web_ui(struct request *req);
void web_static(struct request *req);
void web_security_txt(struct request *req);
/* api_public.c: the portal's API, no login */
void api_public_team(struct request *req);
void api_public_report(struct request *req);
void api_healthz(struct request *req);
void api_metrics(struct request *req);
void api_openapi(struct request *req);

void api_session_create(struct request *req);
void api_session_get(struct request *req);
void api_session_delete(struct request *req);
void api_me(struct request *req);

void api_users_list(struct request *req);
void api_users_create(struct request *req);
void api_users_get(struct request *req);
void api_users_update(struct request *req);

void api_tokens_list(struct request *req);
void api_tokens_create(struct request *req);
void api_tokens_revoke(struct request *req);

void api_audit_list(struct request *req);

void api_jobs_list(struct request *req);
void api_jobs_create(struct request *req);
void api_jobs_get(struct request *req);

void api_orgs_list(struct request *req);
void api_orgs_create(struct request *req);
void api_orgs_get(struct request *req);
void api_orgs_update(struct request *req);
void api_orgs_notify(struct request *req);
void api_notifications_list(struct request *req);
void api_notifications_get(struct request *req);
void api_notifications_resend(struct request *req);
void api_contacts_list(struct request *req);
void api_contacts_create(struct request *req);
void api_contacts_delete(struct request *req);

void api_assets_list(struct request *req);
void api_assets_create(struct request *req);
void api_assets_delete(struct request *req);
void api_assets_import(struct request *req);
void api_lookup(struct request *req);
void api_search(struct request *req);
void api_templates_list(struct request *req);
void api_templates_create(struct request *req);
void api_templates_get(struct request *req);
void api_templates_update(struct request *req);
void api_templates_delete(struct request *req);
void api_reports_list(struct request *req);
void api_reports_create(struct request *req);
void api_reports_get(struct request *req);
void api_reports_triage(struct request *req);
void api_incidents_list(struct request *req);
void api_incidents_create(struct request *req);
void api_incidents_get(struct request *req);
void api_incidents_update(struct request *req);
void api_entries_list(struct request *req);
void api_entries_create(struct request *req);
void api_links_list(struct request *req);
void api_links_create(struct request *req);
void api_links_delete(struct request *req);
void api_tasks_list(struct request *req);
void api_tasks_create(struct request *req);
void api_tasks_update(struct request *req);

void api_observables_list(struct request *req);
void api_observables_create(struct request *req);
void api_observables_delete(struct request *req);
void api_observables_extract(struct request *req);

/* api_mail.c */
void api_mail_list(struct request *req);
void api_events_list(struct request *req);
void api_feed_reports_list(struct request *req);
void api_feed_reports_get(struct request *req);
void api_feed_reports_malformed(struct request *req);
void api_mail_get(struct request *req);
void api_mail_raw(struct request *req);
void api_mail_attachment(struct request *req);
void api_threads_list(struct request *req);
void api_threads_create(struct request *req);
void api_thread_messages_list(struct request *req);
void api_thread_messages_send(struct request *req);
void api_reports_observables(struct request *req);
void api_reports_attachment(struct request *req);
void api_directory(struct request *req);

#endif
