/*
 * check_health.c: the health state machine and latency windows, without
 * I/O: thresholds, hysteresis, degraded vs down, flapping, DNS and API
 * kept apart, every transition through the hook.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

struct seen {
	int			 n;
	enum health_state	 from[32], to[32];
	enum health_kind	 kind[32];
	char			 ns[32][64];
};

static void
hook_cb(const struct health_transition *t, void *arg)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->n, 32);
	ck_assert_int_ne(t->from, t->to);
	s->from[s->n] = t->from;
	s->to[s->n] = t->to;
	s->kind[s->n] = t->kind;
	snprintf(s->ns[s->n], sizeof(s->ns[0]), "%s",
	    t->nameserver != NULL ? t->nameserver : "-");
	s->n++;
}

static struct health	H;
static struct seen	S;
static int64_t		T;

static void
setup(void)
{
	memset(&S, 0, sizeof(S));
	health_conf_default(&H.conf);
	H.on_transition = hook_cb;
	H.arg = &S;
	T = 1000;
}

static enum health_state
feed(struct health_node *n, enum health_obs o)
{
	health_observe(&H, n, "p", "192.0.2.1:53", HEALTH_KIND_DNS, o,
	    o == HEALTH_OBS_OK ? NULL : "timeout", T++);
	return (n->state);
}

START_TEST(test_defaults_and_names)
{
	ck_assert_uint_eq(H.conf.down_after, 3);
	ck_assert_uint_eq(H.conf.up_after, 2);
	ck_assert_uint_eq(H.conf.slow_ms, 500);
	ck_assert_str_eq(health_state_name(HEALTH_DOWN), "down");
	ck_assert_str_eq(health_state_name(HEALTH_DEGRADED), "degraded");
	ck_assert_str_eq(health_state_name((enum health_state)99), "invalid");
	ck_assert_str_eq(health_kind_name(HEALTH_KIND_API), "api");
	ck_assert_int_eq(health_classify(&H.conf, 1, 500), HEALTH_OBS_OK);
	ck_assert_int_eq(health_classify(&H.conf, 1, 501), HEALTH_OBS_SLOW);
	ck_assert_int_eq(health_classify(&H.conf, 0, 1), HEALTH_OBS_FAIL);
}
END_TEST

START_TEST(test_down_after_n_failures)
{
	struct health_node	n;

	health_node_init(&n);
	ck_assert_int_eq(n.state, HEALTH_UNKNOWN);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_HEALTHY);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_FAIL), HEALTH_DEGRADED);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_FAIL), HEALTH_DEGRADED);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_FAIL), HEALTH_DOWN);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_FAIL), HEALTH_DOWN);
	ck_assert_str_eq(n.last_error, "timeout");
	ck_assert_int_eq(S.n, 3);
	ck_assert_int_eq(S.from[2], HEALTH_DEGRADED);
	ck_assert_int_eq(S.to[2], HEALTH_DOWN);
	ck_assert_str_eq(S.ns[2], "192.0.2.1:53");
	ck_assert_uint_eq(n.nfail, 4);
}
END_TEST

START_TEST(test_up_after_m_successes)
{
	struct health_node	n;
	int			i;

	health_node_init(&n);
	for (i = 0; i < 3; i++)
		feed(&n, HEALTH_OBS_FAIL);
	ck_assert_int_eq(n.state, HEALTH_DOWN);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_DOWN);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_HEALTHY);
	/* up-after 4: three are not enough */
	H.conf.up_after = 4;
	for (i = 0; i < 3; i++)
		feed(&n, HEALTH_OBS_FAIL);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_DOWN);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_HEALTHY);
}
END_TEST

START_TEST(test_slow_is_degraded_not_down)
{
	struct health_node	n;
	int			i;

	health_node_init(&n);
	feed(&n, HEALTH_OBS_OK);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(feed(&n, HEALTH_OBS_SLOW), HEALTH_DEGRADED);
	ck_assert_int_eq(S.n, 2);	/* unknown->healthy->degraded */
	/* fast again: up_after fast answers to be healthy */
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_DEGRADED);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_HEALTHY);
	/* coming back from down but slow: degraded */
	for (i = 0; i < 3; i++)
		feed(&n, HEALTH_OBS_FAIL);
	ck_assert_int_eq(n.state, HEALTH_DOWN);
	feed(&n, HEALTH_OBS_SLOW);
	ck_assert_int_eq(feed(&n, HEALTH_OBS_SLOW), HEALTH_DEGRADED);
}
END_TEST

