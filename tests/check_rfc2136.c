/*
 * check_rfc2136.c: the RFC 2136 provider against the real lab servers
 * (Knot DNS and BIND 9), started by tests/rfc2136.sh.  Every test runs
 * once per server (loop index 0 = knot, 1 = bind) on a zone of its own.
 * Without the lab's environment every test fails: the lab is required.
 *
 * RFC2136_BENCH=N additionally times an AXFR of an N-RRset zone and the
 * apply of N creates, and prints the figures.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "config.h"
#include "diff.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "zone.h"

static const char *const servers[] = { "KNOT", "BIND" };
static const char *const lower[] = { "knot", "bind" };

static struct event_base	*base;

struct result {
	int			 called;
	int			 status;
	char			*error;
	struct zone		*zone;
	struct apply_result	 ar;
	char			**names;
	size_t			 nnames;
};

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static const char *
env(const char *server, const char *what)
{
	char		 name[128];
	const char	*v;

	snprintf(name, sizeof(name), "%s_%s", server, what);
	v = getenv(name);
	ck_assert_msg(v != NULL && *v != '\0', "%s is not set: run this test "
	    "through tests/rfc2136.sh (it starts the lab)", name);
	return (v);
}

/* --- a provider from a hand-made config section ----------------------- */

struct prov {
	struct provider_conf	 conf;
	struct provider		*p;
	char			*badkey;	/* temp file, wrong secret */
};

static void
kv(struct provider_conf *c, const char *k, const char *v)
{
	c->opts = xreallocarray(c->opts, c->nopts + 1, sizeof(*c->opts));
	c->opts[c->nopts].key = xstrdup(k);
	c->opts[c->nopts].value = xstrdup(v);
	c->opts[c->nopts].line = 0;
	c->nopts++;
}

#define PROV_WRONG_KEY	0x1
#define PROV_NAMESERVERS 0x2

static struct prov *
prov_new(int i, int flags, const char *server_override, unsigned timeout)
{
	struct prov	*pv;
	char		 server[128], err[512], path[] = "/tmp/badkeyXXXXXX";
	const char	*s = servers[i];
	int		 fd;

	pv = xcalloc(1, sizeof(*pv));
	pv->conf.name = xstrdup(lower[i]);
	pv->conf.type = xstrdup("rfc2136");
	pv->conf.timeout = timeout;
	pv->conf.max_concurrency = 1;
	if (server_override != NULL)
		snprintf(server, sizeof(server), "%s", server_override);
	else
		snprintf(server, sizeof(server), "%s:%s", env(s, "ADDR"),
		    env(s, "DNS_PORT"));
	kv(&pv->conf, "server", server);
	kv(&pv->conf, "tsig-key-name", env(s, "TSIG_NAME"));
	if (flags & PROV_WRONG_KEY) {
		fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk"
		    "tMTIzNDU2Nzg=\n", 53), 53);
		close(fd);
		pv->badkey = xstrdup(path);
		kv(&pv->conf, "tsig-secret-file", path);
	} else
		kv(&pv->conf, "tsig-secret-file", env(s, "TSIG_SECRET_FILE"));
	kv(&pv->conf, "tsig-algorithm", "hmac-sha256");
	if (flags & PROV_NAMESERVERS)
		kv(&pv->conf, "nameservers", "a.ns.example. b.ns.example.");
	pv->p = provider_new(&pv->conf, base, NULL, err, sizeof(err));
	ck_assert_msg(pv->p != NULL, "%s", err);
	return (pv);
}

static void
prov_free(struct prov *pv)
{
	size_t	i;

	provider_free(pv->p);
	for (i = 0; i < pv->conf.nopts; i++) {
		free(pv->conf.opts[i].key);
		free(pv->conf.opts[i].value);
	}
	free(pv->conf.opts);
	free(pv->conf.name);
	free(pv->conf.type);
	if (pv->badkey != NULL) {
		unlink(pv->badkey);
		free(pv->badkey);
	}
	free(pv);
}

/* --- running operations to completion --------------------------------- */

static void
stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

static void
run(unsigned ms)
{
	struct event	*t;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	t = evtimer_new(base, stop_cb, NULL);
	evtimer_add(t, &tv);
	event_base_dispatch(base);
	event_free(t);
}

