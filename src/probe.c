/*
 * probe.c: one cycle of DNS queries to every nameserver address of every
 * provider of every zone, through dnsio; health, latency and drift seen
 * over DNS come out of it (see probe.h).
 */
#include "autoconf.h"

#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsio.h"
#include "log.h"
#include "probe.h"
#include "xmalloc.h"

#define PROBE_NS_TTL_DEFAULT	86400

enum probe_qkind {
	PROBE_Q_SOA,
	PROBE_Q_NS,		/* the apex NS */
	PROBE_Q_RRSET,		/* a sampled RRset */
};

/* What one provider showed for one sampled RRset this cycle. */
struct probe_slot {
	unsigned		 answered;	/* addresses that answered */
	unsigned		 failed;	/* addresses that did not */
	int			 differs;
	enum probe_verdict	 verdict;	/* of the first difference */
	char			*where;
	char			*actual;
};

struct probe_zone {
	char			*origin;
	unsigned		 sample;
	const struct ignore	*ignores;
	size_t			 nignores;
	size_t			*provs;		/* provider indices */
	size_t			 nprovs;
	char			**ns_names;	/* desired apex NS, sorted */
	size_t			 nns;
	struct zone		*desired;
	struct zone		*ns_zone;	/* holds the desired apex NS */
	const struct rrset	*apex_ns;
	size_t			*pool;		/* sampleable RRset indices */
	size_t			 npool;
	size_t			 cursor;	/* next position in pool */
	/* The cycle in progress. */
	const struct rrset	**cyc_sets;	/* [0] apex NS, then sample */
	size_t			 cyc_nsets;
	struct probe_slot	*cyc_slots;	/* nprovs * cyc_nsets */
};

struct probe_q {
	struct probe		*p;
	struct probe_q		*prev, *next;
	struct dnsio_query	*dq;
	enum probe_qkind	 kind;
	size_t			 zone;
	size_t			 prov;
	size_t			 pslot;		/* index of prov in the zone */
	struct probe_target	*t;
	size_t			 set;		/* index in cyc_sets */
};

struct probe {
	struct event_base	*base;
	const struct probe_ops	*ops;
	struct probe_opts	 opts;
	struct health		 health;
	struct probe_provider	*provs;
	size_t			 nprovs;
	struct probe_zone	*zones;
	size_t			 nzones;
	struct probe_q		*queries;	/* in flight */
	size_t			 inflight;
	int			 running;
	int			 starting;
	struct timeval		 started;
	struct probe_stats	 cyc;
	struct probe_stats	 last;
	uint64_t		 cycles;
};

static const char *const probe_verdict_names[] = {
	[PROBE_MATCH] = "match",
	[PROBE_MISSING] = "missing",
	[PROBE_CHANGED] = "changed",
};

const char *
probe_verdict_name(enum probe_verdict v)
{
	if ((size_t)v >= sizeof(probe_verdict_names) /
	    sizeof(probe_verdict_names[0]))
		return ("invalid");
	return (probe_verdict_names[v]);
}

struct probe *
probe_new(struct event_base *base, const struct probe_ops *ops,
    const struct probe_opts *opts)
{
	struct probe	*p;

	p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->ops = ops;
	p->opts = *opts;
	if (p->opts.timeout_ms == 0)
		p->opts.timeout_ms = PROBE_TIMEOUT_DEFAULT;
	p->health.conf = opts->health;
	p->health.on_transition = opts->on_transition;
	p->health.arg = opts->arg;
	return (p);
}

static void
probe_slots_free(struct probe_zone *z)
{
	size_t	i;

	for (i = 0; i < z->nprovs * z->cyc_nsets; i++) {
		free(z->cyc_slots[i].where);
		free(z->cyc_slots[i].actual);
	}
	free(z->cyc_slots);
	free(z->cyc_sets);
	z->cyc_slots = NULL;
	z->cyc_sets = NULL;
	z->cyc_nsets = 0;
}

static void
probe_zone_clear_desired(struct probe_zone *z)
{
	zone_free(z->desired);
	zone_free(z->ns_zone);
	free(z->pool);
	z->desired = NULL;
	z->ns_zone = NULL;
	z->apex_ns = NULL;
	z->pool = NULL;
	z->npool = 0;
}

