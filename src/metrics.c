/*
 * metrics.c: Prometheus metrics on an optional evhttp listener.
 *
 * Every scrape reads the daemon's objects as they are at that moment
 * (health from the prober, pair times from the reconciler, HTTP pool
 * counters) and three aggregate queries of the state database.  Only the
 * latency histograms are kept here, fed at the end of each probe cycle.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before event2/http.h, whose HTTP_OK macro would clash with its enum. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "daemon.h"
#include "db.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "xmalloc.h"

#define METRICS_PATH		"/metrics"
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TIMEOUT		10	/* seconds per connection */
#define METRICS_MAX_HEADERS	8192	/* bytes of request headers */
#define METRICS_MAX_BODY	1024	/* a scrape has no body */

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Upper bounds of the latency buckets, in milliseconds. */
static const unsigned metrics_bounds_ms[] = {
	1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
};
#define METRICS_NBUCKETS	nitems(metrics_bounds_ms)

static const enum health_state metrics_states[] = {
	HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_DEGRADED, HEALTH_DOWN,
};

static const char *const metrics_results[] = { "ok", "failed", "refused" };

/* One provider's SOA answer latencies since the daemon started. */
struct metrics_hist {
	char		*provider;
	uint64_t	 bucket[METRICS_NBUCKETS];	/* not cumulative */
	uint64_t	 count;
	uint64_t	 sum_ms;
	int		 seen;		/* still in the prober */
};

struct metrics {
	struct daemon		*d;
	struct evhttp		*http;		/* NULL: no listener */
	char			 addr[METRICS_ADDR_MAX];
	struct evhttp		*pending;	/* prepared, not committed */
	char			 paddr[METRICS_ADDR_MAX];
	int			 prepared;
	struct metrics_hist	*hists;
	size_t			 nhists;
	uint64_t		 scrapes;
};

static void	metrics_request_cb(struct evhttp_request *, void *);

/* --- addresses --------------------------------------------------------- */

int
metrics_addr_parse(const char *s, char *host, size_t hostlen,
    uint16_t *port, char *err, size_t errlen)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	const char	*colon, *close, *p;
	char		 buf[METRICS_ADDR_MAX];
	size_t		 hlen;
	unsigned long	 v;
	int		 v6;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL || close[1] != ':')
			goto bad;
		hlen = (size_t)(close - s - 1);
		memcpy(buf, s + 1, hlen);
		buf[hlen] = '\0';
		colon = close + 1;
		v6 = 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		hlen = (size_t)(colon - s);
		memcpy(buf, s, hlen);
		buf[hlen] = '\0';
		v6 = 0;
	}
	if (v6 ? inet_pton(AF_INET6, buf, &a6) != 1 :
	    inet_pton(AF_INET, buf, &a4) != 1)
		goto bad;
	p = colon + 1;
	if (*p < '1' || *p > '9' || strlen(p) > 5)
		goto bad;
	for (v = 0; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535 || hlen >= hostlen)
		goto bad;
	memcpy(host, buf, hlen + 1);
	*port = (uint16_t)v;
	return (0);
bad:
	snprintf(err, errlen, "expected IPV4:PORT or [IPV6]:PORT with a port "
	    "from 1 to 65535, got '%.64s'", s);
	return (-1);
}

/* --- the listener ------------------------------------------------------ */

static struct evhttp *
metrics_listen(struct metrics *m, const char *addr, char *err, size_t errlen)
{
	struct evhttp	*h;
	char		 host[METRICS_ADDR_MAX];
	uint16_t	 port;

	if (metrics_addr_parse(addr, host, sizeof(host), &port, err,
	    errlen) == -1)
		return (NULL);
	if ((h = evhttp_new(m->d->base)) == NULL)
		fatalx("metrics", "evhttp_new failed");
	/* Every method reaches the callback, which answers 405 itself. */
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_timeout(h, METRICS_TIMEOUT);
	evhttp_set_max_headers_size(h, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(h, METRICS_MAX_BODY);
	evhttp_set_gencb(h, metrics_request_cb, m);
	errno = 0;
	if (evhttp_bind_socket_with_handle(h, host, port) == NULL) {
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", addr,
		    errno != 0 ? strerror(errno) : "bind failed");
		evhttp_free(h);
		return (NULL);
	}
	return (h);
}

