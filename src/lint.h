/*
 * lint.h: advice from the field about a zone, its providers and its
 * delegation.
 *
 * lint_zone() is a pure function: it reads the desired zone, the zone's
 * providers as configured (their `nameservers' and whether they can edit
 * the apex NS) and, when the delegation check has run, what the parent
 * and each provider served (delegation.c fills struct lint_delegation),
 * and appends findings, each with a severity, the name of its check and a
 * one-line reason.  A zone that follows every rule has no findings.
 *
 * The checks, in the order they are reported:
 *   single-provider  warning  the zone has one provider: no redundancy.
 *   no-nameservers   info     a provider has no `nameservers' key: the
 *                             counts below and the delegation cannot take
 *                             it into account.
 *   apex-ns-cap      warning  with more than one provider, a provider that
 *                             cannot edit its apex NS (it will never list
 *                             the others' nameservers).
 *   ns-count         warning  a provider with fewer than LINT_MIN_NS or
 *                             more than LINT_MAX_NS nameservers; in all
 *                             (distinct names over every provider), fewer
 *                             than LINT_MIN_NS is an error, more than
 *                             LINT_MAX_NS a warning: a resolver may try
 *                             N/2+1 of N nameservers before it gets an
 *                             answer, so many nameservers of which some
 *                             are down make lookups slow.
 *   one-tld          warning  two or more nameservers, all under one TLD.
 *   short-ttl        warning  a record that rarely changes with a TTL under
 *                             min_ttl (lint-min-ttl): every NS RRset, the
 *                             apex MX, A and AAAA, and the A and AAAA of
 *                             in-zone names that an NS or the apex MX
 *                             points to.  One finding per RRset.
 *   ns-ttl-long      warning  the apex NS TTL is over max_ns_ttl
 *                             (lint-max-ns-ttl): withdrawing a provider
 *                             that is down from the apex NS takes that
 *                             long to reach every resolver.
 * and, from the delegation check (only when it ran):
 *   parent-unanswered warning no parent address gave a usable referral.
 *   parent-lame      error    the parent lists a nameserver that is in no
 *                             provider's `nameservers'.
 *   parent-missing   error    the parent lists none of a provider's
 *                             nameservers: resolvers never ask it;
 *                    warning  it lists only some of them.
 *   missing-glue     error    the parent lists a name at or below the zone
 *                             without an A or AAAA glue record.
 *   provider-own-ns  error    a provider's served apex NS holds only its
 *                             own nameservers (none of the others');
 *   provider-apex-ns warning  it lacks some of the desired names, or holds
 *                             names of no provider.
 * parent-lame and parent-missing need every provider's `nameservers'; the
 * apex checks need the names of the providers concerned.
 */
#ifndef MULTIDNS_LINT_H
#define MULTIDNS_LINT_H

#include <stddef.h>
#include <stdint.h>

struct zone;

#define LINT_MIN_TTL_DEFAULT	300	/* lint-min-ttl */
#define LINT_MAX_NS_TTL_DEFAULT	86400	/* lint-max-ns-ttl */
#define LINT_MIN_NS		2	/* per provider and in all */
#define LINT_MAX_NS		8	/* per provider and in all */

enum lint_severity {
	LINT_INFO,
	LINT_WARNING,
	LINT_ERROR,
};

struct lint_finding {
	enum lint_severity	 severity;
	char			*check;		/* "short-ttl", ... */
	char			*provider;	/* NULL when about the zone */
	char			*message;	/* one line */
};

struct lint_report {
	struct lint_finding	*findings;
	size_t			 n;
};

/* A provider of the zone, as configured. */
struct lint_provider {
	const char		*name;
	char *const		*ns;		/* its `nameservers' (absolute) */
	size_t			 nns;		/* 0: unknown (no key) */
	int			 apex_ns_cap;	/* 1 can edit its apex NS, 0 not,
						   -1 unknown (type not built) */
};

/* A provider's apex NS as its nameservers served it. */
struct lint_apex {
	char			*provider;
	int			 answered;	/* an NS RRset was read */
	char			**ns;		/* lower-case, absolute */
	size_t			 nns;
	char			*error;		/* why not, or NULL */
};

/* What the delegation check saw (delegation.c). */
struct lint_delegation {
	char			*parent;	/* the addresses asked */
	int			 answered;	/* a referral (or NS) was read */
	char			*error;		/* why not, or NULL */
	char			**ns;		/* the parent's NS names */
	size_t			 nns;
	char			**glue;		/* names with A/AAAA glue */
	size_t			 nglue;
	struct lint_apex	*apex;		/* one per provider asked */
	size_t			 napex;
	int64_t			 time;		/* unix seconds of the check */
};

struct lint_input {
	const char			*zone;		/* origin, absolute */
	const struct zone		*content;	/* desired; may be NULL */
	const struct lint_provider	*providers;
	size_t				 nproviders;
	const struct lint_delegation	*delegation;	/* NULL: not checked */
	uint32_t			 min_ttl;
	uint32_t			 max_ns_ttl;
};

/* Append the zone's findings to report. */
void		 lint_zone(const struct lint_input *, struct lint_report *);
/* Only the delegation checks (those lint_zone reports last). */
void		 lint_delegation(const struct lint_input *,
		    struct lint_report *);
/* Free the findings (not the struct); the report is empty again. */
void		 lint_report_clear(struct lint_report *);
/* 1 when a finding is a warning or an error. */
int		 lint_report_attention(const struct lint_report *);
const char	*lint_severity_name(enum lint_severity);

/* Deep copy and free of a delegation result (NULL is fine). */
struct lint_delegation *lint_delegation_dup(const struct lint_delegation *);
void		 lint_delegation_free(struct lint_delegation *);

#endif