void
probe_free(struct probe *p)
{
	struct probe_q	*q, *next;
	size_t		 i, j;

	if (p == NULL)
		return;
	for (q = p->queries; q != NULL; q = next) {
		next = q->next;
		dnsio_cancel(q->dq);
		free(q);
	}
	for (i = 0; i < p->nzones; i++) {
		probe_slots_free(&p->zones[i]);
		probe_zone_clear_desired(&p->zones[i]);
		for (j = 0; j < p->zones[i].nns; j++)
			free(p->zones[i].ns_names[j]);
		free(p->zones[i].ns_names);
		free(p->zones[i].provs);
		free(p->zones[i].origin);
	}
	free(p->zones);
	for (i = 0; i < p->nprovs; i++) {
		free(p->provs[i].targets);
		free(p->provs[i].name);
	}
	free(p->provs);
	free(p);
}

int
probe_add_provider(struct probe *p, const char *name, const char *addrs,
    char *err, size_t errlen)
{
	struct probe_provider	*pp;
	struct probe_target	*t;
	char			*copy, *s, *w;
	size_t			 i;

	p->provs = xreallocarray(p->provs, p->nprovs + 1, sizeof(*p->provs));
	pp = &p->provs[p->nprovs];
	memset(pp, 0, sizeof(*pp));
	pp->name = xstrdup(name);
	health_node_init(&pp->node);
	latency_init(&pp->lat);
	copy = xstrdup(addrs != NULL ? addrs : "");
	for (s = copy; (w = strsep(&s, ", \t")) != NULL;) {
		if (*w == '\0')
			continue;
		pp->targets = xreallocarray(pp->targets, pp->ntargets + 1,
		    sizeof(*pp->targets));
		t = &pp->targets[pp->ntargets];
		memset(t, 0, sizeof(*t));
		if (dnsio_addr_parse(w, 53, &t->ss, &t->sslen) == -1) {
			snprintf(err, errlen, "provider %s: probe: '%.64s' is "
			    "not an IP address with an optional port", name, w);
			free(copy);
			free(pp->targets);
			free(pp->name);
			return (-1);
		}
		dnsio_addr_str((struct sockaddr *)&t->ss, t->addr,
		    sizeof(t->addr));
		for (i = 0; i < pp->ntargets; i++) {
			if (strcmp(pp->targets[i].addr, t->addr) == 0)
				break;
		}
		if (i < pp->ntargets)
			continue;	/* listed twice: once is enough */
		health_node_init(&t->node);
		latency_init(&t->lat);
		pp->ntargets++;
	}
	free(copy);
	return ((int)p->nprovs++);
}

void
probe_provider_types(struct probe *p, size_t i, const uint16_t *types,
    size_t ntypes)
{
	if (i >= p->nprovs)
		return;
	p->provs[i].types = types;
	p->provs[i].ntypes = ntypes;
}

static int
probe_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
probe_add_zone(struct probe *p, const char *origin, unsigned sample,
    const struct ignore *ignores, size_t nignores, char *const *providers,
    size_t nproviders, char *const *ns_names, size_t nns, char *err,
    size_t errlen)
{
	struct probe_zone	*z;
	size_t			 i, j, *provs;

	provs = xcalloc(nproviders + 1, sizeof(*provs));
	for (i = 0; i < nproviders; i++) {
		for (j = 0; j < p->nprovs; j++) {
			if (strcmp(p->provs[j].name, providers[i]) == 0)
				break;
		}
		if (j == p->nprovs) {
			snprintf(err, errlen, "zone %s: provider %.64s is not "
			    "known to the prober", origin, providers[i]);
			free(provs);
			return (-1);
		}
		provs[i] = j;
	}
	p->zones = xreallocarray(p->zones, p->nzones + 1, sizeof(*p->zones));
	z = &p->zones[p->nzones];
	memset(z, 0, sizeof(*z));
	z->origin = xstrdup(origin);
	z->sample = sample;
	z->ignores = ignores;
	z->nignores = nignores;
	z->provs = provs;
	z->nprovs = nproviders;
	if (ns_names != NULL && nns > 0) {
		z->ns_names = xcalloc(nns, sizeof(*z->ns_names));
		for (i = 0; i < nns; i++)
			z->ns_names[i] = xstrdup(ns_names[i]);
		z->nns = nns;
		qsort(z->ns_names, z->nns, sizeof(*z->ns_names),
		    probe_name_cmp);
	}
	return ((int)p->nzones++);
}

