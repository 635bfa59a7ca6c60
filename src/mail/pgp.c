#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gpgme.h>

#include "mail/pgp.h"

/* Set once by pgp_init() before threads start. */
static char home[1024];
/* Serialises the creation of the team key between threads. */
static pthread_mutex_t team_key_lock = PTHREAD_MUTEX_INITIALIZER;

enum cs_err
pgp_init(const char *gnupg_home, char *why, size_t why_len)
{
	gpgme_error_t e;

	if (gpgme_check_version(NULL) == NULL) {
		snprintf(why, why_len, "gpgme is unusable");
		return CS_E_INTERNAL;
	}
	setlocale(LC_CTYPE, "");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	if (mkdir(gnupg_home, 0700) != 0 && errno != EEXIST) {
		snprintf(why, why_len, "cannot create %s: %s", gnupg_home,
		         strerror(errno));
		return CS_E_IO;
	}
	snprintf(home, sizeof(home), "%s", gnupg_home);
	/* Every gpgme context, GMime's PGP/MIME ones included, uses it. */
	if ((e = gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, NULL, home)) !=
	    0) {
		snprintf(why, why_len, "gpgme: %s", gpgme_strerror(e));
		return CS_E_INTERNAL;
	}
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0) {
		snprintf(why, why_len, "no usable gpg: %s", gpgme_strerror(e));
		return CS_E_INTERNAL;
	}
	return CS_OK;
}

static bool
can_encrypt(gpgme_key_t k, int64_t now)
{
	for (gpgme_subkey_t s = k->subkeys; s != NULL; s = s->next)
		if (s->can_encrypt && !s->revoked && !s->disabled &&
		    !s->invalid && (s->expires == 0 || s->expires > now))
			return true;
	return false;
}

enum cs_err
pgp_key_inspect(const char *armored, struct pgp_key_info *out, char *why,
                size_t why_len)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_key_t key = NULL, extra = NULL;
	gpgme_error_t e;
	enum cs_err err = CS_E_INVAL;
	size_t len = strlen(armored);
	int64_t now = (int64_t)time(NULL);

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > PGP_KEY_MAX) {
		snprintf(why, why_len,
		         "must be an armoured key of at most 64 KB");
		return CS_E_INVAL;
	}
	if (strstr(armored, "PRIVATE KEY BLOCK") != NULL) {
		snprintf(why, why_len,
		         "is a private key: send the public key only");
		return CS_E_INVAL;
	}
	if (strstr(armored, "-----BEGIN PGP PUBLIC KEY BLOCK-----") == NULL) {
		snprintf(why, why_len,
		         "is not an ASCII-armoured OpenPGP public key block");
		return CS_E_INVAL;
	}
	if ((e = gpgme_new(&ctx)) != 0 ||
	    (e = gpgme_data_new_from_mem(&data, armored, len, 0)) != 0) {
		snprintf(why, why_len, "gpgme: %s", gpgme_strerror(e));
		err = CS_E_INTERNAL;
		goto out;
	}
	if ((e = gpgme_op_keylist_from_data_start(ctx, data, 0)) != 0 ||
	    (e = gpgme_op_keylist_next(ctx, &key)) != 0) {
		snprintf(why, why_len, "holds no readable OpenPGP key");
		goto out;
	}
	if (gpgme_op_keylist_next(ctx, &extra) == 0) {
		snprintf(why, why_len, "holds more than one key; send one");
		goto out;
	}
	if (key->revoked || key->expired || key->invalid || key->disabled) {
		snprintf(why, why_len,
		         "the key is revoked, expired or invalid");
		goto out;
	}
	if (!can_encrypt(key, now)) {
		snprintf(why, why_len,
		         "the key has no usable encryption subkey");
		goto out;
	}
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s",
	         key->fpr ? key->fpr : "");
	if (key->uids != NULL && key->uids->uid != NULL)
		snprintf(out->uid, sizeof(out->uid), "%s", key->uids->uid);
	out->expires = key->subkeys ? key->subkeys->expires : 0;
	err = out->fingerprint[0] ? CS_OK : CS_E_INVAL;
	if (err != CS_OK)
		snprintf(why, why_len, "the key has no fingerprint");
