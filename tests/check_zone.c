/* check_zone.c: unit tests for the zone model (zone.c). */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "zone.h"

#define GOOD	TESTDATA "/zones/good"
#define BAD	TESTDATA "/zones/bad"
#define SOA_RR	"@ 3600 IN SOA ns1.example.com. hostmaster.example.com. " \
		"1 7200 3600 1209600 300\n"

static char	 tmpdir[64];

static void
tmp_setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/check_zone.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
}

static void
tmp_rm(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 p[1024];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			tmp_rm(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
tmp_teardown(void)
{
	tmp_rm(tmpdir);
}

static void
write_file(const char *name, const char *content)
{
	char	 p[1024];
	FILE	*fp;

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(content, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Load name from tmpdir; the error string (or "") goes to ebuf. */
static struct zone *
load_tmp(const char *origin, const char *name, char *ebuf, size_t elen)
{
	struct zone_source	 src;
	struct zone_error	 err;
	struct zone		*z;

	zone_source_dir(&src, tmpdir);
	z = zone_load(&src, origin, name, &err);
	if (z == NULL)
		zone_error_str(&err, ebuf, elen);
	else
		ebuf[0] = '\0';
	return (z);
}

static const struct rrset *
find(const struct zone *z, const char *owner, uint16_t type)
{
	const struct rrset	*rs;

	rs = zone_find(z, owner, type);
	ck_assert_msg(rs != NULL, "%s/%u not found", owner, type);
	return (rs);
}

START_TEST(test_good_example)
{
	struct zone_error	 err;
	struct zone		*z;
	const struct rrset	*rs;
	char			 buf[1200];

	z = zone_load_file("example.com.", GOOD "/example.com.zone", &err);
	ck_assert_msg(z != NULL, "%s", zone_error_str(&err, buf, sizeof buf));
	ck_assert_str_eq(z->origin, "example.com.");
	ck_assert_uint_eq(z->nrrsets, 28);
	ck_assert_uint_eq(zone_count_rrs(z), 33);

	rs = find(z, "example.com.", 6);
	ck_assert_uint_eq(rs->nrdata, 1);
	ck_assert_uint_eq(rs->ttl, 3600);
	ck_assert_str_eq(rs->rdata[0].text, "ns1.example.com. "
	    "hostmaster.example.com. 2024010101 7200 3600 1209600 300");
	rs = find(z, "example.com.", 2);	/* a duplicate in upper case */
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "ns1.example.com.");
	ck_assert_str_eq(rs->rdata[1].text, "ns2.example.net.");
	rs = find(z, "example.com.", 15);
	ck_assert_uint_eq(rs->ttl, 300);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "10 mail.example.com.");
	ck_assert_str_eq(rs->rdata[1].text, "20 mail2.example.com.");
	rs = find(z, "example.com.", 257);
	ck_assert_str_eq(rs->rdata[0].text, "0 issue \"letsencrypt.org\"");

	/* TTL and class in either order; duplicate in other case */
	rs = find(z, "WWW.Example.COM.", 1);
	ck_assert_str_eq(rs->owner, "www.example.com.");
	ck_assert_uint_eq(rs->ttl, 600);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.10");
	ck_assert_str_eq(rs->rdata[1].text, "192.0.2.11");
	ck_assert_uint_eq(rs->rdata[0].len, 4);
	ck_assert_mem_eq(rs->rdata[0].wire, "\xc0\x00\x02\x0a", 4);
	rs = find(z, "www.example.com.", 28);	/* blank owner */
	ck_assert_str_eq(rs->rdata[0].text, "2001:db8::10");
	ck_assert_uint_eq(rs->ttl, 600);

	rs = find(z, "ftp.example.com.", 5);
	ck_assert_str_eq(rs->rdata[0].text, "www.example.com.");
	find(z, "*.wild.example.com.", 1);
	find(z, "xn--bcher-kva.example.com.", 1);
	rs = find(z, "a\\.b.example.com.", 1);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.21");
	find(z, "abc.example.com.", 1);			/* \065bc */
	rs = find(z, "txt.example.com.", 16);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "\"split over\" \"two lines\"");
	ck_assert_str_eq(rs->rdata[1].text,
	    "\"quoted \\\"string\\\" with ; semicolon\" \"unquoted\"");
	rs = find(z, "_sip._tcp.example.com.", 33);
	ck_assert_str_eq(rs->rdata[0].text, "10 20 5060 sip.example.com.");
	rs = find(z, "opaque.example.com.", 65534);
	ck_assert_str_eq(rs->rdata[0].text, "\\# 3 abcdef");
	ck_assert_uint_eq(rs->rdata[0].len, 3);
	rs = find(z, "opaque.example.com.", 65535);
	ck_assert_str_eq(rs->rdata[0].text, "\\# 0");
	ck_assert_uint_eq(rs->rdata[0].len, 0);
	rs = find(z, "hexa.example.com.", 1);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.23");
	find(z, "sub.example.com.", 2);
	find(z, "ns.sub.example.com.", 1);

	/* TTL rules */
	ck_assert_uint_eq(find(z, "ttl1.example.com.", 1)->ttl, 5400);
	ck_assert_uint_eq(find(z, "ttl2.example.com.", 1)->ttl, 3600);
	ck_assert_uint_eq(find(z, "ttl3.example.com.", 1)->ttl, 120);
	/* includes: origin argument, $TTL inside, restored after */
	ck_assert_uint_eq(find(z, "host1.example.com.", 1)->ttl, 120);
	ck_assert_uint_eq(find(z, "host2.example.com.", 1)->ttl, 120);
	ck_assert_uint_eq(find(z, "dept.example.com.", 1)->ttl, 900);
	rs = find(z, "mail.dept.example.com.", 15);
	ck_assert_str_eq(rs->rdata[0].text, "5 dept.example.com.");
	ck_assert_uint_eq(find(z, "after.example.com.", 1)->ttl, 120);
	rs = find(z, "rrsig.example.com.", 46);
	ck_assert_uint_eq(rs->ttl, 300);		/* lowest */
	ck_assert_uint_eq(rs->nrdata, 2);

	ck_assert_ptr_null(zone_find(z, "www.example.com.", 16));
	ck_assert_ptr_null(zone_find(z, "nope.example.com.", 1));
	zone_free(z);
}
END_TEST

START_TEST(test_print)
{
	struct zone_error	 err;
	struct zone		*z;
	char			*out = NULL;
	size_t			 len = 0;
	FILE			*fp;

	z = zone_load_file("example.com", GOOD "/minimal.zone", &err);
	ck_assert_ptr_nonnull(z);
	fp = open_memstream(&out, &len);
	zone_print(z, fp);
	fclose(fp);
	ck_assert_str_eq(out,
	    "example.com.\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t3600\tIN\tSOA\tns1.example.com. "
	    "hostmaster.example.com. 1 7200 3600 1209600 300\n");
	free(out);
	zone_free(z);
}
END_TEST

/* RFC 4034 section 6.1's example, shuffled. */
START_TEST(test_canonical_order)
{
	static const char	*in[] = {
		"\\200.z.example.", "zABC.a.EXAMPLE.", "z.example.",
		"example.", "*.z.example.", "Z.a.example.", "a.example.",
		"\\001.z.example.", "yljkjljk.a.example.",
	};
	static const char	*want[] = {
		"example.", "a.example.", "yljkjljk.a.example.",
		"z.a.example.", "zabc.a.example.", "z.example.",
		"\\001.z.example.", "*.z.example.", "\\200.z.example.",
	};
	struct zone_error	 err;
	struct zone		*z;
	size_t			 i;

	z = zone_new("example.");
	ck_assert_ptr_nonnull(z);
	for (i = 0; i < sizeof in / sizeof in[0]; i++)
		ck_assert_int_eq(zone_add_rr_text(z, in[i], 1, 60,
		    "192.0.2.1", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "a.example.", 16, 60, "\"t\"",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "a.example.", 28, 60, "::1",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "a.example.", 15, 60, "1 .",
	    &err), 0);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	ck_assert_uint_eq(z->nrrsets, 12);
	ck_assert_str_eq(z->rrsets[0].owner, want[0]);
	ck_assert_str_eq(z->rrsets[1].owner, "a.example.");
	ck_assert_uint_eq(z->rrsets[1].type, 1);
	ck_assert_uint_eq(z->rrsets[2].type, 15);
	ck_assert_uint_eq(z->rrsets[3].type, 16);
	ck_assert_uint_eq(z->rrsets[4].type, 28);
	for (i = 2; i < sizeof want / sizeof want[0]; i++)
		ck_assert_str_eq(z->rrsets[i + 3].owner, want[i]);
	for (i = 0; i + 1 < z->nrrsets; i++) {
		ck_assert_int_eq(rrset_cmp_key(&z->rrsets[i],
		    &z->rrsets[i + 1]), -1);
		ck_assert_int_eq(rrset_cmp_key(&z->rrsets[i + 1],
		    &z->rrsets[i]), 1);
	}
	ck_assert_int_eq(rrset_cmp_key(&z->rrsets[3], &z->rrsets[3]), 0);
	ck_assert_ptr_eq(zone_find(z, "Z.A.Example.", 1), &z->rrsets[6]);
	zone_free(z);
}
END_TEST

START_TEST(test_rdata_sort)
{
	struct zone_error	 err;
	struct zone		*z;
	const struct rrset	*rs;

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 60, "192.0.2.3",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 60, "192.0.2.1",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 60, "192.0.2.20",
	    &err), 0);
	/* by wire: the length octet first, so "b" sorts before "aa" */
	ck_assert_int_eq(zone_add_rr_text(z, "@", 16, 60, "\"aa\"", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", 16, 60, "\"b\"", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", 16, 60, "\"a\"", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", 16, 60, "\"Hello\"",
	    &err), 0);
	/* names in MX rdata are lower-cased (RFC 4034 6.2) */
	ck_assert_int_eq(zone_add_rr_text(z, "@", 15, 60,
	    "10 MAIL.Example.COM.", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", 15, 60, "10 mail", &err), 0);
	ck_assert_int_eq(zone_finish(z, &err), 0);

	rs = find(z, "www.example.com.", 1);
	ck_assert_uint_eq(rs->nrdata, 3);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.1");
	ck_assert_str_eq(rs->rdata[1].text, "192.0.2.3");
	ck_assert_str_eq(rs->rdata[2].text, "192.0.2.20");
	rs = find(z, "example.com.", 16);
	ck_assert_uint_eq(rs->nrdata, 4);
	ck_assert_str_eq(rs->rdata[0].text, "\"a\"");
	ck_assert_str_eq(rs->rdata[1].text, "\"b\"");
	ck_assert_str_eq(rs->rdata[2].text, "\"aa\"");
	ck_assert_str_eq(rs->rdata[3].text, "\"Hello\"");
	rs = find(z, "example.com.", 15);
	ck_assert_uint_eq(rs->nrdata, 1);
	ck_assert_str_eq(rs->rdata[0].text, "10 mail.example.com.");
	ck_assert_uint_eq(rs->rdata[0].len, 2 + 18);
	ck_assert_mem_eq(rs->rdata[0].wire,
	    "\x00\x0a\x04mail\x07""example\x03""com\x00", 20);
	zone_free(z);
}
END_TEST

static struct zone *
hash_zone(uint32_t ttl, const char *addr, int reverse)
{
	struct zone_error	 err;
	struct zone		*z;

	z = zone_new("example.com.");
	if (reverse) {
		ck_assert_int_eq(zone_add_rr_text(z, "www", 1, ttl, addr,
		    &err), 0);
		ck_assert_int_eq(zone_add_rr_text(z, "@", 2, 60,
		    "ns1.example.net.", &err), 0);
	} else {
		ck_assert_int_eq(zone_add_rr_text(z, "@", 2, 60,
		    "NS1.example.net.", &err), 0);
		ck_assert_int_eq(zone_add_rr_text(z, "WWW", 1, ttl, addr,
		    &err), 0);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

START_TEST(test_hash)
{
	struct zone	*a, *b, *c, *d;

	a = hash_zone(300, "192.0.2.1", 0);
	b = hash_zone(300, "192.0.2.1", 1);
	c = hash_zone(301, "192.0.2.1", 0);
	d = hash_zone(300, "192.0.2.2", 0);
	/* stable: FNV-1a 64 over the documented fields (computed apart) */
	ck_assert_uint_eq(a->rrsets[1].hash, 0x432037804dd1f176ULL);
	ck_assert_uint_eq(a->hash, 0xff468c8dc9e6c325ULL);
	ck_assert_uint_eq(a->hash, b->hash);
	ck_assert_uint_eq(a->rrsets[0].hash, b->rrsets[0].hash);
	ck_assert_uint_eq(a->rrsets[0].hash, c->rrsets[0].hash);
	ck_assert_uint_ne(a->rrsets[1].hash, c->rrsets[1].hash);
	ck_assert_uint_ne(a->hash, c->hash);
	ck_assert_uint_ne(a->rrsets[1].hash, d->rrsets[1].hash);
	ck_assert_uint_ne(a->hash, d->hash);
	ck_assert_uint_ne(c->hash, d->hash);
	ck_assert_int_eq(rrset_equal_data(&a->rrsets[1], &b->rrsets[1]), 1);
	ck_assert_int_eq(rrset_equal_data(&a->rrsets[1], &c->rrsets[1]), 0);
	ck_assert_int_eq(rrset_equal_data(&a->rrsets[1], &d->rrsets[1]), 0);
	zone_free(a);
	zone_free(b);
	zone_free(c);
	zone_free(d);
}
END_TEST

START_TEST(test_dup_clear)
{
	struct zone_error	 err;
	struct zone		*z;
	struct rrset		*n;

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www.example.com.", 1, 60,
	    "192.0.2.1", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www.example.com.", 1, 60,
	    "192.0.2.1", &err), 0);		/* collapsed */
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 60, "192.0.2.2",
	    &err), 0);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	ck_assert_uint_eq(z->nrrsets, 1);
	ck_assert_uint_eq(zone_count_rrs(z), 2);
	n = rrset_dup(&z->rrsets[0]);
	ck_assert_ptr_ne(n->owner, z->rrsets[0].owner);
	ck_assert_str_eq(n->owner, "www.example.com.");
	ck_assert_uint_eq(n->hash, z->rrsets[0].hash);
	ck_assert_int_eq(rrset_cmp_key(n, &z->rrsets[0]), 0);
	ck_assert_int_eq(rrset_equal_data(n, &z->rrsets[0]), 1);
	n->ttl = 61;
	ck_assert_int_eq(rrset_equal_data(n, &z->rrsets[0]), 0);
	n->ttl = 60;
	n->rdata[1].wire[3] = 3;
	ck_assert_int_eq(rrset_equal_data(n, &z->rrsets[0]), 0);
	rrset_clear(n);
	ck_assert_ptr_null(n->owner);
	ck_assert_ptr_null(n->rdata);
	ck_assert_uint_eq(n->nrdata, 0);
	rrset_clear(n);				/* twice is harmless */
	free(n);
	zone_free(z);
	zone_free(NULL);
}
END_TEST

