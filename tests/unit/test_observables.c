/*
 * test_observables.c - core observables on a real SQLite store: values
 * stored in canonical form, a second add is a sighting, extraction and
 * attaching in one transaction, removal, and correlation that never names
 * an incident the viewer cannot read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/incidents.h"
#include "core/observables.h"

#include "store_fixture.h"

static const struct actor ana = {.name = "ana", .user_id = 0};
static const struct viewer team = {.user_id = 42, .role = ROLE_HANDLER};

static const char *
mkincident(struct fx *f, const char *title, int tlp)
{
	struct incident_policy pol = {.team_code = "CSIRT"};
	struct incident_input in;
	struct incident x;
	struct verrs ve = {0};

	priority_matrix_default(&pol.matrix);
	sla_policy_default(&pol.sla);
	incident_input_init(&in);
	in.title = title;
	in.tlp = tlp;
	assert_int_equal(
	    incidents_create(f->st, f->a, &pol, &ana, &team, &in, &x, &ve),
	    CS_OK);
	return x.ref;
}

static enum cs_err
add(struct fx *f, const char *ref, const char *type, const char *value,
    struct observable *out, bool *created, struct verrs *ve)
{
	struct observable_input in = {.type = type, .value = value, .tlp = -1};

	memset(ve, 0, sizeof(*ve));
	return observables_add(f->st, f->a, &ana, &team, ref, &in, out, created,
	                       ve);
}

static int64_t
audit_rows(struct fx *f, const char *action)
{
	struct audit_filter af = {.action = action};
	struct page p = {.after = 0, .limit = 500};
	struct audit_row *rows;
	size_t n;

	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &af, &p, &rows, &n), CS_OK);
	return (int64_t)n;
}

static void
test_add_normalises_and_sights(void **state)
{
	struct fx *f = *state;
	const char *ref = mkincident(f, "one", TLP_AMBER);
	struct observable o, again;
	struct verrs ve;
	bool created = false;

	assert_int_equal(
	    add(f, ref, "url", "HXXP://Evil[.]COM/x", &o, &created, &ve),
	    CS_OK);
	assert_true(created);
	assert_string_equal(o.type, "url");
	assert_string_equal(o.value, "http://evil.com/x");
	assert_string_equal(o.created_by, "ana");
	assert_int_equal(o.tlp, -1);
	assert_false(o.to_ids);
	assert_int_equal(
	    add(f, ref, "url", "http://EVIL.com/x", &again, &created, &ve),
	    CS_OK);
	assert_false(created);
	assert_int_equal(again.id, o.id);
	assert_true(again.last_seen >= o.last_seen);
	assert_int_equal(audit_rows(f, "observable.create"), 1);

	/* the reason is on "value" */
	assert_int_equal(add(f, ref, "ipv4", "300.1.1.1", &o, &created, &ve),
	                 CS_E_INVAL);
	assert_int_equal(ve.n, 1);
	assert_string_equal(ve.e[0].field, "value");
	assert_non_null(ve.e[0].detail);
	assert_int_equal(add(f, ref, "hash", "abc", &o, &created, &ve),
	                 CS_E_INVAL);
	assert_string_equal(ve.e[0].field, "type");
	assert_int_equal(
	    add(f, "CSIRT-1999-000001", "ipv4", "185.1.2.3", &o, &created, &ve),
	    CS_E_NOTFOUND);
	assert_int_equal(audit_rows(f, "observable.create"), 1);
}

