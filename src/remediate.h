/*
 * remediate.h: withdraw an unhealthy provider's nameservers from the apex
 * NS, and put them back once it is healthy again.
 *
 * The desired apex NS of a zone is the union of its providers'
 * nameservers (reconcile.c).  A provider that is withdrawn takes no part
 * in that union, so the next reconcile of each of its zones removes its
 * names from the apex NS at every provider that can edit it; a provider
 * reinstated is back in the union and the next reconcile adds them again.
 *
 * With on-outage = withdraw, after every probe cycle:
 *   - a provider whose DNS health has been DOWN for withdraw-after seconds
 *     is withdrawn, unless that would leave one of its zones with no
 *     provider both in the union and not DOWN (the last healthy provider
 *     is never withdrawn): then the withdrawal is refused, logged and
 *     alerted once per outage;
 *   - a provider withdrawn automatically that has been HEALTHY for
 *     reinstate-after seconds is reinstated.
 * With on-outage = alert, nothing is withdrawn automatically, and a
 * provider left withdrawn automatically (the policy was changed by a
 * reload) is reinstated.
 *
 * `dnsctl withdraw PROVIDER` withdraws at once, whatever its health and
 * the policy, under the same last-healthy rule; the provider then stays
 * withdrawn until `dnsctl reinstate PROVIDER` (never reinstated
 * automatically).  `dnsctl reinstate` ends any withdrawal at once; a
 * provider still down then starts a new withdraw-after hold.
 *
 * Each withdrawal and reinstatement is logged, raised as an ns-withdrawn
 * or ns-reinstated event (stored in the events table, the explicit audit
 * record, and sent to webhooks), and triggers a reconcile of each of the
 * provider's zones, whose NS change lands in the changes table (the audit
 * log) like any other.  The state is carried by provider name across a
 * reload and read back from the events table after a restart.
 *
 * The decisions are pure functions (no clock, no I/O) for the unit tests.
 */
#ifndef MULTIDNS_REMEDIATE_H
#define MULTIDNS_REMEDIATE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "health.h"

struct daemon;
struct daemon_provider;
struct control_request;
struct control_reply;

/* One provider's withdrawal state, carried across reloads by name. */
struct remediate_state {
	int		 withdrawn;
	int		 manual;	/* by an operator: held until reinstate */
	int64_t		 since;		/* when withdrawn */
	int64_t		 reinstated;	/* last reinstated (a new hold) */
	int		 refused;	/* a refusal alerted, this outage */
};

struct remediate_policy {
	enum outage_action on_outage;
	unsigned	 withdraw_after;	/* seconds */
	unsigned	 reinstate_after;	/* seconds */
};

/* One provider of a zone, as remediate_serving() sees it. */
struct remediate_peer {
	enum health_state dns;
	int		 withdrawn;
};

enum remediate_action {
	REMEDIATE_KEEP,		/* nothing to do */
	REMEDIATE_WITHDRAW,
	REMEDIATE_REINSTATE,
	REMEDIATE_REFUSE,	/* should withdraw, but it is the last one */
};

/* --- pure decisions ---------------------------------------------------- */

/*
 * How many providers of a zone other than `self` still serve it: in the
 * union (not withdrawn) and not DOWN.
 */
size_t		 remediate_serving(const struct remediate_peer *, size_t n,
		    size_t self);
/*
 * What to do with one provider, now, given its DNS state and the time it
 * entered it, and `serving`: the fewest other serving providers over its
 * zones (SIZE_MAX when it has no zone).
 */
enum remediate_action remediate_decide(const struct remediate_policy *,
		    const struct remediate_state *, enum health_state dns,
		    int64_t dns_since, size_t serving, int64_t now);
/* Apply a decision (WITHDRAW / REINSTATE / REFUSE) to the state. */
void		 remediate_apply(struct remediate_state *,
		    enum remediate_action, int manual, int64_t now);
const char	*remediate_action_name(enum remediate_action);

/* --- the daemon's side (remediate.c) ----------------------------------- */

/* After every probe cycle: decide for each provider, act, reconcile. */
void		 remediate_cycle(struct daemon *);
/* At start: read each provider's last withdrawal state from the events. */
void		 remediate_restore(struct daemon *);
/* The withdraw / reinstate control commands. */
int		 remediate_ctl_withdraw(void *daemon,
		    const struct control_request *, struct control_reply *);
int		 remediate_ctl_reinstate(void *daemon,
		    const struct control_request *, struct control_reply *);

#endif
