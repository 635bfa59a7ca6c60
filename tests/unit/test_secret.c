/*
 * test_secret.c - base64url, hashes, passwords and tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/secret.h"

static int
setup(void **state)
{
	(void)state;
	return secret_init() == CS_OK ? 0 : -1;
}

static size_t
enc_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static void
test_b64url_vectors(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"", ""},
	    {"f", "Zg"},
	    {"fo", "Zm8"},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg"},
	    {"fooba", "Zm9vYmE"},
	    {"foobar", "Zm9vYmFy"},
	};
	char out[32];
	unsigned char dec[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b64url_encode((const unsigned char *)v[i].in, strlen(v[i].in),
		              out);
		assert_string_equal(out, v[i].out);
		assert_true(b64url_decode(v[i].out, dec, sizeof(dec), &n));
		assert_int_equal(n, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, n);
	}
}

static void
test_b64url_alphabet(void **state)
{
	const unsigned char in[] = {0xfb, 0xff};
	const unsigned char all[] = {
	    0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30,
	    0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96,
	    0x9b, 0x71, 0xd7, 0x9f, 0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7,
	    0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf, 0xc3, 0x1c, 0xb3, 0xd3,
	    0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
	char out[80];
	unsigned char dec[4];
	size_t n;

	(void)state;
	b64url_encode(in, sizeof(in), out);
	assert_string_equal(out, "-_8");
	assert_true(b64url_decode("-_8", dec, sizeof(dec), &n));
	assert_int_equal(n, 2);
	assert_memory_equal(dec, in, 2);
	/* every symbol once, in order */
	b64url_encode(all, sizeof(all), out);
	assert_string_equal(out,
	                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	                    "vwxyz0123456789-_");
}

static void
test_b64url_round_trip(void **state)
{
	unsigned char in[40], dec[40];
	char out[64];
	size_t n;

	(void)state;
	for (size_t len = 0; len <= 40; len++) {
		randombytes_buf(in, sizeof(in));
		memset(out, 'Z', sizeof(out));
		b64url_encode(in, len, out);
		assert_int_equal(strlen(out), enc_len(len));
		assert_null(strpbrk(out, "+/="));
		n = 999;
		assert_true(b64url_decode(out, dec, sizeof(dec), &n));
		assert_int_equal(n, len);
		assert_memory_equal(dec, in, len);
		/* exactly enough room is enough, one byte less is not */
		assert_true(b64url_decode(out, dec, len, &n));
		assert_int_equal(n, len);
		if (len > 0)
			assert_false(b64url_decode(out, dec, len - 1, &n));
	}
}

static void
test_b64url_rejects(void **state)
{
	static const char *const bad[] = {
	    "Zm+v",  /* standard alphabet */
	    "Zm/v",  /* standard alphabet */
	    "Zm9=",  /* padding */
	    "Zg==",  /* padding */
	    "Zm9 v", /* space */
	    "Zm\n9", /* newline */
	    "Zm9vY", /* len % 4 == 1 */
	    "Z",     /* len % 4 == 1 */
	    "Zh",    /* non-canonical trailing bits ("f" is "Zg") */
	    "Zm9",   /* non-canonical ("fo" is "Zm8") */
	    "Zm8",   /* canonical */
	    "Zm-",   /* non-canonical: low bits set */
	    "AB",    /* non-canonical */
	    "AAB",   /* non-canonical */
	    "Zm9v\xc3\xa9",
	};
	static const bool ok[] = {false, false, false, false, false,
	                          false, false, false, false, false,
	                          true,  false, false, false, false};
	unsigned char dec[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool got = b64url_decode(bad[i], dec, sizeof(dec), &n);

		if (got != ok[i])
			fail_msg("b64url_decode(\"%s\") = %d, want %d", bad[i],
			         got, ok[i]);
	}
}