/* 1 when owner is a delegation point (a non-apex NS) or below one. */
static int
probe_below_cut(const struct zone *zone, const char *owner)
{
	const char	*s;

	for (s = owner; s != NULL && *s != '\0';) {
		if (strcmp(s, zone->origin) == 0)
			return (0);
		if (zone_find(zone, s, LDNS_RR_TYPE_NS) != NULL)
			return (1);
		if ((s = strchr(s, '.')) != NULL)
			s++;
	}
	return (0);
}

static int
probe_type_ok(const struct probe_zone *z, const struct probe *p,
    uint16_t type)
{
	const struct probe_provider	*pp;
	size_t				 i, j;

	for (i = 0; i < z->nprovs; i++) {
		pp = &p->provs[z->provs[i]];
		if (pp->types == NULL)
			continue;
		for (j = 0; j < pp->ntypes; j++) {
			if (pp->types[j] == type)
				break;
		}
		if (j == pp->ntypes)
			return (0);
	}
	return (1);
}

void
probe_set_desired(struct probe *p, size_t zi, struct zone *zone)
{
	struct probe_zone	*z;
	const struct rrset	*rs, *file_ns;
	struct zone_error	 zerr;
	uint32_t		 ttl = PROBE_NS_TTL_DEFAULT;
	size_t			 i;

	if (zi >= p->nzones)
		return;
	z = &p->zones[zi];
	if (z->desired == zone)
		return;
	if (z->desired != NULL && zone != NULL && z->desired->hash ==
	    zone->hash && strcmp(z->desired->origin, zone->origin) == 0)
		return;
	probe_zone_clear_desired(z);
	if (zone == NULL)
		return;
	z->desired = zone_ref(zone);
	z->pool = xcalloc(zone->nrrsets + 1, sizeof(*z->pool));
	for (i = 0; i < zone->nrrsets; i++) {
		rs = &zone->rrsets[i];
		if (rs->type == LDNS_RR_TYPE_SOA)
			continue;
		if (rs->type == LDNS_RR_TYPE_NS &&
		    strcmp(rs->owner, zone->origin) == 0)
			continue;
		if (rs->type == LDNS_RR_TYPE_RRSIG ||
		    rs->type == LDNS_RR_TYPE_NSEC ||
		    rs->type == LDNS_RR_TYPE_NSEC3)
			continue;
		if (ignore_match(z->ignores, z->nignores, rs->owner, rs->type))
			continue;
		if (probe_below_cut(zone, rs->owner))
			continue;
		if (!probe_type_ok(z, p, rs->type))
			continue;
		z->pool[z->npool++] = i;
	}
	if (z->cursor >= z->npool)
		z->cursor = 0;
	if (z->nns == 0 || ignore_match(z->ignores, z->nignores,
	    zone->origin, LDNS_RR_TYPE_NS))
		return;
	if ((file_ns = zone_find(zone, zone->origin, LDNS_RR_TYPE_NS)) != NULL)
		ttl = file_ns->ttl;
	z->ns_zone = zone_new(zone->origin);
	for (i = 0; i < z->nns; i++) {
		if (zone_add_rr_text(z->ns_zone, zone->origin, LDNS_RR_TYPE_NS,
		    ttl, z->ns_names[i], &zerr) == -1)
			break;
	}
	if (i < z->nns || zone_finish(z->ns_zone, &zerr) == -1) {
		log_warnx("probe", "zone %s: apex NS not checked: %s",
		    z->origin, zerr.msg);
		zone_free(z->ns_zone);
		z->ns_zone = NULL;
		return;
	}
	z->apex_ns = zone_find(z->ns_zone, zone->origin, LDNS_RR_TYPE_NS);
}

size_t
probe_zone_sampleable(const struct probe *p, size_t zi)
{
	return (zi < p->nzones ? p->zones[zi].npool : 0);
}

/* --- comparing an answer with the desired RRset ------------------------ */

