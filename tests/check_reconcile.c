/*
 * check_reconcile.c: the reconcile engine against in-memory fake providers
 * that answer asynchronously on a real event loop, with a real state DB.
 * The real backends are tested against real servers elsewhere; here every
 * path of the engine itself: apply, drift, the safety gate, failures, the
 * computed apex NS, dry runs and cancellation.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "daemon.h"
#include "db.h"
#include "diff.h"
#include "provider.h"
#include "reconcile.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN	"example.com."

struct fake {
	struct zone	*zone;		/* what the provider holds */
	const char	*ns[2];
	int		 fail_fetch;
	int		 fail_apply;
	int		 fetch_calls;
	int		 apply_calls;
	int		 changes_applied;
	struct event	*ev;		/* the pending answer */
	struct provider	*p;
	/* the pending operation */
	int		 op;		/* 1 fetch, 2 apply, 3 ns */
	provider_fetch_cb fetch_cb;
	provider_apply_cb apply_cb;
	provider_ns_cb	 ns_cb;
	void		*arg;
	const struct changeset *cs;
};

static struct event_base *base;

/* Build a zone from lines "owner ttl TYPE rdata" (owner relative or @). */
static struct zone *
mkzone(const char *const *lines, size_t n)
{
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[256], type[16], rdata[512];
	unsigned		 ttl;
	size_t			 i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(lines[i], "%255s %u %15s %511[^\n]",
		    owner, &ttl, type, rdata), 4);
		if (strcmp(owner, "@") == 0)
			snprintf(owner, sizeof(owner), "%s", ORIGIN);
		else if (owner[strlen(owner) - 1] != '.')
			strncat(owner, "." ORIGIN, sizeof(owner) - strlen(owner) - 1);
		ck_assert_msg(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), ttl, rdata, &err) == 0,
		    "%s: %s", lines[i], err.msg);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