static void
fetch_cb(struct provider *p, int status, const char *error, struct zone *z,
    void *arg)
{
	struct result	*r = arg;

	(void)p;
	r->called++;
	r->status = status;
	r->error = error != NULL ? xstrdup(error) : NULL;
	r->zone = z;
	event_base_loopbreak(base);
}

static void
apply_cb(struct provider *p, const struct apply_result *ar, void *arg)
{
	struct result	*r = arg;
	size_t		 i;

	(void)p;
	r->called++;
	r->ar.nchanges = ar->nchanges;
	r->ar.api_calls = ar->api_calls;
	r->ar.results = xcalloc(ar->nchanges + 1, sizeof(*r->ar.results));
	r->ar.errors = xcalloc(ar->nchanges + 1, sizeof(*r->ar.errors));
	for (i = 0; i < ar->nchanges; i++) {
		r->ar.results[i] = ar->results[i];
		if (ar->errors[i] != NULL)
			r->ar.errors[i] = xstrdup(ar->errors[i]);
	}
	event_base_loopbreak(base);
}

static void
ns_cb(struct provider *p, int status, const char *error, char **names,
    size_t n, void *arg)
{
	struct result	*r = arg;
	size_t		 i;

	(void)p;
	r->called++;
	r->status = status;
	r->error = error != NULL ? xstrdup(error) : NULL;
	r->names = xcalloc(n + 1, sizeof(*r->names));
	for (i = 0; i < n; i++)
		r->names[i] = xstrdup(names[i]);
	r->nnames = n;
	event_base_loopbreak(base);
}

static void
result_clear(struct result *r)
{
	size_t	i;

	free(r->error);
	zone_free(r->zone);
	apply_result_clear(&r->ar);
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

static struct zone *
fetch(struct prov *pv, const char *origin)
{
	struct result	 r;
	struct zone	*z;
	char		 err[256];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, origin, fetch_cb, &r, err,
	    sizeof(err)), 0);
	run(60000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_msg(r.status == 0, "fetch %s: %s", origin, r.error);
	z = r.zone;
	r.zone = NULL;
	result_clear(&r);
	return (z);
}

static void
apply(struct prov *pv, const char *origin, const struct changeset *cs,
    struct result *r)
{
	char	err[256];

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(pv->p->ops->apply(pv->p, origin, cs, apply_cb, r, err,
	    sizeof(err)), 0);
	run(120000);
	ck_assert_int_eq(r->called, 1);
	ck_assert_uint_eq(r->ar.nchanges, cs->nchanges);
}

static void
apply_ok(struct prov *pv, const char *origin, const struct changeset *cs,
    size_t *calls)
{
	struct result	r;
	size_t		i;

	apply(pv, origin, cs, &r);
	for (i = 0; i < cs->nchanges; i++)
		ck_assert_msg(r.ar.results[i] == CHANGE_RESULT_OK,
		    "change %zu (%s %s): %s: %s", i,
		    change_op_name(cs->changes[i].op),
		    (cs->changes[i].new != NULL ? cs->changes[i].new :
		    cs->changes[i].old)->owner,
		    change_result_name(r.ar.results[i]),
		    r.ar.errors[i] != NULL ? r.ar.errors[i] : "-");
	if (calls != NULL)
		*calls = r.ar.api_calls;
	result_clear(&r);
}

/* --- building desired zones ------------------------------------------- */

static void
add(struct zone *z, const char *owner, uint16_t type, uint32_t ttl,
    const char *rdata)
{
	struct zone_error	err;

	ck_assert_msg(zone_add_rr_text(z, owner, type, ttl, rdata, &err) == 0,
	    "%s %u %s: %s", owner, type, rdata, err.msg);
}

static void
finish(struct zone *z)
{
	struct zone_error	err;

	ck_assert_msg(zone_finish(z, &err) == 0, "%s", err.msg);
}

/* Copy the actual zone's SOA and apex NS into a zone being built. */
static void
copy_apex(struct zone *d, const struct zone *a)
{
	const struct rrset	*rs;
	size_t			 i;

	rs = zone_find(a, a->origin, LDNS_RR_TYPE_SOA);
	ck_assert_ptr_nonnull(rs);
	add(d, "@", LDNS_RR_TYPE_SOA, rs->ttl, rs->rdata[0].text);
	rs = zone_find(a, a->origin, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < rs->nrdata; i++)
		add(d, "@", LDNS_RR_TYPE_NS, rs->ttl, rs->rdata[i].text);
}

/* Apply desired (with the apex NS unmanaged unless apex_ns) and check
 * that a fresh fetch then differs in nothing. */
