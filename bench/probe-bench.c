/*
 * probe-bench: queries per second of the prober's query path (dnsio: a
 * fresh connected UDP socket per query, random id, EDNS0, answer checks)
 * against one DNS server, from one thread on one core.
 *
 *   probe-bench -s ADDR[:PORT] [-z ZONE] [-t SECONDS] [-c IN_FLIGHT]
 *
 * Sends SOA queries for ZONE (default example.lab.) without RD, keeping
 * IN_FLIGHT (default 100) queries outstanding for SECONDS (default 5),
 * and prints "probe-bench: N answers in S s: Q queries/s (F failed)".
 * bench/probe-bench.sh runs it beside dnsperf against the lab's Knot.
 */
#include "autoconf.h"

#include <sys/time.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dnsio.h"
#include "log.h"

struct bench {
	struct event_base	*base;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*zone;
	struct dnsio_opts	 opts;
	uint64_t		 deadline_ns;
	uint64_t		 answers;
	uint64_t		 failed;
	unsigned		 inflight;
	int			 stop;
};

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static void	bench_send(struct bench *);

static void
bench_cb(int status, ldns_pkt *answer, const struct dnsio_stats *st,
    void *arg)
{
	struct bench	*b = arg;

	(void)st;
	b->inflight--;
	if (status == DNSIO_OK && answer != NULL &&
	    ldns_pkt_get_rcode(answer) == LDNS_RCODE_NOERROR)
		b->answers++;
	else
		b->failed++;
	if (!b->stop && now_ns() >= b->deadline_ns)
		b->stop = 1;
	if (!b->stop)
		bench_send(b);
	else if (b->inflight == 0)
		event_base_loopbreak(b->base);
}

static void
bench_send(struct bench *b)
{
	char	err[256];

	if (dnsio_query_name(b->base, (struct sockaddr *)&b->ss, b->sslen,
	    b->zone, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0, &b->opts, bench_cb,
	    b, err, sizeof(err)) == NULL) {
		fprintf(stderr, "probe-bench: %s\n", err);
		b->failed++;
		return;
	}
	b->inflight++;
}

static void
usage(void)
{
	fprintf(stderr, "usage: probe-bench -s ADDR[:PORT] [-z ZONE] "
	    "[-t SECONDS] [-c IN_FLIGHT]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct bench	 b;
	const char	*server = NULL;
	unsigned	 seconds = 5, conc = 100, i;
	uint64_t	 start, elapsed;
	int		 ch;

	memset(&b, 0, sizeof(b));
	b.zone = "example.lab.";
	while ((ch = getopt(argc, argv, "c:s:t:z:")) != -1) {
		switch (ch) {
		case 'c':
			conc = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			server = optarg;
			break;
		case 't':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'z':
			b.zone = optarg;
			break;
		default:
			usage();
		}
	}
	if (server == NULL || conc == 0 || conc > 10000 || seconds == 0 ||
	    seconds > 3600)
		usage();
	log_init(LOG_LEVEL_WARN, "probe-bench");
	if (dnsio_addr_parse(server, 53, &b.ss, &b.sslen) == -1) {
		fprintf(stderr, "probe-bench: %s: not an IP address\n", server);
		return (2);
	}
	if ((b.base = event_base_new()) == NULL) {
		fprintf(stderr, "probe-bench: event_base_new failed\n");
		return (1);
	}
	b.opts.timeout_ms = 1000;
	b.opts.retries = 0;
	start = now_ns();
	b.deadline_ns = start + (uint64_t)seconds * 1000000000ULL;
	for (i = 0; i < conc; i++)
		bench_send(&b);
	if (b.inflight > 0)
		event_base_dispatch(b.base);
	elapsed = now_ns() - start;
	printf("probe-bench: %llu answers in %.2f s: %.0f queries/s "
	    "(%llu failed)\n", (unsigned long long)b.answers,
	    (double)elapsed / 1e9, (double)b.answers * 1e9 / (double)elapsed,
	    (unsigned long long)b.failed);
	event_base_free(b.base);
	return (b.answers > 0 ? 0 : 1);
}
