/*
 * delegation.c: a zone's delegation as its parent serves it, and its apex
 * NS as each provider serves it, over DNS (see delegation.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>

#include "delegation.h"
#include "dnsio.h"
#include "lint.h"
#include "xmalloc.h"

#define DELEG_ADDR_MAX	64	/* "[v6]:port" text */
#define DELEG_ERR_MAX	256
#define DELEG_NAMES_MAX	64	/* NS names kept from one answer */

struct deleg_addr {
	char			 text[DELEG_ADDR_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

struct deleg_prov {
	char			*name;
	struct deleg_addr	*addrs;
	size_t			 naddrs;
	/* The check in progress. */
	int			 answered;
	char			**ns;
	size_t			 nns;
	char			 error[DELEG_ERR_MAX];
};

struct deleg_zone {
	char			*origin;
	char			*parent;	/* as configured */
	struct deleg_addr	*parents;
	size_t			 nparents;
	struct deleg_prov	*provs;
	size_t			 nprovs;
	/* The check in progress. */
	int			 answered;
	char			**ns;
	size_t			 nns;
	char			**glue;
	size_t			 nglue;
	char			 error[DELEG_ERR_MAX];
	/* Results. */
	struct lint_delegation	*result;
	char			**reported;
	size_t			 nreported;
};

struct deleg_q {
	struct delegation	*d;
	size_t			 zone;
	size_t			 prov;		/* SIZE_MAX: the parent */
	const struct deleg_addr	*addr;
	struct dnsio_query	*q;		/* NULL once answered */
};

struct delegation {
	struct event_base	*base;
	unsigned		 timeout_ms;
	unsigned		 retries;
	delegation_done_cb	 done;
	void			*arg;
	struct deleg_zone	*zones;
	size_t			 nzones;
	struct deleg_q		*qs;		/* the check in progress */
	size_t			 nqs;
	size_t			 pending;
	int			 busy;
};

static void	deleg_finish(struct delegation *);

/* --- names ----------------------------------------------------------------- */

/* Absolute, lower-case copy. */
static char *
deleg_name(const char *s)
{
	size_t	 n = strlen(s), i;
	char	*c;

	c = xmalloc(n + 2);
	for (i = 0; i < n; i++)
		c[i] = (char)tolower((unsigned char)s[i]);
	if (n == 0 || c[n - 1] != '.')
		c[n++] = '.';
	c[n] = '\0';
	return (c);
}

static int
deleg_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Add name (made absolute, lower-case) to a sorted set; 1 when added. */
static int
deleg_names_add(char ***v, size_t *n, const char *name)
{
	char	*c = deleg_name(name);
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i], c) == 0) {
			free(c);
			return (0);
		}
	}
	if (*n >= DELEG_NAMES_MAX) {
		free(c);
		return (0);
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = c;
	qsort(*v, *n, sizeof(**v), deleg_name_cmp);
	return (1);
}

static void
deleg_names_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
deleg_names_has(char *const *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return (1);
	return (0);
}

/* An RR's owner (or an rdf) as an absolute lower-case string. */
static char *
deleg_rdf_name(const ldns_rdf *rdf)
{
	char	*s, *c;

	if (rdf == NULL || (s = ldns_rdf2str(rdf)) == NULL)
		return (xstrdup("."));
	c = deleg_name(s);
	free(s);
	return (c);
}

