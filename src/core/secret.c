#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "core/secret.h"

enum cs_err
secret_init(void)
{
	return sodium_init() < 0 ? CS_E_INTERNAL : CS_OK;
}

enum cs_err
password_check(const char *pw, const char **why_out)
{
	size_t n = strlen(pw);

	if (n < PASSWORD_MIN) {
		*why_out = "must be at least 12 characters";
		return CS_E_INVAL;
	}
	if (n > PASSWORD_MAX) {
		*why_out = "must be at most 1024 bytes";
		return CS_E_INVAL;
	}
	return CS_OK;
}

enum cs_err
password_hash(const char *pw, char out[SECRET_HASH_MAX])
{
	_Static_assert(SECRET_HASH_MAX >= crypto_pwhash_STRBYTES,
	               "hash buffer too small");
	if (crypto_pwhash_str_alg(out, pw, strlen(pw),
	                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                          crypto_pwhash_MEMLIMIT_INTERACTIVE,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return CS_E_INTERNAL; /* out of memory for the hash */
	return CS_OK;
}

bool
password_verify(const char *hash, const char *pw)
{
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void
password_verify_dummy(const char *pw)
{
	unsigned char out[32], salt[crypto_pwhash_SALTBYTES] = {0};

	if (crypto_pwhash(out, sizeof(out), pw, strlen(pw), salt,
	                  crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                  crypto_pwhash_MEMLIMIT_INTERACTIVE,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		sodium_memzero(out, sizeof(out)); /* only the time matters */
}

void
password_generate(char out[32])
{
	static const char alphabet[] =
	    "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t i;

	for (i = 0; i < 20; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[i] = '\0';
}

void
token_generate(const char *prefix, char out[SECRET_TOKEN_MAX])
{
	unsigned char raw[32];
	size_t plen = strlen(prefix);

	if (plen > 16)
		plen = 16;
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, prefix, plen);
	b64url_encode(raw, sizeof(raw), out + plen);
	sodium_memzero(raw, sizeof(raw));
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sha256_hex(const void *data, size_t len, char out[SECRET_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	hex(md, mdlen, out);
}

void
hmac_sha256_b64url(const char *key, const char *msg, char out[48])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
	     strlen(msg), md, &mdlen);
	b64url_encode(md, mdlen, out);
}

bool
secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		             in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

bool
b64url_decode(const char *in, unsigned char *out, size_t cap, size_t *n_out)
{
	size_t len = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (len % 4 == 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return false;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical trailing bits */
		return false;
	*n_out = o;
	return true;
}
