/*
 * remediate.c: withdraw an unhealthy provider's nameservers from the apex
 * NS and reinstate them (see remediate.h).
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "alert.h"
#include "control.h"
#include "ctl-proto.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "probe.h"
#include "reconcile.h"
#include "remediate.h"
#include "xmalloc.h"

static const char *const remediate_action_names[] = {
	[REMEDIATE_KEEP] = "keep",
	[REMEDIATE_WITHDRAW] = "withdraw",
	[REMEDIATE_REINSTATE] = "reinstate",
	[REMEDIATE_REFUSE] = "refuse",
};

/* --- pure decisions ---------------------------------------------------- */

const char *
remediate_action_name(enum remediate_action a)
{
	if ((unsigned)a >= sizeof(remediate_action_names) /
	    sizeof(remediate_action_names[0]))
		return ("unknown");
	return (remediate_action_names[a]);
}

size_t
remediate_serving(const struct remediate_peer *peers, size_t n, size_t self)
{
	size_t	i, serving = 0;

	for (i = 0; i < n; i++) {
		if (i == self || peers[i].withdrawn ||
		    peers[i].dns == HEALTH_DOWN)
			continue;
		serving++;
	}
	return (serving);
}

enum remediate_action
remediate_decide(const struct remediate_policy *pol,
    const struct remediate_state *st, enum health_state dns,
    int64_t dns_since, size_t serving, int64_t now)
{
	int64_t	start;

	if (st->withdrawn) {
		if (st->manual)
			return (REMEDIATE_KEEP);
		if (pol->on_outage != OUTAGE_WITHDRAW)
			return (REMEDIATE_REINSTATE);
		if (dns == HEALTH_HEALTHY &&
		    now - dns_since >= (int64_t)pol->reinstate_after)
			return (REMEDIATE_REINSTATE);
		return (REMEDIATE_KEEP);
	}
	if (pol->on_outage != OUTAGE_WITHDRAW || dns != HEALTH_DOWN)
		return (REMEDIATE_KEEP);
	/* A reinstatement by hand starts a new hold. */
	start = dns_since > st->reinstated ? dns_since : st->reinstated;
	if (now - start < (int64_t)pol->withdraw_after)
		return (REMEDIATE_KEEP);
	if (serving == 0)
		return (st->refused ? REMEDIATE_KEEP : REMEDIATE_REFUSE);
	return (REMEDIATE_WITHDRAW);
}

void
remediate_apply(struct remediate_state *st, enum remediate_action a,
    int manual, int64_t now)
{
	switch (a) {
	case REMEDIATE_WITHDRAW:
		st->withdrawn = 1;
		st->manual = manual;
		st->since = now;
		st->refused = 0;
		break;
	case REMEDIATE_REINSTATE:
		st->withdrawn = 0;
		st->manual = 0;
		st->since = 0;
		st->reinstated = now;
		st->refused = 0;
		break;
	case REMEDIATE_REFUSE:
		st->refused = 1;
		break;
	case REMEDIATE_KEEP:
		break;
	}
}

/* --- the daemon's side ------------------------------------------------- */

/* The provider's DNS state and when it entered it (UNKNOWN: unprobed). */
static enum health_state
remediate_dns(struct daemon *d, const struct daemon_provider *p,
    int64_t *since)
{
	const struct probe_provider	*pp;

	*since = 0;
	if (d->probe == NULL ||
	    (pp = probe_find_provider(d->probe, p->name)) == NULL ||
	    pp->ntargets == 0)
		return (HEALTH_UNKNOWN);
	*since = pp->node.since;
	return (pp->node.state);
}

/*
 * The fewest providers still serving any zone of p, p aside (SIZE_MAX
 * when p serves no zone); the first zone with that count in *zone.
 */
static size_t
remediate_serving_min(struct daemon *d, const struct daemon_provider *p,
    const char **zone)
{
	struct remediate_peer	*peers;
	struct daemon_zone	*z;
	size_t			 i, j, self, n, min = SIZE_MAX;
	int64_t			 since;

	*zone = NULL;
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		peers = xcalloc(z->npairs + 1, sizeof(*peers));
		self = SIZE_MAX;
		for (j = 0; j < z->npairs; j++) {
			if (z->pairs[j].provider == p)
				self = j;
			peers[j].dns = remediate_dns(d, z->pairs[j].provider,
			    &since);
			peers[j].withdrawn = z->pairs[j].provider->rem.withdrawn;
		}
		if (self != SIZE_MAX) {
			n = remediate_serving(peers, z->npairs, self);
			if (n < min) {
				min = n;
				*zone = z->name;
			}
		}
		free(peers);
	}
	return (min);
}

