/*
 * check_remediate.c: the withdrawal decisions without I/O: hold times on
 * both sides, the last healthy provider, the policy, manual overrides,
 * one refusal alert per outage.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remediate.h"

static struct remediate_policy	P;
static struct remediate_state	S;

static void
setup(void)
{
	P.on_outage = OUTAGE_WITHDRAW;
	P.withdraw_after = 60;
	P.reinstate_after = 300;
	memset(&S, 0, sizeof(S));
}

START_TEST(test_names)
{
	ck_assert_str_eq(remediate_action_name(REMEDIATE_KEEP), "keep");
	ck_assert_str_eq(remediate_action_name(REMEDIATE_WITHDRAW),
	    "withdraw");
	ck_assert_str_eq(remediate_action_name(REMEDIATE_REINSTATE),
	    "reinstate");
	ck_assert_str_eq(remediate_action_name(REMEDIATE_REFUSE), "refuse");
	ck_assert_str_eq(remediate_action_name((enum remediate_action)99),
	    "unknown");
	ck_assert_str_eq(outage_action_name(OUTAGE_ALERT), "alert");
	ck_assert_str_eq(outage_action_name(OUTAGE_WITHDRAW), "withdraw");
}
END_TEST

START_TEST(test_withdraw_after_hold)
{
	/* Down since 1000: kept until withdraw-after has passed. */
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 1000),
	    REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 1059),
	    REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 1060),
	    REMEDIATE_WITHDRAW);
	/* Degraded, unknown or healthy is never withdrawn, however long. */
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DEGRADED, 0, 2,
	    100000), REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_UNKNOWN, 0, 2,
	    100000), REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_HEALTHY, 0, 2,
	    100000), REMEDIATE_KEEP);
	/* withdraw-after = 0: at once. */
	P.withdraw_after = 0;
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 1, 1000),
	    REMEDIATE_WITHDRAW);
}
END_TEST

START_TEST(test_reinstate_after_hold)
{
	remediate_apply(&S, REMEDIATE_WITHDRAW, 0, 1060);
	ck_assert_int_eq(S.withdrawn, 1);
	ck_assert_int_eq(S.manual, 0);
	ck_assert_int_eq(S.since, 1060);
	/* Still down, degraded, or healthy for too short a time: kept. */
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 5000),
	    REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DEGRADED, 1100, 2,
	    5000), REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_HEALTHY, 2000, 2,
	    2299), REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_HEALTHY, 2000, 2,
	    2300), REMEDIATE_REINSTATE);
	remediate_apply(&S, REMEDIATE_REINSTATE, 0, 2300);
	ck_assert_int_eq(S.withdrawn, 0);
	ck_assert_int_eq(S.since, 0);
	ck_assert_int_eq(S.reinstated, 2300);
}
END_TEST

START_TEST(test_serving)
{
	struct remediate_peer	peers[3];

	peers[0].dns = HEALTH_DOWN;
	peers[0].withdrawn = 0;
	peers[1].dns = HEALTH_HEALTHY;
	peers[1].withdrawn = 0;
	peers[2].dns = HEALTH_DEGRADED;
	peers[2].withdrawn = 0;
	/* 0 down: 1 and 2 still serve. */
	ck_assert_uint_eq(remediate_serving(peers, 3, 0), 2);
	/* 1 would leave only 2 (0 is down). */
	ck_assert_uint_eq(remediate_serving(peers, 3, 1), 1);
	peers[2].withdrawn = 1;
	ck_assert_uint_eq(remediate_serving(peers, 3, 0), 1);
	ck_assert_uint_eq(remediate_serving(peers, 3, 1), 0);
	/* Unknown (not probed) counts as serving: only DOWN does not. */
	peers[2].withdrawn = 0;
	peers[2].dns = HEALTH_UNKNOWN;
	ck_assert_uint_eq(remediate_serving(peers, 3, 1), 1);
	ck_assert_uint_eq(remediate_serving(peers, 0, 0), 0);
}
END_TEST

