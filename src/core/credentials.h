/*
 * credentials.h - logins, sessions and API tokens.
 *
 * Session cookies and API tokens are random 256-bit strings; the store keeps
 * only their SHA-256. The CSRF token of a session is HMAC-SHA-256(session
 * token, "csrf"): it is never stored and cannot be computed without the
 * cookie. Failed logins are counted per account and per client address in
 * the store (so every process sees them); reaching the limit inside the
 * window locks the key for the lockout time, during which even the right
 * password is refused.
 */
#ifndef CS_CREDENTIALS_H
#define CS_CREDENTIALS_H

#include "core/secret.h"
#include "core/users.h"
#include "store/store.h"

#define TOKEN_PREFIX   "cst_"
#define SESSION_PREFIX "css_"
#define TOKEN_NAME_MAX 100

struct login_policy {
	int max_failures;      /* per account within window */
	int addr_max_failures; /* per client address within window */
	int64_t window, lockout;
	int64_t session_idle, session_max;
};

struct login_result {
	char session[SECRET_TOKEN_MAX]; /* the cookie value */
	char csrf[48];
	int64_t expires_at;
	struct user user;
	int64_t retry_after; /* with CS_E_LIMITED */
};

enum cs_err login_attempt(struct store *st, struct arena *a,
                          const struct login_policy *pol, const char *login,
                          const char *password, const char *addr,
                          struct login_result *out);
/* Looks up a live session by cookie value and slides its idle expiry. */
enum cs_err session_check(struct store *st, struct arena *a,
                          const struct login_policy *pol, const char *cookie,
                          struct user *u_out, int64_t *expires_out);
enum cs_err session_end(struct store *st, struct arena *a,
                        const struct actor *by, const char *cookie);
void session_csrf(const char *cookie, char out[48]);

enum cs_err token_create(struct store *st, struct arena *a,
                         const struct actor *by, const struct user *owner,
                         const char *name, int64_t expires_in,
                         char secret_out[SECRET_TOKEN_MAX], struct token *t_out,
                         struct verrs *ve);
enum cs_err token_check(struct store *st, struct arena *a, const char *secret,
                        struct token *t_out, struct user *u_out);
enum cs_err token_revoke(struct store *st, struct arena *a,
                         const struct actor *by, int64_t id);

#endif
