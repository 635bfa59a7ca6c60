/*
 * users.h - accounts: validation and the operations on them.
 *
 * Each operation runs in its own write transaction and appends its audit row
 * in it. Passwords are hashed before the transaction starts so a slow
 * argon2id never holds the write lock. Rules: logins are
 * ^[a-z0-9][a-z0-9._-]{0,63}$; a constituent belongs to exactly one
 * organisation and only constituents have one; the last enabled admin can be
 * neither disabled nor demoted.
 */
#ifndef CS_USERS_H
#define CS_USERS_H

#include <stdbool.h>

#include "core/verr.h"
#include "store/store.h"

/* Who makes a change: the audit actor and, for users, their id. */
struct actor {
	const char *name; /* login, "cli:<unix user>" or "system" */
	int64_t user_id;  /* 0 for the CLI and the system */
};

struct user_patch {
	const char *name, *email; /* NULL = unchanged */
	int role;                 /* -1 = unchanged */
	int disabled;             /* -1 = unchanged */
	bool set_org;
	const char *org; /* with set_org; NULL clears */
	const char *password;
	int64_t if_version; /* 0 = no precondition */
};

bool login_is_valid(const char *login);
bool org_code_is_valid(const char *org);

/* u: login, name, email, role, org are read; the stored user is written
 * back. password NULL generates one into generated_out (32 bytes). */
enum cs_err users_create(struct store *st, struct arena *a,
                         const struct actor *by, struct user *u,
                         const char *password, char *generated_out,
                         struct verrs *ve);
enum cs_err users_update(struct store *st, struct arena *a,
                         const struct actor *by, const char *login,
                         const struct user_patch *p, struct user *out,
                         struct verrs *ve);

#endif