/* A copy of every RRset but those in skip (by owner+type), plus extra. */
static struct zone *
zone_edit(const struct zone *src, const struct changeset *cs)
{
	struct zone		*z = zone_new(src->origin);
	struct zone_error	 err;
	size_t			 i, j, k;
	int			 drop;

	for (i = 0; i < src->nrrsets; i++) {
		const struct rrset *rs = &src->rrsets[i];

		drop = 0;
		for (k = 0; cs != NULL && k < cs->nchanges; k++) {
			const struct rrset *o = cs->changes[k].old;

			if (o != NULL && rrset_cmp_key(o, rs) == 0)
				drop = 1;
		}
		if (drop)
			continue;
		for (j = 0; j < rs->nrdata; j++)
			ck_assert_int_eq(zone_add_rr_text(z, rs->owner, rs->type,
			    rs->ttl, rs->rdata[j].text, &err), 0);
	}
	for (k = 0; cs != NULL && k < cs->nchanges; k++) {
		const struct rrset *nw = cs->changes[k].new;

		for (j = 0; nw != NULL && j < nw->nrdata; j++)
			ck_assert_int_eq(zone_add_rr_text(z, nw->owner, nw->type,
			    nw->ttl, nw->rdata[j].text, &err), 0);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

static void
fake_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake		*f = arg;
	struct apply_result	 res;
	struct zone		*z;
	char			*names[2];
	size_t			 i;

	(void)fd;
	(void)what;
	switch (f->op) {
	case 1:
		f->op = 0;
		if (f->fail_fetch) {
			f->fetch_cb(f->p, -1, "HTTP 500 from the fake", NULL,
			    f->arg);
			return;
		}
		f->fetch_cb(f->p, 0, NULL, zone_edit(f->zone, NULL), f->arg);
		break;
	case 2:
		f->op = 0;
		apply_result_init(&res, f->cs->nchanges);
		for (i = 0; i < f->cs->nchanges; i++) {
			if (f->fail_apply) {
				res.results[i] = CHANGE_RESULT_FAILED;
				res.errors[i] = xstrdup("refused by the fake");
			} else
				res.results[i] = CHANGE_RESULT_OK;
		}
		if (!f->fail_apply) {
			z = zone_edit(f->zone, f->cs);
			zone_free(f->zone);
			f->zone = z;
			f->changes_applied += (int)f->cs->nchanges;
		}
		res.api_calls = 1;
		f->apply_cb(f->p, &res, f->arg);
		apply_result_clear(&res);
		break;
	case 3:
		f->op = 0;
		names[0] = (char *)f->ns[0];
		names[1] = (char *)f->ns[1];
		f->ns_cb(f->p, 0, NULL, names, 2, f->arg);
		break;
	}
}

static void
fake_later(struct fake *f)
{
	struct timeval	tv = { 0, 1000 };

	ck_assert_int_eq(f->op != 0, 1);
	evtimer_add(f->ev, &tv);
}

static int
fake_fetch(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct fake	*f = p->priv;

	(void)origin; (void)err; (void)errlen;
	f->fetch_calls++;
	f->op = 1;
	f->fetch_cb = cb;
	f->arg = arg;
	fake_later(f);
	return (0);
}

static int
fake_apply(struct provider *p, const char *origin, const struct changeset *cs,
    provider_apply_cb cb, void *arg, char *err, size_t errlen)
{
	struct fake	*f = p->priv;

	(void)origin; (void)err; (void)errlen;
	f->apply_calls++;
	f->op = 2;
	f->apply_cb = cb;
	f->cs = cs;
	f->arg = arg;
	fake_later(f);
	return (0);
}

static int
fake_ns(struct provider *p, const char *origin, provider_ns_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct fake	*f = p->priv;

	(void)origin; (void)err; (void)errlen;
	f->op = 3;
	f->ns_cb = cb;
	f->arg = arg;
	fake_later(f);
	return (0);
}

static void
fake_cancel(struct provider *p)
{
	struct fake	*f = p->priv;

	evtimer_del(f->ev);
	f->op = 0;
}

static const struct provider_ops fake_ops = {
	.type = "fake",
	.fetch = fake_fetch,
	.apply = fake_apply,
	.nameservers = fake_ns,
	.cancel = fake_cancel,
};

/* The world of one test: a daemon with one zone and two fake providers. */
struct world {
	struct daemon		 d;
	struct daemon_provider	 dp[2];
	struct provider		 prov[2];
	struct fake		 fake[2];
	struct provider_conf	 pc[2];
	struct daemon_zone	 z;
	struct daemon_pair	 pairs[2];
	struct zone_conf	 zc;
	struct store_zone	 sz;
	char			 dbpath[64];
	cJSON			*report;
	int			 done;
};

static const char *const base_zone[] = {
	"@ 3600 SOA ns1.a.example. host.example.com. 1 7200 900 1209600 300",
	"@ 3600 NS ns1.a.example.",
	"www 300 A 192.0.2.1",
	"mail 300 A 192.0.2.2",
	"@ 300 MX 10 mail.example.com.",
	"a1 300 A 192.0.2.11", "a2 300 A 192.0.2.12", "a3 300 A 192.0.2.13",
	"a4 300 A 192.0.2.14", "a5 300 A 192.0.2.15", "a6 300 A 192.0.2.16",
	"a7 300 A 192.0.2.17", "a8 300 A 192.0.2.18", "a9 300 A 192.0.2.19",
	"txt 300 TXT \"v=spf1 -all\"",
};
#define NBASE	(sizeof(base_zone) / sizeof(base_zone[0]))

static void
world_init(struct world *w, enum zone_mode mode)
{
	static const char *const empty[] = {
		"@ 3600 SOA ns1.p.example. host.example.com. 1 7200 900 1209600 300",
	};
	char		 err[256];
	size_t		 i;
	int		 fd;

	memset(w, 0, sizeof(*w));
	base = event_base_new();
	snprintf(w->dbpath, sizeof(w->dbpath), "/tmp/check_reconcile.XXXXXX");
	fd = mkstemp(w->dbpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(w->dbpath);
	w->d.db = db_open(w->dbpath, err, sizeof(err));
	ck_assert_msg(w->d.db != NULL, "%s", err);
	ck_assert_int_eq(db_zone_upsert(w->d.db, ORIGIN, 1), 0);
	w->d.base = base;
	w->d.providers = w->dp;
	w->d.nproviders = 2;
	w->d.zones = &w->z;
	w->d.nzones = 1;

	for (i = 0; i < 2; i++) {
		w->pc[i].name = (char *)(i == 0 ? "one" : "two");
		w->pc[i].type = (char *)"fake";
		ck_assert_int_eq(db_provider_upsert(w->d.db, w->pc[i].name,
		    "fake", 1), 0);
		w->fake[i].zone = mkzone(empty, 1);
		w->fake[i].ns[0] = i == 0 ? "ns1.one.example." : "ns1.two.example.";
		w->fake[i].ns[1] = i == 0 ? "ns2.one.example." : "ns2.two.example.";
		w->fake[i].p = &w->prov[i];
		w->fake[i].ev = evtimer_new(base, fake_answer_cb, &w->fake[i]);
		w->prov[i].ops = &fake_ops;
		w->prov[i].name = w->pc[i].name;
		w->prov[i].conf = &w->pc[i];
		w->prov[i].base = base;
		w->prov[i].caps.flags = PROVIDER_CAP_APEX_NS;
		w->prov[i].priv = &w->fake[i];
		w->dp[i].name = w->pc[i].name;
		w->dp[i].conf = &w->pc[i];
		w->dp[i].backend = &w->prov[i];
		w->pairs[i].zone = &w->z;
		w->pairs[i].provider = &w->dp[i];
	}
	w->zc.name = (char *)ORIGIN;
	w->zc.mode = mode;
	w->zc.max_update_pct = 30;
	w->zc.max_delete_pct = 30;
	w->zc.safety_min_rrsets = 10;
	w->sz.origin = (char *)ORIGIN;
	w->sz.zone = mkzone(base_zone, NBASE);
	snprintf(w->sz.version.id, sizeof(w->sz.version.id), "%040d", 1);
	w->sz.version.author = xstrdup("Test Author <t@example.com>");
	ck_assert_int_eq(db_version_record(w->d.db, ORIGIN, w->sz.version.id,
	    w->sz.version.author, "test", 1, 1, NULL, 1), 0);
	w->z.name = (char *)ORIGIN;
	w->z.conf = &w->zc;
	w->z.sz = &w->sz;
	w->z.pairs = w->pairs;
	w->z.npairs = 2;
}

static void
world_free(struct world *w)
{
	size_t	i;

	cJSON_Delete(w->report);
	for (i = 0; i < 2; i++) {
		zone_free(w->fake[i].zone);
		event_free(w->fake[i].ev);
	}
	zone_free(w->sz.zone);
	store_version_clear(&w->sz.version);
	db_close(w->d.db);
	unlink(w->dbpath);
	for (i = 0; i < 3; i++) {
		char	p[80];

		snprintf(p, sizeof(p), "%s%s", w->dbpath,
		    i == 0 ? "-wal" : i == 1 ? "-shm" : "-journal");
		unlink(p);
	}
	event_base_free(base);
	base = NULL;
}

static void
done_cb(struct daemon *d, struct daemon_zone *z, cJSON *report, void *arg)
{
	struct world	*w = arg;

	(void)d;
	(void)z;
	cJSON_Delete(w->report);
	w->report = cJSON_Duplicate(report, 1);
	w->done++;
}

static void
run(struct world *w, unsigned flags)
{
	char	err[256];
	int	spins = 0;

	w->done = 0;
	ck_assert_msg(reconcile_zone(&w->d, &w->z, flags, done_cb, w, err,
	    sizeof(err)) == 0, "%s", err);
	while (!w->done && spins++ < 1000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(w->done, 1);
	ck_assert_int_eq(reconcile_busy(&w->z), 0);
}

/* The provider's zone compared with the desired one plus the union NS. */
static size_t
remaining(struct world *w, int i)
{
	static const char *const ns[] = {
		"@ 3600 NS ns1.one.example.", "@ 3600 NS ns2.one.example.",
		"@ 3600 NS ns1.two.example.", "@ 3600 NS ns2.two.example.",
	};
	struct zone		*nsz = mkzone(ns, 4);
	struct diff_opts	 opts = { 0 };
	struct changeset	 cs;
	size_t			 n;

	opts.apex_ns = zone_find(nsz, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(w->sz.zone, w->fake[i].zone, &opts, &cs),
	    0);
	n = cs.nchanges;
	changeset_free(&cs);
	zone_free(nsz);
	return (n);
}

static const char *
report_status(struct world *w, int i)
{
	cJSON	*arr = cJSON_GetObjectItem(w->report, "providers");

	return (cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(arr, i), "status")));
}

static size_t
count_history(struct world *w, enum db_change_result want)
{
	struct db_history	*h;
	size_t			 n, i, c = 0;

	ck_assert_int_eq(db_history_list(w->d.db, 0, NULL, &h, &n), 0);
	for (i = 0; i < n; i++)
		if (h[i].result == want)
			c++;
	db_history_free(h, n);
	return (c);
}

static size_t
count_drift(struct world *w, const char *provider)
{
	struct db_drift	*dr;
	size_t		 n;

	ck_assert_int_eq(db_drift_list(w->d.db, ORIGIN, provider, 0, &dr, &n),
	    0);
	db_drift_free(dr, n);
	return (n);
}

/* enforce: both providers converge on the desired zone + the union NS. */
START_TEST(test_enforce_converges)
{
	struct world	w;

	world_init(&w, ZONE_MODE_ENFORCE);
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "applied");
	ck_assert_str_eq(report_status(&w, 1), "applied");
	ck_assert_uint_eq(remaining(&w, 0), 0);
	ck_assert_uint_eq(remaining(&w, 1), 0);
	/* 13 creates (all but SOA and apex NS) + the apex NS replaced. */
	ck_assert_int_eq(w.fake[0].changes_applied, (int)NBASE - 2 + 1);
	ck_assert_int_eq(w.pairs[0].state, PAIR_STATE_IN_SYNC);
	ck_assert_str_eq(w.pairs[0].applied_version, w.sz.version.id);
	ck_assert_uint_eq(count_history(&w, DB_CHANGE_OK),
	    2 * (NBASE - 2 + 1));

	/* A second run changes nothing and calls apply nowhere. */
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "in-sync");
	ck_assert_int_eq(w.fake[0].apply_calls, 1);
	ck_assert_int_eq(w.fake[1].apply_calls, 1);
	ck_assert_uint_eq(count_drift(&w, "one"), 0);
	world_free(&w);
}
END_TEST

