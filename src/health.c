/*
 * health.c: the health state machine (see health.h) and the sliding
 * latency windows.  No I/O: the caller supplies the time.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const health_state_names[] = {
	[HEALTH_UNKNOWN] = "unknown",
	[HEALTH_HEALTHY] = "healthy",
	[HEALTH_DEGRADED] = "degraded",
	[HEALTH_DOWN] = "down",
};

static const char *const health_kind_names[] = {
	[HEALTH_KIND_DNS] = "dns",
	[HEALTH_KIND_API] = "api",
};

static const char *const health_obs_names[] = {
	[HEALTH_OBS_OK] = "ok",
	[HEALTH_OBS_SLOW] = "slow",
	[HEALTH_OBS_FAIL] = "fail",
};

const char *
health_state_name(enum health_state s)
{
	if ((size_t)s >= nitems(health_state_names))
		return ("invalid");
	return (health_state_names[s]);
}

const char *
health_kind_name(enum health_kind k)
{
	if ((size_t)k >= nitems(health_kind_names))
		return ("invalid");
	return (health_kind_names[k]);
}

const char *
health_obs_name(enum health_obs o)
{
	if ((size_t)o >= nitems(health_obs_names))
		return ("invalid");
	return (health_obs_names[o]);
}

void
health_conf_default(struct health_conf *hc)
{
	hc->down_after = HEALTH_DOWN_AFTER;
	hc->up_after = HEALTH_UP_AFTER;
	hc->slow_ms = HEALTH_SLOW_MS;
}

void
health_node_init(struct health_node *n)
{
	memset(n, 0, sizeof(*n));
	n->state = HEALTH_UNKNOWN;
}

enum health_obs
health_classify(const struct health_conf *hc, int ok, int64_t latency_ms)
{
	if (!ok)
		return (HEALTH_OBS_FAIL);
	if (hc->slow_ms > 0 && latency_ms > (int64_t)hc->slow_ms)
		return (HEALTH_OBS_SLOW);
	return (HEALTH_OBS_OK);
}

int
health_set(struct health *h, struct health_node *n, const char *provider,
    const char *nameserver, enum health_kind kind, enum health_state to,
    const char *reason, int64_t now)
{
	struct health_transition	 t;

	if (n->state == to)
		return (0);
	t.time = now;
	t.provider = provider;
	t.nameserver = nameserver;
	t.kind = kind;
	t.from = n->state;
	t.to = to;
	t.reason = reason != NULL ? reason : "";
	n->state = to;
	n->since = now;
	if (h->on_transition != NULL)
		h->on_transition(&t, h->arg);
	return (1);
}

int
health_observe(struct health *h, struct health_node *n, const char *provider,
    const char *nameserver, enum health_kind kind, enum health_obs obs,
    const char *error, int64_t now)
{
	const struct health_conf	*hc = &h->conf;
	enum health_state		 to = n->state;
	unsigned			 down_after, up_after;
	char				 reason[HEALTH_ERR_MAX + 64];

	down_after = hc->down_after > 0 ? hc->down_after : 1;
	up_after = hc->up_after > 0 ? hc->up_after : 1;
	if (obs == HEALTH_OBS_FAIL) {
		n->fails++;
		n->oks = n->fast = 0;
		n->nfail++;
		n->last_fail = now;
		snprintf(n->last_error, sizeof(n->last_error), "%s",
		    error != NULL ? error : "failed");
		if (n->fails >= down_after)
			to = HEALTH_DOWN;
		else if (n->state != HEALTH_DOWN)
			to = HEALTH_DEGRADED;
		snprintf(reason, sizeof(reason), "%u consecutive failure%s: %s",
		    n->fails, n->fails == 1 ? "" : "s", n->last_error);
	} else {
		n->fails = 0;
		n->oks++;
		n->nok++;
		n->last_ok = now;
		if (obs == HEALTH_OBS_OK)
			n->fast++;
		else {
			n->fast = 0;
			snprintf(n->last_error, sizeof(n->last_error), "%s",
			    error != NULL ? error : "slow");
		}
		switch (n->state) {
		case HEALTH_UNKNOWN:
			to = obs == HEALTH_OBS_OK ? HEALTH_HEALTHY :
			    HEALTH_DEGRADED;
			break;
		case HEALTH_HEALTHY:
			if (obs == HEALTH_OBS_SLOW)
				to = HEALTH_DEGRADED;
			break;
		case HEALTH_DEGRADED:
			if (n->fast >= up_after)
				to = HEALTH_HEALTHY;
			break;
		case HEALTH_DOWN:
			if (n->oks >= up_after)
				to = obs == HEALTH_OBS_OK ? HEALTH_HEALTHY :
				    HEALTH_DEGRADED;
			break;
		}
		if (obs == HEALTH_OBS_SLOW)
			snprintf(reason, sizeof(reason), "slow: %s",
			    n->last_error);
		else
			snprintf(reason, sizeof(reason), "%u consecutive "
			    "success%s", n->oks, n->oks == 1 ? "" : "es");
	}
	return (health_set(h, n, provider, nameserver, kind, to, reason, now));
}

enum health_state
health_aggregate(const enum health_state *s, size_t n)
{
	size_t	i, unknown = 0, healthy = 0, down = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case HEALTH_UNKNOWN:
			unknown++;
			break;
		case HEALTH_HEALTHY:
			healthy++;
			break;
		case HEALTH_DOWN:
			down++;
			break;
		case HEALTH_DEGRADED:
			break;
		}
	}
	if (n == 0 || unknown == n)
		return (HEALTH_UNKNOWN);
	if (down + unknown == n)
		return (HEALTH_DOWN);
	if (healthy + unknown == n)
		return (HEALTH_HEALTHY);
	return (HEALTH_DEGRADED);
}

/* --- latency windows ------------------------------------------------- */

void
latency_init(struct latency_ring *r)
{
	memset(r, 0, sizeof(*r));
}

void
latency_add(struct latency_ring *r, uint32_t ms)
{
	r->ms[r->next] = ms;
	r->next = (r->next + 1) % LATENCY_RING;
	if (r->n < LATENCY_RING)
		r->n++;
}

static int
latency_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* Nearest rank: the smallest sample with at least p% at or below it. */
static uint32_t
latency_rank(const uint32_t *sorted, size_t n, unsigned p)
{
	size_t	k;

	k = (n * p + 99) / 100;
	if (k == 0)
		k = 1;
	return (sorted[k - 1]);
}

void
latency_summarize(const struct latency_ring *r, struct latency_summary *s)
{
	uint32_t	sorted[LATENCY_RING];

	memset(s, 0, sizeof(*s));
	if (r->n == 0)
		return;
	memcpy(sorted, r->ms, r->n * sizeof(sorted[0]));
	qsort(sorted, r->n, sizeof(sorted[0]), latency_cmp);
	s->samples = r->n;
	s->min = sorted[0];
	s->max = sorted[r->n - 1];
	s->p25 = latency_rank(sorted, r->n, 25);
	s->p50 = latency_rank(sorted, r->n, 50);
	s->p75 = latency_rank(sorted, r->n, 75);
	s->p90 = latency_rank(sorted, r->n, 90);
	s->p99 = latency_rank(sorted, r->n, 99);
}