/* "300 a | b", as reconcile writes RRsets in the audit log. */
static char *
probe_rrset_text(const struct rrset *rs)
{
	size_t	 i, len = 16;
	char	*s, *q;

	if (rs == NULL)
		return (NULL);
	for (i = 0; i < rs->nrdata; i++)
		len += strlen(rs->rdata[i].text) + 3;
	s = q = xmalloc(len);
	q += snprintf(q, len, "%u ", rs->ttl);
	for (i = 0; i < rs->nrdata; i++)
		q += snprintf(q, len - (size_t)(q - s), "%s%s",
		    i > 0 ? " | " : "", rs->rdata[i].text);
	return (s);
}

/* The rdata of one RR in presentation form, or NULL. */
static char *
probe_rdata_text(const ldns_rr *rr)
{
	ldns_buffer	*b;
	char		*s;
	size_t		 i;

	if ((b = ldns_buffer_new(256)) == NULL)
		fatalx("probe", "out of memory");
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_printf(b, " ");
		if (ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i)) !=
		    LDNS_STATUS_OK) {
			ldns_buffer_free(b);
			return (NULL);
		}
	}
	s = ldns_buffer_export2str(b);
	ldns_buffer_free(b);
	return (s);
}

/*
 * Build the RRset (owner, type) from an answer's answer section through
 * the zone model, so both sides are canonical.  Returns a zone (maybe
 * without the RRset when the answer had none), or NULL if it does not
 * parse.
 */
static struct zone *
probe_answer_zone(const char *origin, const ldns_pkt *a, const char *owner,
    uint16_t type, char *err, size_t errlen)
{
	ldns_rr_list		*ans = ldns_pkt_answer(a);
	ldns_rdf		*want;
	ldns_rr			*rr;
	struct zone		*z;
	struct zone_error	 zerr;
	char			*text;
	size_t			 i;

	if ((want = ldns_dname_new_frm_str(owner)) == NULL) {
		snprintf(err, errlen, "bad owner");
		return (NULL);
	}
	z = zone_new(origin);
	for (i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), want) != 0)
			continue;
		if ((text = probe_rdata_text(rr)) == NULL ||
		    zone_add_rr_text(z, owner, type, ldns_rr_ttl(rr), text,
		    &zerr) == -1) {
			snprintf(err, errlen, "unusable answer: %.200s",
			    text == NULL ? "rdata" : zerr.msg);
			free(text);
			ldns_rdf_deep_free(want);
			zone_free(z);
			return (NULL);
		}
		free(text);
	}
	ldns_rdf_deep_free(want);
	if (zone_finish(z, &zerr) == -1) {
		snprintf(err, errlen, "unusable answer: %.200s", zerr.msg);
		zone_free(z);
		return (NULL);
	}
	return (z);
}

/* --- the cycle --------------------------------------------------------- */

static void	probe_q_cb(int, ldns_pkt *, const struct dnsio_stats *,
		    void *);
static void	probe_finish(struct probe *);

static void
probe_q_unlink(struct probe *p, struct probe_q *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		p->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	p->inflight--;
}

static void
probe_target_fail(struct probe_target *t, const char *why)
{
	t->cyc_fail++;
	t->failures++;
	if (t->cyc_err[0] == '\0')
		snprintf(t->cyc_err, sizeof(t->cyc_err), "SOA: %.200s", why);
}

static void
probe_slot_fail(struct probe *p, const struct probe_q *q)
{
	struct probe_zone	*z = &p->zones[q->zone];

	z->cyc_slots[q->pslot * z->cyc_nsets + q->set].failed++;
}

static void
probe_slot_result(struct probe *p, const struct probe_q *q,
    const ldns_pkt *a)
{
	struct probe_zone	*z = &p->zones[q->zone];
	struct probe_slot	*s = &z->cyc_slots[q->pslot * z->cyc_nsets +
				    q->set];
	const struct rrset	*want = z->cyc_sets[q->set], *got;
	struct zone		*az;
	char			 err[256];

	if (ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(a) != LDNS_RCODE_NXDOMAIN) {
		s->failed++;
		return;
	}
	if (!ldns_pkt_aa(a)) {
		s->failed++;
		return;
	}
	if ((az = probe_answer_zone(z->origin, a, want->owner, want->type,
	    err, sizeof(err))) == NULL) {
		log_debug("probe", "zone %s provider %s at %s: %s %s", z->origin,
		    p->provs[q->prov].name, q->t->addr, want->owner, err);
		s->failed++;
		return;
	}
	s->answered++;
	got = zone_find(az, want->owner, want->type);
	if (got == NULL || !rrset_equal_data(want, got)) {
		if (!s->differs) {
			s->differs = 1;
			s->verdict = got == NULL ? PROBE_MISSING :
			    PROBE_CHANGED;
			s->where = xstrdup(q->t->addr);
			s->actual = probe_rrset_text(got);
		}
	}
	zone_free(az);
}