/* alert: differences are recorded as drift and not repaired; sync does. */
START_TEST(test_alert_records_drift)
{
	struct world	w;

	world_init(&w, ZONE_MODE_ALERT);
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "drift");
	ck_assert_int_eq(w.fake[0].apply_calls, 0);
	ck_assert_int_eq(w.pairs[0].state, PAIR_STATE_DRIFT);
	ck_assert_uint_eq(count_drift(&w, "one"), NBASE - 2 + 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(w.report, "attention")));

	/* An operator's sync applies in alert mode too; the drift it
	 * repaired is resolved by that same pass. */
	run(&w, RECONCILE_MANUAL);
	ck_assert_str_eq(report_status(&w, 0), "applied");
	ck_assert_uint_eq(remaining(&w, 0), 0);
	ck_assert_uint_eq(count_drift(&w, "one"), 0);
	world_free(&w);
}
END_TEST

/* The safety gate refuses a changeset deleting half the zone; --force. */
START_TEST(test_safety_gate)
{
	struct world	 w;
	struct zone	*half;

	world_init(&w, ZONE_MODE_ENFORCE);
	run(&w, 0);
	ck_assert_uint_eq(remaining(&w, 0), 0);

	/* The new version keeps SOA, NS, www and mail only. */
	half = mkzone(base_zone, 5);
	zone_free(w.sz.zone);
	w.sz.zone = half;
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "refused");
	ck_assert_int_eq(w.pairs[0].state, PAIR_STATE_REFUSED);
	ck_assert_int_eq(w.fake[0].apply_calls, 1);	/* not called again */
	ck_assert_uint_eq(remaining(&w, 0), NBASE - 5);
	ck_assert_uint_eq(count_history(&w, DB_CHANGE_REFUSED),
	    2 * (NBASE - 5));
	ck_assert_ptr_nonnull(strstr(w.pairs[0].last_error,
	    "would delete 10 of 15 RRsets"));
	/* Refused again on the next cycle: audited once, not twice. */
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "refused");
	ck_assert_uint_eq(count_history(&w, DB_CHANGE_REFUSED),
	    2 * (NBASE - 5));

	run(&w, RECONCILE_FORCE);
	ck_assert_str_eq(report_status(&w, 0), "applied");
	ck_assert_uint_eq(remaining(&w, 0), 0);
	ck_assert_uint_eq(w.fake[0].zone->nrrsets, 5);
	world_free(&w);
}
END_TEST

