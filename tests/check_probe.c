/*
 * check_probe.c: the prober against a tiny authoritative responder on
 * 127.0.0.1 driven by the same event loop.  The responder serves a zone
 * built with the zone model and can be silent, slow, forge an answer
 * with a wrong id first, or serve records that differ from the desired
 * zone.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsio.h"
#include "health.h"
#include "log.h"
#include "probe.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN	"example.test."

enum mode {
	MODE_NORMAL,
	MODE_SILENT,
	MODE_SLOW,
	MODE_WRONG_ID_FIRST,
};

struct responder {
	int			 udp;
	struct sockaddr_in	 sin;
	char			 addr[64];
	struct event		*ev;
	enum mode		 mode;
	unsigned		 delay_ms;
	struct zone		*served;
	int			 nq;
};

struct delayed {
	struct responder	*r;
	uint8_t			*wire;
	size_t			 len;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
};

static struct event_base	*base;
static struct responder		 R;

/* What the probe reported. */
struct got {
	int			 cycles;
	int			 transitions;
	enum health_state	 last_to;
	int			 nfind;
	struct {
		char			 owner[128];
		char			 type[16];
		enum probe_verdict	 verdict;
		char			 where[64];
		char			 actual[128];
	}			 find[512];
	struct probe_stats	 stats;
};
static struct got	G;
static unsigned		slow_ms;	/* 0: never slow (valgrind is slow) */

/* --- the responder ------------------------------------------------------ */

static void
send_wire(int fd, const uint8_t *wire, size_t len, const struct sockaddr *to,
    socklen_t tolen)
{
	ck_assert_int_eq(sendto(fd, wire, len, 0, to, tolen), (ssize_t)len);
}

static void
delayed_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct delayed	*d = arg;

	(void)fd;
	(void)ev;
	send_wire(d->r->udp, d->wire, d->len, (struct sockaddr *)&d->to,
	    d->tolen);
	free(d->wire);
	free(d);
}

static ldns_pkt *
answer_for(const ldns_pkt *q)
{
	const ldns_rr		*qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	const struct rrset	*rs;
	ldns_pkt		*a;
	ldns_rr			*rr;
	char			*owner, *line, tbuf[16];
	size_t			 i;

	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, 1);
	ldns_pkt_set_aa(a, 1);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	owner = ldns_rdf2str(ldns_rr_owner(qrr));
	for (i = 0; owner[i] != '\0'; i++)
		owner[i] = (char)tolower((unsigned char)owner[i]);
	rs = zone_find(R.served, owner, ldns_rr_get_type(qrr));
	for (i = 0; rs != NULL && i < rs->nrdata; i++) {
		xasprintf(&line, "%s %u IN %s %s", rs->owner, rs->ttl,
		    zone_type_name(rs->type, tbuf, sizeof(tbuf)),
		    rs->rdata[i].text);
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
		free(line);
	}
	free(owner);
	return (a);
}

static void
udp_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 buf[4096], *wire;
	size_t			 len;
	ssize_t			 n;
	ldns_pkt		*q = NULL, *a;
	struct delayed		*d;
	struct timeval		 tv;

	(void)ev;
	(void)arg;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ldns_wire2pkt(&q, buf, (size_t)n), LDNS_STATUS_OK);
	R.nq++;
	if (R.mode == MODE_SILENT) {
		ldns_pkt_free(q);
		return;
	}
	a = answer_for(q);
	if (R.mode == MODE_WRONG_ID_FIRST) {
		ldns_pkt_set_id(a, ldns_pkt_id(q) ^ 0x5a5a);
		ck_assert_int_eq(ldns_pkt2wire(&wire, a, &len), LDNS_STATUS_OK);
		send_wire(fd, wire, len, (struct sockaddr *)&from, fromlen);
		free(wire);
		ldns_pkt_set_id(a, ldns_pkt_id(q));
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, a, &len), LDNS_STATUS_OK);
	if (R.mode == MODE_SLOW) {
		d = xcalloc(1, sizeof(*d));
		d->r = &R;
		d->wire = wire;
		d->len = len;
		memcpy(&d->to, &from, fromlen);
		d->tolen = fromlen;
		tv.tv_sec = R.delay_ms / 1000;
		tv.tv_usec = (R.delay_ms % 1000) * 1000;
		ck_assert_int_eq(event_base_once(base, -1, EV_TIMEOUT,
		    delayed_cb, d, &tv), 0);
	} else {
		send_wire(fd, wire, len, (struct sockaddr *)&from, fromlen);
		free(wire);
	}
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

