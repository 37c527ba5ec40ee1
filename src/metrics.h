/*
 * metrics.h: Prometheus metrics over HTTP (text exposition format 0.0.4).
 *
 * Off unless [daemon] has `metrics = ADDR:PORT` (an IP literal, IPv6 in
 * brackets).  The listener is libevent's evhttp on the daemon's event
 * base: GET (or HEAD) /metrics answers 200 with every metric, any other
 * path 404, any other method 405.  It needs no authentication and shows
 * no secret, only names of zones, providers and nameserver addresses, so
 * bind it to loopback or to an address only the scraper reaches.
 *
 * What is exported, and where each figure comes from:
 *   multidns_build_info{version}                          gauge, 1
 *   multidns_provider_up{provider}                        prober: DNS state
 *   multidns_provider_state{provider,kind,state}          one-hot, dns|api
 *   multidns_nameserver_state{provider,address,state}     one-hot
 *   multidns_probe_latency_seconds{provider}              histogram of SOA
 *                                                         answers, kept here
 *   multidns_drift_items{zone,provider}                   open drift (db)
 *   multidns_changes_total{zone,provider,result}          audit rows (db)
 *   multidns_api_requests_total{provider}                 HTTP pool stats
 *   multidns_api_errors_total{provider}                   HTTP pool stats
 *   multidns_outbox_pending                               db
 *   multidns_outbox_oldest_pending_seconds                db
 *   multidns_last_reconcile_timestamp_seconds{zone,provider}
 *   multidns_last_reconcile_success_timestamp_seconds{zone,provider}
 *
 * The latency histogram is cumulative from the daemon's start and carried
 * across reloads by provider name; counters from HTTP pools start again
 * when a reload makes a provider's backend anew (Prometheus treats that as
 * a counter reset).
 */
#ifndef MULTIDNS_METRICS_H
#define MULTIDNS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct evbuffer;
struct metrics;
struct probe;

#define METRICS_ADDR_MAX	64	/* "[v6]:port" text */

/*
 * Split "A.B.C.D:PORT" or "[V6]:PORT" into host and port; 0 or -1 with
 * the reason in err.
 */
int		 metrics_addr_parse(const char *, char *host, size_t hostlen,
		    uint16_t *port, char *err, size_t errlen);

/* State for d (which must outlive it); no listener yet. */
struct metrics	*metrics_new(struct daemon *d);
/* Close the listener and free; takes NULL. */
void		 metrics_free(struct metrics *);
/*
 * The two halves of a reload.  prepare: listen on addr (NULL = no
 * listener) unless it is the address already served; -1 with the reason
 * in err changes nothing.  commit: switch to what prepare opened.
 * abort: close it.  Both take a metrics with nothing prepared.
 */
int		 metrics_prepare(struct metrics *, const char *addr,
		    char *err, size_t errlen);
void		 metrics_commit(struct metrics *);
void		 metrics_abort(struct metrics *);
/* The bound address ("127.0.0.1:9153"), or NULL. */
const char	*metrics_address(const struct metrics *);

/*
 * Fold the SOA answers of the probe cycle that just ended into the
 * latency histograms.
 */
void		 metrics_probe_done(struct metrics *, const struct probe *);
/*
 * Append every metric to buf; -1 if the database failed (what could be
 * read is still there).
 */
int		 metrics_render(struct metrics *, struct evbuffer *buf,
		    int64_t now);

#endif
