/* check_diff.c: unit tests for the zone diff and the ignore patterns. */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "diff.h"
#include "log.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN	"example.com."

/* SOA and apex NS every test zone starts with. */
#define BASE_SOA \
	"@ SOA 3600 ns1.example.net. hostmaster.example.com. 1 7200 900 1209600 300"
#define BASE_NS1	"@ NS 3600 ns1.example.net."
#define BASE_NS2	"@ NS 3600 ns2.example.org."

/*
 * Build a zone from lines "OWNER TYPE TTL RDATA...", OWNER relative to the
 * origin unless it ends with a dot, "@" the apex.  NULL ends the list.
 */
static void
zone_add_line(struct zone *z, const char *origin, const char *line)
{
	struct zone_error	 err;
	char			*copy, *owner, *type, *ttl, *rdata, *abs, *last;
	uint16_t		 t;

	copy = xstrdup(line);
	owner = strtok_r(copy, " ", &last);
	type = strtok_r(NULL, " ", &last);
	ttl = strtok_r(NULL, " ", &last);
	rdata = strtok_r(NULL, "", &last);
	ck_assert_ptr_nonnull(rdata);
	if (strcmp(owner, "@") == 0)
		abs = xstrdup(origin);
	else if (owner[strlen(owner) - 1] == '.')
		abs = xstrdup(owner);
	else
		xasprintf(&abs, "%s.%s", owner, origin);
	t = (uint16_t)ldns_get_rr_type_by_name(type);
	ck_assert_uint_ne(t, 0);
	memset(&err, 0, sizeof(err));
	if (zone_add_rr_text(z, abs, t, (uint32_t)strtoul(ttl, NULL, 10),
	    rdata, &err) != 0)
		ck_abort_msg("zone_add_rr_text(%s): %s", line, err.msg);
	free(abs);
	free(copy);
}

static struct zone *
mkzone_origin(const char *origin, const char *const *lines)
{
	struct zone		*z;
	struct zone_error	 err;
	size_t			 i;

	z = zone_new(origin);
	ck_assert_ptr_nonnull(z);
	for (i = 0; lines[i] != NULL; i++)
		zone_add_line(z, origin, lines[i]);
	memset(&err, 0, sizeof(err));
	if (zone_finish(z, &err) != 0)
		ck_abort_msg("zone_finish: %s", err.msg);
	return (z);
}

static struct zone *
mkzone(const char *const *lines)
{
	return (mkzone_origin(ORIGIN, lines));
}

static void
assert_change(const struct changeset *cs, size_t i, enum change_op op,
    const char *owner, uint16_t type)
{
	const struct change	*c;
	const struct rrset	*rs;

	ck_assert_uint_lt(i, cs->nchanges);
	c = &cs->changes[i];
	ck_assert_str_eq(change_op_name(c->op), change_op_name(op));
	switch (op) {
	case CHANGE_CREATE:
		ck_assert_ptr_null(c->old);
		ck_assert_ptr_nonnull(c->new);
		break;
	case CHANGE_UPDATE:
		ck_assert_ptr_nonnull(c->old);
		ck_assert_ptr_nonnull(c->new);
		ck_assert_str_eq(c->old->owner, c->new->owner);
		ck_assert_uint_eq(c->old->type, c->new->type);
		break;
	case CHANGE_DELETE:
		ck_assert_ptr_nonnull(c->old);
		ck_assert_ptr_null(c->new);
		break;
	}
	rs = c->new != NULL ? c->new : c->old;
	ck_assert_str_eq(rs->owner, owner);
	ck_assert_uint_eq(rs->type, type);
}

static void
assert_counts(const struct changeset *cs, size_t ncreate, size_t nupdate,
    size_t ndelete)
{
	ck_assert_uint_eq(cs->ncreate, ncreate);
	ck_assert_uint_eq(cs->nupdate, nupdate);
	ck_assert_uint_eq(cs->ndelete, ndelete);
	ck_assert_uint_eq(cs->nchanges, ncreate + nupdate + ndelete);
}

