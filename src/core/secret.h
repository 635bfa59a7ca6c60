/*
 * secret.h - passwords, tokens and hashes.
 *
 * Passwords are stored as libsodium argon2id strings (crypto_pwhash_str,
 * interactive limits). Session and API tokens are 256-bit random values
 * encoded base64url; only their SHA-256 is stored, so a leaked database does
 * not leak usable credentials. Comparisons of secrets are constant-time.
 * secret_init() must run once before any other call (it is thread-safe
 * afterwards).
 */
#ifndef CS_SECRET_H
#define CS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define SECRET_HASH_MAX   128 /* >= crypto_pwhash_STRBYTES */
#define SECRET_SHA256_HEX 65
#define SECRET_TOKEN_MAX  64 /* prefix + 43 base64url chars + NUL */
#define PASSWORD_MIN      12
#define PASSWORD_MAX      1024

enum cs_err secret_init(void);

/* CS_E_INVAL when the password is outside PASSWORD_MIN..PASSWORD_MAX. */
enum cs_err password_check(const char *pw, const char **why_out);
enum cs_err password_hash(const char *pw, char out[SECRET_HASH_MAX]);
bool password_verify(const char *hash, const char *pw);
/* Spends the time a verification takes, for unknown accounts. */
void password_verify_dummy(const char *pw);
/* A random password of 20 characters from an unambiguous alphabet. */
void password_generate(char out[32]);

/* prefix + base64url(32 random bytes). */
void token_generate(const char *prefix, char out[SECRET_TOKEN_MAX]);

void sha256_hex(const void *data, size_t len, char out[SECRET_SHA256_HEX]);
void hmac_sha256_b64url(const char *key, const char *msg, char out[48]);
bool secret_equal(const char *a, const char *b);

/* base64url without padding. out needs 4 * ceil(n / 3) + 1 bytes. */
void b64url_encode(const unsigned char *in, size_t n, char *out);
/* Returns false on a malformed input or when out is too small. */
bool b64url_decode(const char *in, unsigned char *out, size_t cap,
                   size_t *n_out);

#endif