static void
converge(struct prov *pv, const char *origin, const struct zone *desired,
    const struct rrset *apex_ns, size_t want_changes, size_t *calls)
{
	struct zone		*actual;
	struct changeset	 cs;
	struct diff_opts	 o;

	memset(&o, 0, sizeof(o));
	o.apex_ns = apex_ns;
	actual = fetch(pv, origin);
	ck_assert_int_eq(diff_zones(desired, actual, &o, &cs), 0);
	if (want_changes != (size_t)-1)
		ck_assert_uint_eq(cs.nchanges, want_changes);
	apply_ok(pv, origin, &cs, calls);
	changeset_free(&cs);
	zone_free(actual);
	actual = fetch(pv, origin);
	ck_assert_int_eq(diff_zones(desired, actual, &o, &cs), 0);
	ck_assert_msg(cs.nchanges == 0, "%zu changes left after apply, first "
	    "%s %s", cs.nchanges, change_op_name(cs.changes[0].op),
	    (cs.changes[0].new != NULL ? cs.changes[0].new :
	    cs.changes[0].old)->owner);
	changeset_free(&cs);
	zone_free(actual);
}

static void
setup(void)
{
	log_init(getenv("RFC2136_BENCH") != NULL ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_WARN, "check_rfc2136");
	base = event_base_new();
}

static void
teardown(void)
{
	event_base_free(base);
	base = NULL;
}

/* --- tests -------------------------------------------------------------- */

START_TEST(test_fetch)
{
	struct prov		*pv = prov_new(_i, 0, NULL, 5);
	struct zone		*z;
	const struct rrset	*rs;
	char			 want[2][64];

	z = fetch(pv, "fetch.test.");
	ck_assert_str_eq(z->origin, "fetch.test.");
	ck_assert_ptr_nonnull(zone_find(z, "fetch.test.", LDNS_RR_TYPE_SOA));
	rs = zone_find(z, "fetch.test.", LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 2);
	snprintf(want[0], sizeof(want[0]), "ns1.%s.lab.", lower[_i]);
	snprintf(want[1], sizeof(want[1]), "ns2.%s.lab.", lower[_i]);
	ck_assert_str_eq(rs->rdata[0].text, want[0]);
	ck_assert_str_eq(rs->rdata[1].text, want[1]);
	zone_free(z);
	prov_free(pv);
}
END_TEST

START_TEST(test_nameservers)
{
	struct prov	*pv = prov_new(_i, 0, NULL, 5);
	struct result	 r;
	char		 err[256], want[64];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->nameservers(pv->p, "fetch.test.", ns_cb,
	    &r, err, sizeof(err)), 0);
	run(10000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_uint_eq(r.nnames, 2);
	snprintf(want, sizeof(want), "ns1.%s.lab.", lower[_i]);
	ck_assert(strcmp(r.names[0], want) == 0 ||
	    strcmp(r.names[1], want) == 0);
	result_clear(&r);
	prov_free(pv);

	pv = prov_new(_i, PROV_NAMESERVERS, NULL, 5);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->nameservers(pv->p, "fetch.test.", ns_cb,
	    &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.called, 0);
	run(10000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.nnames, 2);
	ck_assert_str_eq(r.names[0], "a.ns.example.");
	ck_assert_str_eq(r.names[1], "b.ns.example.");
	result_clear(&r);
	prov_free(pv);
}
END_TEST