/* Changes strictly in zone order, and the counts add up. */
static void
assert_sane(const struct changeset *cs)
{
	size_t			 i, n[3] = { 0, 0, 0 };
	const struct rrset	*prev = NULL, *rs;

	for (i = 0; i < cs->nchanges; i++) {
		rs = cs->changes[i].new != NULL ? cs->changes[i].new :
		    cs->changes[i].old;
		if (prev != NULL)
			ck_assert_int_lt(rrset_cmp_key(prev, rs), 0);
		prev = rs;
		n[cs->changes[i].op]++;
	}
	ck_assert_uint_eq(n[CHANGE_CREATE], cs->ncreate);
	ck_assert_uint_eq(n[CHANGE_UPDATE], cs->nupdate);
	ck_assert_uint_eq(n[CHANGE_DELETE], cs->ndelete);
}

static const char *const zone_basic[] = {
	BASE_SOA, BASE_NS1, BASE_NS2,
	"@ A 300 192.0.2.1",
	"@ MX 3600 10 mx1.example.com.",
	"www A 300 192.0.2.10",
	"www AAAA 300 2001:db8::10",
	"mx1 A 300 192.0.2.25",
	"_443._tcp.www SRV 300 0 5 443 www.example.com.",
	"alias CNAME 300 www.example.com.",
	NULL
};