START_TEST(test_never_the_last_healthy)
{
	struct remediate_peer	peers[3];
	struct remediate_state	st[3];
	size_t			i;
	int64_t			now = 5000;

	/* Three providers, two killed: only one is withdrawn at a time. */
	memset(st, 0, sizeof(st));
	peers[0].dns = HEALTH_DOWN;
	peers[1].dns = HEALTH_DOWN;
	peers[2].dns = HEALTH_HEALTHY;
	for (i = 0; i < 3; i++)
		peers[i].withdrawn = 0;
	for (i = 0; i < 3; i++) {
		enum remediate_action	a;

		a = remediate_decide(&P, &st[i], peers[i].dns, 1000,
		    remediate_serving(peers, 3, i), now);
		if (i < 2)
			ck_assert_int_eq(a, REMEDIATE_WITHDRAW);
		else
			ck_assert_int_eq(a, REMEDIATE_KEEP);
		remediate_apply(&st[i], a, 0, now);
		peers[i].withdrawn = st[i].withdrawn;
	}
	/* The survivor goes down too: refused, alerted once, kept. */
	peers[2].dns = HEALTH_DOWN;
	ck_assert_uint_eq(remediate_serving(peers, 3, 2), 0);
	ck_assert_int_eq(remediate_decide(&P, &st[2], HEALTH_DOWN, 5000, 0,
	    9000), REMEDIATE_REFUSE);
	remediate_apply(&st[2], REMEDIATE_REFUSE, 0, 9000);
	ck_assert_int_eq(st[2].withdrawn, 0);
	ck_assert_int_eq(st[2].refused, 1);
	ck_assert_int_eq(remediate_decide(&P, &st[2], HEALTH_DOWN, 5000, 0,
	    9001), REMEDIATE_KEEP);
	/* Another provider serves again: the withdrawal goes ahead. */
	ck_assert_int_eq(remediate_decide(&P, &st[2], HEALTH_DOWN, 5000, 1,
	    9002), REMEDIATE_WITHDRAW);
	/* A single provider of its zone is never withdrawn. */
	memset(&S, 0, sizeof(S));
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 0, 0, 9000),
	    REMEDIATE_REFUSE);
}
END_TEST

START_TEST(test_policy_alert)
{
	P.on_outage = OUTAGE_ALERT;
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 0, 2, 100000),
	    REMEDIATE_KEEP);
	/* Left withdrawn on outage, the policy changed: reinstated. */
	remediate_apply(&S, REMEDIATE_WITHDRAW, 0, 10);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 0, 2, 11),
	    REMEDIATE_REINSTATE);
	/* But a manual withdrawal stays. */
	remediate_apply(&S, REMEDIATE_WITHDRAW, 1, 10);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 0, 2, 11),
	    REMEDIATE_KEEP);
}
END_TEST

START_TEST(test_manual_override)
{
	/* Withdrawn by hand while healthy: never reinstated automatically. */
	remediate_apply(&S, REMEDIATE_WITHDRAW, 1, 100);
	ck_assert_int_eq(S.manual, 1);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_HEALTHY, 0, 2,
	    1000000), REMEDIATE_KEEP);
	/* Reinstated by hand while down: a new hold starts then. */
	remediate_apply(&S, REMEDIATE_REINSTATE, 1, 2000);
	ck_assert_int_eq(S.withdrawn, 0);
	ck_assert_int_eq(S.manual, 0);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 2059),
	    REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 1000, 2, 2060),
	    REMEDIATE_WITHDRAW);
	/* A later outage counts from its own start. */
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 3000, 2, 3059),
	    REMEDIATE_KEEP);
	ck_assert_int_eq(remediate_decide(&P, &S, HEALTH_DOWN, 3000, 2, 3060),
	    REMEDIATE_WITHDRAW);
	/* KEEP changes nothing. */
	remediate_apply(&S, REMEDIATE_KEEP, 1, 4000);
	ck_assert_int_eq(S.withdrawn, 0);
	ck_assert_int_eq(S.reinstated, 2000);
}
END_TEST

static Suite *
remediate_suite(void)
{
	Suite	*s = suite_create("remediate");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_withdraw_after_hold);
	tcase_add_test(tc, test_reinstate_after_hold);
	tcase_add_test(tc, test_serving);
	tcase_add_test(tc, test_never_the_last_healthy);
	tcase_add_test(tc, test_policy_alert);
	tcase_add_test(tc, test_manual_override);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(remediate_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
