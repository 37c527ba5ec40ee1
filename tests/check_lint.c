/*
 * check_lint.c: every lint check with its exact message and severity, a
 * clean zone without findings, and the delegation check's parser of a
 * parent's referral.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "delegation.h"
#include "lint.h"
#include "zone.h"

static char *ns_a[] = { "ns1.alpha.net.", "ns2.alpha.net." };
static char *ns_b[] = { "ns1.beta.org.", "ns2.beta.org." };
static char *ns_all[] = { "ns1.alpha.net.", "ns1.beta.org.",
	"ns2.alpha.net.", "ns2.beta.org." };

/* A zone from "owner ttl TYPE rdata" lines; fails the test on error. */
static struct zone *
mkzone(const char *origin, const char *const *lines)
{
	struct zone		*z;
	struct zone_error	 err;
	char			 owner[256], type[16], rdata[512];
	unsigned		 ttl;
	ldns_rr_type		 t;

	z = zone_new(origin);
	ck_assert_ptr_nonnull(z);
	for (; *lines != NULL; lines++) {
		ck_assert_int_eq(sscanf(*lines, "%255s %u %15s %511[^\n]",
		    owner, &ttl, type, rdata), 4);
		t = ldns_get_rr_type_by_name(type);
		ck_assert_int_ne(t, 0);
		ck_assert_msg(zone_add_rr_text(z, owner, t, ttl, rdata,
		    &err) == 0, "%s: %s", *lines, err.msg);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

static const char *const clean_lines[] = {
	"@ 3600 SOA ns1.alpha.net. h.example.com. 1 7200 900 1209600 300",
	"@ 3600 NS ns1.alpha.net.",
	"@ 3600 NS ns2.alpha.net.",
	"@ 3600 NS ns1.beta.org.",
	"@ 3600 NS ns2.beta.org.",
	"@ 3600 MX 10 mail.example.com.",
	"@ 3600 A 192.0.2.1",
	"mail 3600 A 192.0.2.25",
	"www 60 A 192.0.2.80",
	"@ 60 TXT \"v=spf1 -all\"",
	NULL
};

struct fixture {
	struct zone		*zone;
	struct lint_provider	 provs[2];
	struct lint_input	 in;
	struct lint_report	 r;
};

static void
fixture_init(struct fixture *f, const char *const *lines)
{
	memset(f, 0, sizeof(*f));
	f->zone = mkzone("example.com.", lines);
	f->provs[0].name = "alpha";
	f->provs[0].ns = ns_a;
	f->provs[0].nns = 2;
	f->provs[0].apex_ns_cap = 1;
	f->provs[1].name = "beta";
	f->provs[1].ns = ns_b;
	f->provs[1].nns = 2;
	f->provs[1].apex_ns_cap = 1;
	f->in.zone = "example.com.";
	f->in.content = f->zone;
	f->in.providers = f->provs;
	f->in.nproviders = 2;
	f->in.min_ttl = LINT_MIN_TTL_DEFAULT;
	f->in.max_ns_ttl = LINT_MAX_NS_TTL_DEFAULT;
}

static void
fixture_free(struct fixture *f)
{
	lint_report_clear(&f->r);
	zone_free(f->zone);
}

/* The one finding of check; fails unless there is exactly one. */
static const struct lint_finding *
only(const struct lint_report *r, const char *check)
{
	const struct lint_finding	*f = NULL;
	size_t				 i, n = 0;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->findings[i].check, check) == 0) {
			f = &r->findings[i];
			n++;
		}
	}
	ck_assert_msg(n == 1, "%zu findings of %s, want 1", n, check);
	return (f);
}

static void
dump(const struct lint_report *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %s: %s\n",
		    lint_severity_name(r->findings[i].severity),
		    r->findings[i].check, r->findings[i].message);
}

START_TEST(test_clean_zone)
{
	struct fixture	f;

	fixture_init(&f, clean_lines);
	lint_zone(&f.in, &f.r);
	if (f.r.n != 0)
		dump(&f.r);
	ck_assert_uint_eq(f.r.n, 0);
	ck_assert_int_eq(lint_report_attention(&f.r), 0);
	fixture_free(&f);
}
END_TEST