out:
	if (ctx != NULL)
		gpgme_op_keylist_end(ctx);
	gpgme_key_unref(extra);
	gpgme_key_unref(key);
	gpgme_data_release(data);
	gpgme_release(ctx);
	return err;
}

/* A name or address for a user id: printable, no angle brackets. */
static bool
uid_part_is_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

static bool
key_has_uid(gpgme_key_t k, const char *uid)
{
	for (gpgme_user_id_t u = k->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid && u->uid != NULL &&
		    strcmp(u->uid, uid) == 0)
			return true;
	return false;
}

static void
key_info_fill(gpgme_key_t k, const char *uid, struct pgp_key_info *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; k->fpr != NULL && k->fpr[i] != '\0' &&
	            i + 1 < sizeof(out->fingerprint);
	     i++)
		out->fingerprint[i] = (char)toupper((unsigned char)k->fpr[i]);
	snprintf(out->uid, sizeof(out->uid), "%s", uid);
	out->expires = k->subkeys != NULL ? k->subkeys->expires : 0;
}

/* Looks for a usable secret key with the user id uid: CS_OK with *key_out
 * set, CS_E_NOTFOUND, or CS_E_INTERNAL. */
static enum cs_err
team_key_find(gpgme_ctx_t ctx, const char *uid, gpgme_key_t *key_out, char *why,
              size_t why_len)
{
	char pattern[300];
	gpgme_key_t k = NULL;
	gpgme_error_t e;
	enum cs_err err = CS_E_NOTFOUND;

	*key_out = NULL;
	snprintf(pattern, sizeof(pattern), "=%s", uid);
	if ((e = gpgme_op_keylist_start(ctx, pattern, 1)) != 0) {
		snprintf(why, why_len, "gpgme keylist: %s", gpgme_strerror(e));
		return CS_E_INTERNAL;
	}
	while ((e = gpgme_op_keylist_next(ctx, &k)) == 0) {
		if (!k->revoked && !k->expired && !k->invalid && !k->disabled &&
		    k->can_sign && k->secret && key_has_uid(k, uid)) {
			*key_out = k;
			err = CS_OK;
			break;
		}
		gpgme_key_unref(k);
		k = NULL;
	}
	if (err != CS_OK && gpgme_err_code(e) != GPG_ERR_EOF) {
		snprintf(why, why_len, "gpgme keylist: %s", gpgme_strerror(e));
		err = CS_E_INTERNAL;
	}
	gpgme_op_keylist_end(ctx);
	return err;
}

/* Creates the Ed25519 primary key and its Cv25519 encryption subkey. */
static enum cs_err
team_key_create(gpgme_ctx_t ctx, const char *uid, gpgme_key_t *key_out,
                char *why, size_t why_len)
{
	const unsigned int flags =
	    GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE;
	gpgme_genkey_result_t res;
	gpgme_key_t k = NULL;
	gpgme_error_t e;
	enum cs_err err = CS_E_INTERNAL;

	*key_out = NULL;
	if ((e = gpgme_op_createkey(ctx, uid, "ed25519", 0, 0, NULL,
	                            flags | GPGME_CREATE_SIGN)) != 0) {
		snprintf(why, why_len, "cannot create the team key: %s",
		         gpgme_strerror(e));
		goto out;
	}
	res = gpgme_op_genkey_result(ctx);
	if (res == NULL || res->fpr == NULL) {
		snprintf(why, why_len, "gpg created no team key");
		goto out;
	}
	if ((e = gpgme_get_key(ctx, res->fpr, &k, 1)) != 0) {
		snprintf(why, why_len, "cannot read the new team key: %s",
		         gpgme_strerror(e));
		goto out;
	}
	if ((e = gpgme_op_createsubkey(ctx, k, "cv25519", 0, 0,
	                               flags | GPGME_CREATE_ENCR)) != 0) {
		snprintf(why, why_len, "cannot add the encryption subkey: %s",
		         gpgme_strerror(e));
		goto out;
	}
	err = CS_OK;
out:
	gpgme_key_unref(k);
	if (err == CS_OK)
		err = team_key_find(ctx, uid, key_out, why, why_len);
	if (err == CS_E_NOTFOUND) {
		snprintf(why, why_len, "the new team key is not usable");
		err = CS_E_INTERNAL;
	}
	return err;
}

