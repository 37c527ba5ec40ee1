/*
 * zone-bench.c: how fast the zone model loads and diffs a large zone.
 *
 * Writes a zone of COUNT RRsets (plus SOA and apex NS) to a temporary
 * directory, writes a copy with 1 % of the RRsets mutated (a third changed,
 * a third deleted, a third added), loads and validates both with
 * zone_load_file(), diffs them, checks the changeset against the mutations
 * made, and prints wall time and memory for each step and PASS/MISS
 * against the targets.  Exits 0 unless something actually failed.
 *
 * usage: zone-bench [-k] [-n COUNT]
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "diff.h"
#include "log.h"
#include "xmalloc.h"
#include "zone.h"

#define BENCH_ORIGIN		"bench.example."
#define BENCH_DEFAULT_COUNT	100000
#define BENCH_MUTATE_EVERY	100		/* 1 % */
#define BENCH_DIFF_REPEAT	5

#define TARGET_LOAD_S		1.0		/* load + validate */
#define TARGET_DIFF_MS		100.0
#define TARGET_RSS_MB		150.0

enum bench_mut {
	BENCH_MUT_NONE,
	BENCH_MUT_CHANGE,
	BENCH_MUT_DELETE,
	BENCH_MUT_ADD,
};

struct bench_counts {
	size_t	rrsets;		/* in the file, SOA and apex NS included */
	size_t	rrs;
	size_t	changed, deleted, added;
};

struct bench_step {
	const char	*name;
	double		 ms;
	long		 rss_kb;	/* resident after the step */
	long		 peak_kb;	/* peak during the step */
	char		 note[128];
};

static struct bench_step	 steps[16];
static size_t			 nsteps;
static int			 hwm_resettable;
static long			 peak_overall_kb;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: zone-bench [-k] [-n COUNT]\n");
	exit(2);
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

/* One field of /proc/self/status in kB, -1 if there is none. */
static long
proc_status_kb(const char *field)
{
	FILE	*f;
	char	 line[256];
	size_t	 len = strlen(field);
	long	 v = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return (v);
}

static long
peak_kb(void)
{
	struct rusage	ru;
	long		v;

	if ((v = proc_status_kb("VmHWM")) >= 0)
		return (v);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		return (ru.ru_maxrss);
	return (-1);
}

/* Reset the peak RSS to the current RSS (Linux >= 4.0), so it is per step. */
static void
peak_reset(void)
{
	FILE	*f;

	if (!hwm_resettable)
		return;
	if ((f = fopen("/proc/self/clear_refs", "w")) == NULL) {
		hwm_resettable = 0;
		return;
	}
	if (fputs("5", f) == EOF)
		hwm_resettable = 0;
	if (fclose(f) != 0)
		hwm_resettable = 0;
}

static double
step_begin(void)
{
	peak_reset();
	return (now_ms());
}

static struct bench_step *
step_end(const char *name, double start)
{
	struct bench_step	*s;

	if (nsteps == sizeof(steps) / sizeof(steps[0]))
		fatalx("bench", "too many steps");
	s = &steps[nsteps++];
	s->name = name;
	s->ms = now_ms() - start;
	s->rss_kb = proc_status_kb("VmRSS");
	s->peak_kb = peak_kb();
	if (s->peak_kb > peak_overall_kb)
		peak_overall_kb = s->peak_kb;
	s->note[0] = '\0';
	return (s);
}

/* What happens to entry i in the mutated copy. */
static enum bench_mut
bench_mutation(size_t i)
{
	size_t	block = i / BENCH_MUTATE_EVERY;

	/*
	 * One entry in each block of 100, at a position that moves from block
	 * to block (37 is prime to 10) so that every record type is hit.
	 */
	if (i % BENCH_MUTATE_EVERY != (block * 37) % BENCH_MUTATE_EVERY)
		return (BENCH_MUT_NONE);
	switch (block % 3) {
	case 0:
		return (BENCH_MUT_CHANGE);
	case 1:
		return (BENCH_MUT_DELETE);
	default:
		return (BENCH_MUT_ADD);
	}
}

/*
 * Write the RRset for entry i.  `v` selects a variant of the data (the
 * "changed" form), `prefix` the owner's first label ("h" or "add").
 * Types cycle A, A, A, AAAA, AAAA, CNAME, MX, TXT, SRV, CAA; some RRsets
 * hold several records.  Returns the number of records written.
 */