struct metrics *
metrics_new(struct daemon *d)
{
	struct metrics	*m;

	m = xcalloc(1, sizeof(*m));
	m->d = d;
	return (m);
}

void
metrics_free(struct metrics *m)
{
	size_t	i;

	if (m == NULL)
		return;
	metrics_abort(m);
	if (m->http != NULL)
		evhttp_free(m->http);
	for (i = 0; i < m->nhists; i++)
		free(m->hists[i].provider);
	free(m->hists);
	free(m);
}

int
metrics_prepare(struct metrics *m, const char *addr, char *err,
    size_t errlen)
{
	metrics_abort(m);
	if (addr == NULL) {
		m->pending = NULL;
		m->paddr[0] = '\0';
	} else if (m->http != NULL && strcmp(addr, m->addr) == 0) {
		/* The same address: keep serving from the listener. */
		m->pending = m->http;
		snprintf(m->paddr, sizeof(m->paddr), "%s", m->addr);
	} else {
		if (strlen(addr) >= sizeof(m->paddr)) {
			snprintf(err, errlen, "metrics: address too long");
			return (-1);
		}
		if ((m->pending = metrics_listen(m, addr, err, errlen)) == NULL)
			return (-1);
		snprintf(m->paddr, sizeof(m->paddr), "%s", addr);
	}
	m->prepared = 1;
	return (0);
}

void
metrics_commit(struct metrics *m)
{
	if (m == NULL || !m->prepared)
		return;
	if (m->http != NULL && m->http != m->pending) {
		evhttp_free(m->http);
		log_info("metrics", "no longer listening on %s", m->addr);
	}
	if (m->pending != NULL && m->pending != m->http)
		log_info("metrics", "listening on http://%s%s", m->paddr,
		    METRICS_PATH);
	m->http = m->pending;
	snprintf(m->addr, sizeof(m->addr), "%s", m->paddr);
	m->pending = NULL;
	m->paddr[0] = '\0';
	m->prepared = 0;
}

void
metrics_abort(struct metrics *m)
{
	if (m == NULL || !m->prepared)
		return;
	if (m->pending != NULL && m->pending != m->http)
		evhttp_free(m->pending);
	m->pending = NULL;
	m->paddr[0] = '\0';
	m->prepared = 0;
}

const char *
metrics_address(const struct metrics *m)
{
	return (m->http != NULL ? m->addr : NULL);
}