/* A zone: SOA, apex NS, then n A records h1..hn (h2 = 192.0.2.2 etc.). */
static struct zone *
make_zone(int n, const char *change_owner, const char *change_rdata,
    const char *drop_owner)
{
	struct zone		*z;
	struct zone_error	 err;
	char			 owner[64], rdata[64];
	int			 i;

	z = zone_new(ORIGIN);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(zone_add_rr_text(z, "@", LDNS_RR_TYPE_SOA, 3600,
	    "ns1.example.test. hostmaster.example.test. 7 3600 900 604800 300",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", LDNS_RR_TYPE_NS, 3600,
	    "ns1.example.test.", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", LDNS_RR_TYPE_NS, 3600,
	    "ns2.example.test.", &err), 0);
	for (i = 1; i <= n; i++) {
		snprintf(owner, sizeof(owner), "h%d", i);
		snprintf(rdata, sizeof(rdata), "192.0.2.%d", i);
		if (drop_owner != NULL && strcmp(owner, drop_owner) == 0)
			continue;
		if (change_owner != NULL && strcmp(owner, change_owner) == 0)
			snprintf(rdata, sizeof(rdata), "%s", change_rdata);
		ck_assert_int_eq(zone_add_rr_text(z, owner, LDNS_RR_TYPE_A,
		    300, rdata, &err), 0);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

static void
setup(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	log_init(LOG_LEVEL_WARN, "check_probe");
	base = event_base_new();
	memset(&R, 0, sizeof(R));
	memset(&G, 0, sizeof(G));
	slow_ms = 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	R.udp = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(R.udp, 0);
	ck_assert_int_eq(bind(R.udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(R.udp, (struct sockaddr *)&R.sin, &len),
	    0);
	snprintf(R.addr, sizeof(R.addr), "127.0.0.1:%u",
	    (unsigned)ntohs(R.sin.sin_port));
	R.ev = event_new(base, R.udp, EV_READ | EV_PERSIST, udp_cb, NULL);
	event_add(R.ev, NULL);
}

static void
teardown(void)
{
	event_free(R.ev);
	close(R.udp);
	zone_free(R.served);
	R.served = NULL;
	event_base_free(base);
	base = NULL;
}

/* --- the probe's side ------------------------------------------------- */

static void
finding_cb(struct probe *p, const struct probe_finding *f, void *arg)
{
	(void)p;
	(void)arg;
	ck_assert_int_lt(G.nfind, 512);
	snprintf(G.find[G.nfind].owner, sizeof(G.find[0].owner), "%s",
	    f->owner);
	snprintf(G.find[G.nfind].type, sizeof(G.find[0].type), "%s", f->type);
	G.find[G.nfind].verdict = f->verdict;
	snprintf(G.find[G.nfind].where, sizeof(G.find[0].where), "%s",
	    f->nameserver != NULL ? f->nameserver : "");
	snprintf(G.find[G.nfind].actual, sizeof(G.find[0].actual), "%s",
	    f->actual != NULL ? f->actual : "");
	ck_assert_ptr_nonnull(f->desired);
	G.nfind++;
}

static void
cycle_cb(struct probe *p, const struct probe_stats *st, void *arg)
{
	(void)p;
	(void)arg;
	G.cycles++;
	G.stats = *st;
	event_base_loopbreak(base);
}

static void
transition_cb(const struct health_transition *t, void *arg)
{
	(void)arg;
	G.transitions++;
	G.last_to = t->to;
}

static const struct probe_ops ops = { finding_cb, cycle_cb };

static struct probe *
probe_make(unsigned timeout_ms, unsigned sample, char *const *ns,
    size_t nns)
{
	struct probe_opts	 o;
	struct probe		*p;
	char			 err[256];
	char			*provs[] = { "lab" };

	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.retries = 0;
	health_conf_default(&o.health);
	o.health.slow_ms = slow_ms;
	o.on_transition = transition_cb;
	p = probe_new(base, &ops, &o);
	ck_assert_int_eq(probe_add_provider(p, "lab", R.addr, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(probe_add_zone(p, ORIGIN, sample, NULL, 0, provs, 1,
	    ns, nns, err, sizeof(err)), 0);
	return (p);
}

static void
cycle(struct probe *p)
{
	int	before = G.cycles;

	ck_assert_int_eq(probe_cycle(p), 0);
	ck_assert_int_eq(probe_cycle(p), -1);	/* still running */
	event_base_dispatch(base);
	ck_assert_int_eq(G.cycles, before + 1);
	ck_assert_int_eq(probe_busy(p), 0);
}

static int
count(enum probe_verdict v)
{
	int	i, n = 0;

	for (i = 0; i < G.nfind; i++)
		n += G.find[i].verdict == v;
	return (n);
}

START_TEST(test_matching_is_healthy)
{
	struct probe			*p;
	struct zone			*want;
	const struct probe_provider	*pp;
	char				*ns[] = { "ns2.example.test.",
					    "ns1.example.test." };

	R.served = make_zone(10, NULL, NULL, NULL);
	want = make_zone(10, NULL, NULL, NULL);
	p = probe_make(1000, 20, ns, 2);
	probe_set_desired(p, 0, want);
	ck_assert_uint_eq(probe_zone_sampleable(p, 0), 10);
	cycle(p);
	pp = probe_provider(p, 0);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_HEALTHY);
	ck_assert_int_eq(pp->node.state, HEALTH_HEALTHY);
	ck_assert_int_eq(pp->targets[0].have_serial, 1);
	ck_assert_uint_eq(pp->targets[0].serial, 7);
	ck_assert_uint_eq(pp->targets[0].lat.n, 1);
	/* 10 sampled + the apex NS, all matching */
	ck_assert_int_eq(G.nfind, 11);
	ck_assert_int_eq(count(PROBE_MATCH), 11);
	ck_assert_uint_eq(G.stats.queries, 12);
	ck_assert_uint_eq(G.stats.failed, 0);
	ck_assert_uint_eq(G.stats.mismatches, 0);
	ck_assert_int_eq(G.transitions, 4 - 2);	/* ns and provider */
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_silent_goes_down)
{
	struct probe			*p;
	struct zone			*want;
	const struct probe_provider	*pp;

	R.served = make_zone(3, NULL, NULL, NULL);
	want = make_zone(3, NULL, NULL, NULL);
	p = probe_make(100, 20, NULL, 0);
	probe_set_desired(p, 0, want);
	pp = probe_provider(p, 0);
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_HEALTHY);
	R.mode = MODE_SILENT;
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_DEGRADED);
	ck_assert_int_eq(pp->node.state, HEALTH_DEGRADED);
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_DEGRADED);
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_DOWN);
	ck_assert_int_eq(pp->node.state, HEALTH_DOWN);
	ck_assert_ptr_nonnull(strstr(pp->targets[0].node.last_error,
	    "SOA: no answer"));
	/* a silent server yields no finding: unknown, not drift */
	ck_assert_int_eq(G.nfind, 3);
	/* back: up-after (2) successes */
	R.mode = MODE_NORMAL;
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_DOWN);
	cycle(p);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_HEALTHY);
	ck_assert_int_eq(pp->node.state, HEALTH_HEALTHY);
	ck_assert_int_eq(G.last_to, HEALTH_HEALTHY);
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_slow_is_degraded)
{
	struct probe			*p;
	struct zone			*want;
	const struct probe_provider	*pp;
	struct latency_summary		 s;
	int				 i;

	R.served = make_zone(2, NULL, NULL, NULL);
	want = make_zone(2, NULL, NULL, NULL);
	slow_ms = 80;
	p = probe_make(1000, 20, NULL, 0);
	probe_set_desired(p, 0, want);
	pp = probe_provider(p, 0);
	R.mode = MODE_SLOW;
	R.delay_ms = 150;	/* slow_ms is 80 */
	for (i = 0; i < 5; i++) {
		cycle(p);
		ck_assert_int_eq(pp->targets[0].node.state, HEALTH_DEGRADED);
	}
	ck_assert_int_eq(pp->node.state, HEALTH_DEGRADED);
	latency_summarize(&pp->targets[0].lat, &s);
	ck_assert_uint_eq(s.samples, 5);
	ck_assert_uint_ge(s.p50, 150);
	ck_assert_uint_lt(s.p50, 1000);
	/* slow, but the data is right */
	ck_assert_int_eq(count(PROBE_MATCH), 10);
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_forged_id_ignored_and_counted)
{
	struct probe			*p;
	struct zone			*want;
	const struct probe_provider	*pp;
	uint64_t			 before = dnsio_mismatches();

	R.served = make_zone(4, NULL, NULL, NULL);
	want = make_zone(4, NULL, NULL, NULL);
	p = probe_make(1000, 20, NULL, 0);
	probe_set_desired(p, 0, want);
	pp = probe_provider(p, 0);
	R.mode = MODE_WRONG_ID_FIRST;
	cycle(p);
	/* 1 SOA + 4 sampled, each preceded by a forgery */
	ck_assert_uint_eq(G.stats.queries, 5);
	ck_assert_uint_eq(G.stats.ignored, 5);
	ck_assert_uint_eq(pp->targets[0].ignored, 5);
	ck_assert_uint_eq(dnsio_mismatches() - before, 5);
	ck_assert_int_eq(pp->targets[0].node.state, HEALTH_HEALTHY);
	ck_assert_int_eq(count(PROBE_MATCH), 4);
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_rotation_covers_everything)
{
	struct probe	*p;
	struct zone	*want;
	int		 seen[24], c, i, j, n, all;

	R.served = make_zone(23, NULL, NULL, NULL);
	want = make_zone(23, NULL, NULL, NULL);
	p = probe_make(1000, 5, NULL, 0);
	probe_set_desired(p, 0, want);
	ck_assert_uint_eq(probe_zone_sampleable(p, 0), 23);
	memset(seen, 0, sizeof(seen));
	/* ceil(23 / 5) = 5 cycles; after 4 some are still unseen */
	for (c = 1; c <= 5; c++) {
		G.nfind = 0;
		cycle(p);
		ck_assert_int_eq(G.nfind, 5);
		for (i = 0; i < G.nfind; i++) {
			ck_assert_int_eq(sscanf(G.find[i].owner, "h%d.", &j), 1);
			ck_assert(j >= 1 && j <= 23);
			seen[j] = 1;
		}
		for (j = 1, n = 0; j <= 23; j++)
			n += seen[j];
		all = n == 23;
		if (c < 5)
			ck_assert(!all);
		else
			ck_assert(all);
	}
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_mismatch_reported)
{
	struct probe	*p;
	struct zone	*want;
	char		*ns[] = { "ns1.example.test.", "ns9.example.test." };
	int		 i, changed = 0, missing = 0, nsdiff = 0;

	/* served: h3 changed, h5 missing; desired apex NS differs too */
	R.served = make_zone(6, "h3", "203.0.113.3", "h5");
	want = make_zone(6, NULL, NULL, NULL);
	p = probe_make(1000, 20, ns, 2);
	probe_set_desired(p, 0, want);
	cycle(p);
	ck_assert_int_eq(G.nfind, 7);
	for (i = 0; i < G.nfind; i++) {
		if (strcmp(G.find[i].owner, "h3." ORIGIN) == 0) {
			ck_assert_int_eq(G.find[i].verdict, PROBE_CHANGED);
			ck_assert_str_eq(G.find[i].actual, "300 203.0.113.3");
			ck_assert_str_eq(G.find[i].where, R.addr);
			changed++;
		} else if (strcmp(G.find[i].owner, "h5." ORIGIN) == 0) {
			ck_assert_int_eq(G.find[i].verdict, PROBE_MISSING);
			ck_assert_str_eq(G.find[i].actual, "");
			missing++;
		} else if (strcmp(G.find[i].type, "NS") == 0) {
			ck_assert_int_eq(G.find[i].verdict, PROBE_CHANGED);
			nsdiff++;
		} else
			ck_assert_int_eq(G.find[i].verdict, PROBE_MATCH);
	}
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(missing, 1);
	ck_assert_int_eq(nsdiff, 1);
	ck_assert_uint_eq(G.stats.mismatches, 3);
	/* a TTL difference alone is a difference too */
	zone_free(R.served);
	R.served = make_zone(6, NULL, NULL, NULL);
	R.served->rrsets[3].ttl = 301;
	G.nfind = 0;
	cycle(p);
	ck_assert_uint_eq(G.stats.mismatches, 2);	/* NS and one A */
	zone_free(want);
	probe_free(p);
}
END_TEST