START_TEST(test_identical)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;

	d = mkzone(zone_basic);
	a = mkzone(zone_basic);
	memset(&opts, 0, sizeof(opts));
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	ck_assert_ptr_null(cs.changes);
	changeset_free(&cs);

	/* A zone against itself, with the apex NS managed. */
	opts.apex_ns = zone_find(d, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(opts.apex_ns);
	ck_assert_int_eq(diff_zones(d, d, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);

	/* No options at all: apex NS unmanaged, nothing ignored. */
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_create)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		"www2 A 300 192.0.2.11",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 1, 0, 0);
	assert_change(&cs, 0, CHANGE_CREATE, "www2.example.com.",
	    LDNS_RR_TYPE_A);
	ck_assert_ptr_eq(cs.changes[0].new,
	    zone_find(d, "www2.example.com.", LDNS_RR_TYPE_A));
	ck_assert_uint_eq(cs.changes[0].new->nrdata, 1);
	ck_assert_str_eq(cs.changes[0].new->rdata[0].text, "192.0.2.11");
	changeset_free(&cs);
	ck_assert_uint_eq(cs.nchanges, 0);
	ck_assert_ptr_null(cs.changes);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_delete)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"old TXT 300 \"gone\"",
		"www A 300 192.0.2.10",
		"www AAAA 300 2001:db8::10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 0, 2);
	assert_change(&cs, 0, CHANGE_DELETE, "old.example.com.",
	    LDNS_RR_TYPE_TXT);
	assert_change(&cs, 1, CHANGE_DELETE, "www.example.com.",
	    LDNS_RR_TYPE_AAAA);
	ck_assert_ptr_eq(cs.changes[1].old,
	    zone_find(a, "www.example.com.", LDNS_RR_TYPE_AAAA));
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_update_rdata)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		"www A 300 192.0.2.11",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 1, 0);
	assert_change(&cs, 0, CHANGE_UPDATE, "www.example.com.",
	    LDNS_RR_TYPE_A);
	ck_assert_ptr_eq(cs.changes[0].old,
	    zone_find(a, "www.example.com.", LDNS_RR_TYPE_A));
	ck_assert_ptr_eq(cs.changes[0].new,
	    zone_find(d, "www.example.com.", LDNS_RR_TYPE_A));
	ck_assert_uint_eq(cs.changes[0].old->nrdata, 1);
	ck_assert_uint_eq(cs.changes[0].new->nrdata, 2);
	changeset_free(&cs);

	/* And the other way round: a record removed from the RRset. */
	ck_assert_int_eq(diff_zones(a, d, NULL, &cs), 0);
	assert_counts(&cs, 0, 1, 0);
	ck_assert_uint_eq(cs.changes[0].old->nrdata, 2);
	ck_assert_uint_eq(cs.changes[0].new->nrdata, 1);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_update_ttl)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"www A 600 192.0.2.10",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 1, 0);
	assert_change(&cs, 0, CHANGE_UPDATE, "www.example.com.",
	    LDNS_RR_TYPE_A);
	ck_assert_uint_eq(cs.changes[0].old->ttl, 300);
	ck_assert_uint_eq(cs.changes[0].new->ttl, 600);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_rdata_order)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1, BASE_NS2,
		"www A 300 192.0.2.10",
		"www A 300 192.0.2.9",
		"www A 300 198.51.100.1",
		"@ MX 300 20 mx2.example.com.",
		"@ MX 300 10 mx1.example.com.",
		"@ TXT 300 \"b\"",
		"@ TXT 300 \"a\"",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS2, BASE_NS1,
		"@ TXT 300 \"a\"",
		"www A 300 198.51.100.1",
		"@ MX 300 10 mx1.example.com.",
		"www A 300 192.0.2.9",
		"@ TXT 300 \"b\"",
		"www A 300 192.0.2.10",
		"@ MX 300 20 mx2.example.com.",
		"www A 300 192.0.2.9",		/* duplicate, collapsed */
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;

	d = mkzone(dl);
	a = mkzone(al);
	memset(&opts, 0, sizeof(opts));
	opts.apex_ns = zone_find(d, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(opts.apex_ns);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_soa_ignored)
{
	static const char *const dl[] = {
		"@ SOA 3600 ns1.example.net. hostmaster.example.com. "
		    "2024010101 7200 900 1209600 300",
		BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	static const char *const al[] = {
		"@ SOA 86400 a.provider.test. dns.provider.test. 7 3600 600 604800 60",
		BASE_NS1,
		"www A 300 192.0.2.10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;

	d = mkzone(dl);
	a = mkzone(al);
	memset(&opts, 0, sizeof(opts));
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	/* Also with the apex NS managed. */
	opts.apex_ns = zone_find(d, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_apex_ns_unmanaged)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1, BASE_NS2,
		"www A 300 192.0.2.10",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA,
		"@ NS 86400 a.provider.test.",
		"@ NS 86400 b.provider.test.",
		"www A 300 192.0.2.10",
		"sub NS 300 ns.sub.example.net.",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	/* The apex NS differs but is not managed; a delegation still is. */
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 0, 1);
	assert_change(&cs, 0, CHANGE_DELETE, "sub.example.com.",
	    LDNS_RR_TYPE_NS);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_apex_ns_managed)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"@ A 300 192.0.2.1",
		"@ MX 300 10 mx1.example.com.",
		"www A 300 192.0.2.10",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA,
		"@ NS 86400 a.provider.test.",
		"www A 300 192.0.2.10",
		NULL
	};
	static const char *const nsl[] = {
		BASE_SOA,
		"@ NS 3600 a.provider.test.",
		"@ NS 3600 ns1.example.net.",
		NULL
	};
	static const char *const same[] = {
		BASE_SOA,
		"@ NS 86400 a.provider.test.",
		NULL
	};
	static const char *const ttl[] = {
		BASE_SOA,
		"@ NS 3600 a.provider.test.",
		NULL
	};
	struct zone		*d, *a, *ns, *ns2, *ns3;
	struct changeset	 cs;
	struct diff_opts	 opts;

	d = mkzone(dl);
	a = mkzone(al);
	ns = mkzone(nsl);
	ns2 = mkzone(same);
	ns3 = mkzone(ttl);
	memset(&opts, 0, sizeof(opts));

	/*
	 * The computed apex NS replaces desired's, and is spliced in at its
	 * place in zone order: apex A (1) < NS (2) < MX (15).
	 */
	opts.apex_ns = zone_find(ns, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(opts.apex_ns);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 2, 1, 0);
	assert_sane(&cs);
	assert_change(&cs, 0, CHANGE_CREATE, ORIGIN, LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_UPDATE, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_eq(cs.changes[1].new, opts.apex_ns);
	ck_assert_ptr_eq(cs.changes[1].old,
	    zone_find(a, ORIGIN, LDNS_RR_TYPE_NS));
	ck_assert_uint_eq(cs.changes[1].new->nrdata, 2);
	assert_change(&cs, 2, CHANGE_CREATE, ORIGIN, LDNS_RR_TYPE_MX);
	changeset_free(&cs);

	/* Equal to actual's: no change although desired's own differs. */
	opts.apex_ns = zone_find(ns2, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 2, 0, 0);
	assert_change(&cs, 0, CHANGE_CREATE, ORIGIN, LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_CREATE, ORIGIN, LDNS_RR_TYPE_MX);
	changeset_free(&cs);

	/* Differing from actual's only in TTL is an update. */
	opts.apex_ns = zone_find(ns3, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 2, 1, 0);
	assert_change(&cs, 1, CHANGE_UPDATE, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_uint_eq(cs.changes[1].old->ttl, 86400);
	ck_assert_uint_eq(cs.changes[1].new->ttl, 3600);
	ck_assert_uint_eq(cs.changes[1].old->nrdata, 1);
	ck_assert_uint_eq(cs.changes[1].new->nrdata, 1);
	changeset_free(&cs);

	/* Reversed: desired's extra apex RRsets go, the NS is replaced. */
	opts.apex_ns = zone_find(ns2, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(a, d, &opts, &cs), 0);
	assert_counts(&cs, 0, 1, 2);
	assert_change(&cs, 0, CHANGE_DELETE, ORIGIN, LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_UPDATE, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_uint_eq(cs.changes[1].old->ttl, 3600);
	ck_assert_uint_eq(cs.changes[1].new->ttl, 86400);
	assert_change(&cs, 2, CHANGE_DELETE, ORIGIN, LDNS_RR_TYPE_MX);
	changeset_free(&cs);

	/* An "apex NS" that is not one is refused. */
	opts.apex_ns = zone_find(d, "www.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(opts.apex_ns);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), -1);
	ck_assert_uint_eq(cs.nchanges, 0);
	changeset_free(&cs);

	zone_free(d);
	zone_free(a);
	zone_free(ns);
	zone_free(ns2);
	zone_free(ns3);
}
END_TEST

static void
parse_ok(const char *spec, const char *origin, struct ignore *ig,
    const char *glob, uint16_t type)
{
	char	err[256];

	err[0] = '\0';
	if (ignore_parse(spec, origin, ig, err, sizeof(err)) != 0)
		ck_abort_msg("ignore_parse(\"%s\"): %s", spec, err);
	ck_assert_str_eq(ig->glob, glob);
	ck_assert_uint_eq(ig->type, type);
}

static void
parse_fail(const char *spec, const char *origin, const char *msg)
{
	struct ignore	ig;
	char		err[256];

	err[0] = '\0';
	ck_assert_int_eq(ignore_parse(spec, origin, &ig, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
	ck_assert_ptr_null(ig.glob);
	ck_assert_uint_eq(ig.type, 0);
}

START_TEST(test_ignore_parse)
{
	struct ignore	ig;

	parse_ok("@", ORIGIN, &ig, "example.com.", 0);
	ignore_clear(&ig);
	ck_assert_ptr_null(ig.glob);
	parse_ok("*.dyn", ORIGIN, &ig, "*.dyn.example.com.", 0);
	ignore_clear(&ig);
	parse_ok("  _Acme-Challenge.*   txt ", ORIGIN, &ig,
	    "_acme-challenge.*.example.com.", LDNS_RR_TYPE_TXT);
	ignore_clear(&ig);
	parse_ok("WWW.Example.COM. AAAA", ORIGIN, &ig, "www.example.com.",
	    LDNS_RR_TYPE_AAAA);
	ignore_clear(&ig);
	parse_ok("example.com. NS", ORIGIN, &ig, "example.com.",
	    LDNS_RR_TYPE_NS);
	ignore_clear(&ig);
	parse_ok("@ caa", ORIGIN, &ig, "example.com.", LDNS_RR_TYPE_CAA);
	ignore_clear(&ig);
	parse_ok("x TYPE65534", ORIGIN, &ig, "x.example.com.", 65534);
	ignore_clear(&ig);
	parse_ok("x type1", ORIGIN, &ig, "x.example.com.", 1);
	ignore_clear(&ig);
	parse_ok("*", ORIGIN, &ig, "*.example.com.", 0);
	ignore_clear(&ig);
	parse_ok("host[0-9]", ORIGIN, &ig, "host[0-9].example.com.", 0);
	ignore_clear(&ig);
	parse_ok("www", ".", &ig, "www.", 0);
	ignore_clear(&ig);
	parse_ok("@", ".", &ig, ".", 0);
	ignore_clear(&ig);
	ignore_clear(NULL);

	parse_fail("", ORIGIN, "ignore: empty pattern");
	parse_fail(" \t ", ORIGIN, "ignore: empty pattern");
	parse_fail("www FOO", ORIGIN, "ignore: unknown type 'FOO'");
	parse_fail("www TYPE", ORIGIN, "ignore: unknown type 'TYPE'");
	parse_fail("www TYPE0", ORIGIN, "ignore: unknown type 'TYPE0'");
	parse_fail("www TYPE1x", ORIGIN, "ignore: unknown type 'TYPE1x'");
	parse_fail("www TYPE65536", ORIGIN, "ignore: unknown type 'TYPE65536'");
	parse_fail("www TYPE-1", ORIGIN, "ignore: unknown type 'TYPE-1'");
	parse_fail("www ANY", ORIGIN, "ignore: 'ANY' is not a record type");
	parse_fail("www AXFR", ORIGIN, "ignore: 'AXFR' is not a record type");
	parse_fail("www OPT", ORIGIN, "ignore: 'OPT' is not a record type");
	parse_fail("www A B", ORIGIN, "ignore: unexpected 'B' after the type");
	parse_fail("x.other.org.", ORIGIN,
	    "ignore: pattern 'x.other.org.' is outside the zone example.com.");
	parse_fail("*example.com.", ORIGIN,
	    "ignore: pattern '*example.com.' is outside the zone example.com.");
	parse_fail("com.", ORIGIN,
	    "ignore: pattern 'com.' is outside the zone example.com.");
	parse_fail("a..b", ORIGIN, "ignore: pattern 'a..b' has an empty label");
	parse_fail(".", ORIGIN,
	    "ignore: pattern '.' is outside the zone example.com.");
}
END_TEST

START_TEST(test_ignore_match)
{
	struct ignore	ig[2];

	parse_ok("*.dyn", ORIGIN, &ig[0], "*.dyn.example.com.", 0);
	parse_ok("@ TXT", ORIGIN, &ig[1], "example.com.", LDNS_RR_TYPE_TXT);

	/* '*' spans labels. */
	ck_assert_int_eq(ignore_match(ig, 2, "a.dyn.example.com.", 1), 1);
	ck_assert_int_eq(ignore_match(ig, 2, "a.b.c.dyn.example.com.", 99), 1);
	ck_assert_int_eq(ignore_match(ig, 2, "dyn.example.com.", 1), 0);
	ck_assert_int_eq(ignore_match(ig, 2, "xdyn.example.com.", 1), 0);
	ck_assert_int_eq(ignore_match(ig, 2, "a.dyn.example.com.x.", 1), 0);
	/* Type filter. */
	ck_assert_int_eq(ignore_match(ig, 2, "example.com.",
	    LDNS_RR_TYPE_TXT), 1);
	ck_assert_int_eq(ignore_match(ig, 2, "example.com.",
	    LDNS_RR_TYPE_A), 0);
	ck_assert_int_eq(ignore_match(ig, 2, "www.example.com.",
	    LDNS_RR_TYPE_TXT), 0);
	/* Only the first n patterns count. */
	ck_assert_int_eq(ignore_match(ig, 1, "example.com.",
	    LDNS_RR_TYPE_TXT), 0);
	ck_assert_int_eq(ignore_match(ig, 0, "a.dyn.example.com.", 1), 0);
	ignore_clear(&ig[0]);
	ignore_clear(&ig[1]);
}
END_TEST

START_TEST(test_ignore_diff)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		"www TXT 300 \"desired\"",
		"new.dyn A 300 192.0.2.50",
		"same.dyn A 300 192.0.2.51",
		"dyn A 300 192.0.2.52",
		"_acme-challenge.www TXT 60 \"token-d\"",
		"_acme-challenge.api TXT 60 \"token-only-d\"",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"www A 300 192.0.2.10",
		"www TXT 300 \"actual\"",
		"a.b.dyn A 300 192.0.2.60",
		"same.dyn A 300 192.0.2.99",
		"dyn A 300 192.0.2.53",
		"_acme-challenge.www TXT 60 \"token-a\"",
		"_acme-challenge.mail TXT 60 \"token-only-a\"",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;
	struct ignore		 ig[3];

	d = mkzone(dl);
	a = mkzone(al);
	memset(&opts, 0, sizeof(opts));

	/* Without ignores: everything shows. */
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 2, 4, 2);
	assert_sane(&cs);
	changeset_free(&cs);

	/* By name glob, on both sides. */
	parse_ok("*.dyn", ORIGIN, &ig[0], "*.dyn.example.com.", 0);
	parse_ok("_acme-challenge.*", ORIGIN, &ig[1],
	    "_acme-challenge.*.example.com.", 0);
	opts.ignores = ig;
	opts.nignores = 2;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 2, 0);
	assert_change(&cs, 0, CHANGE_UPDATE, "dyn.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_UPDATE, "www.example.com.",
	    LDNS_RR_TYPE_TXT);
	changeset_free(&cs);

	/* By type: every TXT below the apex. */
	parse_ok("* TXT", ORIGIN, &ig[2], "*.example.com.", LDNS_RR_TYPE_TXT);
	opts.ignores = &ig[2];
	opts.nignores = 1;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 1, 2, 1);
	assert_sane(&cs);
	/* Canonical order: a parent before its children. */
	assert_change(&cs, 0, CHANGE_UPDATE, "dyn.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_DELETE, "a.b.dyn.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 2, CHANGE_CREATE, "new.dyn.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 3, CHANGE_UPDATE, "same.dyn.example.com.",
	    LDNS_RR_TYPE_A);
	changeset_free(&cs);

	/* All three: only dyn.example.com. A is left. */
	opts.ignores = ig;
	opts.nignores = 3;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 1, 0);
	assert_change(&cs, 0, CHANGE_UPDATE, "dyn.example.com.",
	    LDNS_RR_TYPE_A);
	changeset_free(&cs);

	ignore_clear(&ig[0]);
	ignore_clear(&ig[1]);
	ignore_clear(&ig[2]);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_ignore_apex_ns)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1, NULL
	};
	static const char *const al[] = {
		BASE_SOA, "@ NS 3600 other.provider.test.", NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;
	struct ignore		 ig;

	d = mkzone(dl);
	a = mkzone(al);
	memset(&opts, 0, sizeof(opts));
	opts.apex_ns = zone_find(d, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 1, 0);
	changeset_free(&cs);

	/* An ignore pattern beats the managed apex NS. */
	parse_ok("@ NS", ORIGIN, &ig, ORIGIN, LDNS_RR_TYPE_NS);
	opts.ignores = &ig;
	opts.nignores = 1;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	ignore_clear(&ig);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_origin_mismatch)
{
	static const char *const l[] = {
		"@ SOA 3600 ns1.example.net. hostmaster.example.org. 1 7200 900 1209600 300",
		"@ NS 3600 ns1.example.net.",
		"www A 300 192.0.2.10",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(zone_basic);
	a = mkzone_origin("example.org.", l);
	memset(&cs, 0xff, sizeof(cs));
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), -1);
	ck_assert_uint_eq(cs.nchanges, 0);
	ck_assert_ptr_null(cs.changes);
	ck_assert_uint_eq(cs.ncreate + cs.nupdate + cs.ndelete, 0);
	changeset_free(&cs);
	ck_assert_int_eq(diff_zones(a, d, NULL, &cs), -1);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_case_only)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"WWW.Example.COM. A 300 192.0.2.10",
		"Mail A 300 192.0.2.25",
		"Alias CNAME 300 WWW.Example.COM.",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"www.example.com. A 300 192.0.2.10",
		"mail A 300 192.0.2.25",
		"alias CNAME 300 www.example.com.",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_ptr_nonnull(zone_find(d, "www.example.com.", LDNS_RR_TYPE_A));
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 0, 0, 0);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