START_TEST(test_single_provider)
{
	struct fixture			 f;
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	f.in.nproviders = 1;
	lint_zone(&f.in, &f.r);
	x = only(&f.r, "single-provider");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message,
	    "only one provider (alpha): no redundancy when it fails");
	ck_assert_ptr_null(x->provider);
	ck_assert_int_eq(lint_report_attention(&f.r), 1);
	fixture_free(&f);
}
END_TEST

START_TEST(test_no_nameservers_is_info)
{
	struct fixture			 f;
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	f.provs[1].nns = 0;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "no-nameservers");
	ck_assert_int_eq(x->severity, LINT_INFO);
	ck_assert_str_eq(x->provider, "beta");
	ck_assert_str_eq(x->message, "provider beta has no nameservers key: "
	    "its nameservers are not counted or compared with the "
	    "delegation");
	ck_assert_int_eq(lint_report_attention(&f.r), 0);
	fixture_free(&f);
}
END_TEST

START_TEST(test_apex_ns_cap)
{
	struct fixture			 f;
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	f.provs[0].apex_ns_cap = 0;
	f.provs[1].apex_ns_cap = -1;	/* unknown: nothing said */
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "apex-ns-cap");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "provider alpha cannot edit its apex NS: "
	    "it will not list the other providers' nameservers");
	fixture_free(&f);
}
END_TEST

START_TEST(test_ns_count)
{
	static char	*one[] = { "ns1.alpha.net." };
	static char	*nine[] = { "a.beta.org.", "b.beta.org.",
	    "c.beta.org.", "d.beta.org.", "e.beta.org.", "f.beta.org.",
	    "g.beta.org.", "h.beta.org.", "i.beta.org." };
	struct fixture	f;

	fixture_init(&f, clean_lines);
	f.provs[0].ns = one;
	f.provs[0].nns = 1;
	f.provs[1].ns = nine;
	f.provs[1].nns = 9;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 3);
	ck_assert_str_eq(f.r.findings[0].check, "ns-count");
	ck_assert_int_eq(f.r.findings[0].severity, LINT_WARNING);
	ck_assert_str_eq(f.r.findings[0].message, "provider alpha has 1 "
	    "nameserver: fewer than 2 leaves it no redundancy of its own");
	ck_assert_str_eq(f.r.findings[1].message, "provider beta has 9 "
	    "nameservers, over 8: a resolver may try 5 of them (N/2+1) "
	    "before it gets an answer");
	ck_assert_int_eq(f.r.findings[2].severity, LINT_WARNING);
	ck_assert_str_eq(f.r.findings[2].message, "10 nameservers in all, "
	    "over 8: a resolver may try 6 of them (N/2+1) before it gets an "
	    "answer");
	lint_report_clear(&f.r);

	/* One name in all (two providers sharing it) is an error. */
	f.provs[1].ns = one;
	f.provs[1].nns = 1;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 3);
	ck_assert_int_eq(f.r.findings[2].severity, LINT_ERROR);
	ck_assert_str_eq(f.r.findings[2].message, "1 nameserver in all: "
	    "fewer than 2 leaves the zone no redundancy");
	fixture_free(&f);
}
END_TEST

START_TEST(test_one_tld)
{
	static char		*lab_a[] = { "ns1.a.lab.", "ns2.a.lab." };
	static char		*lab_b[] = { "ns1.b.LAB", "ns2.b.lab." };
	struct fixture		 f;
	const struct lint_finding *x;

	fixture_init(&f, clean_lines);
	f.provs[0].ns = lab_a;
	f.provs[1].ns = lab_b;
	lint_zone(&f.in, &f.r);
	x = only(&f.r, "one-tld");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "all 4 nameservers are under .lab: an "
	    "outage of that TLD takes the zone down");
	fixture_free(&f);
}
END_TEST

