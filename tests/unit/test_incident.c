/* test_incident.c - TLP/PAP, priority matrix, lifecycle, references, tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/incident.h"

static void
test_tlp_pap(void **state)
{
	enum tlp t;
	enum pap p;

	(void)state;
	assert_true(tlp_parse("AMBER+STRICT", &t));
	assert_int_equal(t, TLP_AMBER_STRICT);
	assert_string_equal(tlp_name(t), "AMBER+STRICT");
	assert_true(tlp_parse("tlp:red", &t));
	assert_int_equal(t, TLP_RED);
	assert_true(tlp_parse("WHITE", &t)); /* TLP 1.0 name */
	assert_int_equal(t, TLP_CLEAR);
	assert_false(tlp_parse("AMBER STRICT", &t));
	assert_false(tlp_parse("", &t));
	assert_false(tlp_parse("TLP:", &t));
	assert_true(pap_parse("PAP:AMBER", &p));
	assert_int_equal(p, PAP_AMBER);
	assert_false(pap_parse("AMBER+STRICT", &p));
	/* order is the order of restriction */
	assert_true(TLP_CLEAR < TLP_GREEN && TLP_AMBER < TLP_AMBER_STRICT &&
	            TLP_AMBER_STRICT < TLP_RED);
}

static void
test_priority_matrix(void **state)
{
	struct priority_matrix m;

	(void)state;
	priority_matrix_default(&m);
	assert_int_equal(priority_of(&m, LEVEL_CRITICAL, LEVEL_CRITICAL), 1);
	assert_int_equal(priority_of(&m, LEVEL_LOW, LEVEL_LOW), 4);
	assert_int_equal(priority_of(&m, LEVEL_HIGH, LEVEL_MEDIUM), 2);
	assert_true(priority_matrix_parse("4444,3333,2222,1111", &m));
	assert_int_equal(priority_of(&m, LEVEL_CRITICAL, LEVEL_LOW), 4);
	assert_int_equal(priority_of(&m, LEVEL_LOW, LEVEL_CRITICAL), 1);
	assert_false(priority_matrix_parse("1122,1223,2234", &m));
	assert_false(priority_matrix_parse("1122,1223,2234,2345", &m));
	assert_false(priority_matrix_parse("1122,1223,2234,23444", &m));
	assert_false(priority_matrix_parse("1122;1223;2234;2344", &m));
}

static void
test_lifecycle(void **state)
{
	char allowed[128];

	(void)state;
	assert_true(status_transition_ok(STATUS_NEW, STATUS_OPEN));
	assert_true(status_transition_ok(STATUS_OPEN, STATUS_STALLED));
	assert_true(status_transition_ok(STATUS_STALLED, STATUS_OPEN));
	assert_true(status_transition_ok(STATUS_OPEN, STATUS_RESOLVED));
	assert_true(status_transition_ok(STATUS_RESOLVED, STATUS_CLOSED));
	assert_true(status_transition_ok(STATUS_RESOLVED, STATUS_OPEN));
	assert_true(status_transition_ok(STATUS_CLOSED, STATUS_OPEN));
	assert_false(status_transition_ok(STATUS_NEW, STATUS_CLOSED));
	assert_false(status_transition_ok(STATUS_CLOSED, STATUS_RESOLVED));
	assert_false(status_transition_ok(STATUS_STALLED, STATUS_CLOSED));
	assert_false(status_transition_ok(STATUS_OPEN, STATUS_OPEN));
	assert_false(status_transition_ok(STATUS_OPEN, STATUS_NEW));
	status_allowed(STATUS_NEW, allowed, sizeof(allowed));
	assert_string_equal(allowed, "open, resolved");
	status_allowed(STATUS_CLOSED, allowed, sizeof(allowed));
	assert_string_equal(allowed, "open");
	assert_true(status_is_active(STATUS_STALLED));
	assert_false(status_is_active(STATUS_RESOLVED));
}

static void
test_names(void **state)
{
	enum status s;
	enum resolution r;
	enum level l;

	(void)state;
	assert_true(status_parse("stalled", &s));
	assert_int_equal(s, STATUS_STALLED);
	assert_false(status_parse("rejected", &s));
	assert_true(resolution_parse("false-positive", &r));
	assert_int_equal(r, RES_FALSE_POSITIVE);
	assert_false(resolution_parse("", &r));
	assert_true(level_parse("medium", &l));
	assert_false(level_parse("urgent", &l));
}

static void
test_refs_and_tags(void **state)
{
	char ref[64];
	const char *why;

	(void)state;
	incident_ref_format("CSIRT", 2026, 123, ref, sizeof(ref));
	assert_string_equal(ref, "CSIRT-2026-000123");
	assert_true(incident_ref_valid(ref));
	incident_ref_format("CERTX", 2026, 1234567, ref, sizeof(ref));
	assert_string_equal(ref, "CERTX-2026-1234567");
	assert_true(incident_ref_valid(ref));
	assert_false(incident_ref_valid("csirt-2026-000123"));
	assert_false(incident_ref_valid("CSIRT-26-000123"));
	assert_false(incident_ref_valid("CSIRT-2026-123"));
	assert_false(incident_ref_valid("CSIRT-2026-00012a"));
	assert_true(attack_technique_valid("T1566"));
	assert_true(attack_technique_valid("T1566.001"));
	assert_false(attack_technique_valid("T156"));
	assert_false(attack_technique_valid("T1566.01"));
	assert_false(attack_technique_valid("t1566"));
	assert_true(tag_valid("phishing", &why));
	assert_true(tag_valid("T1566.001", &why));
	assert_false(tag_valid("T15666", &why));
	assert_false(tag_valid("a,b", &why));
	assert_false(tag_valid("", &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlp_pap),
	    cmocka_unit_test(test_priority_matrix),
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_refs_and_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