/*
 * Names whose canonical order (RFC 4034 section 6.1: label by label from
 * the right) differs from their string order, so a merge that compared
 * strings would pair the wrong RRsets.
 */
START_TEST(test_canonical_order)
{
	static const char *const dl[] = {
		BASE_SOA, BASE_NS1,
		"a A 300 192.0.2.1",
		"b.a A 300 192.0.2.2",
		"a-b A 300 192.0.2.3",
		"z.a-b A 300 192.0.2.4",
		"zz A 300 192.0.2.5",
		NULL
	};
	static const char *const al[] = {
		BASE_SOA, BASE_NS1,
		"a A 300 192.0.2.1",
		"c.a A 300 192.0.2.2",
		"a-b A 300 192.0.2.3",
		"z.a-b A 300 192.0.2.40",
		"zz A 300 192.0.2.5",
		"zz.zz A 300 192.0.2.6",
		NULL
	};
	struct zone		*d, *a;
	struct changeset	 cs;

	d = mkzone(dl);
	a = mkzone(al);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	assert_counts(&cs, 1, 1, 2);
	assert_sane(&cs);
	assert_change(&cs, 0, CHANGE_CREATE, "b.a.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 1, CHANGE_DELETE, "c.a.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 2, CHANGE_UPDATE, "z.a-b.example.com.",
	    LDNS_RR_TYPE_A);
	assert_change(&cs, 3, CHANGE_DELETE, "zz.zz.example.com.",
	    LDNS_RR_TYPE_A);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

#define BIG_N	10000

/*
 * Add entry i of the big zone.  `side` 0 is desired, 1 actual.  Mutation
 * classes by i % 50: 0 TTL differs, 1 rdata differs, 2 only desired,
 * 3 only actual, 4 the same records given in another order, 5 differs but
 * ignored; the rest identical.
 */
static void
big_add(struct zone *z, int i, int side)
{
	static const uint16_t	 types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_MX };
	struct zone_error	 err;
	char			 owner[128], rd[2][128];
	uint16_t		 type = types[i % 4];
	uint32_t		 ttl = 300;
	int			 cls = i % 50, v = 0, nrd = 1, k;

	if (cls == 2 && side == 1)
		return;
	if (cls == 3 && side == 0)
		return;
	if (cls == 0 && side == 1)
		ttl = 600;
	if ((cls == 1 || cls == 5) && side == 1)
		v = 1;
	if (cls == 5)
		snprintf(owner, sizeof(owner), "h%d.ign.example.com.", i);
	else
		snprintf(owner, sizeof(owner), "h%d.s%d.example.com.", i,
		    i % 97);
	switch (type) {
	case LDNS_RR_TYPE_A:
		snprintf(rd[0], sizeof(rd[0]), "10.%d.%d.%d", v, (i >> 8) & 255,
		    i & 255);
		snprintf(rd[1], sizeof(rd[1]), "10.200.%d.%d", (i >> 8) & 255,
		    i & 255);
		nrd = 2;
		break;
	case LDNS_RR_TYPE_AAAA:
		snprintf(rd[0], sizeof(rd[0]), "2001:db8:%x::%x", v, i);
		break;
	case LDNS_RR_TYPE_TXT:
		snprintf(rd[0], sizeof(rd[0]), "\"v=%d entry %d\"", v, i);
		snprintf(rd[1], sizeof(rd[1]), "\"second %d\"", i);
		nrd = 2;
		break;
	default:
		snprintf(rd[0], sizeof(rd[0]), "%d mx%d.example.net.", 10 + v,
		    i);
		break;
	}
	for (k = 0; k < nrd; k++) {
		/* Class 4: actual lists the records in reverse. */
		const char *r = rd[cls == 4 && side == 1 ? nrd - 1 - k : k];

		memset(&err, 0, sizeof(err));
		if (zone_add_rr_text(z, owner, type, ttl, r, &err) != 0)
			ck_abort_msg("%s %s: %s", owner, r, err.msg);
	}
}