START_TEST(test_flapping_never_down)
{
	struct health_node	n;
	int			i;

	/* fail, fail, ok, ...: never three failures in a row */
	health_node_init(&n);
	for (i = 0; i < 30; i++) {
		feed(&n, HEALTH_OBS_FAIL);
		feed(&n, HEALTH_OBS_FAIL);
		ck_assert_int_ne(feed(&n, HEALTH_OBS_OK), HEALTH_DOWN);
		ck_assert_int_ne(n.state, HEALTH_HEALTHY);
	}
	/* and a flapping down server does not come back on one success */
	for (i = 0; i < 3; i++)
		feed(&n, HEALTH_OBS_FAIL);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(feed(&n, HEALTH_OBS_OK), HEALTH_DOWN);
		ck_assert_int_eq(feed(&n, HEALTH_OBS_FAIL), HEALTH_DOWN);
	}
}
END_TEST

START_TEST(test_no_transition_no_hook)
{
	struct health_node	n;
	int			i;

	health_node_init(&n);
	for (i = 0; i < 10; i++)
		feed(&n, HEALTH_OBS_OK);
	ck_assert_int_eq(S.n, 1);
	ck_assert_int_eq(health_set(&H, &n, "p", NULL, HEALTH_KIND_DNS,
	    HEALTH_HEALTHY, "x", T), 0);
	ck_assert_int_eq(S.n, 1);
	ck_assert_int_eq(health_set(&H, &n, "p", NULL, HEALTH_KIND_DNS,
	    HEALTH_DOWN, "x", T), 1);
	ck_assert_int_eq(S.n, 2);
	ck_assert_str_eq(S.ns[1], "-");
}
END_TEST

START_TEST(test_api_and_dns_apart)
{
	struct health_node	dns, api;
	int			i;

	health_node_init(&dns);
	health_node_init(&api);
	for (i = 0; i < 3; i++)
		health_observe(&H, &api, "p", NULL, HEALTH_KIND_API,
		    HEALTH_OBS_FAIL, "HTTP 500", T++);
	feed(&dns, HEALTH_OBS_OK);
	ck_assert_int_eq(api.state, HEALTH_DOWN);
	ck_assert_int_eq(dns.state, HEALTH_HEALTHY);
	ck_assert_int_eq(S.kind[S.n - 1], HEALTH_KIND_DNS);
	ck_assert_int_eq(S.kind[0], HEALTH_KIND_API);
	ck_assert_str_eq(api.last_error, "HTTP 500");
}
END_TEST

START_TEST(test_aggregate)
{
	enum health_state	s[3] = { HEALTH_UNKNOWN, HEALTH_UNKNOWN, HEALTH_UNKNOWN };

	ck_assert_int_eq(health_aggregate(s, 0), HEALTH_UNKNOWN);
	s[0] = s[1] = s[2] = HEALTH_HEALTHY;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_HEALTHY);
	s[1] = HEALTH_DOWN;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_DEGRADED);
	s[0] = s[2] = HEALTH_DOWN;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_DOWN);
	s[0] = HEALTH_UNKNOWN;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_DOWN);
	s[1] = s[2] = HEALTH_UNKNOWN;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_UNKNOWN);
	s[1] = HEALTH_DEGRADED;
	ck_assert_int_eq(health_aggregate(s, 3), HEALTH_DEGRADED);
}
END_TEST

START_TEST(test_latency_window)
{
	struct latency_ring	r;
	struct latency_summary	s;
	uint32_t		i;

	latency_init(&r);
	latency_summarize(&r, &s);
	ck_assert_uint_eq(s.samples, 0);
	ck_assert_uint_eq(s.p50, 0);
	for (i = 1; i <= 100; i++)
		latency_add(&r, i);
	latency_summarize(&r, &s);
	ck_assert_uint_eq(s.samples, 100);
	ck_assert_uint_eq(s.min, 1);
	ck_assert_uint_eq(s.p25, 25);
	ck_assert_uint_eq(s.p50, 50);
	ck_assert_uint_eq(s.p75, 75);
	ck_assert_uint_eq(s.p90, 90);
	ck_assert_uint_eq(s.p99, 99);
	ck_assert_uint_eq(s.max, 100);
	/* the window slides: 1000 more samples of 7 ms push them all out */
	for (i = 0; i < 1000; i++)
		latency_add(&r, 7);
	latency_summarize(&r, &s);
	ck_assert_uint_eq(s.samples, LATENCY_RING);
	ck_assert_uint_eq(s.max, 7);
	ck_assert_uint_eq(s.min, 7);
	/* one sample */
	latency_init(&r);
	latency_add(&r, 42);
	latency_summarize(&r, &s);
	ck_assert_uint_eq(s.p99, 42);
	ck_assert_uint_eq(s.p25, 42);
}
END_TEST

static Suite *
health_suite(void)
{
	Suite	*s = suite_create("health");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_defaults_and_names);
	tcase_add_test(tc, test_down_after_n_failures);
	tcase_add_test(tc, test_up_after_m_successes);
	tcase_add_test(tc, test_slow_is_degraded_not_down);
	tcase_add_test(tc, test_flapping_never_down);
	tcase_add_test(tc, test_no_transition_no_hook);
	tcase_add_test(tc, test_api_and_dns_apart);
	tcase_add_test(tc, test_aggregate);
	tcase_add_test(tc, test_latency_window);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(health_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