/* A provider whose fetch fails: an error there, the other converges. */
START_TEST(test_fetch_failure_isolated)
{
	struct world	w;
	size_t		before;

	world_init(&w, ZONE_MODE_ENFORCE);
	run(&w, 0);
	before = w.fake[1].zone->nrrsets;
	w.fake[1].fail_fetch = 1;
	/* Change the desired zone: provider one must still get it. */
	zone_free(w.sz.zone);
	w.sz.zone = mkzone(base_zone, NBASE - 1);
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "applied");
	ck_assert_str_eq(report_status(&w, 1), "error");
	ck_assert_uint_eq(remaining(&w, 0), 0);
	ck_assert_int_eq(w.pairs[1].state, PAIR_STATE_ERROR);
	ck_assert_str_eq(w.pairs[1].last_error,
	    "fetch: HTTP 500 from the fake");
	ck_assert_uint_eq(w.dp[1].consecutive_errors, 1);
	/* Nothing was applied to the failing provider, nothing deleted. */
	ck_assert_int_eq(w.fake[1].apply_calls, 1);
	ck_assert_uint_eq(w.fake[1].zone->nrrsets, before);
	world_free(&w);
}
END_TEST

/* An apply that fails is audited as failed and leaves the pair in error. */
START_TEST(test_apply_failure_audited)
{
	struct world	w;

	world_init(&w, ZONE_MODE_ENFORCE);
	w.fake[0].fail_apply = 1;
	run(&w, 0);
	ck_assert_str_eq(report_status(&w, 0), "error");
	ck_assert_str_eq(report_status(&w, 1), "applied");
	ck_assert_uint_eq(count_history(&w, DB_CHANGE_FAILED), NBASE - 2 + 1);
	ck_assert_ptr_nonnull(strstr(w.pairs[0].last_error,
	    "refused by the fake"));
	world_free(&w);
}
END_TEST