static void
test_extract_attach_and_remove(void **state)
{
	struct fx *f = *state;
	const char *ref = mkincident(f, "two", TLP_AMBER);
	const char *own[] = {"upc.edu"};
	struct observables_extract_opts opts = {
	    .skip_private = true, .own_domains = own, .n_own_domains = 1};
	const char *text = "from mx.upc.edu (10.0.0.1) via 185.220.101[.]4, "
	                   "see hxxp://evil[.]com/a and staff@upc.edu";
	struct found *items;
	size_t n;
	bool truncated;

	assert_int_equal(observables_extract(f->st, f->a, &ana, &team, ref,
	                                     text, strlen(text), &opts, false,
	                                     &items, &n, &truncated),
	                 CS_OK);
	assert_int_equal(n, 2);
	assert_false(truncated);
	assert_int_equal(items[0].type, IOC_IPV4);
	assert_string_equal(items[0].value, "185.220.101.4");
	assert_int_equal(items[1].type, IOC_URL);
	assert_string_equal(items[1].value, "http://evil.com/a");
	assert_int_equal(audit_rows(f, "observable.create"), 0); /* none */

	assert_int_equal(observables_extract(f->st, f->a, &ana, &team, ref,
	                                     text, strlen(text), &opts, true,
	                                     &items, &n, &truncated),
	                 CS_OK);
	assert_int_equal(n, 2);
	assert_true(items[0].created && items[1].created);
	assert_int_equal(observables_extract(f->st, f->a, &ana, &team, ref,
	                                     text, strlen(text), &opts, true,
	                                     &items, &n, &truncated),
	                 CS_OK);
	assert_false(items[0].created || items[1].created);
	assert_int_equal(audit_rows(f, "observable.create"), 2);

	assert_int_equal(
	    observables_remove(f->st, f->a, &ana, &team, ref, items[0].id),
	    CS_OK);
	assert_int_equal(
	    observables_remove(f->st, f->a, &ana, &team, ref, items[0].id),
	    CS_E_NOTFOUND);
	assert_int_equal(audit_rows(f, "observable.delete"), 1);
}

static void
test_correlation_hides_unreadable(void **state)
{
	struct fx *f = *state;
	const char *a = mkincident(f, "A", TLP_AMBER);
	const char *b = mkincident(f, "B", TLP_GREEN);
	const char *red = mkincident(f, "RED", TLP_RED); /* nobody's */
	struct observable oa, ob, ored;
	struct correlation *c;
	struct verrs ve;
	bool created;
	size_t n;

	assert_int_equal(add(f, a, "ipv4", "185.220.101.4", &oa, &created, &ve),
	                 CS_OK);
	assert_int_equal(
	    add(f, b, "ipv4", "185.220.101[.]4", &ob, &created, &ve), CS_OK);
	/* the team cannot read the RED incident: no adding through it */
	assert_int_equal(
	    add(f, red, "ipv4", "185.220.101.4", &ored, &created, &ve),
	    CS_E_NOTFOUND);
	sql(f,
	    "INSERT INTO observable (incident_id, type, value, first_seen, "
	    "last_seen, created_by, created_at) SELECT id, 'ipv4', "
	    "'185.220.101.4', 1, 1, 'x', 1 FROM incident WHERE title = 'RED'");

	assert_int_equal(store_call(f->st, observable_correlate, f->a, &team,
	                            oa.incident_id, &oa, 1, 20, &c, &n),
	                 CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].index, 0);
	assert_string_equal(c[0].ref, b);
	assert_string_equal(c[0].title, "B");

	/* a member of the RED incident sees it */
	sql(f, "INSERT INTO user (id, login, name, email, pw_hash, role, "
	       "created_at, updated_at) VALUES (77, 'rosa', '', '', 'x', "
	       "'handler', 1, 1)");
	sql(f, "INSERT INTO incident_member SELECT id, 77 FROM incident WHERE "
	       "title = 'RED'");
	{
		struct viewer rosa = {.user_id = 77, .role = ROLE_HANDLER};
		struct observable two[2] = {oa, oa};

		assert_int_equal(store_call(f->st, observable_correlate, f->a,
		                            &rosa, oa.incident_id, two, 2, 1,
		                            &c, &n),
		                 CS_OK);
		/* newest first, one each */
		assert_int_equal(n, 2);
		assert_int_equal(c[0].index, 0);
		assert_int_equal(c[1].index, 1);
		assert_string_equal(c[0].ref, red);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_normalises_and_sights,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extract_attach_and_remove,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_correlation_hides_unreadable,
	                                    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