static void
add_common_types(struct zone *d, uint32_t ttl_a)
{
	add(d, "www", LDNS_RR_TYPE_A, ttl_a, "192.0.2.10");
	add(d, "www", LDNS_RR_TYPE_A, ttl_a, "192.0.2.11");
	add(d, "www", LDNS_RR_TYPE_A, ttl_a, "192.0.2.12");
	add(d, "www", LDNS_RR_TYPE_AAAA, 300, "2001:db8::10");
	add(d, "alias", LDNS_RR_TYPE_CNAME, 300, "www");
	add(d, "@", LDNS_RR_TYPE_MX, 3600, "10 mx1");
	add(d, "@", LDNS_RR_TYPE_MX, 3600, "20 mx2.example.net.");
	add(d, "mx1", LDNS_RR_TYPE_A, 3600, "192.0.2.25");
	add(d, "@", LDNS_RR_TYPE_TXT, 300, "\"v=spf1 -all\"");
	add(d, "txt", LDNS_RR_TYPE_TXT, 300,
	    "\"first string\" \"second; with \\\"quotes\\\"\" "
	    "\"back\\\\slash\" \"caf\\195\\169\"");
	add(d, "_sip._tcp", LDNS_RR_TYPE_SRV, 300, "10 60 5060 sip");
	add(d, "sip", LDNS_RR_TYPE_A, 300, "192.0.2.50");
	add(d, "@", LDNS_RR_TYPE_CAA, 3600, "0 issue \"letsencrypt.org\"");
	add(d, "@", LDNS_RR_TYPE_CAA, 3600, "128 iodef "
	    "\"mailto:security@example.org\"");
	add(d, "sub", LDNS_RR_TYPE_NS, 3600, "ns1.sub");
	add(d, "ns1.sub", LDNS_RR_TYPE_A, 3600, "192.0.2.53");
	add(d, "10.2.0.192", LDNS_RR_TYPE_PTR, 300, "www");
	add(d, "_443._tcp.www", LDNS_RR_TYPE_TLSA, 300, "3 1 1 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	add(d, "www", LDNS_RR_TYPE_SSHFP, 300, "4 2 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

START_TEST(test_roundtrip_types)
{
	struct prov	*pv = prov_new(_i, 0, NULL, 5);
	struct zone	*a, *d;

	/* creates of every common type */
	a = fetch(pv, "types.test.");
	d = zone_new("types.test.");
	copy_apex(d, a);
	add_common_types(d, 300);
	finish(d);
	converge(pv, "types.test.", d, NULL, 15, NULL);
	zone_free(d);

	/*
	 * A multi-value RRset changes values, a TTL-only update, an RRset
	 * and a whole name deleted.
	 */
	d = zone_new("types.test.");
	copy_apex(d, a);
	add(d, "www", LDNS_RR_TYPE_A, 600, "192.0.2.10"); /* TTL only */
	add(d, "www", LDNS_RR_TYPE_A, 600, "192.0.2.11");
	add(d, "www", LDNS_RR_TYPE_A, 600, "192.0.2.12");
	add(d, "www", LDNS_RR_TYPE_AAAA, 300, "2001:db8::10");
	add(d, "www", LDNS_RR_TYPE_AAAA, 300, "2001:db8::11");	/* update */
	add(d, "@", LDNS_RR_TYPE_MX, 3600, "10 mx1");		/* one less */
	add(d, "mx1", LDNS_RR_TYPE_A, 3600, "192.0.2.25");
	add(d, "txt", LDNS_RR_TYPE_TXT, 300, "\"replaced\"");
	add(d, "@", LDNS_RR_TYPE_CAA, 3600, "0 issue \"letsencrypt.org\"");
	/* deleted: alias CNAME, apex TXT, SRV + sip, sub NS + glue, PTR,
	 * TLSA, SSHFP, one CAA */
	finish(d);
	converge(pv, "types.test.", d, NULL, 14, NULL);
	zone_free(d);
	zone_free(a);
	prov_free(pv);
}
END_TEST

static void
bulk(int i, const char *origin, size_t n, int print)
{
	struct prov	*pv = prov_new(i, 0, NULL, 30);
	struct zone	*a, *d;
	struct result	 r;
	char		 owner[64], rdata[64], err[256];
	size_t		 k, calls;
	uint64_t	 t0, t1, t2;

	a = fetch(pv, origin);
	d = zone_new(origin);
	copy_apex(d, a);
	for (k = 0; k < n; k++) {
		snprintf(owner, sizeof(owner), "host%zu", k);
		snprintf(rdata, sizeof(rdata), "10.%zu.%zu.%zu", k >> 16,
		    (k >> 8) & 0xff, k & 0xff);
		add(d, owner, LDNS_RR_TYPE_A, 300, rdata);
	}
	finish(d);
	t0 = now_ms();
	converge(pv, origin, d, NULL, n, &calls);
	t1 = now_ms();
	ck_assert_uint_gt(calls, 1);	/* did not fit in one message */
	/* time one AXFR alone */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, origin, fetch_cb, &r, err,
	    sizeof(err)), 0);
	run(60000);
	t2 = now_ms();
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.zone->nrrsets, n + 2);
	if (print)
		printf("%s: %zu RRsets: fetch+diff+apply (%zu UPDATE "
		    "messages)+fetch+diff %llu ms; AXFR alone %llu ms\n",
		    lower[i], n, calls, (unsigned long long)(t1 - t0),
		    (unsigned long long)(t2 - t1));
	result_clear(&r);
	zone_free(d);
	zone_free(a);
	prov_free(pv);
}