static void
builder_fails(struct zone *z, const char *want)
{
	struct zone_error	err;
	char			buf[1200];

	ck_assert_int_eq(zone_finish(z, &err), -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf), want);
	zone_free(z);
}

START_TEST(test_builder_rules)
{
	struct zone_error	 err;
	struct zone		*z;
	char			 buf[1200];

	/* no SOA is fine in the builder */
	z = zone_new("example.com");
	ck_assert_str_eq(z->origin, "example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "@", 2, 60, "ns.example.net.",
	    &err), 0);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "x", 1, 60, "192.0.2.1", &err),
	    -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "x A: zone already finished");
	ck_assert_int_eq(zone_finish(z, &err), 0);	/* idempotent */
	zone_free(z);

	ck_assert_ptr_null(zone_new("a..b"));
	ck_assert_ptr_null(zone_new(""));

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "@", 6, 60, "a. b. 1 2 3 4 5",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "@", 6, 60, "a. b. 2 2 3 4 5",
	    &err), 0);
	builder_fails(z, "example.com. SOA: more than one SOA record");

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "sub", 6, 60, "a. b. 1 2 3 4 5",
	    &err), 0);
	builder_fails(z,
	    "sub.example.com. SOA: SOA record not at the zone apex");

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 600, "192.0.2.1",
	    &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 300, "192.0.2.2",
	    &err), 0);
	builder_fails(z, "www.example.com. A: TTL 300 differs from 600 in the "
	    "same RRset (record 1)");

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 5, 60, "web", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 16, 60, "\"x\"", &err), 0);
	builder_fails(z, "www.example.com. TXT: CNAME and other data at "
	    "www.example.com.");

	/* RRSIG and NSEC may sit beside a CNAME */
	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 5, 60, "web", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 47, 60,
	    "web.example.com. CNAME RRSIG NSEC", &err), 0);
	ck_assert_int_eq(zone_add_rr_text(z, "www", 46, 60, "CNAME 8 3 60 "
	    "20300101000000 20200101000000 1 example.com. AAAA", &err), 0);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	ck_assert_uint_eq(z->nrrsets, 3);
	zone_free(z);

	z = zone_new("example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www.example.org.", 1, 60,
	    "192.0.2.1", &err), -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "www.example.org. A: www.example.org. is out of zone example.com.");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 60, "192.0.2.300",
	    &err), -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "www A: bad A rdata: Syntax error, could not parse the RR's rdata");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 1, 2147483648U,
	    "192.0.2.1", &err), -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "www A: TTL 2147483648 larger than 2147483647");
	ck_assert_int_eq(zone_add_rr_text(z, "www", 255, 60, "\\# 0", &err),
	    -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "www ANY: type ANY not allowed in a zone");
	ck_assert_int_eq(zone_add_rr_text(z, "a..b", 1, 60, "192.0.2.1",
	    &err), -1);
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "a..b A: bad owner name: Empty label");
	ck_assert_int_eq(zone_finish(z, &err), 0);
	ck_assert_uint_eq(z->nrrsets, 0);
	zone_free(z);
}
END_TEST