static void
remediate_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* Reconcile every zone of p now, or after the reconcile in flight. */
static size_t
remediate_reconcile(struct daemon *d, const struct daemon_provider *p)
{
	struct daemon_zone	*z;
	char			 err[DAEMON_ERR_MAX];
	size_t			 i, j, n = 0;

	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		for (j = 0; j < z->npairs; j++) {
			if (z->pairs[j].provider == p)
				break;
		}
		if (j == z->npairs)
			continue;
		n++;
		z->remediate_pending = 1;
		if (d->stopping || reconcile_busy(z))
			continue;
		z->remediate_pending = 0;
		if (reconcile_zone(d, z, 0, NULL, NULL, err,
		    sizeof(err)) == -1)
			log_warnx("remediate", "zone %s: no reconcile: %s",
			    z->name, err);
	}
	return (n);
}

/* Zones whose reconcile was busy when the union changed: again now. */
static void
remediate_pending(struct daemon *d)
{
	struct daemon_zone	*z;
	char			 err[DAEMON_ERR_MAX];
	size_t			 i;

	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		if (!z->remediate_pending || d->stopping || reconcile_busy(z))
			continue;
		z->remediate_pending = 0;
		if (reconcile_zone(d, z, 0, NULL, NULL, err,
		    sizeof(err)) == -1)
			log_warnx("remediate", "zone %s: no reconcile: %s",
			    z->name, err);
	}
}

/* Act on a decision: state, log, event, reconciles. */
static void
remediate_act(struct daemon *d, struct daemon_provider *p,
    enum remediate_action a, int manual, enum health_state dns,
    int64_t dns_since, const char *zone, const char *who)
{
	cJSON		*details;
	char		 key[64], when[32];
	int64_t		 now = daemon_now();
	size_t		 nzones;

	remediate_apply(&p->rem, a, manual, now);
	if ((details = cJSON_CreateObject()) == NULL)
		fatalx("remediate", "out of memory");
	if (cJSON_AddBoolToObject(details, "manual", manual) == NULL ||
	    cJSON_AddStringToObject(details, "by", who) == NULL ||
	    cJSON_AddStringToObject(details, "dns",
	    health_state_name(dns)) == NULL)
		fatalx("remediate", "out of memory");
	remediate_time(dns_since, when, sizeof(when));
	switch (a) {
	case REMEDIATE_WITHDRAW:
		nzones = remediate_reconcile(d, p);
		log_warnx("remediate", "provider %s: nameservers withdrawn "
		    "from the apex NS of %zu zones (%s; DNS %s since %s)",
		    p->name, nzones, who, health_state_name(dns), when);
		snprintf(key, sizeof(key), "withdrawn:%lld",
		    (long long)now);
		(void)alert_raisef(d->alerts, ALERT_NS_WITHDRAWN, NULL,
		    p->name, key, details, "provider %s: nameservers withdrawn "
		    "from the apex NS of its %zu zones (%s; DNS %s since %s)",
		    p->name, nzones, who, health_state_name(dns), when);
		break;
	case REMEDIATE_REINSTATE:
		nzones = remediate_reconcile(d, p);
		log_info("remediate", "provider %s: nameservers reinstated in "
		    "the apex NS of %zu zones (%s; DNS %s since %s)", p->name,
		    nzones, who, health_state_name(dns), when);
		snprintf(key, sizeof(key), "reinstated:%lld",
		    (long long)now);
		(void)alert_raisef(d->alerts, ALERT_NS_REINSTATED, NULL,
		    p->name, key, details, "provider %s: nameservers reinstated "
		    "in the apex NS of its %zu zones (%s; DNS %s since %s)",
		    p->name, nzones, who, health_state_name(dns), when);
		break;
	case REMEDIATE_REFUSE:
		log_warnx("remediate", "provider %s: down since %s, but not "
		    "withdrawn: zone %s would have no serving provider left",
		    p->name, when, zone != NULL ? zone : "?");
		if (cJSON_AddStringToObject(details, "action",
		    "withdraw") == NULL || cJSON_AddStringToObject(details,
		    "zone", zone != NULL ? zone : "") == NULL)
			fatalx("remediate", "out of memory");
		snprintf(key, sizeof(key), "withdraw-refused:%lld",
		    (long long)dns_since);
		(void)alert_raisef(d->alerts, ALERT_CHANGE_REFUSED, zone,
		    p->name, key, details, "provider %s is down but its "
		    "nameservers stay in the apex NS: zone %s would have no "
		    "serving provider left", p->name, zone != NULL ? zone :
		    "?");
		break;
	case REMEDIATE_KEEP:
		break;
	}
	cJSON_Delete(details);
}

void
remediate_cycle(struct daemon *d)
{
	struct remediate_policy	 pol;
	struct daemon_provider	*p;
	enum remediate_action	 a;
	enum health_state	 dns;
	const char		*zone;
	int64_t			 since, now = daemon_now();
	size_t			 i, serving;

	pol.on_outage = d->conf->on_outage;
	pol.withdraw_after = d->conf->withdraw_after;
	pol.reinstate_after = d->conf->reinstate_after;
	for (i = 0; i < d->nproviders; i++) {
		p = &d->providers[i];
		dns = remediate_dns(d, p, &since);
		if (dns != HEALTH_DOWN)
			p->rem.refused = 0;	/* a new outage alerts again */
		serving = remediate_serving_min(d, p, &zone);
		a = remediate_decide(&pol, &p->rem, dns, since, serving, now);
		if (a != REMEDIATE_KEEP)
			remediate_act(d, p, a, 0, dns, since, zone,
			    "on-outage");
	}
	remediate_pending(d);
}