START_TEST(test_bulk_2000)
{
	bulk(_i, "bulk.test.", 2000, 0);
}
END_TEST

START_TEST(test_bench)
{
	const char	*n = getenv("RFC2136_BENCH");
	struct prov	*pv;
	struct zone	*a, *d;
	struct changeset cs;
	struct result	 r;
	char		 owner[64], rdata[64], err[256];
	size_t		 k, count;
	uint64_t	 t0, t1, t2;

	ck_assert_ptr_nonnull(n);
	count = strtoul(n, NULL, 10);
	pv = prov_new(_i, 0, NULL, 60);
	a = fetch(pv, "bench.test.");
	d = zone_new("bench.test.");
	copy_apex(d, a);
	for (k = 0; k < count; k++) {
		snprintf(owner, sizeof(owner), "host%zu", k);
		snprintf(rdata, sizeof(rdata), "10.%zu.%zu.%zu", k >> 16,
		    (k >> 8) & 0xff, k & 0xff);
		add(d, owner, LDNS_RR_TYPE_A, 300, rdata);
	}
	finish(d);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	t0 = now_ms();
	apply(pv, "bench.test.", &cs, &r);
	t1 = now_ms();
	for (k = 0; k < cs.nchanges; k++)
		ck_assert_int_eq(r.ar.results[k], CHANGE_RESULT_OK);
	printf("%s: apply %zu creates: %llu ms in %zu UPDATE messages\n",
	    lower[_i], cs.nchanges, (unsigned long long)(t1 - t0),
	    r.ar.api_calls);
	result_clear(&r);
	changeset_free(&cs);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, "bench.test.", fetch_cb, &r,
	    err, sizeof(err)), 0);
	run(120000);
	t2 = now_ms();
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.zone->nrrsets, count + 2);
	printf("%s: AXFR of %zu RRsets: %llu ms\n", lower[_i], count + 2,
	    (unsigned long long)(t2 - t1));
	result_clear(&r);
	zone_free(d);
	zone_free(a);
	prov_free(pv);
}
END_TEST

START_TEST(test_wrong_key)
{
	struct prov		*good = prov_new(_i, 0, NULL, 5);
	struct prov		*bad = prov_new(_i, PROV_WRONG_KEY, NULL, 5);
	struct zone		*before, *after, *d;
	struct changeset	 cs;
	struct result		 r;
	char			 err[256];
	size_t			 k;

	before = fetch(good, "tsig.test.");
	/* fetch with the wrong key fails */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(bad->p->ops->fetch(bad->p, "tsig.test.", fetch_cb, &r,
	    err, sizeof(err)), 0);
	run(10000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, -1);
	ck_assert_ptr_null(r.zone);
	ck_assert_str_eq(r.error, "AXFR of tsig.test.: TSIG verification "
	    "failed: server reported TSIG error BADSIG (message 1, rcode "
	    "NOTAUTH)");
	result_clear(&r);

	/* apply with the wrong key fails and changes nothing */
	d = zone_new("tsig.test.");
	copy_apex(d, before);
	add(d, "www", LDNS_RR_TYPE_A, 300, "192.0.2.1");
	add(d, "mail", LDNS_RR_TYPE_A, 300, "192.0.2.2");
	finish(d);
	ck_assert_int_eq(diff_zones(d, before, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 2);
	apply(bad, "tsig.test.", &cs, &r);
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(r.ar.results[k], CHANGE_RESULT_FAILED);
		ck_assert_str_eq(r.ar.errors[k], "UPDATE: TSIG verification "
		    "failed: server reported TSIG error BADSIG (rcode NOTAUTH)");
	}
	ck_assert_uint_eq(r.ar.api_calls, 1);
	result_clear(&r);
	changeset_free(&cs);
	after = fetch(good, "tsig.test.");
	ck_assert_uint_eq(after->hash, before->hash);
	zone_free(after);
	zone_free(before);
	zone_free(d);
	prov_free(bad);
	prov_free(good);
}
END_TEST

static int
closed_port(int type, int listen_too, int *keep)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	fd = socket(AF_INET, type, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (listen_too) {
		ck_assert_int_eq(listen(fd, 4), 0);
		*keep = fd;
	} else
		close(fd);
	return (ntohs(sin.sin_port));
}

