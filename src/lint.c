/*
 * lint.c: advice about a zone, its providers and its delegation (see
 * lint.h for the checks).  Pure functions: no I/O, no logging.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "lint.h"
#include "xmalloc.h"
#include "zone.h"

#define LINT_LIST_MAX	512	/* characters of a list of names in a message */

static const char *const lint_severity_names[] = {
	[LINT_INFO] = "info",
	[LINT_WARNING] = "warning",
	[LINT_ERROR] = "error",
};

const char *
lint_severity_name(enum lint_severity s)
{
	if ((unsigned)s >= sizeof(lint_severity_names) /
	    sizeof(lint_severity_names[0]))
		return ("unknown");
	return (lint_severity_names[s]);
}

static void lint_add(struct lint_report *, enum lint_severity,
		    const char *, const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

static void
lint_add(struct lint_report *r, enum lint_severity sev, const char *check,
    const char *provider, const char *fmt, ...)
{
	struct lint_finding	*f;
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		msg = xstrdup("(out of memory)");
	r->findings = xreallocarray(r->findings, r->n + 1,
	    sizeof(*r->findings));
	f = &r->findings[r->n++];
	f->severity = sev;
	f->check = xstrdup(check);
	f->provider = provider != NULL ? xstrdup(provider) : NULL;
	f->message = msg;
}

void
lint_report_clear(struct lint_report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->findings[i].check);
		free(r->findings[i].provider);
		free(r->findings[i].message);
	}
	free(r->findings);
	r->findings = NULL;
	r->n = 0;
}

int
lint_report_attention(const struct lint_report *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		if (r->findings[i].severity != LINT_INFO)
			return (1);
	return (0);
}

/* --- names ---------------------------------------------------------------- */

/* Compare two absolute names, ignoring case and a missing trailing dot. */
static int
name_eq(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return (la == lb && strncasecmp(a, b, la) == 0);
}

static int
name_in(char *const *list, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (name_eq(list[i], name))
			return (1);
	return (0);
}

/* 1 when name is origin or below it. */
static int
name_under(const char *name, const char *origin)
{
	size_t	ln = strlen(name), lo = strlen(origin);

	if (ln > 0 && name[ln - 1] == '.')
		ln--;
	if (lo > 0 && origin[lo - 1] == '.')
		lo--;
	if (lo == 0)
		return (1);
	if (ln == lo)
		return (strncasecmp(name, origin, lo) == 0);
	return (ln > lo && name[ln - lo - 1] == '.' &&
	    strncasecmp(name + ln - lo, origin, lo) == 0);
}

/* The last label of an absolute name, without dots, into buf. */
static const char *
name_tld(const char *name, char *buf, size_t len)
{
	size_t		 n = strlen(name);
	const char	*p;

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (p = name + n; p > name && p[-1] != '.'; p--)
		;
	snprintf(buf, len, "%.*s", (int)(name + n - p), p);
	return (buf);
}

