/*
 * sync-bench.c: how fast a zone syncs to a real PowerDNS through its API.
 *
 * Against the PowerDNS of the lab (bench/sync-bench.sh starts it and sets
 * PDNS_API_URL and PDNS_API_KEY_FILE), with the real provider backend:
 *   1. first full sync of a COUNT-RRset zone: fetch, diff, apply;
 *   2. a re-plan with nothing changed: fetch, diff (must be 0 changes);
 *   3. a 1 % change: fetch, diff, apply, then a check that it converged.
 * Prints wall time, API calls and peak RSS for each step.  Exits non-zero
 * only when something actually failed (an error, or a sync that did not
 * converge).
 *
 * usage: sync-bench [-n COUNT] [-z ZONE]
 */
#include "autoconf.h"

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "config.h"
#include "diff.h"
#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "zone.h"

#define DEFAULT_COUNT	10000

struct bench {
	struct event_base	*base;
	struct provider		*p;
	struct zone		*fetched;
	struct apply_result	 result;
	int			 done;
	int			 status;
	char			 error[512];
};

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

static long
peak_rss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

static void
fetch_cb(struct provider *p, int status, const char *error, struct zone *z,
    void *arg)
{
	struct bench	*b = arg;

	(void)p;
	b->status = status;
	b->fetched = z;
	snprintf(b->error, sizeof(b->error), "%s", error != NULL ? error : "");
	b->done = 1;
}

static void
apply_cb(struct provider *p, const struct apply_result *r, void *arg)
{
	struct bench	*b = arg;
	size_t		 i;

	(void)p;
	b->status = 0;
	b->result.api_calls = r->api_calls;
	for (i = 0; i < r->nchanges; i++) {
		if (r->results[i] != CHANGE_RESULT_OK) {
			b->status = -1;
			snprintf(b->error, sizeof(b->error), "%s",
			    r->errors[i] != NULL ? r->errors[i] : "not applied");
			break;
		}
	}
	b->done = 1;
}

static void
bench_wait(struct bench *b)
{
	while (!b->done)
		event_base_loop(b->base, EVLOOP_ONCE);
	b->done = 0;
}

static struct zone *
bench_fetch(struct bench *b, const char *origin)
{
	char	err[512];

	b->fetched = NULL;
	if (b->p->ops->fetch(b->p, origin, fetch_cb, b, err, sizeof(err)) == -1)
		fatalx("bench", "fetch: %s", err);
	bench_wait(b);
	if (b->status != 0)
		fatalx("bench", "fetch: %s", b->error);
	return (b->fetched);
}

static size_t
bench_apply(struct bench *b, const char *origin, const struct changeset *cs)
{
	char	err[512];

	if (b->p->ops->apply(b->p, origin, cs, apply_cb, b, err,
	    sizeof(err)) == -1)
		fatalx("bench", "apply: %s", err);
	bench_wait(b);
	if (b->status != 0)
		fatalx("bench", "apply: %s", b->error);
	return (b->result.api_calls);
}

/* The desired zone: SOA, apex NS and n RRsets of several types. */
static struct zone *
bench_zone(const char *origin, size_t n, int variant)
{
	struct zone		*z = zone_new(origin);
	struct zone_error	 err;
	char			 owner[300], rdata[300];
	size_t			 i;
	uint16_t		 type;

	if (zone_add_rr_text(z, origin, LDNS_RR_TYPE_SOA, 3600,
	    "ns1.pdns.lab. hostmaster.bench.example. 1 7200 900 1209600 300",
	    &err) == -1 ||
	    zone_add_rr_text(z, origin, LDNS_RR_TYPE_NS, 3600,
	    "ns1.pdns.lab.", &err) == -1)
		fatalx("bench", "%s", err.msg);
	for (i = 0; i < n; i++) {
		/* Variant 1 changes every 100th RRset: the 1 % change. */
		int	v = (variant && i % 100 == 0) ? 1 : 0;

		snprintf(owner, sizeof(owner), "h%zu.%s", i, origin);
		switch (i % 5) {
		case 0:
			type = LDNS_RR_TYPE_A;
			snprintf(rdata, sizeof(rdata), "10.%zu.%zu.%d",
			    (i >> 16) & 255, (i >> 8) & 255, (int)(i & 255) ^ v);
			break;
		case 1:
			type = LDNS_RR_TYPE_AAAA;
			snprintf(rdata, sizeof(rdata), "2001:db8::%zx:%x", i, v);
			break;
		case 2:
			type = LDNS_RR_TYPE_TXT;
			snprintf(rdata, sizeof(rdata), "\"record %zu v%d\"", i, v);
			break;
		case 3:
			type = LDNS_RR_TYPE_MX;
			snprintf(rdata, sizeof(rdata), "%d mail%zu.%s", 10 + v, i,
			    origin);
			break;
		default:
			type = LDNS_RR_TYPE_CNAME;
			snprintf(rdata, sizeof(rdata), "target%zu-%d.%s", i, v,
			    origin);
			break;
		}
		if (zone_add_rr_text(z, owner, type, 300, rdata, &err) == -1)
			fatalx("bench", "%s: %s", owner, err.msg);
	}
	if (zone_finish(z, &err) == -1)
		fatalx("bench", "%s", err.msg);
	return (z);
}