int
delegation_parse(const ldns_pkt *p, const char *origin, char ***nsp,
    size_t *nnsp, char ***gluep, size_t *ngluep, char *err, size_t errlen)
{
	ldns_rr_list	*sects[2], *add;
	ldns_rr		*rr;
	char		*zone, *owner, *target, **ns = NULL, **glue = NULL;
	char		 rbuf[32];
	size_t		 nns = 0, nglue = 0, s, i;
	const char	*rcode;
	ldns_rr_type	 t;

	*nsp = *gluep = NULL;
	*nnsp = *ngluep = 0;
	if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
		rcode = ldns_lookup_by_id(ldns_rcodes,
		    (int)ldns_pkt_get_rcode(p)) != NULL ?
		    ldns_lookup_by_id(ldns_rcodes,
		    (int)ldns_pkt_get_rcode(p))->name : NULL;
		if (rcode == NULL) {
			snprintf(rbuf, sizeof(rbuf), "RCODE%d",
			    (int)ldns_pkt_get_rcode(p));
			rcode = rbuf;
		}
		snprintf(err, errlen, "answered %s", rcode);
		return (-1);
	}
	zone = deleg_name(origin);
	sects[0] = ldns_pkt_answer(p);
	sects[1] = ldns_pkt_authority(p);
	for (s = 0; s < 2 && nns == 0; s++) {
		for (i = 0; sects[s] != NULL &&
		    i < ldns_rr_list_rr_count(sects[s]); i++) {
			rr = ldns_rr_list_rr(sects[s], i);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
			    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_rr_rd_count(rr) < 1)
				continue;
			owner = deleg_rdf_name(ldns_rr_owner(rr));
			if (strcmp(owner, zone) == 0) {
				target = deleg_rdf_name(ldns_rr_rdf(rr, 0));
				(void)deleg_names_add(&ns, &nns, target);
				free(target);
			}
			free(owner);
		}
	}
	if (nns == 0) {
		snprintf(err, errlen, "no NS RRset for %s in the answer", zone);
		free(zone);
		return (-1);
	}
	add = ldns_pkt_additional(p);
	for (i = 0; add != NULL && i < ldns_rr_list_rr_count(add); i++) {
		rr = ldns_rr_list_rr(add, i);
		t = ldns_rr_get_type(rr);
		if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		owner = deleg_rdf_name(ldns_rr_owner(rr));
		if (deleg_names_has(ns, nns, owner))
			(void)deleg_names_add(&glue, &nglue, owner);
		free(owner);
	}
	free(zone);
	*nsp = ns;
	*nnsp = nns;
	*gluep = glue;
	*ngluep = nglue;
	return (0);
}

/* --- setup ----------------------------------------------------------------- */

static int
deleg_addrs(const char *list, struct deleg_addr **vp, size_t *np, char *err,
    size_t errlen)
{
	struct deleg_addr	*v = NULL, *a;
	char			*copy, *s, *w;
	size_t			 n = 0;

	copy = xstrdup(list);
	for (s = copy; (w = strsep(&s, ", \t")) != NULL;) {
		if (*w == '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		a = &v[n];
		memset(a, 0, sizeof(*a));
		if (dnsio_addr_parse(w, 53, &a->ss, &a->sslen) == -1) {
			snprintf(err, errlen, "'%.64s' is not an IP address "
			    "with an optional port", w);
			free(copy);
			free(v);
			return (-1);
		}
		dnsio_addr_str((struct sockaddr *)&a->ss, a->text,
		    sizeof(a->text));
		n++;
	}
	free(copy);
	*vp = v;
	*np = n;
	return (0);
}

struct delegation *
delegation_new(struct event_base *base, unsigned timeout_ms, unsigned retries,
    delegation_done_cb done, void *arg)
{
	struct delegation	*d;

	d = xcalloc(1, sizeof(*d));
	d->base = base;
	d->timeout_ms = timeout_ms;
	d->retries = retries;
	d->done = done;
	d->arg = arg;
	return (d);
}

static void
deleg_cycle_clear(struct deleg_zone *z)
{
	size_t	i;

	deleg_names_free(z->ns, z->nns);
	deleg_names_free(z->glue, z->nglue);
	z->ns = z->glue = NULL;
	z->nns = z->nglue = 0;
	z->answered = 0;
	z->error[0] = '\0';
	for (i = 0; i < z->nprovs; i++) {
		deleg_names_free(z->provs[i].ns, z->provs[i].nns);
		z->provs[i].ns = NULL;
		z->provs[i].nns = 0;
		z->provs[i].answered = 0;
		z->provs[i].error[0] = '\0';
	}
}

void
delegation_free(struct delegation *d)
{
	struct deleg_zone	*z;
	size_t			 i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->nqs; i++)
		dnsio_cancel(d->qs[i].q);
	free(d->qs);
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		deleg_cycle_clear(z);
		for (j = 0; j < z->nprovs; j++) {
			free(z->provs[j].name);
			free(z->provs[j].addrs);
		}
		free(z->provs);
		free(z->parents);
		free(z->parent);
		free(z->origin);
		lint_delegation_free(z->result);
		deleg_names_free(z->reported, z->nreported);
	}
	free(d->zones);
	free(d);
}

int
delegation_add_zone(struct delegation *d, const char *origin,
    const char *parent, char *err, size_t errlen)
{
	struct deleg_zone	*z;
	struct deleg_addr	*v;
	size_t			 n;
	char			 why[DELEG_ERR_MAX];

	if (deleg_addrs(parent, &v, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "zone %s: parent: %s", origin, why);
		return (-1);
	}
	if (n == 0) {
		snprintf(err, errlen, "zone %s: parent: no address", origin);
		return (-1);
	}
	d->zones = xreallocarray(d->zones, d->nzones + 1, sizeof(*d->zones));
	z = &d->zones[d->nzones];
	memset(z, 0, sizeof(*z));
	z->origin = deleg_name(origin);
	z->parent = xstrdup(parent);
	z->parents = v;
	z->nparents = n;
	return ((int)d->nzones++);
}