/* "a, b, c" (cut at LINT_LIST_MAX characters) */
static void
name_list(char *buf, size_t len, char *const *list, size_t n)
{
	size_t	i, used = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    list[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The distinct names of every provider; NULL when one has none. */
static char **
lint_union(const struct lint_input *in, size_t *np)
{
	char	**u = NULL;
	size_t	  n = 0, i, j;

	*np = 0;
	for (i = 0; i < in->nproviders; i++) {
		if (in->providers[i].nns == 0) {
			free(u);
			return (NULL);
		}
		for (j = 0; j < in->providers[i].nns; j++) {
			if (name_in(u, n, in->providers[i].ns[j]))
				continue;
			u = xreallocarray(u, n + 1, sizeof(*u));
			u[n++] = in->providers[i].ns[j];
		}
	}
	*np = n;
	return (u);
}

/* --- the zone -------------------------------------------------------------- */

static void
lint_counts(const struct lint_input *in, struct lint_report *r)
{
	const struct lint_provider	*p;
	char				**u, tld[64], first[64];
	size_t				 nu, i;

	for (i = 0; i < in->nproviders; i++) {
		p = &in->providers[i];
		if (p->nns == 0)
			continue;
		if (p->nns < LINT_MIN_NS)
			lint_add(r, LINT_WARNING, "ns-count", p->name,
			    "provider %s has %zu nameserver: fewer than %d "
			    "leaves it no redundancy of its own", p->name,
			    p->nns, LINT_MIN_NS);
		else if (p->nns > LINT_MAX_NS)
			lint_add(r, LINT_WARNING, "ns-count", p->name,
			    "provider %s has %zu nameservers, over %d: a "
			    "resolver may try %zu of them (N/2+1) before it "
			    "gets an answer", p->name, p->nns, LINT_MAX_NS,
			    p->nns / 2 + 1);
	}
	if (in->nproviders == 0 || (u = lint_union(in, &nu)) == NULL)
		return;
	if (nu < LINT_MIN_NS)
		lint_add(r, LINT_ERROR, "ns-count", NULL,
		    "%zu nameserver in all: fewer than %d leaves the zone no "
		    "redundancy", nu, LINT_MIN_NS);
	else if (nu > LINT_MAX_NS)
		lint_add(r, LINT_WARNING, "ns-count", NULL,
		    "%zu nameservers in all, over %d: a resolver may try %zu "
		    "of them (N/2+1) before it gets an answer", nu,
		    LINT_MAX_NS, nu / 2 + 1);
	if (nu >= 2) {
		name_tld(u[0], first, sizeof(first));
		for (i = 1; i < nu; i++)
			if (strcasecmp(name_tld(u[i], tld, sizeof(tld)),
			    first) != 0)
				break;
		if (i == nu)
			lint_add(r, LINT_WARNING, "one-tld", NULL,
			    "all %zu nameservers are under .%s: an outage of "
			    "that TLD takes the zone down", nu, first);
	}
	free(u);
}

/* 1 when owner is an in-zone target of an NS RRset or of the apex MX. */
static int
lint_is_target(const struct zone *z, const char *owner)
{
	const struct rrset	*rs;
	const char		*t;
	size_t			 i, j;

	if (!name_under(owner, z->origin))
		return (0);
	for (i = 0; i < z->nrrsets; i++) {
		rs = &z->rrsets[i];
		if (rs->type != LDNS_RR_TYPE_NS &&
		    !(rs->type == LDNS_RR_TYPE_MX &&
		    strcmp(rs->owner, z->origin) == 0))
			continue;
		for (j = 0; j < rs->nrdata; j++) {
			t = rs->rdata[j].text;
			if (rs->type == LDNS_RR_TYPE_MX &&
			    (t = strchr(t, ' ')) != NULL)
				t++;
			if (t != NULL && name_eq(t, owner))
				return (1);
		}
	}
	return (0);
}

static void
lint_ttls(const struct lint_input *in, struct lint_report *r)
{
	const struct zone	*z = in->content;
	const struct rrset	*rs;
	char			 tbuf[16];
	size_t			 i;
	int			 apex, stable;

	if (z == NULL)
		return;
	for (i = 0; i < z->nrrsets; i++) {
		rs = &z->rrsets[i];
		apex = strcmp(rs->owner, z->origin) == 0;
		switch (rs->type) {
		case LDNS_RR_TYPE_NS:
			stable = 1;
			break;
		case LDNS_RR_TYPE_MX:
			stable = apex;
			break;
		case LDNS_RR_TYPE_A:
		case LDNS_RR_TYPE_AAAA:
			stable = apex || lint_is_target(z, rs->owner);
			break;
		default:
			stable = 0;
		}
		if (stable && rs->ttl < in->min_ttl)
			lint_add(r, LINT_WARNING, "short-ttl", NULL,
			    "%s %s has TTL %u, under lint-min-ttl %u: records "
			    "that rarely change should be cached longer",
			    rs->owner, zone_type_name(rs->type, tbuf,
			    sizeof(tbuf)), rs->ttl, in->min_ttl);
		if (apex && rs->type == LDNS_RR_TYPE_NS &&
		    rs->ttl > in->max_ns_ttl)
			lint_add(r, LINT_WARNING, "ns-ttl-long", NULL,
			    "apex NS has TTL %u, over lint-max-ns-ttl %u: "
			    "withdrawing a provider's nameservers takes that "
			    "long to reach every resolver", rs->ttl,
			    in->max_ns_ttl);
	}
}

void
lint_zone(const struct lint_input *in, struct lint_report *r)
{
	const struct lint_provider	*p;
	size_t				 i;

	if (in->nproviders == 1)
		lint_add(r, LINT_WARNING, "single-provider", NULL,
		    "only one provider (%s): no redundancy when it fails",
		    in->providers[0].name);
	for (i = 0; i < in->nproviders; i++) {
		p = &in->providers[i];
		if (p->nns == 0)
			lint_add(r, LINT_INFO, "no-nameservers", p->name,
			    "provider %s has no nameservers key: its "
			    "nameservers are not counted or compared with the "
			    "delegation", p->name);
	}
	for (i = 0; in->nproviders > 1 && i < in->nproviders; i++) {
		p = &in->providers[i];
		if (p->apex_ns_cap == 0)
			lint_add(r, LINT_WARNING, "apex-ns-cap", p->name,
			    "provider %s cannot edit its apex NS: it will not "
			    "list the other providers' nameservers", p->name);
	}
	lint_counts(in, r);
	lint_ttls(in, r);
	lint_delegation(in, r);
}

/* --- the delegation -------------------------------------------------------- */

static const struct lint_provider *
lint_find_provider(const struct lint_input *in, const char *name)
{
	size_t	i;

	for (i = 0; i < in->nproviders; i++)
		if (strcmp(in->providers[i].name, name) == 0)
			return (&in->providers[i]);
	return (NULL);
}

/* The provider's apex NS as served, against the desired one. */
static void
lint_apex(const struct lint_input *in, const struct lint_apex *a,
    char *const *u, size_t nu, struct lint_report *r)
{
	const struct lint_provider	*p;
	char				**lack = NULL, **extra = NULL;
	char				 list[LINT_LIST_MAX];
	size_t				 nlack = 0, nextra = 0, i;
	int				 others = 0, own_only = 1;

	if (!a->answered || a->nns == 0 ||
	    (p = lint_find_provider(in, a->provider)) == NULL || p->nns == 0)
		return;
	for (i = 0; i < a->nns; i++)
		if (!name_in(p->ns, p->nns, a->ns[i]))
			own_only = 0;
	for (i = 0; u != NULL && i < nu; i++) {
		if (!name_in(p->ns, p->nns, u[i]))
			others = 1;
		if (!name_in(a->ns, a->nns, u[i])) {
			lack = xreallocarray(lack, nlack + 1, sizeof(*lack));
			lack[nlack++] = u[i];
		}
	}
	for (i = 0; u != NULL && i < a->nns; i++) {
		if (!name_in(u, nu, a->ns[i])) {
			extra = xreallocarray(extra, nextra + 1,
			    sizeof(*extra));
			extra[nextra++] = a->ns[i];
		}
	}
	if (own_only && others) {
		name_list(list, sizeof(list), a->ns, a->nns);
		lint_add(r, LINT_ERROR, "provider-own-ns", p->name,
		    "provider %s serves only its own nameservers in the apex "
		    "NS (%s): resolvers that ask it never learn the other "
		    "providers'", p->name, list);
	} else if (nlack > 0) {
		name_list(list, sizeof(list), lack, nlack);
		lint_add(r, LINT_WARNING, "provider-apex-ns", p->name,
		    "provider %s serves an apex NS without %s", p->name, list);
	}
	if (nextra > 0) {
		name_list(list, sizeof(list), extra, nextra);
		lint_add(r, LINT_WARNING, "provider-apex-ns", p->name,
		    "provider %s serves an apex NS with %s, which no provider "
		    "is configured with", p->name, list);
	}
	free(lack);
	free(extra);
}

void
lint_delegation(const struct lint_input *in, struct lint_report *r)
{
	const struct lint_delegation	*d = in->delegation;
	const struct lint_provider	*p;
	char				**u, **miss = NULL;
	char				 list[LINT_LIST_MAX];
	size_t				 nu, nmiss, i, j;

	if (d == NULL)
		return;
	u = lint_union(in, &nu);
	if (!d->answered)
		lint_add(r, LINT_WARNING, "parent-unanswered", NULL,
		    "the parent (%s) gave no referral: %s; the delegation is "
		    "not checked", d->parent != NULL ? d->parent : "?",
		    d->error != NULL ? d->error : "no answer");
	for (i = 0; d->answered && u != NULL && i < d->nns; i++)
		if (!name_in(u, nu, d->ns[i]))
			lint_add(r, LINT_ERROR, "parent-lame", NULL,
			    "the parent lists %s, which no provider serves "
			    "(lame delegation)", d->ns[i]);
	for (i = 0; d->answered && u != NULL && i < in->nproviders; i++) {
		p = &in->providers[i];
		nmiss = 0;
		for (j = 0; j < p->nns; j++) {
			if (name_in(d->ns, d->nns, p->ns[j]))
				continue;
			miss = xreallocarray(miss, nmiss + 1, sizeof(*miss));
			miss[nmiss++] = p->ns[j];
		}
		if (nmiss == 0)
			continue;
		name_list(list, sizeof(list), miss, nmiss);
		if (nmiss == p->nns)
			lint_add(r, LINT_ERROR, "parent-missing", p->name,
			    "the parent delegates to none of provider %s's "
			    "nameservers (%s): resolvers never ask it",
			    p->name, list);
		else
			lint_add(r, LINT_WARNING, "parent-missing", p->name,
			    "the parent does not list provider %s's %s",
			    p->name, list);
	}
	free(miss);
	for (i = 0; d->answered && i < d->nns; i++)
		if (name_under(d->ns[i], in->zone) &&
		    !name_in(d->glue, d->nglue, d->ns[i]))
			lint_add(r, LINT_ERROR, "missing-glue", NULL,
			    "the parent has no glue for %s, which is inside "
			    "the zone: resolvers cannot reach it", d->ns[i]);
	for (i = 0; i < d->napex; i++)
		lint_apex(in, &d->apex[i], u, nu, r);
	free(u);
}

/* --- delegation results ------------------------------------------------------ */

static char **
names_dup(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	if (n == 0)
		return (NULL);
	c = xcalloc(n, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return (c);
}

static void
names_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct lint_delegation *
lint_delegation_dup(const struct lint_delegation *d)
{
	struct lint_delegation	*c;
	size_t			 i;

	if (d == NULL)
		return (NULL);
	c = xcalloc(1, sizeof(*c));
	c->parent = d->parent != NULL ? xstrdup(d->parent) : NULL;
	c->answered = d->answered;
	c->error = d->error != NULL ? xstrdup(d->error) : NULL;
	c->ns = names_dup(d->ns, d->nns);
	c->nns = d->nns;
	c->glue = names_dup(d->glue, d->nglue);
	c->nglue = d->nglue;
	c->time = d->time;
	if (d->napex > 0)
		c->apex = xcalloc(d->napex, sizeof(*c->apex));
	for (i = 0; i < d->napex; i++) {
		c->apex[i].provider = xstrdup(d->apex[i].provider);
		c->apex[i].answered = d->apex[i].answered;
		c->apex[i].ns = names_dup(d->apex[i].ns, d->apex[i].nns);
		c->apex[i].nns = d->apex[i].nns;
		c->apex[i].error = d->apex[i].error != NULL ?
		    xstrdup(d->apex[i].error) : NULL;
	}
	c->napex = d->napex;
	return (c);
}

void
lint_delegation_free(struct lint_delegation *d)
{
	size_t	i;

	if (d == NULL)
		return;
	free(d->parent);
	free(d->error);
	names_free(d->ns, d->nns);
	names_free(d->glue, d->nglue);
	for (i = 0; i < d->napex; i++) {
		free(d->apex[i].provider);
		names_free(d->apex[i].ns, d->apex[i].nns);
		free(d->apex[i].error);
	}
	free(d->apex);
	free(d);
}