static void
test_sha256(void **state)
{
	char out[SECRET_SHA256_HEX];

	(void)state;
	sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
	                         "27ae41e4649b934ca495991b7852b855");
	/* length, not the NUL, decides */
	sha256_hex("abcd", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

static void
test_hmac(void **state)
{
	char out[48];

	(void)state;
	/* RFC 4231 test case 2 */
	hmac_sha256_b64url("Jefe", "what do ya want for nothing?", out);
	assert_string_equal(out, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
}

static void
test_password_hash_verify(void **state)
{
	char h1[SECRET_HASH_MAX], h2[SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash("correct horse battery", h1), CS_OK);
	assert_non_null(strstr(h1, "$argon2id$"));
	assert_true(password_verify(h1, "correct horse battery"));
	assert_false(password_verify(h1, "correct horse batterY"));
	assert_false(password_verify(h1, "correct horse battery "));
	assert_false(password_verify(h1, ""));
	/* salted: the same password hashes differently */
	assert_int_equal(password_hash("correct horse battery", h2), CS_OK);
	assert_string_not_equal(h1, h2);
	assert_true(password_verify(h2, "correct horse battery"));
	/* garbage instead of a hash verifies nothing */
	assert_false(password_verify("not a hash", "correct horse battery"));
}

static void
test_password_check(void **state)
{
	char pw[PASSWORD_MAX + 2];
	const char *why;

	(void)state;
	memset(pw, 'a', sizeof(pw));
	pw[11] = '\0';
	why = NULL;
	assert_int_equal(password_check(pw, &why), CS_E_INVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "12"));
	pw[11] = 'a';
	pw[12] = '\0';
	assert_int_equal(password_check(pw, &why), CS_OK);
	pw[12] = 'a';
	pw[1024] = '\0';
	assert_int_equal(password_check(pw, &why), CS_OK);
	pw[1024] = 'a';
	pw[1025] = '\0';
	why = NULL;
	assert_int_equal(password_check(pw, &why), CS_E_INVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "1024"));
	assert_int_equal(password_check("", &why), CS_E_INVAL);
}

static void
test_password_generate(void **state)
{
	char a[32], b[32];
	const char *why;

	(void)state;
	password_generate(a);
	password_generate(b);
	assert_int_equal(strlen(a), 20);
	assert_int_equal(strlen(b), 20);
	assert_string_not_equal(a, b);
	assert_null(strpbrk(a, "0O1lI"));
	assert_int_equal(password_check(a, &why), CS_OK);
}

static void
test_token_generate(void **state)
{
	char t1[SECRET_TOKEN_MAX], t2[SECRET_TOKEN_MAX];
	char t3[SECRET_TOKEN_MAX];
	unsigned char raw[40];
	size_t n;

	(void)state;
	token_generate("cst_", t1);
	token_generate("cst_", t2);
	assert_int_equal(strncmp(t1, "cst_", 4), 0);
	assert_int_equal(strlen(t1), 4 + 43);
	assert_int_equal(strlen(t2), 4 + 43);
	assert_string_not_equal(t1, t2);
	assert_true(b64url_decode(t1 + 4, raw, sizeof(raw), &n));
	assert_int_equal(n, 32);
	/* prefixes are cut at 16 so the token always fits */
	token_generate("abcdefghijklmnopqrstuvwxyz", t3);
	assert_int_equal(strncmp(t3, "abcdefghijklmnop", 16), 0);
	assert_int_equal(strlen(t3), 16 + 43);
	assert_true(b64url_decode(t3 + 16, raw, sizeof(raw), &n));
	assert_int_equal(n, 32);
	token_generate("", t3);
	assert_int_equal(strlen(t3), 43);
}

static void
test_secret_equal(void **state)
{
	(void)state;
	assert_true(secret_equal("", ""));
	assert_true(secret_equal("abc", "abc"));
	assert_false(secret_equal("abc", "abd"));
	assert_false(secret_equal("abc", "ab"));
	assert_false(secret_equal("ab", "abc"));
	assert_false(secret_equal("", "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64url_vectors),
	    cmocka_unit_test(test_b64url_alphabet),
	    cmocka_unit_test(test_b64url_round_trip),
	    cmocka_unit_test(test_b64url_rejects),
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_hmac),
	    cmocka_unit_test(test_password_hash_verify),
	    cmocka_unit_test(test_password_check),
	    cmocka_unit_test(test_password_generate),
	    cmocka_unit_test(test_token_generate),
	    cmocka_unit_test(test_secret_equal),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