START_TEST(test_short_ttl)
{
	static const char *const lines[] = {
		"@ 3600 SOA ns1.example.com. h.example.com. 1 7200 900 1209600 300",
		"@ 60 NS ns1.example.com.",
		"@ 60 NS ns1.beta.org.",
		"@ 120 MX 10 mail.example.com.",
		"@ 60 AAAA 2001:db8::1",
		"ns1 299 A 192.0.2.53",
		"mail 30 A 192.0.2.25",
		"www 60 A 192.0.2.80",		/* changes often: fine */
		"@ 60 TXT \"x\"",		/* not a stable type: fine */
		"sub 100 NS ns.sub.example.com.",
		"ns.sub 100 A 192.0.2.54",	/* glue of a delegation */
		"other 60 MX 10 mail.example.com.", /* not the apex */
		NULL
	};
	static char	*pa[] = { "ns1.example.com.", "ns2.alpha.net." };
	const char	*want[] = {
		"example.com. NS has TTL 60, under lint-min-ttl 300: records "
		    "that rarely change should be cached longer",
		"example.com. MX has TTL 120, under lint-min-ttl 300: records "
		    "that rarely change should be cached longer",
		"example.com. AAAA has TTL 60, under lint-min-ttl 300: "
		    "records that rarely change should be cached longer",
		"mail.example.com. A has TTL 30, under lint-min-ttl 300: "
		    "records that rarely change should be cached longer",
		"ns1.example.com. A has TTL 299, under lint-min-ttl 300: "
		    "records that rarely change should be cached longer",
		"sub.example.com. NS has TTL 100, under lint-min-ttl 300: "
		    "records that rarely change should be cached longer",
		"ns.sub.example.com. A has TTL 100, under lint-min-ttl 300: "
		    "records that rarely change should be cached longer",
	};
	struct fixture	f;
	size_t		i, j, n = 0;

	fixture_init(&f, lines);
	f.provs[0].ns = pa;
	lint_zone(&f.in, &f.r);
	for (i = 0; i < f.r.n; i++) {
		if (strcmp(f.r.findings[i].check, "short-ttl") != 0)
			continue;
		n++;
		ck_assert_int_eq(f.r.findings[i].severity, LINT_WARNING);
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			if (strcmp(want[j], f.r.findings[i].message) == 0)
				break;
		ck_assert_msg(j < sizeof(want) / sizeof(want[0]),
		    "unexpected: %s", f.r.findings[i].message);
	}
	if (n != sizeof(want) / sizeof(want[0]))
		dump(&f.r);
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	lint_report_clear(&f.r);

	/* The floor is the configured one. */
	f.in.min_ttl = 30;
	lint_zone(&f.in, &f.r);
	for (i = 0; i < f.r.n; i++)
		ck_assert_str_ne(f.r.findings[i].check, "short-ttl");
	fixture_free(&f);
}
END_TEST

START_TEST(test_ns_ttl_long)
{
	static const char *const lines[] = {
		"@ 3600 SOA ns1.alpha.net. h.example.com. 1 7200 900 1209600 300",
		"@ 172800 NS ns1.alpha.net.",
		NULL
	};
	struct fixture			 f;
	const struct lint_finding	*x;

	fixture_init(&f, lines);
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "ns-ttl-long");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "apex NS has TTL 172800, over "
	    "lint-max-ns-ttl 86400: withdrawing a provider's nameservers "
	    "takes that long to reach every resolver");
	lint_report_clear(&f.r);
	f.in.max_ns_ttl = 172800;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 0);
	fixture_free(&f);
}
END_TEST

/* A delegation result: parent names, glue, and both providers' apex. */
static void
deleg_init(struct lint_delegation *d, struct lint_apex *apex,
    char **pns, size_t npns, char **glue, size_t nglue)
{
	memset(d, 0, sizeof(*d));
	d->parent = "127.0.0.1:53";
	d->answered = 1;
	d->ns = pns;
	d->nns = npns;
	d->glue = glue;
	d->nglue = nglue;
	memset(apex, 0, 2 * sizeof(*apex));
	apex[0].provider = "alpha";
	apex[0].answered = 1;
	apex[0].ns = ns_all;
	apex[0].nns = 4;
	apex[1].provider = "beta";
	apex[1].answered = 1;
	apex[1].ns = ns_all;
	apex[1].nns = 4;
	d->apex = apex;
	d->napex = 2;
}

START_TEST(test_delegation_all_good)
{
	struct fixture		f;
	struct lint_delegation	d;
	struct lint_apex	apex[2];

	fixture_init(&f, clean_lines);
	deleg_init(&d, apex, ns_all, 4, NULL, 0);
	f.in.delegation = &d;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 0);
	fixture_free(&f);
}
END_TEST

