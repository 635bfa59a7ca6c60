/*
 * test_ioc.c - observables: refang, normalisation, rejection, type guess
 * and extraction from free text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/ioc.h"

/* ---- the shared refang fixture ---- */

/*
 * Rows of refang_pairs.tsv where csirtd deliberately differs from what the
 * quoted tool returns. want is our result, NULL when we reject the value.
 */
static const struct {
	const char *defanged, *want, *reason;
} exceptions[] = {
    /* RFC 5952 host and default port removal are our canonical URL */
    {"http://[2001:db8:85a3:0:0:8a2e:370:7334]:80/test",
     "http://[2001:db8:85a3::8a2e:370:7334]/test", "canonical URL"},
    /* "-dot-" is a legal LDH sequence in real host names */
    {"bad-dot-com", NULL, "-dot- is not refanged"},
    {"example-dot-ru", NULL, "-dot- is not refanged"},
    /* comma-separated numbers are lists far more often than IPs */
    {"9,10,11,12", NULL, "bare commas are not dots"},
};

static const char *
exception_for(const char *defanged, const char **reason)
{
	for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]);
	     i++) {
		if (strcmp(exceptions[i].defanged, defanged) == 0) {
			*reason = exceptions[i].reason;
			return exceptions[i].want;
		}
	}
	*reason = NULL;
	return NULL;
}

/* Cuts s at its first tab; returns the text after it, or NULL. */
static char *
next_field(char *s)
{
	char *tab = s != NULL ? strchr(s, '\t') : NULL;

	if (tab == NULL)
		return NULL;
	*tab = '\0';
	return tab + 1;
}

static void
test_fixture_pairs(void **state)
{
	const char *dir = getenv("CS_SHARED_DIR");
	char path[1024], line[2048], out[IOC_OUT_MAX];
	int rows = 0, excepted = 0, failures = 0;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/fixtures/ioc/refang_pairs.tsv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tool, *kind, *defanged, *expected;
		const char *why = NULL, *reason, *want;
		enum ioc_type t;
		enum cs_err err;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    strncmp(line, "tool\t", 5) == 0)
			continue;
		tool = line;
		kind = next_field(tool);
		defanged = next_field(kind);
		expected = next_field(defanged);
		assert_non_null(tool);
		assert_non_null(expected);
		rows++;
		want = exception_for(defanged, &reason);
		if (reason != NULL)
			excepted++;
		else
			want = expected;
		if (strcmp(kind, "text") == 0) {
			/* free-form value: our best type, then normalise */
			err = ioc_guess_type(defanged, &t);
			if (err != CS_OK) {
				if (want != NULL) {
					fprintf(stderr,
					        "%s: no type for '%s'\n", tool,
					        defanged);
					failures++;
				}
				continue;
			}
		} else {
			assert_int_equal(ioc_type_parse(kind, &t), CS_OK);
		}
		err = ioc_normalise(t, defanged, out, sizeof(out), &why);
		if (want == NULL ? err == CS_OK
		                 : (err != CS_OK || strcmp(out, want) != 0)) {
			fprintf(stderr, "%s %s '%s': got '%s' want '%s'\n",
			        tool, kind, defanged, err == CS_OK ? out : why,
			        want ? want : "(rejected)");
			failures++;
		}
	}
	fclose(f);
	assert_true(rows >= 50);
	assert_int_equal(excepted,
	                 (int)(sizeof(exceptions) / sizeof(exceptions[0])));
	assert_int_equal(failures, 0);
}

/* ---- normalisation ---- */

struct ncase {
	enum ioc_type type;
	const char *in;
	const char *want; /* NULL: rejected */
	const char *why;  /* expected reason for a rejection, or NULL */
};