/* A dry run (plan) applies nothing and records no drift. */
START_TEST(test_dry_run)
{
	struct world	 w;
	cJSON		*changes;

	world_init(&w, ZONE_MODE_ENFORCE);
	run(&w, RECONCILE_DRYRUN);
	ck_assert_str_eq(report_status(&w, 0), "planned");
	ck_assert_int_eq(w.fake[0].apply_calls, 0);
	ck_assert_uint_eq(count_drift(&w, "one"), 0);
	changes = cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(w.report, "providers"), 0), "changes");
	ck_assert_int_eq(cJSON_GetArraySize(changes), (int)(NBASE - 2 + 1));
	world_free(&w);
}
END_TEST

/* A provider that cannot edit its apex NS: the apex NS is left alone. */
START_TEST(test_apex_ns_not_editable)
{
	struct world		 w;
	const struct rrset	*ns;

	world_init(&w, ZONE_MODE_ENFORCE);
	w.prov[1].caps.flags = 0;
	run(&w, 0);
	ns = zone_find(w.fake[1].zone, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_null(ns);		/* the fake started without one */
	ns = zone_find(w.fake[0].zone, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(ns);
	ck_assert_uint_eq(ns->nrdata, 4);
	ck_assert_uint_eq(ns->ttl, 3600);
	world_free(&w);
}
END_TEST

/* Cancel with operations in flight: one callback, cancelled, no leak. */
START_TEST(test_cancel)
{
	struct world	w;
	char		err[256];

	world_init(&w, ZONE_MODE_ENFORCE);
	ck_assert_int_eq(reconcile_zone(&w.d, &w.z, 0, done_cb, &w, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(reconcile_busy(&w.z), 1);
	/* A second run while busy reports the pairs as busy. */
	reconcile_cancel(&w.d, NULL);
	ck_assert_int_eq(w.done, 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(w.report, "cancelled")));
	ck_assert_int_eq(reconcile_busy(&w.z), 0);
	ck_assert_int_eq(w.fake[0].op, 0);
	world_free(&w);
}
END_TEST

/* No desired version: an error, nothing started. */
START_TEST(test_no_version)
{
	struct world	 w;
	struct zone	*keep;
	char		 err[256];

	world_init(&w, ZONE_MODE_ENFORCE);
	keep = w.sz.zone;
	w.sz.zone = NULL;
	ck_assert_int_eq(reconcile_zone(&w.d, &w.z, 0, done_cb, &w, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "zone example.com. has no loaded version");
	w.sz.zone = keep;
	world_free(&w);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("reconcile");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_enforce_converges);
	tcase_add_test(tc, test_alert_records_drift);
	tcase_add_test(tc, test_safety_gate);
	tcase_add_test(tc, test_fetch_failure_isolated);
	tcase_add_test(tc, test_apply_failure_audited);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_apex_ns_not_editable);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_no_version);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? EXIT_FAILURE : EXIT_SUCCESS);
}