void
remediate_restore(struct daemon *d)
{
	struct daemon_provider	*p;
	cJSON			*details, *manual;
	char			*type, *text;
	int64_t			 time;
	size_t			 i;

	if (d->db == NULL)
		return;
	for (i = 0; i < d->nproviders; i++) {
		p = &d->providers[i];
		if (db_event_last(d->db, p->name,
		    alert_type_name(ALERT_NS_WITHDRAWN),
		    alert_type_name(ALERT_NS_REINSTATED), &type, &time,
		    &text) == -1) {
			log_warnx("remediate", "provider %s: %s", p->name,
			    db_errmsg(d->db));
			continue;
		}
		if (type != NULL &&
		    strcmp(type, alert_type_name(ALERT_NS_WITHDRAWN)) == 0) {
			details = text != NULL ? cJSON_Parse(text) : NULL;
			manual = cJSON_GetObjectItemCaseSensitive(details,
			    "manual");
			memset(&p->rem, 0, sizeof(p->rem));
			p->rem.withdrawn = 1;
			p->rem.manual = cJSON_IsTrue(manual);
			p->rem.since = time;
			log_info("remediate", "provider %s: still withdrawn "
			    "(%s) since before the restart", p->name,
			    p->rem.manual ? "by an operator" : "on outage");
			cJSON_Delete(details);
		}
		free(type);
		free(text);
	}
}

/* --- control ----------------------------------------------------------- */

static struct daemon_provider *
remediate_ctl_provider(struct daemon *d, const struct control_request *req,
    struct control_reply *reply)
{
	const cJSON		*arg;
	struct daemon_provider	*p;

	arg = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_PROVIDER);
	if (!cJSON_IsString(arg) || arg->valuestring[0] == '\0') {
		(void)control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "%s needs a provider", req->cmd);
		return (NULL);
	}
	if ((p = daemon_find_provider(d, arg->valuestring)) == NULL) {
		(void)control_reply_error(reply, CTL_ERR_NO_SUCH_PROVIDER,
		    "no provider '%.200s' is configured", arg->valuestring);
		return (NULL);
	}
	return (p);
}

static int
remediate_ctl_result(struct daemon_provider *p, int changed,
    struct control_reply *reply)
{
	cJSON	*r;
	char	 when[32];

	if ((r = cJSON_CreateObject()) == NULL)
		fatalx("remediate", "out of memory");
	remediate_time(p->rem.since, when, sizeof(when));
	if (cJSON_AddStringToObject(r, "provider", p->name) == NULL ||
	    cJSON_AddBoolToObject(r, "withdrawn", p->rem.withdrawn) == NULL ||
	    cJSON_AddBoolToObject(r, "manual", p->rem.manual) == NULL ||
	    cJSON_AddBoolToObject(r, "changed", changed) == NULL ||
	    (p->rem.withdrawn ? cJSON_AddStringToObject(r, "since",
	    when) : cJSON_AddNullToObject(r, "since")) == NULL)
		fatalx("remediate", "out of memory");
	reply->result = r;
	return (CONTROL_DONE);
}

int
remediate_ctl_withdraw(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_provider	*p;
	enum health_state	 dns;
	const char		*zone;
	int64_t			 since;

	if ((p = remediate_ctl_provider(d, req, reply)) == NULL)
		return (CONTROL_DONE);
	if (p->rem.withdrawn) {
		if (p->rem.manual)
			return (remediate_ctl_result(p, 0, reply));
		/* Withdrawn on outage: now held until a reinstate. */
		p->rem.manual = 1;
		log_info("remediate", "provider %s: withdrawal now held by "
		    "an operator (uid %u)", p->name, (unsigned)req->uid);
		return (remediate_ctl_result(p, 1, reply));
	}
	if (remediate_serving_min(d, p, &zone) == 0) {
		(void)control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "not withdrawn: zone %s would have no serving provider "
		    "left (the last healthy provider is never withdrawn)",
		    zone);
		return (CONTROL_DONE);
	}
	dns = remediate_dns(d, p, &since);
	remediate_act(d, p, REMEDIATE_WITHDRAW, 1, dns, since, NULL,
	    "dnsctl withdraw");
	return (remediate_ctl_result(p, 1, reply));
}

int
remediate_ctl_reinstate(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_provider	*p;
	enum health_state	 dns;
	int64_t			 since;

	if ((p = remediate_ctl_provider(d, req, reply)) == NULL)
		return (CONTROL_DONE);
	if (!p->rem.withdrawn)
		return (remediate_ctl_result(p, 0, reply));
	dns = remediate_dns(d, p, &since);
	remediate_act(d, p, REMEDIATE_REINSTATE, 1, dns, since, NULL,
	    "dnsctl reinstate");
	return (remediate_ctl_result(p, 1, reply));
}