START_TEST(test_misc)
{
	struct zone_error	err;
	char			buf[64], out[1200];

	ck_assert_str_eq(zone_type_name(1, buf, sizeof buf), "A");
	ck_assert_str_eq(zone_type_name(28, buf, sizeof buf), "AAAA");
	ck_assert_str_eq(zone_type_name(257, buf, sizeof buf), "CAA");
	ck_assert_str_eq(zone_type_name(255, buf, sizeof buf), "ANY");
	ck_assert_str_eq(zone_type_name(65534, buf, sizeof buf), "TYPE65534");
	zone_error_set(&err, "a.zone", 3, "bad %s", "thing");
	ck_assert_str_eq(zone_error_str(&err, out, sizeof out),
	    "a.zone:3: bad thing");
	zone_error_set(&err, "a.zone", 0, "no %d", 1);
	ck_assert_str_eq(zone_error_str(&err, out, sizeof out), "a.zone: no 1");
	zone_error_set(&err, NULL, 7, "bare");
	ck_assert_str_eq(zone_error_str(&err, out, sizeof out), "bare");
	ck_assert_ptr_null(zone_load_file("example.com.",
	    TESTDATA "/zones/nonexistent.zone", &err));
	ck_assert_str_eq(zone_error_str(&err, out, sizeof out),
	    "nonexistent.zone: no such file in the store");
}
END_TEST