static void
row(const char *step, double ms, size_t changes, size_t calls)
{
	printf("%-34s %10.1f %9zu %9zu %10ld\n", step, ms, changes, calls,
	    peak_rss_kb() / 1024);
}

int
main(int argc, char **argv)
{
	struct bench		 b;
	struct provider_conf	 pc;
	struct config_kv	 kv[3];
	struct http		*http;
	struct zone		*desired, *changed, *actual;
	struct changeset	 cs;
	struct diff_opts	 opts;
	const char		*url, *keyfile, *origin = "bench.example.";
	char			 err[512];
	size_t			 n = DEFAULT_COUNT, calls;
	double			 t0;
	int			 ch;

	while ((ch = getopt(argc, argv, "n:z:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'z':
			origin = optarg;
			break;
		default:
			fprintf(stderr, "usage: sync-bench [-n COUNT] "
			    "[-z ZONE]\n");
			return (2);
		}
	}
	if ((url = getenv("PDNS_API_URL")) == NULL ||
	    (keyfile = getenv("PDNS_API_KEY_FILE")) == NULL) {
		fprintf(stderr, "sync-bench: PDNS_API_URL and "
		    "PDNS_API_KEY_FILE must be set (bench/sync-bench.sh "
		    "starts the lab and sets them)\n");
		return (2);
	}
	log_init(LOG_LEVEL_WARN, "sync-bench");

	memset(&b, 0, sizeof(b));
	b.base = event_base_new();
	http = http_new(b.base);
	memset(&pc, 0, sizeof(pc));
	pc.name = (char *)"pdns";
	pc.type = (char *)"powerdns";
	pc.timeout = 60;
	pc.max_concurrency = 4;
	kv[0].key = (char *)"url";
	kv[0].value = (char *)url;
	kv[1].key = (char *)"api-key-file";
	kv[1].value = (char *)keyfile;
	kv[2].key = (char *)"nameservers";
	kv[2].value = (char *)"ns1.pdns.lab. ns2.pdns.lab.";
	pc.opts = kv;
	pc.nopts = 3;
	if ((b.p = provider_new(&pc, b.base, http, err, sizeof(err))) == NULL)
		fatalx("bench", "%s", err);

	desired = bench_zone(origin, n, 0);
	changed = bench_zone(origin, n, 1);
	memset(&opts, 0, sizeof(opts));

	printf("sync-bench: %zu RRsets to PowerDNS at %s\n\n", n, url);
	printf("%-34s %10s %9s %9s %10s\n", "step", "ms", "changes",
	    "API calls", "peak MB");

	/* 1. First full sync. */
	t0 = now_ms();
	actual = bench_fetch(&b, origin);
	if (diff_zones(desired, actual, &opts, &cs) == -1)
		fatalx("bench", "diff failed");
	calls = 1 + bench_apply(&b, origin, &cs);
	row("first full sync", now_ms() - t0, cs.nchanges, calls);
	if (cs.nchanges < n)
		fatalx("bench", "first sync planned %zu changes, expected at "
		    "least %zu (was the zone not empty?)", cs.nchanges, n);
	changeset_free(&cs);
	zone_free(actual);

	/* 2. No-change re-plan. */
	t0 = now_ms();
	actual = bench_fetch(&b, origin);
	if (diff_zones(desired, actual, &opts, &cs) == -1)
		fatalx("bench", "diff failed");
	row("no-change re-plan", now_ms() - t0, cs.nchanges, 1);
	if (cs.nchanges != 0)
		fatalx("bench", "re-plan after a full sync found %zu changes",
		    cs.nchanges);
	changeset_free(&cs);
	zone_free(actual);

	/* 3. A 1 % change. */
	t0 = now_ms();
	actual = bench_fetch(&b, origin);
	if (diff_zones(changed, actual, &opts, &cs) == -1)
		fatalx("bench", "diff failed");
	calls = 1 + bench_apply(&b, origin, &cs);
	row("1 % change (fetch, diff, apply)", now_ms() - t0, cs.nchanges,
	    calls);
	if (cs.nchanges != (n + 99) / 100)
		fatalx("bench", "1 %% change planned %zu changes, expected %zu",
		    cs.nchanges, (n + 99) / 100);
	changeset_free(&cs);
	zone_free(actual);

	actual = bench_fetch(&b, origin);
	if (diff_zones(changed, actual, &opts, &cs) == -1 || cs.nchanges != 0)
		fatalx("bench", "the 1 %% change did not converge");
	changeset_free(&cs);
	zone_free(actual);
	printf("\nconverged: a final re-plan finds 0 changes\n");

	zone_free(desired);
	zone_free(changed);
	provider_free(b.p);
	http_free(http);
	event_base_free(b.base);
	return (0);
}