int
delegation_add_provider(struct delegation *d, size_t zone, const char *name,
    const char *addrs, char *err, size_t errlen)
{
	struct deleg_zone	*z = &d->zones[zone];
	struct deleg_prov	*p;
	struct deleg_addr	*v = NULL;
	size_t			 n = 0;
	char			 why[DELEG_ERR_MAX];

	if (addrs != NULL && deleg_addrs(addrs, &v, &n, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "provider %s: %s", name, why);
		return (-1);
	}
	z->provs = xreallocarray(z->provs, z->nprovs + 1, sizeof(*z->provs));
	p = &z->provs[z->nprovs];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->addrs = v;
	p->naddrs = n;
	return ((int)z->nprovs++);
}

size_t
delegation_nzones(const struct delegation *d)
{
	return (d->nzones);
}

const char *
delegation_zone_name(const struct delegation *d, size_t i)
{
	return (i < d->nzones ? d->zones[i].origin : NULL);
}

int
delegation_busy(const struct delegation *d)
{
	return (d->busy);
}

static struct deleg_zone *
deleg_find(const struct delegation *d, const char *zone)
{
	char	*c;
	size_t	 i;

	c = deleg_name(zone);
	for (i = 0; i < d->nzones; i++) {
		if (strcmp(d->zones[i].origin, c) == 0) {
			free(c);
			return (&d->zones[i]);
		}
	}
	free(c);
	return (NULL);
}

const struct lint_delegation *
delegation_result(const struct delegation *d, const char *zone)
{
	struct deleg_zone	*z;

	if (d == NULL || (z = deleg_find(d, zone)) == NULL)
		return (NULL);
	return (z->result);
}

int
delegation_reported(const struct delegation *d, size_t zone,
    const char *message)
{
	const struct deleg_zone	*z = &d->zones[zone];
	size_t			 i;

	for (i = 0; i < z->nreported; i++)
		if (strcmp(z->reported[i], message) == 0)
			return (1);
	return (0);
}

void
delegation_set_reported(struct delegation *d, size_t zone,
    char *const *messages, size_t n)
{
	struct deleg_zone	*z = &d->zones[zone];
	size_t			 i;

	deleg_names_free(z->reported, z->nreported);
	z->reported = n > 0 ? xcalloc(n, sizeof(*z->reported)) : NULL;
	for (i = 0; i < n; i++)
		z->reported[i] = xstrdup(messages[i]);
	z->nreported = n;
}

void
delegation_carry(struct delegation *d, const struct delegation *old)
{
	struct deleg_zone	*z, *o;
	size_t			 i;

	if (old == NULL)
		return;
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		if ((o = deleg_find(old, z->origin)) == NULL)
			continue;
		lint_delegation_free(z->result);
		z->result = lint_delegation_dup(o->result);
		if (z->result != NULL) {
			free(z->result->parent);
			z->result->parent = xstrdup(z->parent);
		}
		delegation_set_reported(d, i, o->reported, o->nreported);
	}
}

/* --- the check ------------------------------------------------------------- */

static void
deleg_q_cb(int status, ldns_pkt *a, const struct dnsio_stats *st, void *arg)
{
	struct deleg_q		*q = arg;
	struct delegation	*d = q->d;
	struct deleg_zone	*z = &d->zones[q->zone];
	struct deleg_prov	*p;
	char			**ns = NULL, **glue = NULL;
	char			 why[DELEG_ERR_MAX];
	size_t			 nns = 0, nglue = 0, i;

	q->q = NULL;
	if (status != DNSIO_OK || a == NULL)
		snprintf(why, sizeof(why), "%.63s: %.180s", q->addr->text,
		    st != NULL && st->error[0] != '\0' ? st->error :
		    dnsio_strerror(status));
	else if (delegation_parse(a, z->origin, &ns, &nns, &glue, &nglue,
	    why, sizeof(why)) == -1) {
		char	tmp[DELEG_ERR_MAX];

		snprintf(tmp, sizeof(tmp), "%.63s %.180s", q->addr->text,
		    why);
		memcpy(why, tmp, sizeof(why));
		status = -1;
	}
	if (q->prov == SIZE_MAX) {
		if (status == DNSIO_OK) {
			z->answered = 1;
			for (i = 0; i < nns; i++)
				(void)deleg_names_add(&z->ns, &z->nns, ns[i]);
			for (i = 0; i < nglue; i++)
				(void)deleg_names_add(&z->glue, &z->nglue,
				    glue[i]);
		} else
			memcpy(z->error, why, sizeof(z->error));
	} else {
		p = &z->provs[q->prov];
		if (status == DNSIO_OK) {
			p->answered = 1;
			for (i = 0; i < nns; i++)
				(void)deleg_names_add(&p->ns, &p->nns, ns[i]);
		} else
			memcpy(p->error, why, sizeof(p->error));
	}
	deleg_names_free(ns, nns);
	deleg_names_free(glue, nglue);
	if (--d->pending == 0)
		deleg_finish(d);
}

