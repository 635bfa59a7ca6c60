/*
 * datadir.h - files of the data directory besides the database.
 *
 * initial-admin-password holds the first admin's one-time password (mode
 * 0600) so that `make run` can show it again; it is deleted as soon as that
 * password stops being the account's password, whoever changes it (CLI or
 * API).
 */
#ifndef CS_DATADIR_H
#define CS_DATADIR_H

#include "core/err.h"

#define DATADIR_PW_FILE "initial-admin-password"

enum cs_err datadir_write_initial_password(const char *dir, const char *pw,
                                           char *errbuf, size_t errlen);
/* old_hash: the account's password hash before the change. */
void datadir_forget_initial_password(const char *dir, const char *old_hash);

#endif