/* A 60 KB TXT RRset loads; over 65535 octets of rdata fails clearly. */
START_TEST(test_huge_txt)
{
	struct zone		*z;
	const struct rrset	*rs;
	char			*s, ebuf[1200];
	size_t			 i, len;

	s = xmalloc(300000);
	len = snprintf(s, 300000, "$TTL 60\n" SOA_RR "big TXT (\n");
	for (i = 0; i < 235; i++) {
		s[len++] = '"';
		memset(s + len, 'a' + i % 26, 255);
		len += 255;
		len += snprintf(s + len, 300000 - len, "\"\n");
	}
	snprintf(s + len, 300000 - len, ")\n");
	write_file("big.zone", s);
	z = load_tmp("example.com.", "big.zone", ebuf, sizeof ebuf);
	ck_assert_msg(z != NULL, "%s", ebuf);
	rs = find(z, "big.example.com.", 16);
	ck_assert_uint_eq(rs->nrdata, 1);
	ck_assert_uint_eq(rs->rdata[0].len, 235 * 256);
	ck_assert_uint_eq(strlen(rs->rdata[0].text), 235 * 258 - 1);
	zone_free(z);

	/* 257 strings: more than ldns takes */
	for (i = 235; i < 257; i++) {
		s[len++] = '"';
		memset(s + len, 'b', 255);
		len += 255;
		len += snprintf(s + len, 300000 - len, "\"\n");
	}
	snprintf(s + len, 300000 - len, ")\n");
	write_file("big.zone", s);
	ck_assert_ptr_null(load_tmp("example.com.", "big.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf,
	    "big.zone:3: bad TXT rdata: more than 255 character strings");

	snprintf(s, 300000, "$TTL 60\n" SOA_RR "big TXT \"%0256d\"\n", 0);
	write_file("big.zone", s);
	ck_assert_ptr_null(load_tmp("example.com.", "big.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf, "big.zone:3: bad TXT rdata: character string "
	    "of 256 octets (more than 255)");
	free(s);
}
END_TEST

/* top + n levels of $INCLUDE */
static void
write_chain(int n)
{
	char	name[128], body[256];
	int	i;

	snprintf(body, sizeof body, "$TTL 60\n" SOA_RR
	    "$INCLUDE inc/l1.zone\n");
	write_file("top.zone", body);
	snprintf(name, sizeof name, "%s/inc", tmpdir);
	mkdir(name, 0700);
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof name, "inc/l%d.zone", i);
		if (i < n)
			snprintf(body, sizeof body, "h%d A 192.0.2.%d\n"
			    "$INCLUDE ./inc/l%d.zone\n", i, i, i + 1);
		else
			snprintf(body, sizeof body, "h%d A 192.0.2.%d\n", i, i);
		write_file(name, body);
	}
}

