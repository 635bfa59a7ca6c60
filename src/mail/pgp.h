/*
 * pgp.h - OpenPGP with gpgme: what csirtd needs to know about keys.
 *
 * pgp_init() runs once at startup, before threads. Keys are inspected
 * without importing them into any keyring (gpgme's keylist-from-data); gpg
 * runs with the home directory given at init (under the data directory, or
 * a temporary one), never the user's ~/.gnupg.
 */
#ifndef CS_PGP_H
#define CS_PGP_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#define PGP_KEY_MAX         (64 * 1024)
#define PGP_FINGERPRINT_MAX 65

enum cs_err pgp_init(const char *gnupg_home, char *why, size_t why_len);

struct pgp_key_info {
	char fingerprint[PGP_FINGERPRINT_MAX]; /* upper-case hex */
	char uid[256];                         /* the primary user id */
	int64_t expires;                       /* 0 = never */
};

/* An ASCII-armoured public key block holding exactly one usable key (not
 * revoked, not expired, able to encrypt). CS_E_INVAL with a reason
 * otherwise. */
enum cs_err pgp_key_inspect(const char *armored, struct pgp_key_info *out,
                            char *why, size_t why_len);

/* The team's key pair in the gpg home: created on first call (Ed25519
 * signing primary key, Cv25519 encryption subkey, no passphrase; the home
 * is mode 0700 under the data directory), found by its user id
 * "name <addr>" afterwards. */
enum cs_err pgp_team_key(const char *name, const char *addr,
                         struct pgp_key_info *out, char *why, size_t why_len);

/* Adds a public key (already accepted by pgp_key_inspect) to the team's
 * keyring, so signatures by it verify as good. */
enum cs_err pgp_import(const char *armored, char *why, size_t why_len);

/* The ASCII-armoured public key of fpr, in the arena. */
enum cs_err pgp_export_public(struct arena *a, const char *fpr, char **out,
                              char *why, size_t why_len);

#endif