static void
probe_soa_result(struct probe *p, struct probe_q *q, const ldns_pkt *a,
    const struct dnsio_stats *st)
{
	struct probe_target	*t = q->t;
	ldns_rr_list		*ans;
	ldns_rr			*rr = NULL;
	ldns_rdf		*rd;
	int64_t			 ms;
	ldns_lookup_table	*lt;
	size_t			 i;
	char			 buf[64];

	if (ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR) {
		lt = ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(a));
		snprintf(buf, sizeof(buf), "rcode %s", lt != NULL ? lt->name :
		    "unknown");
		probe_target_fail(t, buf);
		return;
	}
	if (!ldns_pkt_aa(a)) {
		probe_target_fail(t, "not authoritative");
		return;
	}
	ans = ldns_pkt_answer(a);
	for (i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			break;
	}
	if (ans == NULL || rr == NULL || i == ldns_rr_list_rr_count(ans)) {
		probe_target_fail(t, "no SOA in the answer");
		return;
	}
	if ((rd = ldns_rr_rdf(rr, 2)) != NULL &&
	    ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_INT32) {
		t->serial = ldns_rdf2native_int32(rd);
		t->have_serial = 1;
	}
	ms = (int64_t)(st->rtt_usec / 1000);
	if (ms > t->cyc_ms)
		t->cyc_ms = ms;
	latency_add(&t->lat, (uint32_t)ms);
	latency_add(&p->provs[q->prov].lat, (uint32_t)ms);
}

static void
probe_q_cb(int status, ldns_pkt *a, const struct dnsio_stats *st, void *arg)
{
	struct probe_q	*q = arg;
	struct probe	*p = q->p;

	probe_q_unlink(p, q);
	q->t->ignored += st->mismatches;
	p->cyc.ignored += st->mismatches;
	if (status != DNSIO_OK || a == NULL) {
		p->cyc.failed++;
		if (q->kind == PROBE_Q_SOA)
			probe_target_fail(q->t, st->error[0] !=
			    '\0' ? st->error : dnsio_strerror(status));
		else
			probe_slot_fail(p, q);
	} else if (q->kind == PROBE_Q_SOA)
		probe_soa_result(p, q, a, st);
	else
		probe_slot_result(p, q, a);
	free(q);
	if (p->inflight == 0 && !p->starting)
		probe_finish(p);
}

static void
probe_send(struct probe *p, size_t zi, size_t pslot, struct probe_target *t,
    enum probe_qkind kind, size_t set)
{
	struct probe_zone	*z = &p->zones[zi];
	struct probe_q		*q;
	struct dnsio_opts	 o;
	const char		*name;
	uint16_t		 type;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	o.timeout_ms = p->opts.timeout_ms;
	o.retries = p->opts.retries;
	switch (kind) {
	case PROBE_Q_SOA:
		name = z->origin;
		type = LDNS_RR_TYPE_SOA;
		t->cyc_soa++;
		break;
	default:
		name = z->cyc_sets[set]->owner;
		type = z->cyc_sets[set]->type;
		break;
	}
	q = xcalloc(1, sizeof(*q));
	q->p = p;
	q->kind = kind;
	q->zone = zi;
	q->pslot = pslot;
	q->prov = z->provs[pslot];
	q->t = t;
	q->set = set;
	t->queries++;
	p->cyc.queries++;
	q->dq = dnsio_query_name(p->base, (struct sockaddr *)&t->ss,
	    t->sslen, name, type, LDNS_RR_CLASS_IN, 0, &o, probe_q_cb, q, err,
	    sizeof(err));
	if (q->dq == NULL) {
		p->cyc.failed++;
		if (kind == PROBE_Q_SOA)
			probe_target_fail(t, err);
		else
			probe_slot_fail(p, q);
		free(q);
		return;
	}
	q->next = p->queries;
	if (p->queries != NULL)
		p->queries->prev = q;
	p->queries = q;
	p->inflight++;
}