static struct zone *
big_zone(int side)
{
	static const char *const base[] = { BASE_SOA, BASE_NS1, NULL };
	struct zone		*z;
	struct zone_error	 err;
	size_t			 i;
	int			 n;

	z = zone_new(ORIGIN);
	for (i = 0; base[i] != NULL; i++)
		zone_add_line(z, ORIGIN, base[i]);
	/* Actual's apex NS differs; it is not managed here. */
	if (side == 1)
		zone_add_line(z, ORIGIN, BASE_NS2);
	for (n = 0; n < BIG_N; n++)
		big_add(z, n, side);
	memset(&err, 0, sizeof(err));
	if (zone_finish(z, &err) != 0)
		ck_abort_msg("zone_finish: %s", err.msg);
	return (z);
}

START_TEST(test_big)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct diff_opts	 opts;
	struct ignore		 ig;
	size_t			 per = BIG_N / 50, i;

	d = big_zone(0);
	a = big_zone(1);
	/* Both zones: SOA + apex NS + every entry but one class. */
	ck_assert_uint_eq(d->nrrsets, 2 + BIG_N - per);
	ck_assert_uint_eq(a->nrrsets, 2 + BIG_N - per);

	memset(&opts, 0, sizeof(opts));
	parse_ok("*.ign", ORIGIN, &ig, "*.ign.example.com.", 0);
	opts.ignores = &ig;
	opts.nignores = 1;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, per, 2 * per, per);
	assert_sane(&cs);
	for (i = 0; i < cs.nchanges; i++) {
		ck_assert_ptr_null(strstr(cs.changes[i].new != NULL ?
		    cs.changes[i].new->owner : cs.changes[i].old->owner,
		    ".ign."));
	}
	changeset_free(&cs);

	/* Without the ignore pattern the class-5 RRsets are updates too. */
	opts.nignores = 0;
	ck_assert_int_eq(diff_zones(d, a, &opts, &cs), 0);
	assert_counts(&cs, per, 3 * per, per);
	changeset_free(&cs);

	/* Reversed, creates and deletes swap. */
	opts.nignores = 1;
	ck_assert_int_eq(diff_zones(a, d, &opts, &cs), 0);
	assert_counts(&cs, per, 2 * per, per);
	assert_sane(&cs);
	changeset_free(&cs);

	ignore_clear(&ig);
	zone_free(d);
	zone_free(a);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(change_op_name(CHANGE_CREATE), "create");
	ck_assert_str_eq(change_op_name(CHANGE_UPDATE), "update");
	ck_assert_str_eq(change_op_name(CHANGE_DELETE), "delete");
	ck_assert_str_eq(change_op_name((enum change_op)42), "unknown");
	changeset_free(NULL);
}
END_TEST

static Suite *
diff_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("diff");
	tc = tcase_create("diff");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_update_rdata);
	tcase_add_test(tc, test_update_ttl);
	tcase_add_test(tc, test_rdata_order);
	tcase_add_test(tc, test_soa_ignored);
	tcase_add_test(tc, test_apex_ns_unmanaged);
	tcase_add_test(tc, test_apex_ns_managed);
	tcase_add_test(tc, test_origin_mismatch);
	tcase_add_test(tc, test_case_only);
	tcase_add_test(tc, test_canonical_order);
	tcase_add_test(tc, test_big);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("ignore");
	tcase_add_test(tc, test_ignore_parse);
	tcase_add_test(tc, test_ignore_match);
	tcase_add_test(tc, test_ignore_diff);
	tcase_add_test(tc, test_ignore_apex_ns);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(LOG_LEVEL_ERROR, "check_diff");
	sr = srunner_create(diff_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