START_TEST(test_server_down)
{
	struct prov		*pv;
	struct result		 r;
	struct zone		*d;
	struct changeset	 cs;
	char			 server[64], err[256];
	uint64_t		 t0, el;
	int			 keep = -1, port;

	/* nobody on the port: refused at once */
	port = closed_port(SOCK_STREAM, 0, NULL);
	snprintf(server, sizeof(server), "127.0.0.1:%d", port);
	pv = prov_new(_i, 0, server, 1);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, "down.test.", fetch_cb, &r,
	    err, sizeof(err)), 0);
	run(5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "AXFR of down.test.: connect: Connection "
	    "refused");
	run(1500);
	ck_assert_int_eq(r.called, 1);
	result_clear(&r);
	prov_free(pv);

	/* a blackhole (accepts, never answers): error after the timeout */
	port = closed_port(SOCK_STREAM, 1, &keep);
	snprintf(server, sizeof(server), "127.0.0.1:%d", port);
	pv = prov_new(_i, 0, server, 1);
	memset(&r, 0, sizeof(r));
	t0 = now_ms();
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, "down.test.", fetch_cb, &r,
	    err, sizeof(err)), 0);
	run(5000);
	el = now_ms() - t0;
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "AXFR of down.test.: no answer after 1 "
	    "attempt (1000 ms idle)");
	ck_assert_msg(el >= 1000 && el < 1500, "%llu ms",
	    (unsigned long long)el);
	result_clear(&r);

	d = zone_new("down.test.");
	add(d, "www", LDNS_RR_TYPE_A, 300, "192.0.2.1");
	finish(d);
	ck_assert_int_eq(diff_zones(d, d, NULL, &cs), 0);
	changeset_free(&cs);
	{
		struct zone *empty = zone_new("down.test.");

		finish(empty);
		ck_assert_int_eq(diff_zones(d, empty, NULL, &cs), 0);
		apply(pv, "down.test.", &cs, &r);
		ck_assert_int_eq(r.ar.results[0], CHANGE_RESULT_FAILED);
		ck_assert_str_eq(r.ar.errors[0], "UPDATE: no answer after 1 "
		    "attempt (1000 ms idle)");
		run(1500);
		ck_assert_int_eq(r.called, 1);
		result_clear(&r);
		changeset_free(&cs);
		zone_free(empty);
	}
	zone_free(d);
	prov_free(pv);
	close(keep);
}
END_TEST

START_TEST(test_apex_ns_union)
{
	struct prov	*pv = prov_new(_i, 0, NULL, 5);
	struct zone	*a, *d, *ns;
	const struct rrset *rs;
	static const char *const uni[] = { "ns1.knot.lab.", "ns2.knot.lab.",
	    "ns1.bind.lab.", "ns2.bind.lab.", "ns1.pdns.lab." };
	size_t		 k;

	a = fetch(pv, "apex.test.");
	/* the union of every provider's names */
	ns = zone_new("apex.test.");
	for (k = 0; k < 5; k++)
		add(ns, "@", LDNS_RR_TYPE_NS, 3600, uni[k]);
	finish(ns);
	d = zone_new("apex.test.");
	add(d, "www", LDNS_RR_TYPE_A, 300, "192.0.2.1");
	finish(d);
	converge(pv, "apex.test.", d, zone_find(ns, "apex.test.",
	    LDNS_RR_TYPE_NS), 2, NULL);
	zone_free(a);
	a = fetch(pv, "apex.test.");
	rs = zone_find(a, "apex.test.", LDNS_RR_TYPE_NS);
	ck_assert_uint_eq(rs->nrdata, 5);
	ck_assert_uint_eq(rs->ttl, 3600);
	zone_free(a);
	zone_free(ns);

	/* withdraw this server's own names: only the others remain */
	ns = zone_new("apex.test.");
	add(ns, "@", LDNS_RR_TYPE_NS, 7200, uni[_i == 0 ? 2 : 0]);
	add(ns, "@", LDNS_RR_TYPE_NS, 7200, uni[_i == 0 ? 3 : 1]);
	add(ns, "@", LDNS_RR_TYPE_NS, 7200, "ns1.pdns.lab.");
	finish(ns);
	converge(pv, "apex.test.", d, zone_find(ns, "apex.test.",
	    LDNS_RR_TYPE_NS), 1, NULL);
	a = fetch(pv, "apex.test.");
	rs = zone_find(a, "apex.test.", LDNS_RR_TYPE_NS);
	ck_assert_uint_eq(rs->nrdata, 3);
	ck_assert_uint_eq(rs->ttl, 7200);
	zone_free(a);
	zone_free(ns);
	zone_free(d);
	prov_free(pv);
}
END_TEST