START_TEST(test_delegation_one_provider)
{
	struct fixture			 f;
	struct lint_delegation		 d;
	struct lint_apex		 apex[2];
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	deleg_init(&d, apex, ns_a, 2, NULL, 0);
	f.in.delegation = &d;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "parent-missing");
	ck_assert_int_eq(x->severity, LINT_ERROR);
	ck_assert_str_eq(x->provider, "beta");
	ck_assert_str_eq(x->message, "the parent delegates to none of "
	    "provider beta's nameservers (ns1.beta.org., ns2.beta.org.): "
	    "resolvers never ask it");
	lint_report_clear(&f.r);

	/* Only some: a warning naming them. */
	deleg_init(&d, apex, ns_all, 3, NULL, 0);
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "parent-missing");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "the parent does not list provider "
	    "beta's ns2.beta.org.");
	fixture_free(&f);
}
END_TEST

START_TEST(test_delegation_lame_and_glue)
{
	static char			*pns[] = { "ns1.alpha.net.",
	    "ns1.beta.org.", "ns2.alpha.net.", "ns2.beta.org.",
	    "ns3.example.com.", "old.gamma.io." };
	static char			*glue[] = { "ns9.example.com." };
	struct fixture			 f;
	struct lint_delegation		 d;
	struct lint_apex		 apex[2];
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	deleg_init(&d, apex, pns, 6, glue, 1);
	f.in.delegation = &d;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 3);
	ck_assert_str_eq(f.r.findings[0].check, "parent-lame");
	ck_assert_int_eq(f.r.findings[0].severity, LINT_ERROR);
	ck_assert_str_eq(f.r.findings[0].message, "the parent lists "
	    "ns3.example.com., which no provider serves (lame delegation)");
	ck_assert_str_eq(f.r.findings[1].message, "the parent lists "
	    "old.gamma.io., which no provider serves (lame delegation)");
	x = only(&f.r, "missing-glue");
	ck_assert_int_eq(x->severity, LINT_ERROR);
	ck_assert_str_eq(x->message, "the parent has no glue for "
	    "ns3.example.com., which is inside the zone: resolvers cannot "
	    "reach it");
	lint_report_clear(&f.r);

	/* With glue, only the lame names remain. */
	glue[0] = "ns3.example.com.";
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 2);
	glue[0] = "ns9.example.com.";
	fixture_free(&f);
}
END_TEST

START_TEST(test_delegation_unanswered)
{
	struct fixture			 f;
	struct lint_delegation		 d;
	struct lint_apex		 apex[2];
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	deleg_init(&d, apex, NULL, 0, NULL, 0);
	d.answered = 0;
	d.error = "127.0.0.1:53: timed out";
	f.in.delegation = &d;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "parent-unanswered");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "the parent (127.0.0.1:53) gave no "
	    "referral: 127.0.0.1:53: timed out; the delegation is not "
	    "checked");
	fixture_free(&f);
}
END_TEST

START_TEST(test_delegation_provider_apex)
{
	static char			*three[] = { "ns1.alpha.net.",
	    "ns1.beta.org.", "ns2.alpha.net." };
	static char			*stray[] = { "ns1.alpha.net.",
	    "ns1.beta.org.", "ns2.alpha.net.", "ns2.beta.org.",
	    "ns.stray.io." };
	struct fixture			 f;
	struct lint_delegation		 d;
	struct lint_apex		 apex[2];
	const struct lint_finding	*x;

	fixture_init(&f, clean_lines);
	deleg_init(&d, apex, ns_all, 4, NULL, 0);
	apex[1].ns = ns_b;		/* beta serves only its own */
	apex[1].nns = 2;
	f.in.delegation = &d;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "provider-own-ns");
	ck_assert_int_eq(x->severity, LINT_ERROR);
	ck_assert_str_eq(x->provider, "beta");
	ck_assert_str_eq(x->message, "provider beta serves only its own "
	    "nameservers in the apex NS (ns1.beta.org., ns2.beta.org.): "
	    "resolvers that ask it never learn the other providers'");
	lint_report_clear(&f.r);

	apex[1].ns = three;
	apex[1].nns = 3;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	x = only(&f.r, "provider-apex-ns");
	ck_assert_int_eq(x->severity, LINT_WARNING);
	ck_assert_str_eq(x->message, "provider beta serves an apex NS without "
	    "ns2.beta.org.");
	lint_report_clear(&f.r);

	apex[1].ns = stray;
	apex[1].nns = 5;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);
	ck_assert_str_eq(f.r.findings[0].message, "provider beta serves an "
	    "apex NS with ns.stray.io., which no provider is configured "
	    "with");
	lint_report_clear(&f.r);

	/* A provider that did not answer is health's business. */
	apex[1].ns = ns_b;
	apex[1].nns = 2;
	apex[1].answered = 0;
	lint_zone(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 0);
	fixture_free(&f);
}
END_TEST