static void
run_cases(const struct ncase *c, size_t n)
{
	char out[IOC_OUT_MAX];
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		enum cs_err err =
		    ioc_normalise(c[i].type, c[i].in, out, sizeof(out), &why);

		if (c[i].want != NULL &&
		    (err != CS_OK || strcmp(out, c[i].want) != 0)) {
			fprintf(stderr, "%s '%s': got %s '%s' want '%s'\n",
			        ioc_type_name(c[i].type), c[i].in,
			        cs_err_str(err), err == CS_OK ? out : why,
			        c[i].want);
			failures++;
		} else if (c[i].want == NULL &&
		           (err != CS_E_INVAL || why == NULL ||
		            (c[i].why != NULL && strcmp(why, c[i].why) != 0))) {
			fprintf(stderr,
			        "%s '%s': got %s '%s', want rejection "
			        "'%s'\n",
			        ioc_type_name(c[i].type), c[i].in,
			        cs_err_str(err), err == CS_OK ? out : why,
			        c[i].why ? c[i].why : "");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
test_ipv4(void **state)
{
	static const struct ncase c[] = {
	    {IOC_IPV4, "8.8.8.8", "8.8.8.8", NULL},
	    {IOC_IPV4, " 1.2.3.4 ", "1.2.3.4", NULL},
	    {IOC_IPV4, "0.0.0.0", "0.0.0.0", NULL},
	    {IOC_IPV4, "255.255.255.255", "255.255.255.255", NULL},
	    {IOC_IPV4, "1[.]2(.)3{.}4", "1.2.3.4", NULL},
	    {IOC_IPV4, "1[dot]2[DOT]3 dot 4", "1.2.3.4", NULL},
	    {IOC_IPV4, "300.1.1.1", NULL, "octet 300 is out of range"},
	    {IOC_IPV4, "1.2.3.256", NULL, "octet 256 is out of range"},
	    {IOC_IPV4, "01.2.3.4", NULL, "octet 1 has a leading zero"},
	    {IOC_IPV4, "1.2.3.04", NULL, "octet 4 has a leading zero"},
	    {IOC_IPV4, "1.2.3", NULL, NULL},
	    {IOC_IPV4, "1.2.3.4.5", NULL, NULL},
	    {IOC_IPV4, "1.2.3.4/32", NULL, NULL},
	    {IOC_IPV4, "1..2.3", NULL, NULL},
	    {IOC_IPV4, "0x7f.0.0.1", NULL, NULL},
	    {IOC_IPV4, "99999999999999999999.1.1.1", NULL, NULL},
	    {IOC_IPV4, "", NULL, NULL},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_ipv6(void **state)
{
	static const struct ncase c[] = {
	    {IOC_IPV6, "2001:DB8:0:0:0:0:0:1", "2001:db8::1", NULL},
	    {IOC_IPV6, "2001:0db8::0001", "2001:db8::1", NULL},
	    /* the longest run is compressed, the first of equal runs */
	    {IOC_IPV6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", NULL},
	    {IOC_IPV6, "2001:0:0:1:0:0:0:1", "2001:0:0:1::1", NULL},
	    /* a single zero group is not compressed */
	    {IOC_IPV6, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", NULL},
	    {IOC_IPV6, "2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1", NULL},
	    {IOC_IPV6, "0:0:0:0:0:0:0:0", "::", NULL},
	    {IOC_IPV6, "::1", "::1", NULL},
	    {IOC_IPV6, "1::", "1::", NULL},
	    {IOC_IPV6, "[fe80::1]", "fe80::1", NULL},
	    {IOC_IPV6, "::FFFF:192.0.2.1", "::ffff:192.0.2.1", NULL},
	    {IOC_IPV6, "64:ff9b::192.0.2.33", "64:ff9b::c000:221", NULL},
	    {IOC_IPV6, "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", NULL},
	    {IOC_IPV6, "1:2:3:4:5:6:7:8:9", NULL, NULL},
	    {IOC_IPV6, "1:2:3:4:5:6:7", NULL, NULL},
	    {IOC_IPV6, "1::2::3", NULL,
	     "'::' appears twice in the IPv6 address"},
	    {IOC_IPV6, "12345::1", NULL, NULL},
	    {IOC_IPV6, "fe80::1%eth0", NULL,
	     "a zone index is not allowed in an IPv6 address"},
	    {IOC_IPV6, ":1::2", NULL, NULL},
	    {IOC_IPV6, "1::2:", NULL, NULL},
	    {IOC_IPV6, "g::1", NULL, NULL},
	    {IOC_IPV6, "::ffff:300.1.1.1", NULL, "octet 300 is out of range"},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_cidr(void **state)
{
	static const struct ncase c[] = {
	    {IOC_CIDR, "10.0.0.0/8", "10.0.0.0/8", NULL},
	    {IOC_CIDR, "192.0.2.1/32", "192.0.2.1/32", NULL},
	    {IOC_CIDR, "0.0.0.0/0", "0.0.0.0/0", NULL},
	    {IOC_CIDR, "10[.]0[.]0[.]0/8", "10.0.0.0/8", NULL},
	    {IOC_CIDR, "2001:DB8:0::/32", "2001:db8::/32", NULL},
	    {IOC_CIDR, "::/0", "::/0", NULL},
	    {IOC_CIDR, "10.1.0.0/8", NULL,
	     "host bits are set after the prefix length"},
	    {IOC_CIDR, "2001:db8::1/64", NULL, NULL},
	    {IOC_CIDR, "10.0.0.0/33", NULL, "prefix length 33 is out of range"},
	    {IOC_CIDR, "::/129", NULL, "prefix length 129 is out of range"},
	    {IOC_CIDR, "10.0.0.0/08", NULL, NULL},
	    {IOC_CIDR, "10.0.0.0/", NULL, NULL},
	    {IOC_CIDR, "10.0.0.0", NULL, NULL},
	    {IOC_CIDR, "10.0.0.0/8/8", NULL, NULL},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_domain(void **state)
{
	static const struct ncase c[] = {
	    {IOC_DOMAIN, "Example.COM.", "example.com", NULL},
	    {IOC_DOMAIN, "evil[.]example(.)org", "evil.example.org", NULL},
	    {IOC_DOMAIN, "a-b.c-d.co.uk", "a-b.c-d.co.uk", NULL},
	    {IOC_DOMAIN, "corp.internal", "corp.internal", NULL},
	    {IOC_DOMAIN, "xn--bcher-kva.de", "xn--bcher-kva.de", NULL},
	    {IOC_DOMAIN,
	     "B\xc3\xbc"
	     "cher.de",
	     "xn--bcher-kva.de", NULL},
	    {IOC_DOMAIN,
	     "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
	     "\xd1\x80\xd1\x84",
	     "xn--e1afmkfd.xn--p1ai", NULL},
	    {IOC_DOMAIN, "com", NULL, "a domain needs at least two labels"},
	    {IOC_DOMAIN, "1.2.3.4", NULL, "the top-level label is all digits"},
	    {IOC_DOMAIN, "a..com", NULL, "the domain has an empty label"},
	    {IOC_DOMAIN, "-a.com", NULL,
	     "a label cannot start or end with a hyphen"},
	    {IOC_DOMAIN, "a-.com", NULL, NULL},
	    {IOC_DOMAIN, "_dmarc.example.com", NULL, NULL},
	    {IOC_DOMAIN, "exa mple.com", NULL, NULL},
	    {IOC_DOMAIN, "a.com/x", NULL, NULL},
	    {IOC_DOMAIN,
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     ".com",
	     NULL, "a label is longer than 63 bytes"},
	    {IOC_DOMAIN, "\xe2\x98\x83.com", NULL, NULL},
	    {IOC_DOMAIN, "\xff.com", NULL, NULL},
	    {IOC_DOMAIN, ".", NULL, NULL},
	};
	char big[300];
	struct ncase c253 = {IOC_DOMAIN, big, big, NULL};
	size_t o = 0;

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
	/* 253 bytes is the limit: 3 x 63 + 61 + 3 dots */
	for (int l = 0; l < 4; l++) {
		size_t ll = l < 3 ? 63 : 61;

		memset(big + o, 'a' + l, ll);
		o += ll;
		big[o++] = l < 3 ? '.' : '\0';
	}
	assert_int_equal(strlen(big), 253);
	run_cases(&c253, 1);
	big[252] = 'z';
	big[253] = 'z';
	big[254] = '\0';
	c253.want = NULL;
	c253.why = "the domain is longer than 253 bytes";
	run_cases(&c253, 1);
}

static void
test_url(void **state)
{
	static const struct ncase c[] = {
	    {IOC_URL, "HTTP://EVIL.COM/A?B=C#D", "http://evil.com/A?B=C#D",
	     NULL},
	    {IOC_URL, "http://evil.com:80/x", "http://evil.com/x", NULL},
	    {IOC_URL, "https://evil.com:443", "https://evil.com", NULL},
	    {IOC_URL, "https://evil.com:80/", "https://evil.com:80/", NULL},
	    {IOC_URL, "http://evil.com:8080", "http://evil.com:8080", NULL},
	    {IOC_URL, "http://evil.com:/x", "http://evil.com/x", NULL},
	    {IOC_URL, "http://User:Pw@Evil.com/", "http://User:Pw@evil.com/",
	     NULL},
	    {IOC_URL, "http://192.0.2.1:8080/a", "http://192.0.2.1:8080/a",
	     NULL},
	    {IOC_URL, "http://[2001:DB8::0:1]:443/",
	     "http://[2001:db8::1]:443/", NULL},
	    {IOC_URL, "hxxps://evil[.]com/a[.]php", "https://evil.com/a.php",
	     NULL},
	    {IOC_URL, "fxp://files.example.org/x", "ftp://files.example.org/x",
	     NULL},
	    {IOC_URL, "http:__evil.com/a", "http://evil.com/a", NULL},
	    {IOC_URL, "evil.com/a", "http://evil.com/a", NULL},
	    {IOC_URL, "http://evil.com./a", "http://evil.com/a", NULL},
	    {IOC_URL, "http://evil.com/a b", NULL,
	     "a URL cannot hold spaces or control characters"},
	    {IOC_URL, "http://evil.com:99999/", NULL,
	     "port 99999 is out of range"},
	    {IOC_URL, "http://evil.com:0/", NULL, "port 0 is out of range"},
	    {IOC_URL, "http://evil.com:8x/", NULL, NULL},
	    {IOC_URL, "http:///a", NULL, "the URL has no host"},
	    {IOC_URL, "http://300.1.1.1/", NULL, "octet 300 is out of range"},
	    {IOC_URL, "http://[fe80::1%25eth0]/", NULL, NULL},
	    {IOC_URL, "http://localhost/", NULL, NULL},
	    {IOC_URL, "1http://evil.com/", NULL, NULL},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_email_hash_asn_cve(void **state)
{
	static const struct ncase c[] = {
	    {IOC_EMAIL, "Bob.Smith+tag@Example.COM",
	     "Bob.Smith+tag@example.com", NULL},
	    {IOC_EMAIL, "bob[at]example[.]com", "bob@example.com", NULL},
	    {IOC_EMAIL, "bob AT example DOT com", "bob@example.com", NULL},
	    {IOC_EMAIL, "bob@example", NULL,
	     "a domain needs at least two labels"},
	    {IOC_EMAIL, "@example.com", NULL, "the local part is empty"},
	    {IOC_EMAIL, "a@b@example.com", NULL, NULL},
	    {IOC_EMAIL, ".bob@example.com", NULL, NULL},
	    {IOC_EMAIL, "bo..b@example.com", NULL, NULL},
	    {IOC_EMAIL, "\"bob\"@example.com", NULL, NULL},
	    {IOC_EMAIL, "bob@[192.0.2.1]", NULL, NULL},
	    {IOC_MD5, "D41D8CD98F00B204E9800998ECF8427E",
	     "d41d8cd98f00b204e9800998ecf8427e", NULL},
	    {IOC_MD5, "d41d8cd98f00b204e9800998ecf8427", NULL,
	     "expected 32 hex digits"},
	    {IOC_MD5, "g41d8cd98f00b204e9800998ecf8427e", NULL, NULL},
	    {IOC_SHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
	     "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL},
	    {IOC_SHA1, "d41d8cd98f00b204e9800998ecf8427e", NULL, NULL},
	    {IOC_SHA256,
	     "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	     NULL},
	    {IOC_ASN, "AS64500", "AS64500", NULL},
	    {IOC_ASN, "as64500", "AS64500", NULL},
	    {IOC_ASN, "64500", "AS64500", NULL},
	    {IOC_ASN, "AS1", "AS1", NULL},
	    {IOC_ASN, "AS4294967295", "AS4294967295", NULL},
	    {IOC_ASN, "AS4294967296", NULL,
	     "AS number 4294967296 is out of range"},
	    {IOC_ASN, "AS0", NULL, NULL},
	    {IOC_ASN, "AS064500", NULL, NULL},
	    {IOC_ASN, "AS", NULL, NULL},
	    {IOC_ASN, "AS1.5", NULL, NULL},
	    {IOC_ASN, "ASN64500", NULL, NULL},
	    {IOC_CVE, "cve-2021-44228", "CVE-2021-44228", NULL},
	    {IOC_CVE, "CVE-2014-0160", "CVE-2014-0160", NULL},
	    {IOC_CVE, "CVE-1999-0001", "CVE-1999-0001", NULL},
	    {IOC_CVE, "CVE-2024-1234567", "CVE-2024-1234567", NULL},
	    {IOC_CVE, "CVE-1998-0001", NULL, "CVE year 1998 is before 1999"},
	    {IOC_CVE, "CVE-2021-123", NULL, NULL},
	    {IOC_CVE, "CVE-2021-01234", NULL, NULL},
	    {IOC_CVE, "CVE-21-44228", NULL, NULL},
	    {IOC_CVE, "CVE 2021 44228", NULL, NULL},
	};

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_filename_user_agent(void **state)
{
	static const struct ncase c[] = {
	    {IOC_FILENAME, "invoice.pdf", "invoice.pdf", NULL},
	    {IOC_FILENAME, "Rechnung M\xc3\xa4rz.pdf.exe",
	     "Rechnung M\xc3\xa4rz.pdf.exe", NULL},
	    /* not refanged: brackets are legal in file names */
	    {IOC_FILENAME, "report[.]doc", "report[.]doc", NULL},
	    {IOC_FILENAME, "a/b.exe", NULL, "a file name cannot hold '/'"},
	    {IOC_FILENAME, "a\tb", NULL, NULL},
	    {IOC_FILENAME,
	     "a\xc2\x85"
	     "b",
	     NULL, NULL},
	    {IOC_FILENAME, "bad\xff", NULL, NULL},
	    {IOC_FILENAME, "", NULL, NULL},
	    {IOC_FILENAME, "..", NULL, NULL},
	    {IOC_USER_AGENT, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
	     "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", NULL},
	    {IOC_USER_AGENT, "curl/8.5.0", "curl/8.5.0", NULL},
	    {IOC_USER_AGENT, "evil\r\nX-Injected: 1", NULL, NULL},
	    {IOC_USER_AGENT, "", NULL, NULL},
	};
	char name[300], ua[1100], out[IOC_OUT_MAX];
	const char *why;

	(void)state;
	run_cases(c, sizeof(c) / sizeof(c[0]));
	/* limits: 255 and 1024 bytes are accepted, one more is not */
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_int_equal(
	    ioc_normalise(IOC_FILENAME, name, out, sizeof(out), &why), CS_OK);
	name[255] = 'a';
	name[256] = '\0';
	assert_int_equal(
	    ioc_normalise(IOC_FILENAME, name, out, sizeof(out), &why),
	    CS_E_INVAL);
	memset(ua, 'U', 1024);
	ua[1024] = '\0';
	assert_int_equal(
	    ioc_normalise(IOC_USER_AGENT, ua, out, sizeof(out), &why), CS_OK);
	ua[1024] = 'U';
	ua[1025] = '\0';
	assert_int_equal(
	    ioc_normalise(IOC_USER_AGENT, ua, out, sizeof(out), &why),
	    CS_E_INVAL);
	assert_string_equal(why, "the user agent is longer than 1024 bytes");
}

static void
test_api_edges(void **state)
{
	char out[IOC_OUT_MAX], small[8], huge[IOC_INPUT_MAX + 2];
	const char *why = NULL;
	enum ioc_type t;

	(void)state;
	for (unsigned i = 0; i < IOC_TYPE_COUNT; i++) {
		assert_int_equal(
		    ioc_type_parse(ioc_type_name((enum ioc_type)i), &t), CS_OK);
		assert_int_equal(t, i);
	}
	assert_string_equal(ioc_type_name(IOC_USER_AGENT), "user-agent");
	assert_string_equal(ioc_type_name((enum ioc_type)99), "?");
	assert_int_equal(ioc_type_parse("IPv4", &t), CS_E_INVAL);
	assert_int_equal(ioc_type_parse("hash", &t), CS_E_INVAL);
	/* the result does not fit */
	assert_int_equal(ioc_normalise(IOC_IPV4, "192.168.100.200", small,
	                               sizeof(small), &why),
	                 CS_E_TOOBIG);
	assert_non_null(why);
	/* exactly fits: 7 bytes and the NUL */
	assert_int_equal(
	    ioc_normalise(IOC_IPV4, "1.2.3.4", small, sizeof(small), &why),
	    CS_OK);
	assert_string_equal(small, "1.2.3.4");
	/* a reason with a number lands in out; without room, a static one */
	assert_int_equal(
	    ioc_normalise(IOC_IPV4, "1.2.3.999", out, sizeof(out), &why),
	    CS_E_INVAL);
	assert_ptr_equal(why, out);
	assert_string_equal(why, "octet 999 is out of range");
	assert_int_equal(
	    ioc_normalise(IOC_IPV4, "1.2.3.999", small, sizeof(small), &why),
	    CS_E_INVAL);
	assert_string_equal(why, "the value is invalid");
	assert_int_equal(
	    ioc_normalise(IOC_IPV4, "1.2.3.999", out, sizeof(out), NULL),
	    CS_E_INVAL);
	assert_int_equal(
	    ioc_normalise((enum ioc_type)99, "1.2.3.4", out, sizeof(out), &why),
	    CS_E_INVAL);
	/* input limit */
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(
	    ioc_normalise(IOC_USER_AGENT, huge, out, sizeof(out), &why),
	    CS_E_INVAL);
	assert_string_equal(why, "the value is longer than 8192 bytes");
	assert_true(ioc_tld_is_known("com", 3));
	assert_true(ioc_tld_is_known("xn--p1ai", 8));
	assert_true(ioc_tld_is_known("zw", 2));
	assert_true(ioc_tld_is_known("aaa", 3));
	assert_false(ioc_tld_is_known("exe", 3));
	assert_false(ioc_tld_is_known("co", 1));
	assert_false(ioc_tld_is_known("", 0));
}

static void
test_guess(void **state)
{
	static const struct {
		const char *in;
		int type; /* -1: no type */
	} c[] = {
	    {"8.8.8.8", IOC_IPV4},
	    {"1[.]2[.]3[.]4", IOC_IPV4},
	    {"2001:db8::1", IOC_IPV6},
	    {"10.0.0.0/8", IOC_CIDR},
	    {"evil.com", IOC_DOMAIN},
	    {"evil[.]co[.]uk", IOC_DOMAIN},
	    {"hxxp://evil[.]com", IOC_URL},
	    {"evil.com/gate.php", IOC_URL},
	    {"bob[at]example.com", IOC_EMAIL},
	    {"d41d8cd98f00b204e9800998ecf8427e", IOC_MD5},
	    {"da39a3ee5e6b4b0d3255bfef95601890afd80709", IOC_SHA1},
	    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	     IOC_SHA256},
	    {"AS64500", IOC_ASN},
	    {"cve-2021-44228", IOC_CVE},
	    {"invoice.pdf", IOC_FILENAME},
	    {"curl/8.5.0", IOC_USER_AGENT},
	    {"Mozilla/5.0 (X11; Linux x86_64)", IOC_USER_AGENT},
	    {"64500", -1},
	    {"hello world", -1},
	    {"", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum ioc_type t;
		enum cs_err err = ioc_guess_type(c[i].in, &t);

		if (c[i].type < 0) {
			if (err != CS_E_INVAL)
				fprintf(stderr, "guess '%s': got %s\n", c[i].in,
				        ioc_type_name(t));
			assert_int_equal(err, CS_E_INVAL);
		} else {
			if (err != CS_OK || (int)t != c[i].type)
				fprintf(stderr, "guess '%s': got %s\n", c[i].in,
				        err == CS_OK ? ioc_type_name(t)
				                     : "none");
			assert_int_equal(err, CS_OK);
			assert_int_equal(t, c[i].type);
		}
	}
}

/* ---- extraction ---- */

struct found {
	char text[8192];
	size_t len;
	size_t n;
};

static void
collect(void *ctx, enum ioc_type type, const char *v, size_t offset)
{
	struct found *f = ctx;
	int k = snprintf(f->text + f->len, sizeof(f->text) - f->len,
	                 "%s %s @%zu\n", ioc_type_name(type), v, offset);

	assert_true(k > 0 && (size_t)k < sizeof(f->text) - f->len);
	f->len += (size_t)k;
	f->n++;
}

static void
expect_x(const char *text, const struct ioc_extract_opts *o, const char *want)
{
	struct found f = {.len = 0};
	size_t n = ioc_extract(text, strlen(text), o, collect, &f);

	if (strcmp(f.text, want) != 0)
		fprintf(stderr, "text: %s\ngot:\n%swant:\n%s", text, f.text,
		        want);
	assert_string_equal(f.text, want);
	assert_int_equal(n, f.n);
}

static void
test_extract_basic(void **state)
{
	(void)state;
	expect_x("", NULL, "");
	expect_x("nothing to see here, move along.", NULL, "");
	expect_x("see 8.8.8.8. then (evil.com) and <http://evil.com/x>", NULL,
	         "ipv4 8.8.8.8 @4\n"
	         "domain evil.com @19\n"
	         "url http://evil.com/x @34\n");
	/* dotted runs of more than four numbers are versions */
	expect_x("version 1.2.3.4.5 and v10.0.0.1-beta and 1.2.3", NULL, "");
	expect_x("version 1.2.3.4 is an address", NULL, "ipv4 1.2.3.4 @8\n");
	/* leading zeros and big octets are not addresses */
	expect_x("01.2.3.4 1.2.3.400", NULL, "");
	/* file names are not domains: TLD list, extension-like TLDs */
	expect_x("open invoice.pdf, setup.exe, readme.txt, README.md, "
	         "payload.zip or run.sh",
	         NULL, "");
	expect_x("but evil[.]zip and www.evil.zip are domains", NULL,
	         "domain evil.zip @4\n"
	         "domain www.evil.zip @19\n");
	/* upper case is normalised */
	expect_x("VISIT EVIL.COM OR HXXP://EVIL[.]COM/PATH", NULL,
	         "domain evil.com @6\n"
	         "url http://evil.com/PATH @18\n");
}

static void
test_extract_defanged(void **state)
{
	(void)state;
	expect_x("hxxp://evil[.]com/a 1.2.3[.]4 user[at]example[.]com", NULL,
	         "url http://evil.com/a @0\n"
	         "ipv4 1.2.3.4 @20\n"
	         "email user@example.com @30\n");
	expect_x("hxxps[://]bad(.)example{.}net/x?q=1 and "
	         "203[.]0[.]113[.]7",
	         NULL,
	         "url https://bad.example.net/x?q=1 @0\n"
	         "ipv4 203.0.113.7 @40\n");
	expect_x("fxp://files.example.org/a mary[@]example.org "
	         "bob(at)example.org",
	         NULL,
	         "url ftp://files.example.org/a @0\n"
	         "email mary@example.org @26\n"
	         "email bob@example.org @45\n");
	expect_x("C2 at evil[dot]com", NULL, "domain evil.com @6\n");
}

static void
test_extract_urls(void **state)
{
	(void)state;
	/* trailing punctuation and unbalanced brackets end a URL */
	expect_x("go to http://evil.com/a). Or \"http://evil.com/b\", "
	         "'http://evil.com/c'.",
	         NULL,
	         "url http://evil.com/a @6\n"
	         "url http://evil.com/b @30\n"
	         "url http://evil.com/c @51\n");
	/* balanced parentheses stay in the path */
	expect_x("(see http://en.wikipedia.org/wiki/Foo_(bar))", NULL,
	         "url http://en.wikipedia.org/wiki/Foo_(bar) @5\n");
	/* the host of a URL is not reported again as a domain */
	expect_x("http://evil.com:80/x evil.com", NULL,
	         "url http://evil.com/x @0\n"
	         "domain evil.com @21\n");
	/* an invalid URL still yields its host */
	expect_x("http://evil.com:99999/x", NULL, "domain evil.com @7\n");
	expect_x("http://[2001:db8::1]:8080/x https://192.0.2.9/", NULL,
	         "url http://[2001:db8::1]:8080/x @0\n"
	         "url https://192.0.2.9/ @28\n");
	expect_x("href=https://evil.com/login.php?u=a@b.com;", NULL,
	         "url https://evil.com/login.php?u=a@b.com @5\n");
}

static void
test_extract_addresses(void **state)
{
	(void)state;
	expect_x("2001:DB8::1 [2001:db8::2]:443 fe80::1 ::1 "
	         "::ffff:198.51.100.1",
	         NULL,
	         "ipv6 2001:db8::1 @0\n"
	         "ipv6 2001:db8::2 @13\n"
	         "ipv6 fe80::1 @30\n"
	         "ipv6 ::1 @38\n"
	         "ipv6 ::ffff:198.51.100.1 @42\n");
	/* not IPv6: C++ scopes, clock times, MAC addresses */
	expect_x("std::vector 12:30:45 00:1a:2b:3c:4d:5e", NULL, "");
	expect_x("10.0.0.0/8 10.1.2.3/24 2001:db8::/32 1.2.3.4:8080", NULL,
	         "cidr 10.0.0.0/8 @0\n"
	         "ipv4 10.1.2.3 @11\n"
	         "cidr 2001:db8::/32 @23\n"
	         "ipv4 1.2.3.4 @37\n");
	expect_x("src=192.0.2.1,dst=192.0.2.1;ip:8.8.4.4", NULL,
	         "ipv4 192.0.2.1 @4\n"
	         "ipv4 8.8.4.4 @31\n");
}

static void
test_extract_mail_hashes(void **state)
{
	(void)state;
	/* an address is reported as email only, not also as a domain */
	expect_x("From: Bob <Bob.Smith@Example.COM>\r\nReply-To: "
	         "x+y@mail.evil.ru.",
	         NULL,
	         "email Bob.Smith@example.com @11\n"
	         "email x+y@mail.evil.ru @45\n");
	expect_x("user@invoice.pdf is not an address", NULL, "");
	expect_x(
	    "md5=D41D8CD98F00B204E9800998ECF8427E "
	    "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709 "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	    ".exe",
	    NULL,
	    "md5 d41d8cd98f00b204e9800998ecf8427e @4\n"
	    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 @42\n"
	    "sha256 "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	    " @83\n");
	/* only whole hex words of exactly 32, 40 or 64 digits */
	expect_x("d41d8cd98f00b204e9800998ecf8427e0 "
	         "xd41d8cd98f00b204e9800998ecf8427e "
	         "d41d8cd98f00b204e9800998ecf8427",
	         NULL, "");
	expect_x("Patch CVE-2021-44228 and cve-2014-0160; AS64500 "
	         "AS13335, not as64500 or CVE-1990-0001",
	         NULL,
	         "cve CVE-2021-44228 @6\n"
	         "cve CVE-2014-0160 @25\n"
	         "asn AS64500 @40\n"
	         "asn AS13335 @48\n");
}

static void
test_extract_idn(void **state)
{
	(void)state;
	expect_x("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
	         "\xd1\x80\xd1\x84 and B\xc3\xbc"
	         "cher.de",
	         NULL,
	         "domain xn--e1afmkfd.xn--p1ai @0\n"
	         "domain xn--bcher-kva.de @22\n");
	/* typographic quotes end a name; unconvertible labels are skipped */
	expect_x("\xe2\x80\x9cquoted.com\xe2\x80\x9d \xe2\x98\x83.com", NULL,
	         "domain quoted.com @3\n");
}

static void
test_extract_options(void **state)
{
	static const char *const own[] = {"example.org", "csirt.test"};
	const char *text = "10.1.2.3 192.168.0.1 8.8.8.8 100.64.1.1 127.0.0.1 "
	                   "fd00::1 2001:db8::5 2606:4700::1111 AS64512 "
	                   "AS13335 http://10.0.0.1/x www.example.org "
	                   "example.org.evil.com noc@csirt.test evil.com";
	struct ioc_extract_opts o = {0};

	(void)state;
	o.skip_private = true;
	o.own_domains = own;
	o.n_own_domains = 2;
	expect_x(text, &o,
	         "ipv4 8.8.8.8 @21\n"
	         "ipv6 2606:4700::1111 @70\n"
	         "asn AS13335 @94\n"
	         "domain example.org.evil.com @136\n"
	         "domain evil.com @172\n");
	/* only some types */
	o.types = IOC_BIT(IOC_ASN) | IOC_BIT(IOC_IPV6);
	o.skip_private = false;
	expect_x(text, &o,
	         "ipv6 fd00::1 @50\n"
	         "ipv6 2001:db8::5 @58\n"
	         "ipv6 2606:4700::1111 @70\n"
	         "asn AS64512 @86\n"
	         "asn AS13335 @94\n");
	/* without URLs and e-mail, their hosts are reported instead */
	o.types = IOC_BIT(IOC_DOMAIN) | IOC_BIT(IOC_IPV4);
	o.own_domains = NULL;
	o.n_own_domains = 0;
	expect_x("http://evil.com/x bob@mail.evil.net 1.2.3.4", &o,
	         "domain evil.com @7\n"
	         "domain mail.evil.net @22\n"
	         "ipv4 1.2.3.4 @36\n");
}

static void
emit_count(void *ctx, enum ioc_type type, const char *v, size_t offset)
{
	(void)type;
	(void)v;
	(void)offset;
	(*(size_t *)ctx)++;
}

static void
test_extract_dedup_memory(void **state)
{
	char text[64 * 2000];
	size_t len = 0, n = 0, got;
	struct ioc_extract_opts o = {0};
	struct arena *a;
	unsigned char scratch[512];

	(void)state;
	/* 300 distinct addresses, each twice */
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < 300; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			                        "8.8.%d.%d ", i / 250, i % 250);
	/* default: the stack buffer is big enough */
	got = ioc_extract(text, len, NULL, emit_count, &n);
	assert_int_equal(got, 300);
	assert_int_equal(n, 300);
	/* in an arena */
	a = arena_new(1 << 20);
	o.arena = a;
	n = 0;
	assert_int_equal(ioc_extract(text, len, &o, emit_count, &n), 300);
	arena_free(a);
	/* a tiny scratch buffer: values are still all reported, some twice */
	o.arena = NULL;
	o.scratch = scratch;
	o.scratch_len = sizeof(scratch);
	n = 0;
	got = ioc_extract(text, len, &o, emit_count, &n);
	assert_int_equal(got, n);
	assert_true(got > 300 && got <= 600);
	/* an arena at its cap behaves the same */
	a = arena_new(256);
	o.arena = a;
	n = 0;
	got = ioc_extract(text, len, &o, emit_count, &n);
	assert_true(got > 300 && got <= 600);
	arena_free(a);
}

static void
test_extract_bytes(void **state)
{
	static const char nul[] = "evil.com\0bad.net\0\0001.2.3.4";
	char *big;
	size_t n = 0, blen = IOC_TOKEN_MAX * 3;
	struct found f = {.len = 0};

	(void)state;
	/* NULs separate words */
	assert_int_equal(ioc_extract(nul, sizeof(nul) - 1, NULL, collect, &f),
	                 3);
	assert_string_equal(f.text, "domain evil.com @0\n"
	                            "domain bad.net @9\n"
	                            "ipv4 1.2.3.4 @18\n");
	/* a word longer than IOC_TOKEN_MAX is scanned without refanging */
	big = malloc(blen);
	assert_non_null(big);
	memset(big, 'x', blen);
	memcpy(big + 100, "[evil.com]", 10);
	memcpy(big + blen - 20, ",1[.]2[.]3[.]4", 14);
	assert_int_equal(ioc_extract(big, blen, NULL, emit_count, &n), 1);
	/* NULL text or callback */
	assert_int_equal(ioc_extract(NULL, 10, NULL, emit_count, &n), 0);
	assert_int_equal(ioc_extract(big, blen, NULL, NULL, NULL), 0);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_pairs),
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_domain),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_email_hash_asn_cve),
	    cmocka_unit_test(test_filename_user_agent),
	    cmocka_unit_test(test_api_edges),
	    cmocka_unit_test(test_guess),
	    cmocka_unit_test(test_extract_basic),
	    cmocka_unit_test(test_extract_defanged),
	    cmocka_unit_test(test_extract_urls),
	    cmocka_unit_test(test_extract_addresses),
	    cmocka_unit_test(test_extract_mail_hashes),
	    cmocka_unit_test(test_extract_idn),
	    cmocka_unit_test(test_extract_options),
	    cmocka_unit_test(test_extract_dedup_memory),
	    cmocka_unit_test(test_extract_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
