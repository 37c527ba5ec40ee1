/*
 * reconcile.h: per (zone, provider): fetch -> diff -> record drift -> in
 * mode = enforce, apply through the safety gate -> record the audit trail.
 *
 * Every pair of a zone runs independently and concurrently: a slow or dead
 * provider never delays the others.  A fetch that fails is an error for
 * that pair only; it never becomes "all records missing".
 */
#ifndef MULTIDNS_RECONCILE_H
#define MULTIDNS_RECONCILE_H

#include <cjson/cJSON.h>

#include "daemon.h"

#define RECONCILE_DRYRUN	0x01	/* plan only: never apply */
#define RECONCILE_FORCE		0x02	/* let one gated changeset through */
#define RECONCILE_MANUAL	0x04	/* asked for by an operator (dnsctl
					   sync): applies in mode = alert too */

/*
 * Called once when every pair of the zone has finished.  `report` is a JSON
 * object describing what happened at each provider (owned by the callee's
 * caller: the callback may keep it by detaching, else it is freed after).
 */
typedef void (*reconcile_done_cb)(struct daemon *, struct daemon_zone *,
    cJSON *report, void *arg);

/*
 * Start a reconcile of every pair of the zone.  Pairs already busy are left
 * to finish and reported as busy.  0, or -1 when the zone has no desired
 * version loaded (err says why).
 */
int	reconcile_zone(struct daemon *, struct daemon_zone *, unsigned flags,
	    reconcile_done_cb, void *arg, char *err, size_t errlen);
/*
 * Abandon every reconcile in flight (for reload and shutdown).  Provider
 * operations are cancelled provider-wide, so this stops all of them, not
 * one zone's: the zone argument is accepted for clarity and ignored.  Each
 * abandoned reconcile's callback runs once, now, with a report that says
 * "cancelled": true, so that a waiting `dnsctl sync` gets an answer.
 */
void	reconcile_cancel(struct daemon *, struct daemon_zone *);
/* 1 while any reconcile of the zone is running. */
int	reconcile_busy(const struct daemon_zone *);

#endif