START_TEST(test_cancel)
{
	struct prov		*pv = prov_new(_i, 0, NULL, 5);
	struct result		 r1, r2, r3;
	struct zone		*d, *empty;
	struct changeset	 cs;
	char			 err[256];

	d = zone_new("cancel.test.");
	add(d, "www", LDNS_RR_TYPE_A, 300, "192.0.2.1");
	finish(d);
	empty = zone_new("cancel.test.");
	finish(empty);
	ck_assert_int_eq(diff_zones(d, empty, NULL, &cs), 0);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, "cancel.test.", fetch_cb,
	    &r1, err, sizeof(err)), 0);
	ck_assert_int_eq(pv->p->ops->apply(pv->p, "cancel.test.", &cs,
	    apply_cb, &r2, err, sizeof(err)), 0);
	ck_assert_int_eq(pv->p->ops->nameservers(pv->p, "cancel.test.", ns_cb,
	    &r3, err, sizeof(err)), 0);
	provider_cancel(pv->p);
	run(500);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(r2.called, 0);
	ck_assert_int_eq(r3.called, 0);
	changeset_free(&cs);
	zone_free(d);
	zone_free(empty);
	/* freeing with operations in flight cancels them too */
	ck_assert_int_eq(pv->p->ops->fetch(pv->p, "cancel.test.", fetch_cb,
	    &r1, err, sizeof(err)), 0);
	prov_free(pv);
	run(300);
	ck_assert_int_eq(r1.called, 0);
}
END_TEST

START_TEST(test_init_errors)
{
	struct provider_conf	 c;
	struct provider		*p;
	char			 err[256];

	memset(&c, 0, sizeof(c));
	c.name = (char *)"x";
	c.type = (char *)"rfc2136";
	kv(&c, "server", "ns1.example.com:53");
	p = provider_new(&c, base, NULL, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider x: server must be an IP address "
	    "(with an optional port), not 'ns1.example.com:53'");
	free(c.opts[0].value);
	c.opts[0].value = xstrdup("127.0.0.1:53");
	kv(&c, "tsig-key-name", "k");
	p = provider_new(&c, base, NULL, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider x: tsig-key-name and "
	    "tsig-secret-file go together");
	free(c.opts[0].key);
	free(c.opts[0].value);
	free(c.opts[1].key);
	free(c.opts[1].value);
	free(c.opts);
}
END_TEST

static Suite *
rfc2136_suite(void)
{
	Suite	*s = suite_create("rfc2136");
	TCase	*tc = tcase_create("lab");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_fetch, 0, 2);
	tcase_add_loop_test(tc, test_nameservers, 0, 2);
	tcase_add_loop_test(tc, test_roundtrip_types, 0, 2);
	tcase_add_loop_test(tc, test_bulk_2000, 0, 2);
	tcase_add_loop_test(tc, test_wrong_key, 0, 2);
	tcase_add_loop_test(tc, test_server_down, 0, 2);
	tcase_add_loop_test(tc, test_apex_ns_union, 0, 2);
	tcase_add_loop_test(tc, test_cancel, 0, 2);
	tcase_add_test(tc, test_init_errors);
	if (getenv("RFC2136_BENCH") != NULL)
		tcase_add_loop_test(tc, test_bench, 0, 2);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner		*sr;
	const char	*top;
	char		 path[4096];
	int		 failed;

	/*
	 * Run from `make check' without a lab: start one through
	 * tests/rfc2136.sh, which runs this program again inside it.
	 */
	if (getenv("KNOT_DNS_PORT") == NULL &&
	    getenv("RFC2136_LAB_STARTED") == NULL &&
	    (top = getenv("top_srcdir")) != NULL) {
		snprintf(path, sizeof(path), "%s/tests/rfc2136.sh", top);
		execl("/bin/sh", "sh", path, (char *)NULL);
		fprintf(stderr, "check_rfc2136: %s: %s\n", path,
		    strerror(errno));
		return (EXIT_FAILURE);
	}

	sr = srunner_create(rfc2136_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