START_TEST(test_addresses_and_carry)
{
	struct probe_opts		 o;
	struct probe			*p, *q;
	struct zone			*want;
	const struct probe_provider	*pp;
	char				 err[256];
	char				*provs[] = { "lab" };

	memset(&o, 0, sizeof(o));
	health_conf_default(&o.health);
	p = probe_new(base, &ops, &o);
	ck_assert_int_eq(probe_add_provider(p, "a", "192.0.2.1, "
	    "[2001:db8::1]:5353 192.0.2.1:53", err, sizeof(err)), 0);
	pp = probe_provider(p, 0);
	ck_assert_uint_eq(pp->ntargets, 2);
	ck_assert_str_eq(pp->targets[0].addr, "192.0.2.1:53");
	ck_assert_str_eq(pp->targets[1].addr, "[2001:db8::1]:5353");
	ck_assert_int_eq(probe_add_provider(p, "b", "ns1.example.com", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an IP address"));
	ck_assert_int_eq(probe_add_provider(p, "c", NULL, err, sizeof(err)),
	    1);
	ck_assert_uint_eq(probe_provider(p, 1)->ntargets, 0);
	ck_assert_int_eq(probe_add_zone(p, ORIGIN, 5, NULL, 0, provs, 1,
	    NULL, 0, err, sizeof(err)), -1);
	probe_free(p);

	/* health carried by name across a rebuild (reload) */
	R.served = make_zone(2, NULL, NULL, NULL);
	want = make_zone(2, NULL, NULL, NULL);
	p = probe_make(100, 20, NULL, 0);
	probe_set_desired(p, 0, want);
	R.mode = MODE_SILENT;
	cycle(p);
	cycle(p);
	cycle(p);
	ck_assert_int_eq(probe_provider(p, 0)->targets[0].node.state,
	    HEALTH_DOWN);
	q = probe_make(100, 20, NULL, 0);
	probe_carry(q, p);
	probe_free(p);
	ck_assert_int_eq(probe_provider(q, 0)->targets[0].node.state,
	    HEALTH_DOWN);
	ck_assert_int_eq(probe_provider(q, 0)->node.state, HEALTH_DOWN);
	/* nothing desired yet: the cycle ends at once, nothing sent */
	ck_assert_int_eq(probe_cycle(q), 0);
	ck_assert_uint_eq(G.stats.queries, 0);
	zone_free(want);
	probe_free(q);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite	*s = suite_create("probe");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_matching_is_healthy);
	tcase_add_test(tc, test_silent_goes_down);
	tcase_add_test(tc, test_slow_is_degraded);
	tcase_add_test(tc, test_forged_id_ignored_and_counted);
	tcase_add_test(tc, test_rotation_covers_everything);
	tcase_add_test(tc, test_mismatch_reported);
	tcase_add_test(tc, test_addresses_and_carry);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(probe_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