static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics		*m = arg;
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || strcmp(path, METRICS_PATH) != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only " METRICS_PATH
		    " is served here");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, "only GET and HEAD");
		return;
	}
	if ((buf = evbuffer_new()) == NULL)
		fatalx("metrics", "out of memory");
	m->scrapes++;
	if (metrics_render(m, buf, daemon_now()) == -1)
		log_warnx("metrics", "scrape: %s", db_errmsg(m->d->db));
	evhttp_add_header(out, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

/* --- latency ----------------------------------------------------------- */

static struct metrics_hist *
metrics_hist(struct metrics *m, const char *provider)
{
	struct metrics_hist	*h;
	size_t			 i;

	for (i = 0; i < m->nhists; i++) {
		if (strcmp(m->hists[i].provider, provider) == 0)
			return (&m->hists[i]);
	}
	m->hists = xreallocarray(m->hists, m->nhists + 1, sizeof(*m->hists));
	h = &m->hists[m->nhists++];
	memset(h, 0, sizeof(*h));
	h->provider = xstrdup(provider);
	return (h);
}

static void
metrics_observe(struct metrics_hist *h, uint32_t ms)
{
	size_t	i;

	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if (ms <= metrics_bounds_ms[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum_ms += ms;
}

void
metrics_probe_done(struct metrics *m, const struct probe *p)
{
	const struct probe_provider	*pp;
	const struct probe_target	*t;
	struct metrics_hist		*h;
	size_t				 i, j, k, n, at;

	if (m == NULL)
		return;
	for (i = 0; i < m->nhists; i++)
		m->hists[i].seen = 0;
	for (i = 0; i < probe_nproviders(p); i++) {
		pp = probe_provider(p, i);
		h = metrics_hist(m, pp->name);
		h->seen = 1;
		for (j = 0; j < pp->ntargets; j++) {
			t = &pp->targets[j];
			/*
			 * The cycle's SOA answers are the newest entries of
			 * the target's window: one per query that did not
			 * fail.
			 */
			n = t->cyc_soa > t->cyc_fail ? t->cyc_soa - t->cyc_fail :
			    0;
			if (n > t->lat.n)
				n = t->lat.n;
			for (k = 0; k < n; k++) {
				at = (t->lat.next + LATENCY_RING - 1 - k) %
				    LATENCY_RING;
				metrics_observe(h, t->lat.ms[at]);
			}
		}
	}
	/* Providers a reload removed. */
	for (i = 0; i < m->nhists;) {
		if (m->hists[i].seen) {
			i++;
			continue;
		}
		free(m->hists[i].provider);
		m->hists[i] = m->hists[--m->nhists];
	}
}

/* --- rendering --------------------------------------------------------- */

static void
metrics_printf(struct evbuffer *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
metrics_printf(struct evbuffer *b, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	if (rc < 0)
		fatalx("metrics", "out of memory");
}

static void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A label value, escaped: backslash, double quote and newline. */
static void
metrics_value(struct evbuffer *b, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			metrics_printf(b, "\\\\");
			break;
		case '"':
			metrics_printf(b, "\\\"");
			break;
		case '\n':
			metrics_printf(b, "\\n");
			break;
		default:
			if (evbuffer_add(b, p, 1) == -1)
				fatalx("metrics", "out of memory");
			break;
		}
	}
}

/*
 * One sample: name, then up to three label pairs (NULL name ends them),
 * then the value as text.
 */
static void
metrics_sample(struct evbuffer *b, const char *name, const char *k1,
    const char *v1, const char *k2, const char *v2, const char *k3,
    const char *v3, const char *value)
{
	const char	*k[3] = { k1, k2, k3 }, *v[3] = { v1, v2, v3 };
	size_t		 i;

	metrics_printf(b, "%s", name);
	for (i = 0; i < 3 && k[i] != NULL; i++) {
		metrics_printf(b, "%s%s=\"", i == 0 ? "{" : ",", k[i]);
		metrics_value(b, v[i] != NULL ? v[i] : "");
		metrics_printf(b, "\"");
	}
	metrics_printf(b, "%s %s\n", i > 0 ? "}" : "", value);
}

static void
metrics_sample_int(struct evbuffer *b, const char *name, const char *k1,
    const char *v1, const char *k2, const char *v2, const char *k3,
    const char *v3, int64_t value)
{
	char	num[32];

	snprintf(num, sizeof(num), "%lld", (long long)value);
	metrics_sample(b, name, k1, v1, k2, v2, k3, v3, num);
}

static void
metrics_render_health(struct metrics *m, struct evbuffer *b)
{
	struct daemon			*d = m->d;
	const struct probe_provider	*pp;
	const struct probe_target	*t;
	enum health_state		 dns, s;
	size_t				 i, j, k;

	metrics_family(b, "multidns_provider_up", "gauge",
	    "1 when the provider's nameservers answer (healthy or degraded), "
	    "0 when all are down; absent until probed.");
	for (i = 0; i < d->nproviders; i++) {
		pp = d->probe != NULL ? probe_find_provider(d->probe,
		    d->providers[i].name) : NULL;
		dns = pp != NULL ? pp->node.state : HEALTH_UNKNOWN;
		if (dns == HEALTH_UNKNOWN)
			continue;
		metrics_sample_int(b, "multidns_provider_up", "provider",
		    d->providers[i].name, NULL, NULL, NULL, NULL,
		    dns == HEALTH_DOWN ? 0 : 1);
	}

	metrics_family(b, "multidns_provider_state", "gauge",
	    "The provider's health state, one-hot; kind dns from probes, api "
	    "from reconciles.");
	for (i = 0; i < d->nproviders; i++) {
		pp = d->probe != NULL ? probe_find_provider(d->probe,
		    d->providers[i].name) : NULL;
		dns = pp != NULL ? pp->node.state : HEALTH_UNKNOWN;
		for (k = 0; k < nitems(metrics_states); k++) {
			s = metrics_states[k];
			metrics_sample_int(b, "multidns_provider_state",
			    "provider", d->providers[i].name, "kind", "dns",
			    "state", health_state_name(s), dns == s);
		}
		for (k = 0; k < nitems(metrics_states); k++) {
			s = metrics_states[k];
			metrics_sample_int(b, "multidns_provider_state",
			    "provider", d->providers[i].name, "kind", "api",
			    "state", health_state_name(s),
			    d->providers[i].api_health.state == s);
		}
	}

	metrics_family(b, "multidns_nameserver_state", "gauge",
	    "Each probed nameserver address's health state, one-hot.");
	for (i = 0; d->probe != NULL && i < probe_nproviders(d->probe); i++) {
		pp = probe_provider(d->probe, i);
		for (j = 0; j < pp->ntargets; j++) {
			t = &pp->targets[j];
			for (k = 0; k < nitems(metrics_states); k++) {
				s = metrics_states[k];
				metrics_sample_int(b,
				    "multidns_nameserver_state", "provider",
				    pp->name, "address", t->addr, "state",
				    health_state_name(s), t->node.state == s);
			}
		}
	}
}

static void
metrics_render_latency(struct metrics *m, struct evbuffer *b)
{
	const struct metrics_hist	*h;
	uint64_t			 cum;
	size_t				 i, j;
	char				 le[32], num[32];

	metrics_family(b, "multidns_probe_latency_seconds", "histogram",
	    "Time to an SOA answer from the provider's nameservers, since "
	    "the daemon started.");
	for (i = 0; i < m->nhists; i++) {
		h = &m->hists[i];
		cum = 0;
		for (j = 0; j < METRICS_NBUCKETS; j++) {
			cum += h->bucket[j];
			snprintf(le, sizeof(le), "%g",
			    metrics_bounds_ms[j] / 1000.0);
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)cum);
			metrics_sample(b,
			    "multidns_probe_latency_seconds_bucket",
			    "provider", h->provider, "le", le, NULL, NULL,
			    num);
		}
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)h->count);
		metrics_sample(b, "multidns_probe_latency_seconds_bucket",
		    "provider", h->provider, "le", "+Inf", NULL, NULL, num);
		snprintf(num, sizeof(num), "%.3f", h->sum_ms / 1000.0);
		metrics_sample(b, "multidns_probe_latency_seconds_sum",
		    "provider", h->provider, NULL, NULL, NULL, NULL, num);
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)h->count);
		metrics_sample(b, "multidns_probe_latency_seconds_count",
		    "provider", h->provider, NULL, NULL, NULL, NULL, num);
	}
}