enum cs_err
pgp_team_key(const char *name, const char *addr, struct pgp_key_info *out,
             char *why, size_t why_len)
{
	char uid[256];
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	enum cs_err err;
	bool locked = false;

	memset(out, 0, sizeof(*out));
	if (!uid_part_is_ok(name, 100) || !uid_part_is_ok(addr, 128) ||
	    strchr(addr, '@') == NULL || strchr(addr, ' ') != NULL) {
		snprintf(why, why_len,
		         "the team name or address is unusable "
		         "for an OpenPGP user id");
		return CS_E_INVAL;
	}
	snprintf(uid, sizeof(uid), "%s <%s>", name, addr);
	if ((e = gpgme_new(&ctx)) != 0) {
		snprintf(why, why_len, "gpgme: %s", gpgme_strerror(e));
		err = CS_E_INTERNAL;
		goto out;
	}
	if ((err = team_key_find(ctx, uid, &key, why, why_len)) !=
	    CS_E_NOTFOUND)
		goto out;
	pthread_mutex_lock(&team_key_lock);
	locked = true;
	/* another thread may have created it while we waited */
	if ((err = team_key_find(ctx, uid, &key, why, why_len)) ==
	    CS_E_NOTFOUND)
		err = team_key_create(ctx, uid, &key, why, why_len);
out:
	if (locked)
		pthread_mutex_unlock(&team_key_lock);
	if (err == CS_OK)
		key_info_fill(key, uid, out);
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return err;
}

static bool
fingerprint_is_ok(const char *fpr)
{
	size_t n = strlen(fpr);

	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)fpr[i]))
			return false;
	return true;
}

enum cs_err
pgp_export_public(struct arena *a, const char *fpr, char **out, char *why,
                  size_t why_len)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_error_t e;
	enum cs_err err = CS_E_INTERNAL;
	char *mem = NULL;
	size_t len = 0;

	*out = NULL;
	if (!fingerprint_is_ok(fpr)) {
		snprintf(why, why_len, "not an OpenPGP fingerprint");
		return CS_E_INVAL;
	}
	if ((e = gpgme_new(&ctx)) != 0 || (e = gpgme_data_new(&data)) != 0) {
		snprintf(why, why_len, "gpgme: %s", gpgme_strerror(e));
		goto out;
	}
	gpgme_set_armor(ctx, 1);
	if ((e = gpgme_op_export(ctx, fpr, 0, data)) != 0) {
		snprintf(why, why_len, "cannot export %s: %s", fpr,
		         gpgme_strerror(e));
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(data, &len);
	data = NULL;
	if (mem == NULL || len == 0) {
		snprintf(why, why_len, "no public key %s", fpr);
		err = CS_E_NOTFOUND;
		goto out;
	}
	if (len > PGP_KEY_MAX || (*out = arena_strndup(a, mem, len)) == NULL) {
		snprintf(why, why_len, "the exported key is too big");
		err = CS_E_TOOBIG;
		goto out;
	}
	err = CS_OK;
out:
	gpgme_free(mem);
	gpgme_data_release(data);
	gpgme_release(ctx);
	return err;
}

enum cs_err
pgp_import(const char *armored, char *why, size_t why_len)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_import_result_t res;
	gpgme_error_t e;
	enum cs_err err = CS_E_INTERNAL;

	if ((e = gpgme_new(&ctx)) != 0 ||
	    (e = gpgme_data_new_from_mem(&data, armored, strlen(armored), 0)) !=
	        0 ||
	    (e = gpgme_op_import(ctx, data)) != 0) {
		snprintf(why, why_len, "cannot import the key: %s",
		         gpgme_strerror(e));
		goto out;
	}
	res = gpgme_op_import_result(ctx);
	if (res == NULL || res->considered == 0 ||
	    res->considered != res->imported + res->unchanged) {
		snprintf(why, why_len, "gpg did not import the key");
		goto out;
	}
	err = CS_OK;
out:
	gpgme_data_release(data);
	gpgme_release(ctx);
	return err;
}