static size_t
bench_write_entry(FILE *f, const char *prefix, size_t i, int v)
{
	char		owner[128];
	unsigned	a = (unsigned)(i >> 16) & 0xff, b = (unsigned)(i >> 8) & 0xff,
			c = (unsigned)i & 0xff;
	unsigned	ttl = 300;
	unsigned long	ul = (unsigned long)i;

	/* A change is in the rdata, or for every other one only in the TTL. */
	if (v && (i / BENCH_MUTATE_EVERY) % 2 == 0) {
		ttl = 600;
		v = 0;
	}
	snprintf(owner, sizeof(owner), "%s%lu.d%lu." BENCH_ORIGIN, prefix, ul,
	    ul / 1000);
	switch (i % 10) {
	case 0:
	case 1:
	case 2:
		fprintf(f, "%s %u IN A %d.%u.%u.%u\n", owner, ttl, 10 + v, a,
		    b, c);
		if (i % 3 != 0)
			return (1);
		fprintf(f, "%s %u IN A 172.%u.%u.%u\n", owner, ttl, 16 + v,
		    b, c);
		return (2);
	case 3:
	case 4:
		fprintf(f, "%s %u IN AAAA 2001:db8:%x:%x::%x\n", owner, ttl,
		    (unsigned)v, (unsigned)(i >> 16), (unsigned)(i & 0xffff));
		return (1);
	case 5:
		fprintf(f, "%s %u IN CNAME target%lu-%d.cdn.example.net.\n",
		    owner, ttl, ul, v);
		return (1);
	case 6:
		fprintf(f, "%s %u IN MX %d mx1.d%lu.mail.example.net.\n", owner,
		    ttl, 10 + v, ul / 1000);
		fprintf(f, "%s %u IN MX 20 mx2.mail.example.net.\n", owner,
		    ttl);
		return (2);
	case 7:
		fprintf(f, "%s %u IN TXT \"v=spf1 ip4:10.%u.%u.0/24 -all\" "
		    "\"entry %lu rev %d\"\n", owner, ttl, b, c, ul, v);
		return (1);
	case 8:
		fprintf(f, "_sip._tcp.%s %u IN SRV 10 %d 5060 sip%lu.example.net.\n",
		    owner, ttl, 60 + v, ul);
		return (1);
	default:
		fprintf(f, "%s %u IN CAA 0 issue \"ca%d.example.net\"\n", owner,
		    ttl, v);
		fprintf(f, "%s %u IN CAA 0 iodef \"mailto:sec@example.com\"\n",
		    owner, ttl);
		return (2);
	}
}

static void
bench_write_zone(const char *path, size_t n, int mutated,
    struct bench_counts *bc)
{
	FILE		*f;
	size_t		 i;
	enum bench_mut	 m;

	memset(bc, 0, sizeof(*bc));
	if ((f = fopen(path, "w")) == NULL)
		fatal("bench", "%s", path);
	fprintf(f, "; zone-bench: %zu RRsets%s\n", n,
	    mutated ? ", 1 % mutated" : "");
	fprintf(f, BENCH_ORIGIN " 3600 IN SOA ns1.dns-a.example.net. "
	    "hostmaster.example.com. 2024010101 7200 900 1209600 300\n");
	fprintf(f, BENCH_ORIGIN " 3600 IN NS ns1.dns-a.example.net.\n");
	fprintf(f, BENCH_ORIGIN " 3600 IN NS ns1.dns-b.example.org.\n");
	bc->rrsets = 2;
	bc->rrs = 3;
	for (i = 0; i < n; i++) {
		m = mutated ? bench_mutation(i) : BENCH_MUT_NONE;
		switch (m) {
		case BENCH_MUT_DELETE:
			bc->deleted++;
			continue;
		case BENCH_MUT_CHANGE:
			bc->changed++;
			break;
		case BENCH_MUT_ADD:
			bc->added++;
			bc->rrs += bench_write_entry(f, "add", i, 0);
			bc->rrsets++;
			break;
		case BENCH_MUT_NONE:
			break;
		}
		bc->rrs += bench_write_entry(f, "h", i, m == BENCH_MUT_CHANGE);
		bc->rrsets++;
	}
	if (ferror(f) || fclose(f) != 0)
		fatal("bench", "write %s", path);
}