START_TEST(test_delegation_dup)
{
	struct lint_delegation	 d, *c;
	struct lint_apex	 apex[2];
	struct fixture		 f;
	static char		*glue[] = { "ns1.alpha.net." };

	deleg_init(&d, apex, ns_a, 2, glue, 1);
	c = lint_delegation_dup(&d);
	ck_assert_str_eq(c->parent, "127.0.0.1:53");
	ck_assert_uint_eq(c->nns, 2);
	ck_assert_str_eq(c->ns[1], "ns2.alpha.net.");
	ck_assert_str_eq(c->glue[0], "ns1.alpha.net.");
	ck_assert_uint_eq(c->napex, 2);
	ck_assert_str_eq(c->apex[1].provider, "beta");
	ck_assert_uint_eq(c->apex[1].nns, 4);
	fixture_init(&f, clean_lines);
	f.in.delegation = c;
	lint_delegation(&f.in, &f.r);
	ck_assert_uint_eq(f.r.n, 1);	/* beta is not delegated to */
	fixture_free(&f);
	lint_delegation_free(c);
	lint_delegation_free(NULL);
	ck_assert_ptr_null(lint_delegation_dup(NULL));
}
END_TEST

START_TEST(test_severity_names)
{
	ck_assert_str_eq(lint_severity_name(LINT_INFO), "info");
	ck_assert_str_eq(lint_severity_name(LINT_WARNING), "warning");
	ck_assert_str_eq(lint_severity_name(LINT_ERROR), "error");
	ck_assert_str_eq(lint_severity_name((enum lint_severity)9),
	    "unknown");
}
END_TEST

/* --- the parent's answer --------------------------------------------------- */