static void
deleg_send(struct delegation *d, size_t zone, size_t prov,
    const struct deleg_addr *a)
{
	struct deleg_zone	*z = &d->zones[zone];
	struct deleg_q		*q = &d->qs[d->nqs];
	struct dnsio_opts	 o;
	char			 err[DELEG_ERR_MAX];

	memset(&o, 0, sizeof(o));
	o.timeout_ms = d->timeout_ms;
	o.retries = d->retries;
	q->d = d;
	q->zone = zone;
	q->prov = prov;
	q->addr = a;
	q->q = dnsio_query_name(d->base, (const struct sockaddr *)&a->ss,
	    a->sslen, z->origin, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, 0, &o,
	    deleg_q_cb, q, err, sizeof(err));
	if (q->q == NULL) {
		if (prov == SIZE_MAX)
			snprintf(z->error, sizeof(z->error), "%.63s: %.180s",
			    a->text, err);
		else
			snprintf(z->provs[prov].error,
			    sizeof(z->provs[prov].error), "%.63s: %.180s", a->text,
			    err);
		return;
	}
	d->nqs++;
	d->pending++;
}

int
delegation_check(struct delegation *d)
{
	struct deleg_zone	*z;
	size_t			 i, j, k, n = 0;

	if (d->busy)
		return (-1);
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		deleg_cycle_clear(z);
		n += z->nparents;
		for (j = 0; j < z->nprovs; j++)
			n += z->provs[j].naddrs;
	}
	free(d->qs);
	d->qs = n > 0 ? xcalloc(n, sizeof(*d->qs)) : NULL;
	d->nqs = 0;
	d->pending = 0;
	d->busy = 1;
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		for (k = 0; k < z->nparents; k++)
			deleg_send(d, i, SIZE_MAX, &z->parents[k]);
		for (j = 0; j < z->nprovs; j++)
			for (k = 0; k < z->provs[j].naddrs; k++)
				deleg_send(d, i, j, &z->provs[j].addrs[k]);
	}
	if (d->pending == 0)
		deleg_finish(d);
	return (0);
}

/* Every query has ended: make each zone's result, tell the caller. */
static void
deleg_finish(struct delegation *d)
{
	struct deleg_zone	*z;
	struct lint_delegation	*r;
	struct lint_apex	*a;
	size_t			 i, j;
	int64_t			 now = (int64_t)time(NULL);

	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		r = xcalloc(1, sizeof(*r));
		r->parent = xstrdup(z->parent);
		r->answered = z->answered;
		r->error = !z->answered && z->error[0] != '\0' ?
		    xstrdup(z->error) : NULL;
		r->ns = z->ns;
		r->nns = z->nns;
		r->glue = z->glue;
		r->nglue = z->nglue;
		z->ns = z->glue = NULL;
		z->nns = z->nglue = 0;
		r->time = now;
		if (z->nprovs > 0)
			r->apex = xcalloc(z->nprovs, sizeof(*r->apex));
		for (j = 0; j < z->nprovs; j++) {
			a = &r->apex[r->napex];
			if (z->provs[j].naddrs == 0)
				continue;
			a->provider = xstrdup(z->provs[j].name);
			a->answered = z->provs[j].answered;
			a->ns = z->provs[j].ns;
			a->nns = z->provs[j].nns;
			z->provs[j].ns = NULL;
			z->provs[j].nns = 0;
			a->error = !a->answered &&
			    z->provs[j].error[0] != '\0' ?
			    xstrdup(z->provs[j].error) : NULL;
			r->napex++;
		}
		lint_delegation_free(z->result);
		z->result = r;
	}
	free(d->qs);
	d->qs = NULL;
	d->nqs = 0;
	d->busy = 0;
	if (d->done != NULL)
		d->done(d, d->arg);
}