static struct zone *
bench_load(const char *path, const struct bench_counts *bc)
{
	struct zone		*z;
	struct zone_error	 err;
	char			 buf[1200];

	memset(&err, 0, sizeof(err));
	if ((z = zone_load_file(BENCH_ORIGIN, path, &err)) == NULL) {
		log_warnx("bench", "load failed: %s",
		    zone_error_str(&err, buf, sizeof(buf)));
		return (NULL);
	}
	if (z->nrrsets != bc->rrsets || zone_count_rrs(z) != bc->rrs) {
		log_warnx("bench", "%s: loaded %zu RRsets / %zu RRs, wrote "
		    "%zu / %zu", path, z->nrrsets, zone_count_rrs(z),
		    bc->rrsets, bc->rrs);
		zone_free(z);
		return (NULL);
	}
	return (z);
}

/* The changeset must be exactly the mutations made, in zone order. */
static int
bench_check(const struct changeset *cs, const struct bench_counts *bc)
{
	const struct change	*c;
	const struct rrset	*rs, *prev = NULL;
	size_t			 i;
	int			 added;

	if (cs->ncreate != bc->added || cs->nupdate != bc->changed ||
	    cs->ndelete != bc->deleted ||
	    cs->nchanges != bc->added + bc->changed + bc->deleted) {
		log_warnx("bench", "diff found %zu create / %zu update / %zu "
		    "delete, expected %zu / %zu / %zu", cs->ncreate,
		    cs->nupdate, cs->ndelete, bc->added, bc->changed,
		    bc->deleted);
		return (-1);
	}
	for (i = 0; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		rs = c->new != NULL ? c->new : c->old;
		if (prev != NULL && rrset_cmp_key(prev, rs) >= 0) {
			log_warnx("bench", "change %zu (%s) out of zone order",
			    i, rs->owner);
			return (-1);
		}
		prev = rs;
		/* Only the added entries are created, and nothing else. */
		added = strncmp(rs->owner, "add", 3) == 0 ||
		    strstr(rs->owner, "._tcp.add") != NULL;
		if (added != (c->op == CHANGE_CREATE)) {
			log_warnx("bench", "unexpected %s of %s",
			    change_op_name(c->op), rs->owner);
			return (-1);
		}
	}
	return (0);
}

static void
bench_print(size_t n, const struct bench_counts *orig,
    const struct bench_counts *mut, double load_ms, double diff_ms,
    double diff_best_ms)
{
	size_t	i;
	double	peak_mb = (double)peak_overall_kb / 1024.0;

	printf("zone-bench: %zu RRsets (+ SOA and apex NS), %zu RRs; "
	    "mutated copy: %zu changed, %zu deleted, %zu added\n\n", n,
	    orig->rrs, mut->changed, mut->deleted, mut->added);
	printf("%-28s %11s %11s %11s  %s\n", "step", "wall", "RSS after",
	    hwm_resettable ? "step peak" : "peak so far", "notes");
	for (i = 0; i < nsteps; i++) {
		printf("%-28s %8.1f ms %8.1f MB %8.1f MB  %s\n", steps[i].name,
		    steps[i].ms, (double)steps[i].rss_kb / 1024.0,
		    (double)steps[i].peak_kb / 1024.0, steps[i].note);
	}
	printf("\n%-28s %14s %14s  %s\n", "target", "measured", "limit",
	    "result");
	printf("%-28s %11.3f s  %11.3f s   %s\n", "load + validate (original)",
	    load_ms / 1e3, TARGET_LOAD_S,
	    load_ms / 1e3 <= TARGET_LOAD_S ? "PASS" : "MISS");
	printf("%-28s %11.2f ms %11.2f ms  %s (best of %d: %.2f ms)\n",
	    "diff", diff_ms, TARGET_DIFF_MS,
	    diff_ms <= TARGET_DIFF_MS ? "PASS" : "MISS", BENCH_DIFF_REPEAT,
	    diff_best_ms);
	printf("%-28s %11.1f MB %11.1f MB  %s\n", "peak RSS (whole run)",
	    peak_mb, TARGET_RSS_MB, peak_mb <= TARGET_RSS_MB ? "PASS" : "MISS");
}