/* Pick the zone's sets for this cycle: apex NS (or none), then a sample. */
static void
probe_zone_plan(struct probe_zone *z)
{
	size_t	k, i;

	k = z->sample < z->npool ? z->sample : z->npool;
	z->cyc_sets = xcalloc(k + 1, sizeof(*z->cyc_sets));
	z->cyc_sets[0] = z->apex_ns;
	for (i = 0; i < k; i++) {
		z->cyc_sets[1 + i] = &z->desired->rrsets[
		    z->pool[(z->cursor + i) % z->npool]];
	}
	if (z->npool > 0)
		z->cursor = (z->cursor + k) % z->npool;
	z->cyc_nsets = k + 1;
	z->cyc_slots = xcalloc(z->nprovs * z->cyc_nsets + 1,
	    sizeof(*z->cyc_slots));
}

int
probe_cycle(struct probe *p)
{
	struct probe_zone	*z;
	struct probe_provider	*pp;
	size_t			 zi, i, j, s;

	if (p->running)
		return (-1);
	p->running = 1;
	p->starting = 1;
	memset(&p->cyc, 0, sizeof(p->cyc));
	gettimeofday(&p->started, NULL);
	for (i = 0; i < p->nprovs; i++) {
		for (j = 0; j < p->provs[i].ntargets; j++) {
			p->provs[i].targets[j].cyc_soa = 0;
			p->provs[i].targets[j].cyc_fail = 0;
			p->provs[i].targets[j].cyc_ms = 0;
			p->provs[i].targets[j].cyc_err[0] = '\0';
		}
	}
	for (zi = 0; zi < p->nzones; zi++) {
		z = &p->zones[zi];
		if (z->desired == NULL)
			continue;
		probe_zone_plan(z);
		for (i = 0; i < z->nprovs; i++) {
			pp = &p->provs[z->provs[i]];
			for (j = 0; j < pp->ntargets; j++) {
				probe_send(p, zi, i, &pp->targets[j],
				    PROBE_Q_SOA, 0);
				for (s = 0; s < z->cyc_nsets; s++) {
					if (z->cyc_sets[s] == NULL)
						continue;
					probe_send(p, zi, i, &pp->targets[j],
					    s == 0 ? PROBE_Q_NS :
					    PROBE_Q_RRSET, s);
				}
			}
		}
	}
	p->starting = 0;
	if (p->inflight == 0)
		probe_finish(p);
	return (0);
}

int
probe_busy(const struct probe *p)
{
	return (p->running);
}

static void
probe_findings(struct probe *p, struct probe_zone *z)
{
	struct probe_finding	 f;
	struct probe_slot	*sl;
	const struct rrset	*rs;
	char			 tbuf[32], *desired;
	size_t			 i, s;

	for (s = 0; s < z->cyc_nsets; s++) {
		if ((rs = z->cyc_sets[s]) == NULL)
			continue;
		p->cyc.sampled++;
		desired = probe_rrset_text(rs);
		for (i = 0; i < z->nprovs; i++) {
			sl = &z->cyc_slots[i * z->cyc_nsets + s];
			memset(&f, 0, sizeof(f));
			f.zone = z->origin;
			f.provider = p->provs[z->provs[i]].name;
			f.owner = rs->owner;
			f.type = zone_type_name(rs->type, tbuf, sizeof(tbuf));
			f.desired = desired;
			if (sl->differs) {
				f.verdict = sl->verdict;
				f.nameserver = sl->where;
				f.actual = sl->actual;
				p->cyc.mismatches++;
			} else if (sl->answered > 0 && sl->failed == 0)
				f.verdict = PROBE_MATCH;
			else
				continue;	/* not known this cycle */
			if (f.verdict != PROBE_MATCH)
				log_info("probe", "zone %s provider %s: %s %s "
				    "%s over DNS at %s", z->origin, f.provider,
				    f.owner, f.type, probe_verdict_name(
				    f.verdict), f.nameserver);
			if (p->ops != NULL && p->ops->finding != NULL)
				p->ops->finding(p, &f, p->opts.arg);
		}
		free(desired);
	}
}