/* The count of (zone, provider[, result]) in a sorted list, else 0. */
static int64_t
metrics_count(const struct db_count *v, size_t n, const char *zone,
    const char *provider, const char *result)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (v[i].zone == NULL || v[i].provider == NULL ||
		    strcmp(v[i].zone, zone) != 0 ||
		    strcmp(v[i].provider, provider) != 0)
			continue;
		if (result != NULL && (v[i].result == NULL ||
		    strcmp(v[i].result, result) != 0))
			continue;
		return (v[i].n);
	}
	return (0);
}

static int
metrics_render_zones(struct metrics *m, struct evbuffer *b, int64_t now)
{
	struct daemon		*d = m->d;
	struct daemon_zone	*z;
	struct daemon_pair	*pair;
	struct db_count		*drift = NULL, *changes = NULL;
	size_t			 ndrift = 0, nchanges = 0, i, j, k;
	int64_t			 pending = 0, oldest = 0;
	int			 rc = 0, dok, cok, ook;

	dok = db_drift_counts(d->db, &drift, &ndrift) == 0;
	cok = db_change_counts(d->db, &changes, &nchanges) == 0;
	ook = db_outbox_pending(d->db, &pending, &oldest) == 0;
	if (!dok || !cok || !ook)
		rc = -1;

	metrics_family(b, "multidns_drift_items", "gauge",
	    "Open drift items (records that differ from the desired zone).");
	for (i = 0; dok && i < d->nzones; i++) {
		z = &d->zones[i];
		for (j = 0; j < z->npairs; j++) {
			pair = &z->pairs[j];
			metrics_sample_int(b, "multidns_drift_items", "zone",
			    z->name, "provider", pair->provider->name, NULL,
			    NULL, metrics_count(drift, ndrift, z->name,
			    pair->provider->name, NULL));
		}
	}

	metrics_family(b, "multidns_changes_total", "counter",
	    "Record changes attempted, from the audit trail, by result.");
	for (i = 0; cok && i < d->nzones; i++) {
		z = &d->zones[i];
		for (j = 0; j < z->npairs; j++) {
			pair = &z->pairs[j];
			for (k = 0; k < nitems(metrics_results); k++)
				metrics_sample_int(b, "multidns_changes_total",
				    "zone", z->name, "provider",
				    pair->provider->name, "result",
				    metrics_results[k], metrics_count(changes,
				    nchanges, z->name, pair->provider->name,
				    metrics_results[k]));
		}
	}

	metrics_family(b, "multidns_last_reconcile_timestamp_seconds", "gauge",
	    "When the last reconcile of the pair finished (0 = never).");
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		for (j = 0; j < z->npairs; j++)
			metrics_sample_int(b,
			    "multidns_last_reconcile_timestamp_seconds", "zone",
			    z->name, "provider", z->pairs[j].provider->name,
			    NULL, NULL, z->pairs[j].last_run);
	}
	metrics_family(b, "multidns_last_reconcile_success_timestamp_seconds",
	    "gauge", "When a reconcile last found the provider serving the "
	    "desired zone (0 = never).");
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		for (j = 0; j < z->npairs; j++)
			metrics_sample_int(b,
			    "multidns_last_reconcile_success_timestamp_seconds",
			    "zone", z->name, "provider",
			    z->pairs[j].provider->name, NULL, NULL,
			    z->pairs[j].last_ok);
	}

	if (ook) {
		metrics_family(b, "multidns_outbox_pending", "gauge",
		    "Webhook deliveries not yet made.");
		metrics_sample_int(b, "multidns_outbox_pending", NULL, NULL,
		    NULL, NULL, NULL, NULL, pending);
		metrics_family(b, "multidns_outbox_oldest_pending_seconds",
		    "gauge", "Age of the oldest event not yet delivered "
		    "(0 = none).");
		metrics_sample_int(b, "multidns_outbox_oldest_pending_seconds",
		    NULL, NULL, NULL, NULL, NULL, NULL, pending > 0 &&
		    oldest > 0 && now > oldest ? now - oldest : 0);
	}
	db_count_free(drift, ndrift);
	db_count_free(changes, nchanges);
	return (rc);
}