static void
push(ldns_pkt *p, ldns_pkt_section s, const char *rr)
{
	ldns_rr	*r = NULL;

	ck_assert_int_eq(ldns_rr_new_frm_str(&r, rr, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	ck_assert(ldns_pkt_push_rr(p, s, r));
}

START_TEST(test_parse_referral)
{
	ldns_pkt	*p = ldns_pkt_new();
	char		**ns, **glue, err[256];
	size_t		  nns, nglue, i;

	push(p, LDNS_SECTION_AUTHORITY, "Example.LAB. 3600 IN NS ns2.knot.lab.");
	push(p, LDNS_SECTION_AUTHORITY, "example.lab. 3600 IN NS NS1.knot.lab.");
	push(p, LDNS_SECTION_AUTHORITY, "example.lab. 3600 IN NS ns1.knot.lab.");
	push(p, LDNS_SECTION_AUTHORITY, "other.lab. 3600 IN NS ns9.other.lab.");
	push(p, LDNS_SECTION_AUTHORITY, "example.lab. 3600 IN NS ns1.example.lab.");
	push(p, LDNS_SECTION_ADDITIONAL, "ns1.knot.lab. 3600 IN A 127.0.0.1");
	push(p, LDNS_SECTION_ADDITIONAL, "ns2.knot.lab. 3600 IN AAAA ::1");
	push(p, LDNS_SECTION_ADDITIONAL, "ns9.other.lab. 3600 IN A 127.0.0.9");
	ck_assert_int_eq(delegation_parse(p, "example.lab", &ns, &nns, &glue,
	    &nglue, err, sizeof(err)), 0);
	ck_assert_uint_eq(nns, 3);
	ck_assert_str_eq(ns[0], "ns1.example.lab.");
	ck_assert_str_eq(ns[1], "ns1.knot.lab.");
	ck_assert_str_eq(ns[2], "ns2.knot.lab.");
	ck_assert_uint_eq(nglue, 2);
	ck_assert_str_eq(glue[0], "ns1.knot.lab.");
	ck_assert_str_eq(glue[1], "ns2.knot.lab.");
	for (i = 0; i < nns; i++)
		free(ns[i]);
	free(ns);
	for (i = 0; i < nglue; i++)
		free(glue[i]);
	free(glue);
	ldns_pkt_free(p);

	/* An authoritative answer (NS in the answer section) reads the same. */
	p = ldns_pkt_new();
	push(p, LDNS_SECTION_ANSWER, "example.lab. 3600 IN NS ns1.knot.lab.");
	ck_assert_int_eq(delegation_parse(p, "example.lab.", &ns, &nns, &glue,
	    &nglue, err, sizeof(err)), 0);
	ck_assert_uint_eq(nns, 1);
	ck_assert_uint_eq(nglue, 0);
	ck_assert_ptr_null(glue);
	free(ns[0]);
	free(ns);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_parse_errors)
{
	ldns_pkt	*p = ldns_pkt_new();
	char		**ns, **glue, err[256];
	size_t		  nns, nglue;

	ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
	ck_assert_int_eq(delegation_parse(p, "example.lab.", &ns, &nns, &glue,
	    &nglue, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "answered REFUSED");
	ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
	push(p, LDNS_SECTION_AUTHORITY, "lab. 3600 IN SOA a.lab. b.lab. 1 2 3 4 5");
	ck_assert_int_eq(delegation_parse(p, "example.lab.", &ns, &nns, &glue,
	    &nglue, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no NS RRset for example.lab. in the answer");
	ck_assert_ptr_null(ns);
	ck_assert_uint_eq(nns, 0);
	ldns_pkt_free(p);
}
END_TEST

/* The checker without a network: bad addresses, and a check of nothing. */
static int	done_calls;

static void
done_cb(struct delegation *d, void *arg)
{
	(void)d;
	(void)arg;
	done_calls++;
}

START_TEST(test_checker_setup)
{
	struct delegation	*d, *d2;
	char			 err[256];
	char			*msgs[] = { "a", "b" };

	d = delegation_new(NULL, 100, 0, done_cb, NULL);
	ck_assert_int_eq(delegation_add_zone(d, "example.lab", "nohost",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "zone example.lab: parent: 'nohost' is not an "
	    "IP address with an optional port");
	ck_assert_int_eq(delegation_add_zone(d, "example.lab", " , ",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "zone example.lab: parent: no address");
	ck_assert_int_eq(delegation_add_zone(d, "Example.LAB",
	    "127.0.0.1:5353, [::1]:53", err, sizeof(err)), 0);
	ck_assert_str_eq(delegation_zone_name(d, 0), "example.lab.");
	ck_assert_int_eq(delegation_add_provider(d, 0, "p", "x", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(delegation_add_provider(d, 0, "p", NULL, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(delegation_result(d, "example.lab."));
	delegation_set_reported(d, 0, msgs, 2);
	ck_assert_int_eq(delegation_reported(d, 0, "b"), 1);
	ck_assert_int_eq(delegation_reported(d, 0, "c"), 0);

	d2 = delegation_new(NULL, 100, 0, done_cb, NULL);
	ck_assert_int_eq(delegation_add_zone(d2, "example.lab.",
	    "127.0.0.1", err, sizeof(err)), 0);
	delegation_carry(d2, d);
	ck_assert_int_eq(delegation_reported(d2, 0, "a"), 1);
	ck_assert_uint_eq(delegation_nzones(d2), 1);
	delegation_free(d2);
	delegation_free(d);
	delegation_free(NULL);

	/* Nothing to ask: the check ends at once. */
	d = delegation_new(NULL, 100, 0, done_cb, NULL);
	done_calls = 0;
	ck_assert_int_eq(delegation_check(d), 0);
	ck_assert_int_eq(done_calls, 1);
	ck_assert_int_eq(delegation_busy(d), 0);
	delegation_free(d);
}
END_TEST

static Suite *
lint_suite(void)
{
	Suite	*s = suite_create("lint");
	TCase	*tc = tcase_create("lint");

	tcase_add_test(tc, test_clean_zone);
	tcase_add_test(tc, test_single_provider);
	tcase_add_test(tc, test_no_nameservers_is_info);
	tcase_add_test(tc, test_apex_ns_cap);
	tcase_add_test(tc, test_ns_count);
	tcase_add_test(tc, test_one_tld);
	tcase_add_test(tc, test_short_ttl);
	tcase_add_test(tc, test_ns_ttl_long);
	tcase_add_test(tc, test_delegation_all_good);
	tcase_add_test(tc, test_delegation_one_provider);
	tcase_add_test(tc, test_delegation_lame_and_glue);
	tcase_add_test(tc, test_delegation_unanswered);
	tcase_add_test(tc, test_delegation_provider_apex);
	tcase_add_test(tc, test_delegation_dup);
	tcase_add_test(tc, test_severity_names);
	tcase_add_test(tc, test_parse_referral);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_checker_setup);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(lint_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