static void
probe_finish(struct probe *p)
{
	struct probe_provider	*pp;
	struct probe_target	*t;
	struct timeval		 now, d;
	enum health_state	*states;
	enum health_obs		 obs;
	int64_t			 when;
	size_t			 i, j, n;
	char			 reason[128];

	gettimeofday(&now, NULL);
	timersub(&now, &p->started, &d);
	p->cyc.usec = (uint64_t)d.tv_sec * 1000000 + (uint64_t)d.tv_usec;
	when = (int64_t)now.tv_sec;
	for (i = 0; i < p->nprovs; i++) {
		pp = &p->provs[i];
		states = xcalloc(pp->ntargets + 1, sizeof(*states));
		for (j = 0, n = 0; j < pp->ntargets; j++) {
			t = &pp->targets[j];
			if (t->cyc_soa > 0) {
				obs = health_classify(&p->health.conf,
				    t->cyc_fail == 0, t->cyc_ms);
				if (obs == HEALTH_OBS_SLOW)
					snprintf(t->cyc_err, sizeof(t->cyc_err),
					    "SOA answered in %lld ms",
					    (long long)t->cyc_ms);
				health_observe(&p->health, &t->node, pp->name,
				    t->addr, HEALTH_KIND_DNS, obs,
				    t->cyc_err[0] != '\0' ? t->cyc_err : NULL,
				    when);
			}
			states[j] = t->node.state;
			if (t->node.state == HEALTH_DOWN)
				n++;
		}
		if (pp->ntargets == 0)
			snprintf(reason, sizeof(reason), "no probe addresses");
		else
			snprintf(reason, sizeof(reason), "%zu of %zu "
			    "nameservers down", n, pp->ntargets);
		health_set(&p->health, &pp->node, pp->name, NULL,
		    HEALTH_KIND_DNS, health_aggregate(states, pp->ntargets),
		    reason, when);
		free(states);
	}
	for (i = 0; i < p->nzones; i++) {
		if (p->zones[i].cyc_slots != NULL)
			probe_findings(p, &p->zones[i]);
		probe_slots_free(&p->zones[i]);
	}
	p->cyc.cycle = ++p->cycles;
	p->last = p->cyc;
	p->running = 0;
	if (p->ops != NULL && p->ops->cycle_done != NULL)
		p->ops->cycle_done(p, &p->last, p->opts.arg);
}

/* --- state carried across a reload ------------------------------------- */

void
probe_carry(struct probe *p, const struct probe *old)
{
	const struct probe_provider	*op;
	const struct probe_target	*ot;
	struct probe_provider		*pp;
	struct probe_target		*t;
	size_t				 i, j, k;

	if (old == NULL)
		return;
	for (i = 0; i < p->nprovs; i++) {
		pp = &p->provs[i];
		if ((op = probe_find_provider(old, pp->name)) == NULL)
			continue;
		pp->node = op->node;
		pp->lat = op->lat;
		for (j = 0; j < pp->ntargets; j++) {
			t = &pp->targets[j];
			for (k = 0; k < op->ntargets; k++) {
				ot = &op->targets[k];
				if (strcmp(ot->addr, t->addr) != 0)
					continue;
				t->node = ot->node;
				t->lat = ot->lat;
				t->queries = ot->queries;
				t->failures = ot->failures;
				t->ignored = ot->ignored;
				t->serial = ot->serial;
				t->have_serial = ot->have_serial;
			}
		}
	}
	for (i = 0; i < p->nzones; i++) {
		for (j = 0; j < old->nzones; j++) {
			if (strcmp(old->zones[j].origin,
			    p->zones[i].origin) == 0)
				p->zones[i].cursor = old->zones[j].cursor;
		}
	}
	p->cycles = old->cycles;
	p->last = old->last;
}

size_t
probe_nproviders(const struct probe *p)
{
	return (p->nprovs);
}

const struct probe_provider *
probe_provider(const struct probe *p, size_t i)
{
	return (i < p->nprovs ? &p->provs[i] : NULL);
}

const struct probe_provider *
probe_find_provider(const struct probe *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nprovs; i++) {
		if (strcmp(p->provs[i].name, name) == 0)
			return (&p->provs[i]);
	}
	return (NULL);
}

const struct probe_stats *
probe_last_stats(const struct probe *p)
{
	return (&p->last);
}