int
main(int argc, char **argv)
{
	struct bench_counts	 orig, mut;
	struct bench_step	*s;
	struct zone		*zo = NULL, *zm = NULL;
	struct changeset	 cs;
	struct diff_opts	 opts;
	struct stat		 st;
	const char		*tmp, *errstr;
	char			*dir, *po, *pm;
	double			 t, load_ms, diff_ms, best, x;
	long long		 ll;
	size_t			 n = BENCH_DEFAULT_COUNT;
	int			 ch, keep = 0, rv = 1, i;

	log_init(LOG_LEVEL_WARN, "zone-bench");
	while ((ch = getopt(argc, argv, "kn:")) != -1) {
		switch (ch) {
		case 'k':
			keep = 1;
			break;
		case 'n':
			errno = 0;
			errstr = NULL;
			ll = strtoll(optarg, NULL, 10);
			if (errno != 0 || ll < 1 || ll > 100000000LL)
				errstr = "out of range";
			if (strspn(optarg, "0123456789") != strlen(optarg))
				errstr = "not a number";
			if (errstr != NULL)
				fatalx("bench", "count %s: %s", optarg, errstr);
			n = (size_t)ll;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&dir, "%s/zone-bench.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		fatal("bench", "mkdtemp %s", dir);
	xasprintf(&po, "%s/original.zone", dir);
	xasprintf(&pm, "%s/mutated.zone", dir);
	hwm_resettable = access("/proc/self/clear_refs", W_OK) == 0;

	t = step_begin();
	bench_write_zone(po, n, 0, &orig);
	s = step_end("write original", t);
	if (stat(po, &st) == 0)
		snprintf(s->note, sizeof(s->note), "%.1f MB file",
		    (double)st.st_size / 1048576.0);

	t = step_begin();
	bench_write_zone(pm, n, 1, &mut);
	s = step_end("write mutated copy", t);
	if (stat(pm, &st) == 0)
		snprintf(s->note, sizeof(s->note), "%.1f MB file",
		    (double)st.st_size / 1048576.0);

	t = step_begin();
	zo = bench_load(po, &orig);
	s = step_end("load + validate original", t);
	if (zo == NULL)
		goto out;
	load_ms = s->ms;
	snprintf(s->note, sizeof(s->note), "%zu RRsets, %zu RRs", zo->nrrsets,
	    zone_count_rrs(zo));

	t = step_begin();
	zm = bench_load(pm, &mut);
	s = step_end("load + validate mutated", t);
	if (zm == NULL)
		goto out;
	snprintf(s->note, sizeof(s->note), "%zu RRsets, %zu RRs", zm->nrrsets,
	    zone_count_rrs(zm));

	/* The apex NS is managed (and equal), so it takes part in the merge. */
	memset(&opts, 0, sizeof(opts));
	opts.apex_ns = zone_find(zm, BENCH_ORIGIN, LDNS_RR_TYPE_NS);
	if (opts.apex_ns == NULL) {
		log_warnx("bench", "no apex NS in the mutated zone");
		goto out;
	}
	t = step_begin();
	if (diff_zones(zm, zo, &opts, &cs) != 0) {
		log_warnx("bench", "diff failed");
		goto out;
	}
	s = step_end("diff", t);
	diff_ms = s->ms;
	snprintf(s->note, sizeof(s->note), "%zu create, %zu update, %zu delete",
	    cs.ncreate, cs.nupdate, cs.ndelete);
	if (bench_check(&cs, &mut) != 0) {
		changeset_free(&cs);
		goto out;
	}
	changeset_free(&cs);

	/* Warm repeats, for the best case. */
	best = diff_ms;
	for (i = 0; i < BENCH_DIFF_REPEAT; i++) {
		t = now_ms();
		if (diff_zones(zm, zo, &opts, &cs) != 0)
			fatalx("bench", "diff failed on repeat");
		x = now_ms() - t;
		if (x < best)
			best = x;
		changeset_free(&cs);
	}

	t = step_begin();
	zone_free(zm);
	zone_free(zo);
	zm = zo = NULL;
	step_end("free both zones", t);

	bench_print(n, &orig, &mut, load_ms, diff_ms, best);
	rv = 0;
out:
	zone_free(zm);
	zone_free(zo);
	if (keep || rv != 0)
		printf("\nfiles kept in %s\n", dir);
	else {
		if (unlink(po) != 0 || unlink(pm) != 0 || rmdir(dir) != 0)
			log_warn("bench", "cleaning up %s", dir);
	}
	free(po);
	free(pm);
	free(dir);
	return (rv);
}