START_TEST(test_include_depth)
{
	struct zone	*z;
	char		 ebuf[1200];

	write_chain(ZONE_INCLUDE_DEPTH);
	z = load_tmp("example.com.", "top.zone", ebuf, sizeof ebuf);
	ck_assert_msg(z != NULL, "%s", ebuf);
	ck_assert_uint_eq(z->nrrsets, ZONE_INCLUDE_DEPTH + 1);
	find(z, "h16.example.com.", 1);
	zone_free(z);

	write_chain(ZONE_INCLUDE_DEPTH + 1);
	ck_assert_ptr_null(load_tmp("example.com.", "top.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf,
	    "inc/l16.zone:2: $INCLUDE nested deeper than 16 levels");
}
END_TEST

START_TEST(test_include_loop_escape)
{
	char	ebuf[1200], link[1024];

	write_file("a.zone", "$TTL 60\n" SOA_RR "$INCLUDE b.zone\n");
	write_file("b.zone", "\n$INCLUDE a.zone\n");
	ck_assert_ptr_null(load_tmp("example.com.", "a.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf, "b.zone:2: include loop: a.zone -> b.zone -> "
	    "a.zone");

	write_file("c.zone", "$TTL 60\n" SOA_RR "$INCLUDE x/../../c.zone\n");
	ck_assert_ptr_null(load_tmp("example.com.", "c.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf, "c.zone:3: include escapes the store: "
	    "x/../../c.zone");

	/* a symbolic link out of the store is refused by the source */
	snprintf(link, sizeof link, "%s/out.zone", tmpdir);
	ck_assert_int_eq(symlink(GOOD "/minimal.zone", link), 0);
	write_file("d.zone", "$TTL 60\n" SOA_RR "$INCLUDE out.zone\n");
	ck_assert_ptr_null(load_tmp("example.com.", "d.zone", ebuf,
	    sizeof ebuf));
	ck_assert_str_eq(ebuf, "d.zone:3: $INCLUDE out.zone: include escapes "
	    "the store");
}
END_TEST

/* A source that is not a directory, as a git tree would be. */
static int
mem_read(void *arg, const char *path, char **buf, size_t *len,
    struct zone_error *err)
{
	const char	**files = arg;
	size_t		  i;

	for (i = 0; files[i] != NULL; i += 2) {
		if (strcmp(files[i], path) == 0) {
			*buf = xstrdup(files[i + 1]);
			*len = strlen(*buf);
			return (0);
		}
	}
	zone_error_set(err, path, 0, "not in the tree");
	return (-1);
}

START_TEST(test_source)
{
	static const char	*files[] = {
		"zones/x.zone", "$TTL 60\n" SOA_RR
		    "$INCLUDE ./zones/sub/../inc.zone\n"
		    "$INCLUDE zones/nope.zone\n",
		"zones/inc.zone", "www A 192.0.2.1\n",
		NULL
	};
	struct zone_source	 src;
	struct zone_error	 err;
	char			 buf[1200];

	src.read = mem_read;
	src.arg = files;
	ck_assert_ptr_null(zone_load(&src, "example.com.", "zones/x.zone",
	    &err));
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "zones/x.zone:4: $INCLUDE zones/nope.zone: not in the tree");
	ck_assert_ptr_null(zone_load(&src, "example.com.", "zones/y.zone",
	    &err));
	ck_assert_str_eq(zone_error_str(&err, buf, sizeof buf),
	    "zones/y.zone: not in the tree");
}
END_TEST

START_TEST(test_ttl_rules)
{
	struct zone	*z;
	char		 ebuf[1200];

	/* no $TTL: previous record's TTL, across blank owners; CRLF */
	write_file("t.zone", "@ 100 IN SOA a. b. 1 2 3 4 5\r\n"
	    "\tNS ns.example.net.\r\n"
	    "www 200 A 192.0.2.1\r\n"
	    "mail A 192.0.2.2\r\n"
	    "$TTL 1w\r\n"
	    "ftp A 192.0.2.3\r\n"
	    "sig 30 RRSIG A 8 3 30 20300101000000 20200101000000 1 "
	    "example.com. AAAA\r\n"
	    "sig 20 RRSIG TXT 8 3 20 20300101000000 20200101000000 1 "
	    "example.com. AAAA\r\n");
	z = load_tmp("EXAMPLE.COM.", "t.zone", ebuf, sizeof ebuf);
	ck_assert_msg(z != NULL, "%s", ebuf);
	ck_assert_uint_eq(find(z, "example.com.", 2)->ttl, 100);
	ck_assert_uint_eq(find(z, "www.example.com.", 1)->ttl, 200);
	ck_assert_uint_eq(find(z, "mail.example.com.", 1)->ttl, 200);
	ck_assert_uint_eq(find(z, "ftp.example.com.", 1)->ttl, 604800);
	ck_assert_uint_eq(find(z, "sig.example.com.", 46)->ttl, 20);
	zone_free(z);
}
END_TEST

/* A generated zone of 100k RRsets; timing is measured by bench. */
START_TEST(test_large)
{
	struct zone	*z;
	FILE		*fp;
	char		 p[1024], ebuf[1200];
	int		 i;

	snprintf(p, sizeof p, "%s/large.zone", tmpdir);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "$TTL 300\n" SOA_RR "@ NS ns1.example.net.\n");
	for (i = 0; i < 100000; i++) {
		if (i % 3 == 0)
			fprintf(fp, "h%d A 10.%d.%d.%d\n", i, i >> 16,
			    (i >> 8) & 255, i & 255);
		else if (i % 3 == 1)
			fprintf(fp, "h%d MX 10 mail%d.example.net.\n", i, i);
		else
			fprintf(fp, "h%d TXT \"v=%d\"\n", i, i);
	}
	ck_assert_int_eq(fclose(fp), 0);
	z = load_tmp("example.com.", "large.zone", ebuf, sizeof ebuf);
	ck_assert_msg(z != NULL, "%s", ebuf);
	ck_assert_uint_eq(z->nrrsets, 100002);
	ck_assert_uint_eq(zone_count_rrs(z), 100002);
	ck_assert_str_eq(find(z, "h99998.example.com.", 16)->rdata[0].text,
	    "\"v=99998\"");
	ck_assert_str_eq(find(z, "h4.example.com.", 15)->rdata[0].text,
	    "10 mail4.example.net.");
	for (i = 0; i + 1 < 1000; i++)
		ck_assert_int_lt(rrset_cmp_key(&z->rrsets[i],
		    &z->rrsets[i + 1]), 0);
	zone_free(z);
}
END_TEST

/* Every bad/NAME.zone must fail with exactly the line in NAME.err. */
START_TEST(test_bad_corpus)
{
	DIR			*d;
	struct dirent		*de;
	struct zone		*z;
	struct zone_error	 err;
	char			 path[1024], want[1200], got[1200];
	size_t			 len, n = 0;
	FILE			*fp;

	d = opendir(BAD);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".zone") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%.*s.err", BAD, (int)len - 5,
		    de->d_name);
		fp = fopen(path, "r");
		ck_assert_msg(fp != NULL, "%s: no .err file", de->d_name);
		ck_assert_ptr_nonnull(fgets(want, sizeof want, fp));
		fclose(fp);
		want[strcspn(want, "\n")] = '\0';

		snprintf(path, sizeof path, "%s/%s", BAD, de->d_name);
		z = zone_load_file("example.com.", path, &err);
		ck_assert_msg(z == NULL, "%s loaded but must fail with: %s",
		    de->d_name, want);
		zone_error_str(&err, got, sizeof got);
		ck_assert_msg(strcmp(got, want) == 0,
		    "%s:\n  want: %s\n  got:  %s", de->d_name, want, got);
		n++;
	}
	closedir(d);
	ck_assert_uint_ge(n, 35);
}
END_TEST

static Suite *
zone_suite(void)
{
	Suite	*s;
	TCase	*tc, *tf;

	s = suite_create("zone");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_example);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_canonical_order);
	tcase_add_test(tc, test_rdata_sort);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_dup_clear);
	tcase_add_test(tc, test_builder_rules);
	tcase_add_test(tc, test_misc);
	tcase_add_test(tc, test_source);
	tcase_add_test(tc, test_bad_corpus);
	suite_add_tcase(s, tc);

	tf = tcase_create("files");
	tcase_set_timeout(tf, 120);
	tcase_add_checked_fixture(tf, tmp_setup, tmp_teardown);
	tcase_add_test(tf, test_huge_txt);
	tcase_add_test(tf, test_include_depth);
	tcase_add_test(tf, test_include_loop_escape);
	tcase_add_test(tf, test_ttl_rules);
	tcase_add_test(tf, test_large);
	suite_add_tcase(s, tf);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(zone_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