static void
metrics_render_api(struct metrics *m, struct evbuffer *b)
{
	static const char *const names[] = {
		"multidns_api_requests_total",
		"multidns_api_errors_total",
		"multidns_api_throttled_total",
	};
	static const char *const help[] = {
		"HTTP API requests started.",
		"HTTP API requests that failed (after their retries).",
		"HTTP API answers that asked us to slow down (429).",
	};
	struct daemon		*d = m->d;
	const struct http_pool	*pool;
	struct http_pool_stats	 st;
	uint64_t		 v[nitems(names)];
	size_t			 i, k;
	int			 found;

	for (k = 0; k < nitems(names); k++) {
		metrics_family(b, names[k], "counter", help[k]);
		for (i = 0; d->http != NULL && i < d->nproviders; i++) {
			memset(v, 0, sizeof(v));
			found = 0;
			pool = NULL;
			while ((pool = http_pool_next(d->http, pool)) != NULL) {
				if (strcmp(http_pool_name(pool),
				    d->providers[i].name) != 0)
					continue;
				http_pool_stats(pool, &st);
				v[0] += st.requests;
				v[1] += st.errors;
				v[2] += st.throttled;
				found = 1;
			}
			if (found)
				metrics_sample_int(b, names[k], "provider",
				    d->providers[i].name, NULL, NULL, NULL,
				    NULL, (int64_t)v[k]);
		}
	}
}

int
metrics_render(struct metrics *m, struct evbuffer *b, int64_t now)
{
	int	rc;

	metrics_family(b, "multidns_build_info", "gauge",
	    "The running version.");
	metrics_sample(b, "multidns_build_info", "version", PACKAGE_VERSION,
	    NULL, NULL, NULL, NULL, "1");
	metrics_render_health(m, b);
	metrics_render_latency(m, b);
	rc = metrics_render_zones(m, b, now);
	metrics_render_api(m, b);
	return (rc);
}
