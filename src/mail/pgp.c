#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gpgme.h>

#include "mail/pgp.h"

/* Set once by pgp_init() before threads start. */
static char home[1024];

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
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	                                   home)) != 0 ||
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
