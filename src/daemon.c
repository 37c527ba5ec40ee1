/*
 * daemon.c: the running daemon.  Start-up, the signals and timers of the
 * one event loop, reload (match old and new objects by name, carry their
 * runtime state, swap, free the old ones), the control socket's handlers
 * and shutdown.
 *
 * The daemon never forks: under systemd (Type=notify) and in a terminal
 * alike it stays in the foreground and logs to stderr.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "control.h"
#include "alert.h"
#include "daemon.h"
#include "db.h"
#include "delegation.h"
#include "dnsio.h"
#include "http.h"
#include "lint.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "probe.h"
#include "provider.h"
#include "reconcile.h"
#include "xmalloc.h"

#define DAEMON_HISTORY_DEFAULT	50
#define DAEMON_HISTORY_MAX	100000
#define DAEMON_SHORT_VERSION	12	/* hex digits of a version shown */
#define DAEMON_PROBE_RETRIES	1	/* UDP retries per probe query */
#define DAEMON_PERSIST_EVERY	60	/* seconds between latency writes */
#define DAEMON_PRUNE_EVERY	3600	/* seconds between health prunes */
#define DAEMON_HEALTH_KEEP	(7 * 86400)	/* health samples kept */
#define DAEMON_BOX_WIDTH	40	/* columns of a latency box plot */

/* One zone of a plan or sync request. */
struct daemon_task {
	struct daemon_job	*job;
	char			*zone;
	int			 running;	/* reconcile_zone() in flight */
	int			 waiting;	/* zone busy: starts when it is not */
	int			 interrupted;	/* cancelled by a reload */
};

/* A plan or sync request waiting for its reconciles. */
struct daemon_job {
	struct daemon		*d;
	struct control_conn	*conn;		/* NULL while in the handler */
	int			 plan;		/* plan, else sync */
	unsigned		 flags;		/* RECONCILE_* */
	struct daemon_task	*tasks;
	size_t			 ntasks;
	size_t			 running;	/* tasks not finished */
	size_t			 done;		/* tasks that reported */
	int			 starting;	/* tasks being started */
	cJSON			*result;
	char			 errcode[32];	/* of the first failure */
	char			 errmsg[DAEMON_ERR_MAX];
	struct daemon_job	*next;
};

static void	daemon_signal_cb(evutil_socket_t, short, void *);
static void	daemon_store_cb(evutil_socket_t, short, void *);
static void	daemon_watchdog_cb(evutil_socket_t, short, void *);
static void	daemon_probe_cb(evutil_socket_t, short, void *);
static void	daemon_deleg_cb(evutil_socket_t, short, void *);
static void	daemon_api_health(struct daemon *, struct daemon_zone *);
static void	daemon_zone_timer_cb(evutil_socket_t, short, void *);
static void	daemon_reconciled_cb(struct daemon *, struct daemon_zone *,
		    cJSON *, void *);
static void	daemon_job_cb(struct daemon *, struct daemon_zone *, cJSON *,
		    void *);
static void	daemon_job_finish(struct daemon_job *);

static int	ctl_status_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_zones_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_providers_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_drift_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_history_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_health_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_plan_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_sync_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_reload_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_lint_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_latency_cb(void *, const struct control_request *,
		    struct control_reply *);
static int	ctl_alerts_cb(void *, const struct control_request *,
		    struct control_reply *);

static const struct control_handler daemon_handlers[] = {
	{ CTL_CMD_STATUS, ctl_status_cb },
	{ CTL_CMD_ZONES, ctl_zones_cb },
	{ CTL_CMD_PROVIDERS, ctl_providers_cb },
	{ CTL_CMD_DRIFT, ctl_drift_cb },
	{ CTL_CMD_HISTORY, ctl_history_cb },
	{ CTL_CMD_HEALTH, ctl_health_cb },
	{ CTL_CMD_PLAN, ctl_plan_cb },
	{ CTL_CMD_SYNC, ctl_sync_cb },
	{ CTL_CMD_RELOAD, ctl_reload_cb },
	{ CTL_CMD_LINT, ctl_lint_cb },
	{ CTL_CMD_LATENCY, ctl_latency_cb },
	{ CTL_CMD_ALERTS, ctl_alerts_cb },
	{ CTL_CMD_WITHDRAW, remediate_ctl_withdraw },
	{ CTL_CMD_REINSTATE, remediate_ctl_reinstate },
	{ NULL, NULL }
};

static const char *const pair_state_names[] = {
	[PAIR_STATE_NEW] = "new",
	[PAIR_STATE_BUSY] = "busy",
	[PAIR_STATE_IN_SYNC] = "in-sync",
	[PAIR_STATE_DRIFT] = "drift",
	[PAIR_STATE_REFUSED] = "refused",
	[PAIR_STATE_ERROR] = "error",
};

const char *
pair_state_name(enum pair_state s)
{
	if ((size_t)s >= sizeof(pair_state_names) / sizeof(pair_state_names[0]))
		return ("unknown");
	return (pair_state_names[s]);
}

int64_t
daemon_now(void)
{
	return ((int64_t)time(NULL));
}

/* Zone names compare absolute and lower-case; "Example.COM" matches too. */
struct daemon_zone *
daemon_find_zone(struct daemon *d, const char *name)
{
	char	buf[1024];
	size_t	len, i;

	len = strlen(name);
	if (len == 0 || len + 2 > sizeof(buf))
		return (NULL);
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (buf[len - 1] != '.')
		buf[len++] = '.';
	buf[len] = '\0';
	for (i = 0; i < d->nzones; i++) {
		if (strcmp(d->zones[i].name, buf) == 0)
			return (&d->zones[i]);
	}
	return (NULL);
}

struct daemon_provider *
daemon_find_provider(struct daemon *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->nproviders; i++) {
		if (strcmp(d->providers[i].name, name) == 0)
			return (&d->providers[i]);
	}
	return (NULL);
}

static void
daemon_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* --- JSON helpers: cJSON returns NULL only when out of memory. ----------- */

static cJSON *
json_check(cJSON *item)
{
	if (item == NULL)
		fatalx("daemon", "out of memory");
	return (item);
}

static void
json_add(cJSON *obj, const char *key, cJSON *item)
{
	json_check(item);
	if (!cJSON_AddItemToObject(obj, key, item))
		fatalx("daemon", "out of memory");
}

static void
json_push(cJSON *array, cJSON *item)
{
	json_check(item);
	if (!cJSON_AddItemToArray(array, item))
		fatalx("daemon", "out of memory");
}

static cJSON *
json_str(const char *s)
{
	return (json_check(s != NULL ? cJSON_CreateString(s) :
	    cJSON_CreateNull()));
}

static cJSON *
json_num(double n)
{
	return (json_check(cJSON_CreateNumber(n)));
}

static cJSON *
json_bool(int b)
{
	return (json_check(cJSON_CreateBool(b)));
}

/* An RFC 3339 time in UTC, or null for 0 (never). */
static cJSON *
json_time(int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		buf[32];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return (json_check(cJSON_CreateNull()));
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (json_str(buf));
}

/* A version id shortened for people, or null. */
static cJSON *
json_version(const char *id)
{
	char	buf[DAEMON_SHORT_VERSION + 1];

	if (id == NULL || *id == '\0')
		return (json_check(cJSON_CreateNull()));
	snprintf(buf, sizeof(buf), "%s", id);
	return (json_str(buf));
}

/* --- status ------------------------------------------------------------ */

/* Why a pair cannot run at all, or NULL. */
static const char *
daemon_pair_blocked(const struct daemon_pair *p, char *buf, size_t len)
{
	if (p->provider->backend != NULL)
		return (NULL);
	snprintf(buf, len, "type %s is not available in this build",
	    p->provider->conf->type);
	return (buf);
}

static int
daemon_zone_attention(const struct daemon_zone *z)
{
	size_t	i;

	if (z->sz != NULL && z->sz->failed)
		return (1);
	for (i = 0; i < z->npairs; i++) {
		switch (z->pairs[i].state) {
		case PAIR_STATE_DRIFT:
		case PAIR_STATE_REFUSED:
		case PAIR_STATE_ERROR:
			return (1);
		default:
			break;
		}
		if (z->pairs[i].provider->backend == NULL)
			return (1);
	}
	return (0);
}

/* A provider's DNS state as the prober sees it. */
static enum health_state
daemon_provider_dns_state(const struct daemon *d,
    const struct daemon_provider *p)
{
	const struct probe_provider	*pp;

	if (d->probe == NULL ||
	    (pp = probe_find_provider(d->probe, p->name)) == NULL)
		return (HEALTH_UNKNOWN);
	return (pp->node.state);
}

static int
daemon_attention(const struct daemon *d)
{
	size_t	i;

	if (d->store_error[0] != '\0')
		return (1);
	for (i = 0; i < d->nproviders; i++) {
		if (d->providers[i].backend == NULL)
			return (1);
		if (daemon_provider_dns_state(d, &d->providers[i]) ==
		    HEALTH_DOWN)
			return (1);
	}
	for (i = 0; i < d->nzones; i++) {
		if (daemon_zone_attention(&d->zones[i]))
			return (1);
	}
	return (0);
}

/* Tell systemd a one-line summary when it has changed. */
static void
daemon_status_update(struct daemon *d)
{
	size_t	i, j, sync = 0, drift = 0, errors = 0;
	char	line[sizeof(d->status_line)];

	for (i = 0; i < d->nzones; i++) {
		for (j = 0; j < d->zones[i].npairs; j++) {
			switch (d->zones[i].pairs[j].state) {
			case PAIR_STATE_IN_SYNC:
				sync++;
				break;
			case PAIR_STATE_DRIFT:
			case PAIR_STATE_REFUSED:
				drift++;
				break;
			case PAIR_STATE_ERROR:
				errors++;
				break;
			default:
				break;
			}
		}
	}
	snprintf(line, sizeof(line), "%zu zones, %zu providers: %zu in sync, "
	    "%zu with drift, %zu errors%s", d->nzones, d->nproviders, sync,
	    drift, errors, d->store_error[0] != '\0' ? "; store error" : "");
	if (strcmp(line, d->status_line) == 0)
		return;
	daemon_copy(d->status_line, sizeof(d->status_line), line);
	notify_status("%s", line);
	log_debug("daemon", "status: %s", line);
}

/* --- reconciles -------------------------------------------------------- */

static void
daemon_zone_reconcile(struct daemon *d, struct daemon_zone *z,
    const char *why)
{
	char	err[DAEMON_ERR_MAX];

	if (d->stopping)
		return;
	err[0] = '\0';
	if (reconcile_zone(d, z, 0, daemon_reconciled_cb, NULL, err,
	    sizeof(err)) == -1)
		log_debug("daemon", "zone %s: no reconcile (%s): %s", z->name,
		    why, err);
	else
		log_debug("daemon", "zone %s: reconcile started (%s)", z->name,
		    why);
}

static void
daemon_reconciled_cb(struct daemon *d, struct daemon_zone *z, cJSON *report,
    void *arg)
{
	(void)arg;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report,
	    "cancelled"))) {
		z->dirty = 0;
		daemon_api_health(d, z);
	}
	daemon_status_update(d);
}

/* Interval with +- jitter_pct, in milliseconds. */
static uint64_t
daemon_interval_ms(const struct config *conf)
{
	uint64_t	base = (uint64_t)conf->interval * 1000, span;
	uint32_t	r;

	span = base * conf->jitter_pct / 100;
	if (span == 0)
		return (base);
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	return (base - span + (uint64_t)r % (2 * span + 1));
}

static void
daemon_zone_schedule(struct daemon_zone *z, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(z->timer, &tv);
}

static void
daemon_zone_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon_zone	*z = arg;
	struct daemon		*d = z->daemon;

	(void)fd;
	(void)events;
	daemon_zone_reconcile(d, z, "interval");
	daemon_zone_schedule(z, daemon_interval_ms(d->conf));
}

/* --- store ------------------------------------------------------------- */

/*
 * Record the versions the store has loaded since the last look (every row
 * in one transaction) and reconcile the zones whose content moved.
 */
static void
daemon_store_changed(struct daemon *d)
{
	struct daemon_zone	*z;
	struct store_zone	*sz;
	char			 buf[1200];
	int64_t			 now = daemon_now();
	size_t			 i;
	int			 began = 0, failed = 0, *moved;

	moved = xcalloc(d->nzones + 1, sizeof(*moved));
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		if ((sz = z->sz) == NULL)
			continue;
		if (sz->zone != NULL &&
		    strcmp(sz->version.id, z->seen_version) != 0) {
			if (!began && !db_in_transaction(d->db))
				began = db_begin(d->db) == 0;
			if (db_version_record(d->db, z->name, sz->version.id,
			    sz->version.author, sz->version.summary,
			    sz->version.time, 1, NULL, now) == -1)
				failed = 1;
			daemon_copy(z->seen_version, sizeof(z->seen_version),
			    sz->version.id);
			if (!z->seen_loaded || z->seen_hash != sz->zone->hash) {
				z->dirty = 1;
				moved[i] = 1;
				z->seen_loaded = 1;
				z->seen_hash = sz->zone->hash;
				log_info("daemon", "zone %s: version %.12s, "
				    "%zu RRsets", z->name, sz->version.id,
				    sz->zone->nrrsets);
			} else
				log_debug("daemon", "zone %s: version %.12s, "
				    "content unchanged", z->name,
				    sz->version.id);
		}
		if (sz->failed && strcmp(sz->failed_version,
		    z->seen_failed) != 0) {
			zone_error_str(&sz->error, buf, sizeof(buf));
			if (!began && !db_in_transaction(d->db))
				began = db_begin(d->db) == 0;
			if (db_version_record(d->db, z->name,
			    sz->failed_version, NULL, NULL, now, 0, buf,
			    now) == -1)
				failed = 1;
			daemon_copy(z->seen_failed, sizeof(z->seen_failed),
			    sz->failed_version);
			log_warnx("daemon", "zone %s: version %.12s rejected, "
			    "%s: %s", z->name, sz->failed_version,
			    sz->zone != NULL ? "last good version stays" :
			    "no version loaded", buf);
			(void)alert_raisef(d->alerts, ALERT_VERSION_REJECTED,
			    z->name, NULL, sz->failed_version, NULL,
			    "zone %s: version %.12s rejected, %s: %s", z->name,
			    sz->failed_version, sz->zone != NULL ?
			    "last good version stays" : "no version loaded",
			    buf);
		}
	}
	if (began) {
		if (failed) {
			log_warnx("db", "recording versions: %s",
			    db_errmsg(d->db));
			db_rollback(d->db);
		} else if (db_commit(d->db) == -1)
			log_warnx("db", "recording versions: %s",
			    db_errmsg(d->db));
	}
	for (i = 0; i < d->nzones; i++) {
		if (moved[i])
			daemon_zone_reconcile(d, &d->zones[i], "new version");
	}
	free(moved);
}

static void
daemon_store_refresh(struct daemon *d)
{
	char	err[DAEMON_ERR_MAX];

	err[0] = '\0';
	if (store_refresh(d->store, err, sizeof(err)) == -1) {
		if (strcmp(err, d->store_error) != 0) {
			log_warnx("store", "%s", err);
			daemon_copy(d->store_error, sizeof(d->store_error),
			    err);
		}
		return;
	}
	if (d->store_error[0] != '\0') {
		log_info("store", "the store can be read again");
		d->store_error[0] = '\0';
	}
	daemon_store_changed(d);
}

static void
daemon_store_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;

	(void)fd;
	(void)events;
	daemon_store_refresh(d);
	daemon_status_update(d);
}

static void
daemon_store_arm(struct daemon *d)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)d->conf->store_poll;
	tv.tv_usec = 0;
	event_del(d->ev_store);
	event_add(d->ev_store, &tv);
}

/* 1 when the running store can serve the new config as it is. */
static int
daemon_store_reusable(const struct config *old, const struct config *new)
{
	const struct zone_conf	*zc;
	size_t			 i;

	if (old->store_kind != new->store_kind ||
	    strcmp(old->store_path, new->store_path) != 0)
		return (0);
	if ((old->store_ref == NULL) != (new->store_ref == NULL) ||
	    (old->store_ref != NULL && strcmp(old->store_ref,
	    new->store_ref) != 0))
		return (0);
	/* The store cannot forget a zone or move it to another file. */
	for (i = 0; i < old->nzones; i++) {
		zc = config_find_zone(new, old->zones[i].name);
		if (zc == NULL || strcmp(zc->file, old->zones[i].file) != 0)
			return (0);
	}
	return (1);
}

/* Open a store for conf with every zone added. */
static struct store *
daemon_store_open(const struct config *conf, char *err, size_t errlen)
{
	struct store	*store;
	size_t		 i;

	store = store_open(conf->store_kind, conf->store_path, conf->store_ref,
	    err, errlen);
	if (store == NULL)
		return (NULL);
	for (i = 0; i < conf->nzones; i++) {
		if (store_add_zone(store, conf->zones[i].name,
		    conf->zones[i].file) == NULL) {
			snprintf(err, errlen, "zone %s: cannot be added to the "
			    "store", conf->zones[i].name);
			store_close(store);
			return (NULL);
		}
	}
	return (store);
}

/* --- runtime objects ------------------------------------------------------ */

/*
 * A backend for every provider of conf.  A type not built in leaves NULL
 * (reported in status); any other failure (a bad secret file, say) fails.
 */
static struct provider **
daemon_backends_new(struct daemon *d, struct config *conf, char *err,
    size_t errlen)
{
	struct provider		**b;
	struct provider_conf	 *pc;
	char			  msg[DAEMON_ERR_MAX];
	size_t			  i, j;

	b = xcalloc(conf->nproviders + 1, sizeof(*b));
	for (i = 0; i < conf->nproviders; i++) {
		pc = &conf->providers[i];
		b[i] = provider_new(pc, d->base, d->http, msg, sizeof(msg));
		if (b[i] != NULL)
			continue;
		if (provider_ops_find(pc->type) == NULL) {
			log_warnx("daemon", "provider %s: type %s is not "
			    "available in this build", pc->name, pc->type);
			continue;
		}
		snprintf(err, errlen, "%s", msg);
		for (j = 0; j < i; j++)
			provider_free(b[j]);
		free(b);
		return (NULL);
	}
	return (b);
}

static void
daemon_backends_free(struct provider **b, size_t n)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < n; i++)
		provider_free(b[i]);
	free(b);
}

/* Build the objects of conf; takes the backends and fills their slots. */
static void
daemon_objects_build(struct daemon *d, struct config *conf,
    struct store *store, struct provider **backends,
    struct daemon_provider **pp, size_t *np, struct daemon_zone **zp,
    size_t *nz)
{
	struct daemon_provider	*provs;
	struct daemon_zone	*zones, *z;
	struct zone_conf	*zc;
	size_t			 i, j, k;

	provs = xcalloc(conf->nproviders + 1, sizeof(*provs));
	for (i = 0; i < conf->nproviders; i++) {
		provs[i].name = xstrdup(conf->providers[i].name);
		provs[i].conf = &conf->providers[i];
		provs[i].backend = backends[i];
		health_node_init(&provs[i].api_health);
		backends[i] = NULL;
	}
	zones = xcalloc(conf->nzones + 1, sizeof(*zones));
	for (i = 0; i < conf->nzones; i++) {
		z = &zones[i];
		zc = &conf->zones[i];
		z->daemon = d;
		z->name = xstrdup(zc->name);
		z->conf = zc;
		z->sz = store_find_zone(store, zc->name);
		z->pairs = xcalloc(zc->nproviders + 1, sizeof(*z->pairs));
		for (j = 0; j < zc->nproviders; j++) {
			for (k = 0; k < conf->nproviders; k++) {
				if (strcmp(provs[k].name,
				    zc->providers[j]) == 0)
					break;
			}
			if (k == conf->nproviders)
				fatalx("daemon", "zone %s: provider %s is not "
				    "configured", zc->name, zc->providers[j]);
			z->pairs[z->npairs].zone = z;
			z->pairs[z->npairs].provider = &provs[k];
			z->pairs[z->npairs].state = PAIR_STATE_NEW;
			z->npairs++;
		}
		z->timer = evtimer_new(d->base, daemon_zone_timer_cb, z);
		if (z->timer == NULL)
			fatalx("daemon", "evtimer_new failed");
	}
	*pp = provs;
	*np = conf->nproviders;
	*zp = zones;
	*nz = conf->nzones;
}

static void
daemon_objects_free(struct daemon_provider *provs, size_t np,
    struct daemon_zone *zones, size_t nz)
{
	size_t	i;

	for (i = 0; i < nz; i++) {
		if (zones[i].timer != NULL)
			event_free(zones[i].timer);
		free(zones[i].pairs);
		free(zones[i].name);
	}
	free(zones);
	for (i = 0; i < np; i++) {
		provider_free(provs[i].backend);
		free(provs[i].name);
	}
	free(provs);
}

/*
 * Carry runtime state from the old objects (still in d) to the new ones,
 * matched by name.  Each zone's timer keeps its remaining time when the
 * interval did not change.  busy[] (per old zone) says which had a
 * reconcile that the reload cancelled; kick[] (per new zone) asks for it
 * to run again.
 */
static void
daemon_objects_carry(struct daemon *d, const struct config *conf,
    struct daemon_provider *provs, size_t np, struct daemon_zone *zones,
    size_t nz, const int *busy, int *kick)
{
	struct daemon_provider	*op, *p;
	struct daemon_zone	*oz, *z;
	struct daemon_pair	*opair, *pair;
	struct timeval		 tv, now;
	uint64_t		 ms, max;
	size_t			 i, j, k;

	for (i = 0; i < np; i++) {
		p = &provs[i];
		op = daemon_find_provider(d, p->name);
		if (op == NULL || strcmp(op->conf->type, p->conf->type) != 0)
			continue;
		p->consecutive_errors = op->consecutive_errors;
		p->last_ok = op->last_ok;
		p->last_error_time = op->last_error_time;
		memcpy(p->last_error, op->last_error, sizeof(p->last_error));
		p->api_health = op->api_health;
		p->rem = op->rem;
	}
	for (i = 0; i < nz; i++) {
		z = &zones[i];
		ms = daemon_interval_ms(conf);
		if ((oz = daemon_find_zone(d, z->name)) != NULL) {
			kick[i] = busy[oz - d->zones];
			z->dirty = oz->dirty;
			z->seen_loaded = oz->seen_loaded;
			z->seen_hash = oz->seen_hash;
			memcpy(z->seen_version, oz->seen_version,
			    sizeof(z->seen_version));
			memcpy(z->seen_failed, oz->seen_failed,
			    sizeof(z->seen_failed));
			for (j = 0; j < z->npairs; j++) {
				pair = &z->pairs[j];
				for (k = 0; k < oz->npairs; k++) {
					opair = &oz->pairs[k];
					if (strcmp(opair->provider->name,
					    pair->provider->name) == 0)
						break;
				}
				if (k == oz->npairs)
					continue;
				pair->state = opair->state;
				if (pair->state == PAIR_STATE_BUSY)
					pair->state = PAIR_STATE_NEW;
				pair->drift_pass = opair->drift_pass;
				pair->last_run = opair->last_run;
				pair->last_ok = opair->last_ok;
				pair->drift = opair->drift;
				pair->pending = opair->pending;
				memcpy(pair->applied_version,
				    opair->applied_version,
				    sizeof(pair->applied_version));
				memcpy(pair->last_error, opair->last_error,
				    sizeof(pair->last_error));
			}
			max = (uint64_t)conf->interval * 1000 * 2;
			if (conf->interval == d->conf->interval &&
			    event_pending(oz->timer, EV_TIMEOUT, &tv)) {
				gettimeofday(&now, NULL);
				if (timercmp(&tv, &now, <))
					ms = 0;
				else {
					timersub(&tv, &now, &tv);
					ms = (uint64_t)tv.tv_sec * 1000 +
					    (uint64_t)tv.tv_usec / 1000;
				}
				if (ms > max)
					ms = max;
			}
		}
		daemon_zone_schedule(z, ms);
	}
}

/* Make sure every zone and provider of conf has its row, in one transaction. */
static int
daemon_db_names(struct daemon *d, const struct config *conf, char *err,
    size_t errlen)
{
	int64_t	now = daemon_now();
	size_t	i;

	if (db_begin(d->db) == -1)
		goto fail;
	for (i = 0; i < conf->nzones; i++) {
		if (db_zone_upsert(d->db, conf->zones[i].name, now) == -1)
			goto rollback;
	}
	for (i = 0; i < conf->nproviders; i++) {
		if (db_provider_upsert(d->db, conf->providers[i].name,
		    conf->providers[i].type, now) == -1)
			goto rollback;
	}
	if (db_commit(d->db) == -1)
		goto rollback;
	return (0);

rollback:
	snprintf(err, errlen, "state database: %s", db_errmsg(d->db));
	db_rollback(d->db);
	return (-1);
fail:
	snprintf(err, errlen, "state database: %s", db_errmsg(d->db));
	return (-1);
}

/* The control socket's group and privileged uid for conf. */
static int
daemon_user(const struct config *conf, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	if (conf->user == NULL) {
		*uid = geteuid();
		*gid = CONTROL_NO_GROUP;
		return (0);
	}
	errno = 0;
	if ((pw = getpwnam(conf->user)) == NULL) {
		snprintf(err, errlen, "user %s: %s", conf->user,
		    errno != 0 ? strerror(errno) : "no such user");
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

/* --- probing and health ------------------------------------------------- */

static const char *
daemon_severity_word(enum health_state s)
{
	switch (s) {
	case HEALTH_DOWN:
		return ("down");
	case HEALTH_DEGRADED:
		return ("degraded");
	default:
		return ("up");
	}
}

/* Open the probe cycle's transaction on its first write. */
static void
daemon_probe_tx(struct daemon *d)
{
	if (d->probe_tx || db_in_transaction(d->db))
		return;
	if (db_begin(d->db) == 0)
		d->probe_tx = 1;
	else
		log_warnx("db", "probe results: %s", db_errmsg(d->db));
}

void
daemon_health_transition(const struct health_transition *t, void *arg)
{
	struct daemon		*d = arg;
	struct db_event		 ev;
	cJSON			*details;
	char			*id, *summary, *json;
	const char		*ns = t->nameserver != NULL ? t->nameserver :
				    "(all nameservers)";

	if (t->kind == HEALTH_KIND_API)
		ns = "(api)";
	if (t->to == HEALTH_DOWN || t->to == HEALTH_DEGRADED)
		log_warnx("health", "provider %s %s %s: %s -> %s: %s",
		    t->provider, health_kind_name(t->kind), ns,
		    health_state_name(t->from), health_state_name(t->to),
		    t->reason);
	else
		log_info("health", "provider %s %s %s: %s -> %s: %s",
		    t->provider, health_kind_name(t->kind), ns,
		    health_state_name(t->from), health_state_name(t->to),
		    t->reason);
	if (d == NULL || d->db == NULL)
		return;
	/*
	 * A provider's own state (DNS or API) is an alert, with flap
	 * suppression; a single nameserver's is recorded without webhooks.
	 */
	if (t->nameserver == NULL && t->from != HEALTH_UNKNOWN &&
	    t->to != HEALTH_UNKNOWN) {
		enum alert_type	 type = t->to == HEALTH_DOWN ?
		    ALERT_PROVIDER_DOWN : t->to == HEALTH_DEGRADED ?
		    ALERT_PROVIDER_DEGRADED : ALERT_PROVIDER_UP;
		char		 key[64];

		details = json_check(cJSON_CreateObject());
		json_add(details, "kind", json_str(health_kind_name(t->kind)));
		json_add(details, "from", json_str(health_state_name(t->from)));
		json_add(details, "to", json_str(health_state_name(t->to)));
		json_add(details, "reason", json_str(t->reason));
		snprintf(key, sizeof(key), "%s:%lld", health_kind_name(t->kind),
		    (long long)t->time);
		if (t->kind == HEALTH_KIND_DNS)
			daemon_probe_tx(d);
		(void)alert_raisef(d->alerts, type, NULL, t->provider, key,
		    details, "provider %s is %s over %s (was %s): %s",
		    t->provider, health_state_name(t->to),
		    health_kind_name(t->kind), health_state_name(t->from),
		    t->reason);
		cJSON_Delete(details);
		return;
	}
	xasprintf(&id, "health:%s:%s:%s:%lld:%s", t->provider,
	    health_kind_name(t->kind), ns, (long long)t->time,
	    health_state_name(t->to));
	xasprintf(&summary, "provider %s %s %s is %s (was %s): %s",
	    t->provider, health_kind_name(t->kind), ns,
	    health_state_name(t->to), health_state_name(t->from), t->reason);
	details = json_check(cJSON_CreateObject());
	json_add(details, "nameserver", json_str(t->nameserver));
	json_add(details, "kind", json_str(health_kind_name(t->kind)));
	json_add(details, "from", json_str(health_state_name(t->from)));
	json_add(details, "to", json_str(health_state_name(t->to)));
	json_add(details, "reason", json_str(t->reason));
	if ((json = cJSON_PrintUnformatted(details)) == NULL)
		fatalx("daemon", "out of memory");
	memset(&ev, 0, sizeof(ev));
	ev.id = id;
	ev.time = t->time;
	ev.provider = t->provider;
	ev.type = "health_transition";
	ev.severity = t->to == HEALTH_DOWN ? DB_SEVERITY_CRITICAL :
	    t->to == HEALTH_DEGRADED ? DB_SEVERITY_WARNING : DB_SEVERITY_INFO;
	ev.summary = summary;
	ev.details = json;
	if (t->kind == HEALTH_KIND_DNS)
		daemon_probe_tx(d);
	if (db_event_add(d->db, &ev, NULL, 0, t->time) == -1)
		log_warnx("db", "health transition (%s): %s",
		    daemon_severity_word(t->to), db_errmsg(d->db));
	cJSON_free(json);
	cJSON_Delete(details);
	free(summary);
	free(id);
}

/* API health: one observation per pair after each reconcile of the zone. */
static void
daemon_api_health(struct daemon *d, struct daemon_zone *z)
{
	struct health		 h;
	struct daemon_pair	*pair;
	enum health_obs		 obs;
	int64_t			 now = daemon_now();
	size_t			 i;

	h.conf.down_after = d->conf->down_after;
	h.conf.up_after = d->conf->up_after;
	h.conf.slow_ms = 0;
	h.on_transition = daemon_health_transition;
	h.arg = d;
	for (i = 0; i < z->npairs; i++) {
		pair = &z->pairs[i];
		switch (pair->state) {
		case PAIR_STATE_ERROR:
			obs = HEALTH_OBS_FAIL;
			break;
		case PAIR_STATE_IN_SYNC:
		case PAIR_STATE_DRIFT:
		case PAIR_STATE_REFUSED:
			obs = HEALTH_OBS_OK;
			break;
		default:
			continue;
		}
		health_observe(&h, &pair->provider->api_health,
		    pair->provider->name, NULL, HEALTH_KIND_API, obs,
		    pair->last_error[0] != '\0' ? pair->last_error : NULL, now);
		if (db_health_record(d->db, now, pair->provider->name, NULL,
		    DB_HEALTH_API, obs != HEALTH_OBS_FAIL, -1,
		    obs == HEALTH_OBS_FAIL ? pair->last_error : NULL) == -1)
			log_warnx("db", "API health: %s", db_errmsg(d->db));
	}
}

static void
daemon_probe_finding_cb(struct probe *p, const struct probe_finding *f,
    void *arg)
{
	struct daemon	*d = arg;
	char		*actual;
	int64_t		 now = daemon_now();
	int		 rc;

	(void)p;
	daemon_probe_tx(d);
	if (f->verdict == PROBE_MATCH) {
		if (db_drift_resolve(d->db, f->zone, f->provider, f->owner,
		    f->type, now) == 1)
			log_info("probe", "zone %s provider %s: %s %s matches "
			    "over DNS again", f->zone, f->provider, f->owner,
			    f->type);
		return;
	}
	xasprintf(&actual, "over DNS at %s: %s", f->nameserver != NULL ?
	    f->nameserver : "?", f->actual != NULL ? f->actual : "(none)");
	rc = db_drift_upsert(d->db, f->zone, f->provider, f->owner, f->type,
	    f->verdict == PROBE_MISSING ? DB_DRIFT_MISSING : DB_DRIFT_CHANGED,
	    f->desired, actual, now);
	if (rc == -1)
		log_warnx("db", "drift over DNS: %s", db_errmsg(d->db));
	else if (rc == 1)
		log_warnx("probe", "zone %s provider %s: drift over DNS: %s %s "
		    "%s at %s", f->zone, f->provider, f->owner, f->type,
		    probe_verdict_name(f->verdict), f->nameserver);
	free(actual);
}

static void
daemon_probe_done_cb(struct probe *p, const struct probe_stats *st,
    void *arg)
{
	struct daemon			*d = arg;
	const struct probe_provider	*pp;
	const struct probe_target	*t;
	struct db_latency		 lat;
	int64_t				 now = daemon_now(), since;
	size_t				 i, j;
	int				 persist, failed = 0;

	daemon_probe_tx(d);
	persist = now - d->probe_persisted >= DAEMON_PERSIST_EVERY;
	since = now - (int64_t)d->conf->probe_interval * LATENCY_RING;
	for (i = 0; i < probe_nproviders(p); i++) {
		pp = probe_provider(p, i);
		for (j = 0; j < pp->ntargets; j++) {
			t = &pp->targets[j];
			if (t->cyc_soa == 0)
				continue;
			if (db_health_record(d->db, now, pp->name, t->addr,
			    DB_HEALTH_DNS, t->cyc_fail == 0,
			    t->cyc_fail == 0 ? t->cyc_ms : -1,
			    t->cyc_err[0] != '\0' ? t->cyc_err : NULL) == -1)
				failed = 1;
			if (persist && db_latency_update(d->db, pp->name,
			    t->addr, DB_HEALTH_DNS, since, now, &lat) == -1)
				failed = 1;
		}
	}
	if (persist)
		d->probe_persisted = now;
	if (now - d->probe_pruned >= DAEMON_PRUNE_EVERY) {
		if (db_prune(d->db, now - DAEMON_HEALTH_KEEP) == -1)
			failed = 1;
		d->probe_pruned = now;
	}
	if (d->probe_tx) {
		d->probe_tx = 0;
		if (failed) {
			log_warnx("db", "probe results: %s", db_errmsg(d->db));
			db_rollback(d->db);
		} else if (db_commit(d->db) == -1) {
			log_warnx("db", "probe results: %s", db_errmsg(d->db));
			db_rollback(d->db);
		}
	}
	remediate_cycle(d);
	metrics_probe_done(d->metrics, p);
	log_debug("probe", "cycle %llu: %zu queries in %llu ms, %zu failed, "
	    "%zu ignored, %zu RRsets compared, %zu differ",
	    (unsigned long long)st->cycle, st->queries,
	    (unsigned long long)(st->usec / 1000), st->failed, st->ignored,
	    st->sampled, st->mismatches);
	daemon_status_update(d);
}

static const struct probe_ops daemon_probe_ops = {
	daemon_probe_finding_cb,
	daemon_probe_done_cb,
};

/*
 * The desired apex NS for the prober: the union of the providers'
 * `nameservers' keys when every provider of the zone has one (the names
 * reconcile would get from them), else NULL (unchecked).
 */
static char **
daemon_probe_ns(const struct config *conf, const struct zone_conf *zc,
    size_t *np)
{
	const struct provider_conf	*pc;
	const char			*list;
	char				**names = NULL, *copy, *s, *w;
	size_t				 n = 0, i;

	*np = 0;
	for (i = 0; i < zc->nproviders; i++) {
		pc = config_find_provider(conf, zc->providers[i]);
		if (pc == NULL ||
		    (list = provider_conf_get(pc, "nameservers")) == NULL)
			goto none;
		copy = xstrdup(list);
		for (s = copy; (w = strsep(&s, ", \t")) != NULL;) {
			if (*w == '\0')
				continue;
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(w);
		}
		free(copy);
	}
	*np = n;
	return (names);
none:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (NULL);
}

/* A prober for conf, its providers in conf order, its zones too. */
static struct probe *
daemon_probe_new(struct daemon *d, const struct config *conf,
    struct daemon_provider *provs, size_t np)
{
	struct probe_opts	 o;
	struct probe		*p;
	struct provider_conf	*pc;
	const struct zone_conf	*zc;
	const char		*addrs;
	char			 err[DAEMON_ERR_MAX], **ns;
	uint64_t		 budget;
	size_t			 i, j, nns;

	memset(&o, 0, sizeof(o));
	o.retries = DAEMON_PROBE_RETRIES;
	/* Every attempt of a query ends within the cycle (80 % of it). */
	budget = (uint64_t)conf->probe_interval * 800 /
	    (DAEMON_PROBE_RETRIES + 1);
	o.timeout_ms = conf->probe_timeout < budget ? conf->probe_timeout :
	    (unsigned)budget;
	o.health.down_after = conf->down_after;
	o.health.up_after = conf->up_after;
	o.health.slow_ms = conf->slow_ms;
	o.on_transition = daemon_health_transition;
	o.arg = d;
	p = probe_new(d->base, &daemon_probe_ops, &o);
	for (i = 0; i < np; i++) {
		pc = provs[i].conf;
		addrs = pc->probe;
		if (addrs == NULL && strcmp(pc->type, "rfc2136") == 0)
			addrs = provider_conf_get(pc, "server");
		if (probe_add_provider(p, pc->name, addrs, err,
		    sizeof(err)) == -1) {
			log_warnx("probe", "%s; not probed", err);
			(void)probe_add_provider(p, pc->name, NULL, err,
			    sizeof(err));
		}
		if (provs[i].backend != NULL)
			probe_provider_types(p, i, provs[i].backend->caps.types,
			    provs[i].backend->caps.ntypes);
		if (probe_provider(p, i)->ntargets == 0)
			log_info("probe", "provider %s: no probe addresses "
			    "(set probe = ADDR ...)", pc->name);
	}
	for (i = 0; i < conf->nzones; i++) {
		zc = &conf->zones[i];
		ns = daemon_probe_ns(conf, zc, &nns);
		if (probe_add_zone(p, zc->name, zc->probe_sample, zc->ignores,
		    zc->nignores, zc->providers, zc->nproviders, ns, nns, err,
		    sizeof(err)) == -1)
			fatalx("daemon", "%s", err);
		for (j = 0; j < nns; j++)
			free(ns[j]);
		free(ns);
	}
	return (p);
}

static void
daemon_probe_arm(struct daemon *d)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)d->conf->probe_interval;
	tv.tv_usec = 0;
	event_del(d->ev_probe);
	event_add(d->ev_probe, &tv);
}

static void
daemon_probe_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;
	size_t		 i;

	(void)fd;
	(void)events;
	if (d->stopping || d->probe == NULL)
		return;
	for (i = 0; i < d->nzones; i++)
		probe_set_desired(d->probe, i, d->zones[i].sz != NULL ?
		    d->zones[i].sz->zone : NULL);
	if (probe_cycle(d->probe) == -1)
		log_warnx("probe", "the previous cycle is still running; "
		    "this one is skipped");
}

/* --- lint and the delegation check ------------------------------------- */

/* A zone's providers for lint; free with daemon_lint_providers_free. */
static struct lint_provider *
daemon_lint_providers(struct daemon *d, struct daemon_zone *z)
{
	struct lint_provider	*lp;
	struct daemon_provider	*p;
	const char		*list;
	char			**ns, *copy, *s, *w;
	size_t			 i, n;

	lp = xcalloc(z->npairs + 1, sizeof(*lp));
	for (i = 0; i < z->npairs; i++) {
		p = z->pairs[i].provider;
		lp[i].name = p->name;
		lp[i].apex_ns_cap = p->backend == NULL ? -1 :
		    (p->backend->caps.flags & PROVIDER_CAP_APEX_NS) != 0;
		if ((list = provider_conf_get(p->conf, "nameservers")) == NULL)
			continue;
		ns = NULL;
		n = 0;
		copy = xstrdup(list);
		for (s = copy; (w = strsep(&s, ", \t")) != NULL;) {
			if (*w == '\0')
				continue;
			ns = xreallocarray(ns, n + 1, sizeof(*ns));
			ns[n++] = xstrdup(w);
		}
		free(copy);
		lp[i].ns = ns;
		lp[i].nns = n;
	}
	(void)d;
	return (lp);
}

static void
daemon_lint_providers_free(struct lint_provider *lp, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < lp[i].nns; j++)
			free(lp[i].ns[j]);
		free((char **)lp[i].ns);
	}
	free(lp);
}

/* Lint one zone (everything, or only its delegation) into r. */
static void
daemon_lint_zone(struct daemon *d, struct daemon_zone *z, int deleg_only,
    struct lint_report *r)
{
	struct lint_input	 in;
	struct lint_provider	*lp;

	lp = daemon_lint_providers(d, z);
	memset(&in, 0, sizeof(in));
	in.zone = z->name;
	in.content = z->sz != NULL ? z->sz->zone : NULL;
	in.providers = lp;
	in.nproviders = z->npairs;
	in.delegation = delegation_result(d->deleg, z->name);
	in.min_ttl = d->conf->lint_min_ttl;
	in.max_ns_ttl = d->conf->lint_max_ns_ttl;
	if (deleg_only)
		lint_delegation(&in, r);
	else
		lint_zone(&in, r);
	daemon_lint_providers_free(lp, z->npairs);
}

/* At start and reload: every zone's findings, logged once. */
static void
daemon_lint_log(struct daemon *d)
{
	struct lint_report	 r;
	struct lint_finding	*f;
	size_t			 i, j;

	for (i = 0; i < d->nzones; i++) {
		memset(&r, 0, sizeof(r));
		daemon_lint_zone(d, &d->zones[i], 0, &r);
		for (j = 0; j < r.n; j++) {
			f = &r.findings[j];
			if (f->severity == LINT_INFO)
				log_info("lint", "zone %s: %s: %s",
				    d->zones[i].name, f->check, f->message);
			else
				log_warnx("lint", "zone %s: %s %s: %s",
				    d->zones[i].name,
				    lint_severity_name(f->severity), f->check,
				    f->message);
		}
		lint_report_clear(&r);
	}
}

/*
 * A delegation check has ended: each new finding (not seen at the last
 * check) is logged and raised once as delegation-mismatch.
 */
static void
daemon_deleg_done_cb(struct delegation *dl, void *arg)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct lint_report	 r;
	struct lint_finding	*f;
	cJSON			*details;
	char			**msgs;
	size_t			 i, j, n;

	for (i = 0; i < delegation_nzones(dl); i++) {
		if ((z = daemon_find_zone(d, delegation_zone_name(dl,
		    i))) == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		daemon_lint_zone(d, z, 1, &r);
		msgs = xcalloc(r.n + 1, sizeof(*msgs));
		for (j = n = 0; j < r.n; j++) {
			f = &r.findings[j];
			if (f->severity == LINT_INFO)
				continue;
			msgs[n++] = f->message;
			if (delegation_reported(dl, i, f->message))
				continue;
			log_warnx("lint", "zone %s: delegation: %s", z->name,
			    f->message);
			details = json_check(cJSON_CreateObject());
			json_add(details, "check", json_str(f->check));
			json_add(details, "severity", json_str(
			    lint_severity_name(f->severity)));
			(void)alert_raisef(d->alerts, ALERT_DELEGATION_MISMATCH,
			    z->name, f->provider, f->message, details,
			    "zone %s: %s", z->name, f->message);
			cJSON_Delete(details);
		}
		if (n == 0)
			log_debug("lint", "zone %s: the delegation matches",
			    z->name);
		delegation_set_reported(dl, i, msgs, n);
		free(msgs);
		lint_report_clear(&r);
	}
}

/* The delegation checker for conf: zones with a parent, their providers. */
static struct delegation *
daemon_deleg_new(struct daemon *d, const struct config *conf,
    struct daemon_provider *provs, size_t np)
{
	struct delegation		*dl;
	const struct zone_conf		*zc;
	const struct provider_conf	*pc;
	const char			*addrs;
	char				 err[DAEMON_ERR_MAX];
	size_t				 i, j, k;
	int				 zi;

	dl = delegation_new(d->base, conf->probe_timeout, DAEMON_PROBE_RETRIES,
	    daemon_deleg_done_cb, d);
	for (i = 0; i < conf->nzones; i++) {
		zc = &conf->zones[i];
		if (zc->parent == NULL)
			continue;
		if ((zi = delegation_add_zone(dl, zc->name, zc->parent, err,
		    sizeof(err))) == -1)
			fatalx("daemon", "%s", err);
		for (j = 0; j < zc->nproviders; j++) {
			for (k = 0; k < np; k++)
				if (strcmp(provs[k].name, zc->providers[j]) == 0)
					break;
			if (k == np)
				continue;
			pc = provs[k].conf;
			addrs = pc->probe;
			if (addrs == NULL && strcmp(pc->type, "rfc2136") == 0)
				addrs = provider_conf_get(pc, "server");
			if (delegation_add_provider(dl, (size_t)zi, pc->name,
			    addrs, err, sizeof(err)) == -1)
				(void)delegation_add_provider(dl, (size_t)zi,
				    pc->name, NULL, err, sizeof(err));
		}
	}
	return (dl);
}

/* (Re)arm the check timer and run a check soon. */
static void
daemon_deleg_arm(struct daemon *d)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)d->conf->delegation_interval;
	tv.tv_usec = 0;
	event_del(d->ev_deleg);
	event_add(d->ev_deleg, &tv);
	if (delegation_nzones(d->deleg) > 0)
		event_active(d->ev_deleg, EV_TIMEOUT, 0);
}

static void
daemon_deleg_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;

	(void)fd;
	(void)events;
	if (d->stopping || d->deleg == NULL ||
	    delegation_nzones(d->deleg) == 0)
		return;
	if (delegation_check(d->deleg) == -1)
		log_warnx("lint", "the previous delegation check is still "
		    "running; this one is skipped");
}

/* --- plan and sync requests -------------------------------------------- */

static void
daemon_job_error(struct daemon_job *job, const char *zone, const char *code,
    const char *msg)
{
	cJSON	*errors, *row;

	if (job->errcode[0] == '\0') {
		daemon_copy(job->errcode, sizeof(job->errcode), code);
		daemon_copy(job->errmsg, sizeof(job->errmsg), msg);
	}
	if ((errors = cJSON_GetObjectItemCaseSensitive(job->result,
	    "errors")) == NULL) {
		errors = json_check(cJSON_CreateArray());
		json_add(job->result, "errors", errors);
	}
	row = json_check(cJSON_CreateObject());
	json_add(row, "zone", json_str(zone));
	json_add(row, "error", json_str(msg));
	json_push(errors, row);
}

static cJSON *
json_array_in(cJSON *obj, const char *key)
{
	cJSON	*a;

	if ((a = cJSON_GetObjectItemCaseSensitive(obj, key)) == NULL) {
		a = json_check(cJSON_CreateArray());
		json_add(obj, key, a);
	}
	return (a);
}

/* A copy of an object without its nested arrays and objects. */
static cJSON *
json_flat_copy(const cJSON *obj, const char *zone)
{
	const cJSON	*v;
	cJSON		*copy;

	copy = json_check(cJSON_CreateObject());
	if (zone != NULL && !cJSON_HasObjectItem(obj, "zone"))
		json_add(copy, "zone", json_str(zone));
	cJSON_ArrayForEach(v, obj) {
		if (v->string == NULL || cJSON_IsArray(v) || cJSON_IsObject(v))
			continue;
		json_add(copy, v->string, json_check(cJSON_Duplicate(v, 1)));
	}
	return (copy);
}

/* An RRset's rdata as one string, "a | b". */
static cJSON *
json_rdata(const cJSON *rdata)
{
	const cJSON	*v;
	char		*s = NULL, *t;
	cJSON		*out;

	cJSON_ArrayForEach(v, rdata) {
		if (!cJSON_IsString(v) || v->valuestring == NULL)
			continue;
		if (s == NULL)
			s = xstrdup(v->valuestring);
		else {
			xasprintf(&t, "%s | %s", s, v->valuestring);
			free(s);
			s = t;
		}
	}
	out = json_str(s);
	free(s);
	return (out);
}

/*
 * Fold one zone's reconcile report into the answer, as flat tables: the
 * report's scalars (plan only: one zone), one "providers" row per provider
 * and one "changes" row per change (provider, op, owner, type, ttl, rdata).
 * A sync's rows carry their zone.
 */
static void
daemon_job_merge(struct daemon_job *job, struct daemon_zone *z,
    const cJSON *report)
{
	const cJSON	*v, *p, *c, *rs;
	cJSON		*provs, *changes, *row;
	const char	*zone = job->plan ? NULL : z->name, *name;

	if (!cJSON_IsObject(report))
		return;
	if (job->plan) {
		cJSON_ArrayForEach(v, report) {
			if (v->string == NULL || cJSON_IsArray(v) ||
			    cJSON_IsObject(v) ||
			    strcmp(v->string, "attention") == 0)
				continue;
			cJSON_DeleteItemFromObjectCaseSensitive(job->result,
			    v->string);
			json_add(job->result, v->string,
			    json_check(cJSON_Duplicate(v, 1)));
		}
	}
	provs = json_array_in(job->result, "providers");
	changes = json_array_in(job->result, "changes");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(report,
	    "providers")) {
		if (!cJSON_IsObject(p))
			continue;
		json_push(provs, json_flat_copy(p, zone));
		name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p,
		    "name"));
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(p,
		    "changes")) {
			row = json_check(cJSON_CreateObject());
			json_push(changes, row);
			if (zone != NULL)
				json_add(row, "zone", json_str(zone));
			json_add(row, "provider", json_str(name));
			json_add(row, "op", json_str(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(c, "op"))));
			json_add(row, "owner", json_str(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(c, "owner"))));
			json_add(row, "type", json_str(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(c, "type"))));
			if ((rs = cJSON_GetObjectItemCaseSensitive(c,
			    "new")) == NULL)
				rs = cJSON_GetObjectItemCaseSensitive(c, "old");
			v = cJSON_GetObjectItemCaseSensitive(rs, "ttl");
			json_add(row, "ttl", cJSON_IsNumber(v) ?
			    json_num(v->valuedouble) : json_str(NULL));
			json_add(row, "rdata", json_rdata(
			    cJSON_GetObjectItemCaseSensitive(rs, "rdata")));
		}
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report,
	    "attention"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(job->result,
		    "attention");
		json_add(job->result, "attention", json_bool(1));
	}
}

/*
 * A reconcile of the job has finished.  reconcile_cancel() calls this too,
 * with a "cancelled" report: a reload has already taken the task back (it
 * starts again on the new objects), a stop fails it.
 */
static void
daemon_job_cb(struct daemon *d, struct daemon_zone *z, cJSON *report,
    void *arg)
{
	struct daemon_task	*t = arg;
	struct daemon_job	*job = t->job;
	char			 msg[DAEMON_ERR_MAX + 64];
	int			 cancelled;

	if (!t->running)
		return;
	t->running = 0;
	job->running--;
	cancelled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report,
	    "cancelled"));
	if (cancelled) {
		snprintf(msg, sizeof(msg), "zone %s: %s", t->zone,
		    d->stopping ? "the daemon is stopping" :
		    "the reconcile was cancelled");
		daemon_job_error(job, t->zone, CTL_ERR_BUSY, msg);
	} else {
		z->dirty = 0;
		job->done++;
		daemon_job_merge(job, z, report);
		if (!job->plan)
			daemon_api_health(d, z);
	}
	daemon_status_update(d);
	if (job->running == 0 && job->conn != NULL && !job->starting)
		daemon_job_finish(job);
}

static int	daemon_task_start(struct daemon *, struct daemon_task *);

#define DAEMON_WAIT_MS	50	/* how often waiting tasks look again */

static void
daemon_wait_arm(struct daemon *d)
{
	struct timeval	tv = { 0, DAEMON_WAIT_MS * 1000 };

	if (d->ev_wait != NULL && !evtimer_pending(d->ev_wait, NULL))
		evtimer_add(d->ev_wait, &tv);
}

/* Start the waiting tasks whose zone is no longer busy. */
static void
daemon_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct daemon_job	*job, *next;
	struct daemon_task	*t;
	struct daemon_zone	*z;
	size_t			 i;
	int			 still = 0;

	(void)fd;
	(void)what;
	for (job = d->jobs; job != NULL; job = next) {
		next = job->next;
		job->starting = 1;
		for (i = 0; i < job->ntasks; i++) {
			t = &job->tasks[i];
			if (!t->waiting)
				continue;
			z = daemon_find_zone(d, t->zone);
			if (z != NULL && reconcile_busy(z)) {
				still = 1;
				continue;
			}
			t->waiting = 0;
			t->running = 0;
			job->running--;
			daemon_task_start(d, t);
			if (t->waiting)
				still = 1;
		}
		job->starting = 0;
		if (job->running == 0 && job->conn != NULL)
			daemon_job_finish(job);
	}
	if (still)
		daemon_wait_arm(d);
}

/* Start the task's reconcile; -1 (recorded in the job) when it cannot. */
static int
daemon_task_start(struct daemon *d, struct daemon_task *t)
{
	struct daemon_job	*job = t->job;
	struct daemon_zone	*z;
	char			 err[DAEMON_ERR_MAX], msg[DAEMON_ERR_MAX + 64];

	if (d->stopping) {
		snprintf(msg, sizeof(msg), "zone %s: the daemon is stopping",
		    t->zone);
		daemon_job_error(job, t->zone, CTL_ERR_BUSY, msg);
		return (-1);
	}
	if ((z = daemon_find_zone(d, t->zone)) == NULL) {
		snprintf(msg, sizeof(msg), "zone %s is no longer configured",
		    t->zone);
		daemon_job_error(job, t->zone, CTL_ERR_NO_SUCH_ZONE, msg);
		return (-1);
	}
	t->running = 1;
	job->running++;
	/*
	 * A reconcile of the zone is already running (the periodic one, a
	 * new version, another request): an operator's sync or plan waits for
	 * it and then runs, rather than reporting the providers as busy.
	 */
	if (reconcile_busy(z)) {
		t->waiting = 1;
		daemon_wait_arm(d);
		return (0);
	}
	err[0] = '\0';
	if (reconcile_zone(d, z, job->flags, daemon_job_cb, t, err,
	    sizeof(err)) == -1) {
		if (t->running) {
			t->running = 0;
			job->running--;
		}
		snprintf(msg, sizeof(msg), "zone %s: %s", t->zone,
		    err[0] != '\0' ? err : "cannot reconcile");
		daemon_job_error(job, t->zone, CTL_ERR_NOT_AVAILABLE, msg);
		return (-1);
	}
	return (0);
}

static struct daemon_job *
daemon_job_new(struct daemon *d, int plan, unsigned flags, size_t ntasks)
{
	struct daemon_job	*job;

	job = xcalloc(1, sizeof(*job));
	job->d = d;
	job->plan = plan;
	job->flags = flags;
	job->tasks = xcalloc(ntasks + 1, sizeof(*job->tasks));
	job->result = json_check(cJSON_CreateObject());
	return (job);
}

static void
daemon_job_free(struct daemon_job *job)
{
	size_t	i;

	for (i = 0; i < job->ntasks; i++)
		free(job->tasks[i].zone);
	free(job->tasks);
	cJSON_Delete(job->result);
	free(job);
}

static void
daemon_job_unlink(struct daemon_job *job)
{
	struct daemon_job	**jp;

	for (jp = &job->d->jobs; *jp != NULL; jp = &(*jp)->next) {
		if (*jp == job) {
			*jp = job->next;
			break;
		}
	}
	job->next = NULL;
}

/* Answer a deferred job and free it. */
static void
daemon_job_finish(struct daemon_job *job)
{
	daemon_job_unlink(job);
	if (job->done == 0 && job->errcode[0] != '\0')
		control_answer_error(job->conn, job->errcode, "%s",
		    job->errmsg);
	else {
		if (job->errcode[0] != '\0' &&
		    !cJSON_HasObjectItem(job->result, "attention"))
			json_add(job->result, "attention", json_bool(1));
		control_answer(job->conn, job->result);
		job->result = NULL;
	}
	job->conn = NULL;
	daemon_job_free(job);
}

/* Answer in the handler, when nothing is left running. */
static int
daemon_job_reply(struct daemon_job *job, struct control_reply *reply)
{
	int	rc;

	if (job->done == 0 && job->errcode[0] != '\0')
		rc = control_reply_error(reply, job->errcode, "%s",
		    job->errmsg);
	else {
		if (job->errcode[0] != '\0' &&
		    !cJSON_HasObjectItem(job->result, "attention"))
			json_add(job->result, "attention", json_bool(1));
		reply->result = job->result;
		job->result = NULL;
		rc = CONTROL_DONE;
	}
	daemon_job_free(job);
	return (rc);
}

/*
 * Run the job's tasks; answer now if nothing is left running, else defer
 * and answer from the last reconcile's callback.
 */
static int
daemon_job_run(struct daemon *d, struct daemon_job *job,
    const struct control_request *req, struct control_reply *reply)
{
	struct daemon_job	**jp;
	size_t			  i;

	job->starting = 1;
	for (i = 0; i < job->ntasks; i++)
		daemon_task_start(d, &job->tasks[i]);
	job->starting = 0;
	if (job->running == 0)
		return (daemon_job_reply(job, reply));
	/* In arrival order, so that a reload restarts them in that order. */
	job->conn = control_defer(req);
	for (jp = &d->jobs; *jp != NULL; jp = &(*jp)->next)
		;
	*jp = job;
	return (CONTROL_DEFERRED);
}

/*
 * Before the zones' reconciles are cancelled: a reload marks the running
 * tasks to be started again on the new objects, a stop fails them.
 */
static void
daemon_jobs_interrupt(struct daemon *d, const char *why)
{
	struct daemon_job	*job, *next;
	struct daemon_task	*t;
	char			 msg[DAEMON_ERR_MAX + 64];
	size_t			 i;

	for (job = d->jobs; job != NULL; job = next) {
		next = job->next;
		for (i = 0; i < job->ntasks; i++) {
			t = &job->tasks[i];
			if (!t->running)
				continue;
			t->running = 0;
			t->waiting = 0;
			job->running--;
			if (why == NULL) {
				t->interrupted = 1;
				continue;
			}
			snprintf(msg, sizeof(msg), "zone %s: %s", t->zone,
			    why);
			daemon_job_error(job, t->zone, CTL_ERR_BUSY, msg);
		}
		if (why != NULL && job->running == 0)
			daemon_job_finish(job);
	}
}

/* After a reload: start the interrupted tasks on the new objects. */
static void
daemon_jobs_resume(struct daemon *d)
{
	struct daemon_job	*job, *next;
	size_t			 i;

	for (job = d->jobs; job != NULL; job = next) {
		next = job->next;
		job->starting = 1;
		for (i = 0; i < job->ntasks; i++) {
			if (!job->tasks[i].interrupted)
				continue;
			job->tasks[i].interrupted = 0;
			daemon_task_start(d, &job->tasks[i]);
		}
		job->starting = 0;
		if (job->running == 0)
			daemon_job_finish(job);
	}
}

/* --- start, reload, stop ------------------------------------------------- */

static void
daemon_log_level(struct daemon *d)
{
	log_set_level(d->debug ? LOG_LEVEL_DEBUG : d->conf->log_level);
}

struct daemon *
daemon_new(const char *config_path, int debug, char *err, size_t errlen)
{
	struct daemon		*d;
	struct provider		**backends;
	char			  msg[DAEMON_ERR_MAX];
	uid_t			  uid;
	gid_t			  gid;
	uint64_t		  usec;
	struct timeval		  tv;
	size_t			  i;

	d = xcalloc(1, sizeof(*d));
	d->debug = debug;
	d->config_path = xstrdup(config_path);
	d->started = daemon_now();
	if ((d->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "event_base_new failed");
		goto fail;
	}
	if ((d->conf = config_load(config_path, err, errlen)) == NULL)
		goto fail;
	daemon_log_level(d);
	if (daemon_user(d->conf, &uid, &gid, err, errlen) == -1)
		goto fail;

	if ((d->db = db_open(d->conf->state_path, err, errlen)) == NULL)
		goto fail;
	if ((d->store = daemon_store_open(d->conf, err, errlen)) == NULL)
		goto fail;
	d->http = http_new(d->base);
	if ((backends = daemon_backends_new(d, d->conf, err, errlen)) == NULL)
		goto fail;
	if (daemon_db_names(d, d->conf, err, errlen) == -1) {
		daemon_backends_free(backends, d->conf->nproviders);
		goto fail;
	}
	daemon_objects_build(d, d->conf, d->store, backends, &d->providers,
	    &d->nproviders, &d->zones, &d->nzones);
	free(backends);
	remediate_restore(d);
	if ((d->alerts = alert_new(d->base, d->db, d->http, d->conf, err,
	    errlen)) == NULL)
		goto fail;

	d->ctl = control_open(d->base, d->conf->socket_path, 0660, gid, uid,
	    daemon_handlers, d, msg, sizeof(msg));
	if (d->ctl == NULL) {
		snprintf(err, errlen, "control socket: %s", msg);
		goto fail;
	}
	d->metrics = metrics_new(d);
	if (metrics_prepare(d->metrics, d->conf->metrics, err, errlen) == -1)
		goto fail;
	metrics_commit(d->metrics);

	d->ev_term = evsignal_new(d->base, SIGTERM, daemon_signal_cb, d);
	d->ev_int = evsignal_new(d->base, SIGINT, daemon_signal_cb, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_signal_cb, d);
	d->ev_store = event_new(d->base, -1, EV_PERSIST, daemon_store_cb, d);
	if ((d->ev_wait = evtimer_new(d->base, daemon_wait_cb, d)) == NULL)
		fatalx("daemon", "cannot create events");
	if (d->ev_term == NULL || d->ev_int == NULL || d->ev_hup == NULL ||
	    d->ev_store == NULL)
		fatalx("daemon", "cannot create events");
	evsignal_add(d->ev_term, NULL);
	evsignal_add(d->ev_int, NULL);
	evsignal_add(d->ev_hup, NULL);
	daemon_store_arm(d);
	if ((usec = notify_watchdog_usec()) != 0) {
		d->ev_watchdog = event_new(d->base, -1, EV_PERSIST,
		    daemon_watchdog_cb, d);
		if (d->ev_watchdog == NULL)
			fatalx("daemon", "cannot create events");
		usec /= 2;
		tv.tv_sec = (time_t)(usec / 1000000);
		tv.tv_usec = (suseconds_t)(usec % 1000000);
		event_add(d->ev_watchdog, &tv);
	}
	for (i = 0; i < d->nzones; i++)
		daemon_zone_schedule(&d->zones[i], daemon_interval_ms(d->conf));

	d->probe = daemon_probe_new(d, d->conf, d->providers, d->nproviders);
	if ((d->ev_probe = event_new(d->base, -1, EV_PERSIST, daemon_probe_cb,
	    d)) == NULL)
		fatalx("daemon", "cannot create events");
	daemon_probe_arm(d);
	d->deleg = daemon_deleg_new(d, d->conf, d->providers, d->nproviders);
	if ((d->ev_deleg = event_new(d->base, -1, EV_PERSIST, daemon_deleg_cb,
	    d)) == NULL)
		fatalx("daemon", "cannot create events");
	daemon_deleg_arm(d);

	daemon_store_refresh(d);
	daemon_lint_log(d);
	log_info("daemon", "started: %zu zones, %zu providers, control socket "
	    "%s", d->nzones, d->nproviders, d->conf->socket_path);
	daemon_status_update(d);
	notify_ready();
	return (d);

fail:
	daemon_free(d);
	return (NULL);
}

int
daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct config		 *conf = NULL, *oconf;
	struct store		 *store = NULL, *ostore;
	struct provider		**backends = NULL;
	struct daemon_provider	 *provs, *oprovs;
	struct daemon_zone	 *zones, *ozones;
	struct probe		 *probe;
	struct delegation	 *deleg;
	size_t			  np, nz, onp, onz, i;
	char			  msg[DAEMON_ERR_MAX];
	uid_t			  uid;
	gid_t			  gid;
	int			  reused, *kick, *busy;
	unsigned		  oconf_probe_interval;

	notify_reloading();
	log_info("daemon", "reloading %s", d->config_path);
	if ((conf = config_load(d->config_path, msg, sizeof(msg))) == NULL)
		goto refuse;
	if (daemon_user(conf, &uid, &gid, msg, sizeof(msg)) == -1)
		goto refuse;
	if ((backends = daemon_backends_new(d, conf, msg, sizeof(msg))) == NULL)
		goto refuse;
	reused = daemon_store_reusable(d->conf, conf);
	if (!reused) {
		if ((store = daemon_store_open(conf, msg, sizeof(msg))) == NULL)
			goto refuse;
		if (store_refresh(store, msg, sizeof(msg)) == -1)
			goto refuse;
	}
	if (daemon_db_names(d, conf, msg, sizeof(msg)) == -1)
		goto refuse;
	if (metrics_prepare(d->metrics, conf->metrics, msg, sizeof(msg)) == -1)
		goto refuse;
	/* The last step that can fail: webhooks, all or nothing. */
	if (alert_reload(d->alerts, conf, msg, sizeof(msg)) == -1)
		goto refuse;

	/* Nothing can fail from here on. */
	if (strcmp(conf->socket_path, d->conf->socket_path) != 0)
		log_warnx("daemon", "the control socket stays %s until a "
		    "restart", d->conf->socket_path);
	if (strcmp(conf->state_path, d->conf->state_path) != 0)
		log_warnx("daemon", "the state database stays %s until a "
		    "restart", d->conf->state_path);
	if ((conf->user == NULL) != (d->conf->user == NULL) ||
	    (conf->user != NULL && strcmp(conf->user, d->conf->user) != 0))
		log_warnx("daemon", "a new user takes effect at the next "
		    "restart");
	if (reused) {
		for (i = 0; i < conf->nzones; i++) {
			if (store_find_zone(d->store,
			    conf->zones[i].name) == NULL &&
			    store_add_zone(d->store, conf->zones[i].name,
			    conf->zones[i].file) == NULL)
				fatalx("daemon", "zone %s: cannot be added to "
				    "the store", conf->zones[i].name);
		}
	}

	/*
	 * In-flight work refers to the old objects: note what was running,
	 * take the operators' requests back, and cancel it all.
	 */
	busy = xcalloc(d->nzones + 1, sizeof(*busy));
	for (i = 0; i < d->nzones; i++)
		busy[i] = reconcile_busy(&d->zones[i]);
	daemon_jobs_interrupt(d, NULL);
	if (d->nzones > 0)
		reconcile_cancel(d, &d->zones[0]);

	daemon_objects_build(d, conf, reused ? d->store : store, backends,
	    &provs, &np, &zones, &nz);
	free(backends);
	backends = NULL;
	kick = xcalloc(nz + 1, sizeof(*kick));
	daemon_objects_carry(d, conf, provs, np, zones, nz, busy, kick);
	free(busy);
	/* The old prober borrows from the old config: replace it first. */
	probe = daemon_probe_new(d, conf, provs, np);
	probe_carry(probe, d->probe);
	probe_free(d->probe);
	d->probe = probe;
	d->probe_tx = 0;
	deleg = daemon_deleg_new(d, conf, provs, np);
	delegation_carry(deleg, d->deleg);
	delegation_free(d->deleg);
	d->deleg = deleg;

	oconf = d->conf;
	oconf_probe_interval = oconf->probe_interval;
	ostore = d->store;
	oprovs = d->providers;
	onp = d->nproviders;
	ozones = d->zones;
	onz = d->nzones;
	d->conf = conf;
	if (!reused)
		d->store = store;
	d->providers = provs;
	d->nproviders = np;
	d->zones = zones;
	d->nzones = nz;
	daemon_objects_free(oprovs, onp, ozones, onz);
	if (!reused)
		store_close(ostore);
	config_free(oconf);
	metrics_commit(d->metrics);

	d->reloads++;
	d->last_reload = daemon_now();
	daemon_log_level(d);
	daemon_store_arm(d);
	if (conf->probe_interval != oconf_probe_interval)
		daemon_probe_arm(d);
	/* The operators' requests first, so that they do not find it busy. */
	daemon_jobs_resume(d);
	if (reused)
		daemon_store_refresh(d);
	else {
		d->store_error[0] = '\0';
		daemon_store_changed(d);
	}
	for (i = 0; i < d->nzones; i++) {
		if (kick[i] && !reconcile_busy(&d->zones[i]))
			daemon_zone_reconcile(d, &d->zones[i], "reload");
	}
	free(kick);
	daemon_deleg_arm(d);
	daemon_lint_log(d);
	log_info("daemon", "reloaded: %zu zones, %zu providers", d->nzones,
	    d->nproviders);
	daemon_status_update(d);
	notify_ready();
	return (0);

refuse:
	metrics_abort(d->metrics);
	if (conf != NULL)
		daemon_backends_free(backends, conf->nproviders);
	store_close(store);
	config_free(conf);
	log_warnx("daemon", "reload refused: %s", msg);
	snprintf(err, errlen, "%s", msg);
	notify_ready();
	return (-1);
}

void
daemon_stop(struct daemon *d)
{
	struct timeval	tv = { 0, 200000 };

	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("daemon", "stopping");
	notify_stopping();
	if (d->jobs == NULL) {
		event_base_loopbreak(d->base);
		return;
	}
	/* Answer the operators still waiting; give the answers a moment. */
	if (d->nzones > 0)
		reconcile_cancel(d, &d->zones[0]);
	daemon_jobs_interrupt(d, "the daemon is stopping");
	event_base_loopexit(d->base, &tv);
}

static void
daemon_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct daemon	*d = arg;
	char		 err[DAEMON_ERR_MAX];

	(void)events;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		daemon_stop(d);
		break;
	case SIGHUP:
		daemon_reload(d, err, sizeof(err));
		break;
	}
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	notify_watchdog();
}

int
daemon_run(struct daemon *d)
{
	if (event_base_dispatch(d->base) == -1) {
		log_warnx("daemon", "event loop failed");
		return (-1);
	}
	return (0);
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	d->stopping = 1;
	if (d->nzones > 0)
		reconcile_cancel(d, &d->zones[0]);
	daemon_jobs_interrupt(d, "the daemon is stopping");
	control_close(d->ctl);
	metrics_free(d->metrics);
	d->metrics = NULL;
	probe_free(d->probe);
	d->probe = NULL;
	if (d->ev_probe != NULL)
		event_free(d->ev_probe);
	delegation_free(d->deleg);
	d->deleg = NULL;
	if (d->ev_deleg != NULL)
		event_free(d->ev_deleg);
	daemon_objects_free(d->providers, d->nproviders, d->zones, d->nzones);
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	if (d->ev_store != NULL)
		event_free(d->ev_store);
	if (d->ev_wait != NULL)
		event_free(d->ev_wait);
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	alert_free(d->alerts);
	d->alerts = NULL;
	http_free(d->http);
	store_close(d->store);
	db_close(d->db);
	config_free(d->conf);
	if (d->base != NULL)
		event_base_free(d->base);
	free(d->config_path);
	free(d);
}

/* --- control handlers -------------------------------------------------- */

/*
 * The optional "zone" argument: 0 with *zp NULL when absent, the zone
 * when it names one, else -1 with the reply's error set.
 */
static int
ctl_zone_arg(struct daemon *d, const struct control_request *req,
    struct control_reply *reply, struct daemon_zone **zp)
{
	const cJSON	*v;

	*zp = NULL;
	v = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_ZONE);
	if (v == NULL || cJSON_IsNull(v))
		return (0);
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "\"zone\" must be a string");
		return (-1);
	}
	if ((*zp = daemon_find_zone(d, v->valuestring)) == NULL) {
		control_reply_error(reply, CTL_ERR_NO_SUCH_ZONE,
		    "no zone %.255s is configured", v->valuestring);
		return (-1);
	}
	return (0);
}

static int
ctl_status_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct daemon_pair	*p;
	const struct store_version *cur;
	cJSON			*r, *zones, *zo, *provs, *po;
	char			 buf[1200], why[1300];
	const char		*blocked;
	size_t			 i, j;
	int			 alerting;

	(void)req;
	r = json_check(cJSON_CreateObject());
	json_add(r, "version", json_str(PACKAGE_VERSION));
	json_add(r, "uptime", json_num((double)(daemon_now() - d->started)));
	json_add(r, "started", json_time(d->started));
	json_add(r, "reloads", json_num(d->reloads));
	json_add(r, "last_reload", json_time(d->last_reload));
	cur = d->store != NULL ? store_current(d->store) : NULL;
	json_add(r, "store", json_str(store_kind_name(d->conf->store_kind)));
	json_add(r, "store_version", json_str(cur != NULL ? cur->id : NULL));
	json_add(r, "store_error", json_str(d->store_error[0] != '\0' ?
	    d->store_error : NULL));

	zones = json_check(cJSON_CreateArray());
	json_add(r, "zones", zones);
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		zo = json_check(cJSON_CreateObject());
		json_push(zones, zo);
		json_add(zo, "name", json_str(z->name));
		if (z->sz != NULL && z->sz->zone != NULL) {
			json_add(zo, "version", json_version(
			    z->sz->version.id));
			json_add(zo, "author", json_str(z->sz->version.author));
		} else {
			json_add(zo, "version", json_str(NULL));
			json_add(zo, "author", json_str(NULL));
		}
		if (z->sz != NULL && z->sz->failed) {
			zone_error_str(&z->sz->error, buf, sizeof(buf));
			snprintf(why, sizeof(why), "version %.12s: %s",
			    z->sz->failed_version, buf);
			json_add(zo, "load_error", json_str(why));
		} else
			json_add(zo, "load_error", json_str(NULL));
		json_add(zo, "mode", json_str(zone_mode_name(z->conf->mode)));
		json_add(zo, "dirty", json_bool(z->dirty));
		provs = json_check(cJSON_CreateArray());
		json_add(zo, "providers", provs);
		for (j = 0; j < z->npairs; j++) {
			p = &z->pairs[j];
			po = json_check(cJSON_CreateObject());
			json_push(provs, po);
			json_add(po, "name", json_str(p->provider->name));
			blocked = daemon_pair_blocked(p, why, sizeof(why));
			json_add(po, "state", json_str(blocked != NULL ?
			    "unavailable" : pair_state_name(p->state)));
			json_add(po, "in_sync", json_bool(p->state ==
			    PAIR_STATE_IN_SYNC));
			json_add(po, "drift", json_num((double)p->drift));
			json_add(po, "last_ok", json_time(p->last_ok));
			if (p->last_error[0] != '\0')
				blocked = p->last_error;
			json_add(po, "last_error", json_str(blocked));
		}
	}
	alerting = alert_status(d->alerts, r);
	json_add(r, "attention", json_bool(daemon_attention(d) || alerting));
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_alerts_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon	*d = arg;

	return (alert_ctl_alerts(d->alerts, req, reply));
}

static int
ctl_zones_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	cJSON			*r, *rows, *row;
	size_t			 i, j;
	int			 in_sync, attention = 0;

	(void)req;
	r = json_check(cJSON_CreateObject());
	rows = json_check(cJSON_CreateArray());
	json_add(r, "zones", rows);
	for (i = 0; i < d->nzones; i++) {
		z = &d->zones[i];
		in_sync = z->npairs > 0;
		for (j = 0; j < z->npairs; j++) {
			if (z->pairs[j].state != PAIR_STATE_IN_SYNC)
				in_sync = 0;
		}
		if (daemon_zone_attention(z))
			attention = 1;
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "name", json_str(z->name));
		json_add(row, "version", json_str(z->sz != NULL &&
		    z->sz->zone != NULL ? z->sz->version.id : NULL));
		json_add(row, "author", json_str(z->sz != NULL &&
		    z->sz->zone != NULL ? z->sz->version.author : NULL));
		json_add(row, "mode", json_str(zone_mode_name(z->conf->mode)));
		json_add(row, "providers", json_num((double)z->npairs));
		json_add(row, "in_sync", json_bool(in_sync));
		json_add(row, "failed_version", json_str(z->sz != NULL &&
		    z->sz->failed ? z->sz->failed_version : NULL));
	}
	json_add(r, "attention", json_bool(attention));
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_providers_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_provider	*p;
	cJSON			*r, *rows, *row;
	const char		*state;
	char			 why[DAEMON_ERR_MAX];
	size_t			 i, j, k, nzones;
	int			 attention = 0;

	(void)req;
	r = json_check(cJSON_CreateObject());
	rows = json_check(cJSON_CreateArray());
	json_add(r, "providers", rows);
	for (i = 0; i < d->nproviders; i++) {
		p = &d->providers[i];
		nzones = 0;
		for (j = 0; j < d->nzones; j++) {
			for (k = 0; k < d->zones[j].npairs; k++) {
				if (d->zones[j].pairs[k].provider == p)
					nzones++;
			}
		}
		if (p->backend == NULL) {
			state = "unavailable";
			snprintf(why, sizeof(why), "type %s is not available "
			    "in this build", p->conf->type);
		} else if (p->consecutive_errors > 0) {
			state = "error";
			daemon_copy(why, sizeof(why), p->last_error);
		} else {
			state = p->last_ok != 0 ? "ok" : "unknown";
			daemon_copy(why, sizeof(why), p->last_error);
		}
		if (p->backend == NULL || p->consecutive_errors > 0)
			attention = 1;
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "name", json_str(p->name));
		json_add(row, "type", json_str(p->conf->type));
		json_add(row, "state", json_str(state));
		json_add(row, "available", json_bool(p->backend != NULL));
		json_add(row, "zones", json_num((double)nzones));
		json_add(row, "errors", json_num(p->consecutive_errors));
		json_add(row, "last_ok", json_time(p->last_ok));
		json_add(row, "last_error", json_str(why[0] != '\0' ? why :
		    NULL));
	}
	json_add(r, "attention", json_bool(attention));
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_drift_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct db_drift		*items = NULL;
	size_t			 n = 0, i;
	cJSON			*r, *rows, *row;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	if (db_drift_list(d->db, z != NULL ? z->name : NULL, NULL, 0, &items,
	    &n) == -1)
		return (control_reply_error(reply, CTL_ERR_INTERNAL,
		    "state database: %s", db_errmsg(d->db)));
	r = json_check(cJSON_CreateObject());
	rows = json_check(cJSON_CreateArray());
	json_add(r, "drift", rows);
	for (i = 0; i < n; i++) {
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "zone", json_str(items[i].zone));
		json_add(row, "provider", json_str(items[i].provider));
		json_add(row, "owner", json_str(items[i].owner));
		json_add(row, "type", json_str(items[i].type));
		json_add(row, "kind", json_str(db_drift_kind_name(
		    items[i].kind)));
		json_add(row, "first_seen", json_time(items[i].first_seen));
		json_add(row, "last_seen", json_time(items[i].last_seen));
	}
	json_add(r, "attention", json_bool(n > 0));
	db_drift_free(items, n);
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_history_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct db_history	*h = NULL;
	const cJSON		*v;
	size_t			 n = 0, i, limit = DAEMON_HISTORY_DEFAULT;
	cJSON			*r, *rows, *row;
	char			*change;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	v = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_LIMIT);
	if (v != NULL) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > DAEMON_HISTORY_MAX ||
		    v->valuedouble != (double)(long)v->valuedouble)
			return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
			    "\"limit\" must be a whole number from 1 to %d",
			    DAEMON_HISTORY_MAX));
		limit = (size_t)v->valuedouble;
	}
	if (db_history_list(d->db, limit, z != NULL ? z->name : NULL, &h,
	    &n) == -1)
		return (control_reply_error(reply, CTL_ERR_INTERNAL,
		    "state database: %s", db_errmsg(d->db)));
	r = json_check(cJSON_CreateObject());
	rows = json_check(cJSON_CreateArray());
	json_add(r, "history", rows);
	for (i = 0; i < n; i++) {
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "time", json_time(h[i].time));
		json_add(row, "zone", json_str(h[i].zone));
		json_add(row, "provider", json_str(h[i].provider));
		json_add(row, "version", json_version(h[i].version));
		xasprintf(&change, "%s %s %s", change_op_name(h[i].op),
		    h[i].owner != NULL ? h[i].owner : "?",
		    h[i].type != NULL ? h[i].type : "?");
		json_add(row, "change", json_str(change));
		free(change);
		json_add(row, "result", json_str(db_change_result_name(
		    h[i].result)));
		json_add(row, "error", json_str(h[i].error));
	}
	db_history_free(h, n);
	reply->result = r;
	return (CONTROL_DONE);
}

static void
json_latency(cJSON *row, const struct latency_ring *r)
{
	struct latency_summary	s;

	latency_summarize(r, &s);
	json_add(row, "samples", json_num((double)s.samples));
	json_add(row, "p50_ms", s.samples > 0 ? json_num(s.p50) :
	    json_str(NULL));
	json_add(row, "p90_ms", s.samples > 0 ? json_num(s.p90) :
	    json_str(NULL));
	json_add(row, "p99_ms", s.samples > 0 ? json_num(s.p99) :
	    json_str(NULL));
}

/*
 * Health rows of one provider: its DNS aggregate, each nameserver
 * address, and its API; state, since, last error and latency.
 */
static int
ctl_health_rows(struct daemon *d, struct daemon_provider *p, cJSON *rows)
{
	const struct probe_provider	*pp;
	const struct probe_target	*t;
	const struct health_node	*n;
	cJSON				*row;
	size_t				 i;
	int				 attention = 0;

	pp = d->probe != NULL ? probe_find_provider(d->probe, p->name) : NULL;
	if (pp != NULL) {
		n = &pp->node;
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "provider", json_str(p->name));
		json_add(row, "nameserver", json_str("(all)"));
		json_add(row, "kind", json_str("dns"));
		json_add(row, "state", json_str(health_state_name(n->state)));
		json_add(row, "since", json_time(n->since));
		json_latency(row, &pp->lat);
		json_add(row, "serial", json_str(NULL));
		json_add(row, "ignored", json_str(NULL));
		json_add(row, "last_error", json_str(pp->ntargets == 0 ?
		    "no probe addresses" : NULL));
		if (n->state == HEALTH_DOWN)
			attention = 1;
		for (i = 0; i < pp->ntargets; i++) {
			t = &pp->targets[i];
			row = json_check(cJSON_CreateObject());
			json_push(rows, row);
			json_add(row, "provider", json_str(p->name));
			json_add(row, "nameserver", json_str(t->addr));
			json_add(row, "kind", json_str("dns"));
			json_add(row, "state", json_str(health_state_name(
			    t->node.state)));
			json_add(row, "since", json_time(t->node.since));
			json_latency(row, &t->lat);
			json_add(row, "serial", t->have_serial ?
			    json_num(t->serial) : json_str(NULL));
			json_add(row, "ignored", json_num((double)t->ignored));
			json_add(row, "last_error", json_str(
			    t->node.last_error[0] != '\0' ?
			    t->node.last_error : NULL));
		}
	}
	n = &p->api_health;
	row = json_check(cJSON_CreateObject());
	json_push(rows, row);
	json_add(row, "provider", json_str(p->name));
	json_add(row, "nameserver", json_str("(api)"));
	json_add(row, "kind", json_str("api"));
	json_add(row, "state", json_str(health_state_name(n->state)));
	json_add(row, "since", json_time(n->since));
	json_add(row, "samples", json_num((double)(n->nok + n->nfail)));
	json_add(row, "p50_ms", json_str(NULL));
	json_add(row, "p90_ms", json_str(NULL));
	json_add(row, "p99_ms", json_str(NULL));
	json_add(row, "serial", json_str(NULL));
	json_add(row, "ignored", json_str(NULL));
	json_add(row, "last_error", json_str(n->last_error[0] != '\0' ?
	    n->last_error : NULL));
	if (n->state == HEALTH_DOWN)
		attention = 1;
	return (attention);
}

static int
ctl_health_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	const struct probe_stats *st;
	cJSON			*r, *rows;
	size_t			 i;
	int			 attention = 0;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	r = json_check(cJSON_CreateObject());
	json_add(r, "probe_interval", json_num(d->conf->probe_interval));
	st = d->probe != NULL ? probe_last_stats(d->probe) : NULL;
	json_add(r, "probe_cycles", json_num(st != NULL ?
	    (double)st->cycle : 0));
	json_add(r, "last_cycle_ms", json_num(st != NULL ?
	    (double)st->usec / 1000 : 0));
	json_add(r, "ignored_answers", json_num((double)dnsio_mismatches()));
	rows = json_check(cJSON_CreateArray());
	json_add(r, "health", rows);
	if (z != NULL) {
		for (i = 0; i < z->npairs; i++)
			attention |= ctl_health_rows(d, z->pairs[i].provider,
			    rows);
	} else {
		for (i = 0; i < d->nproviders; i++)
			attention |= ctl_health_rows(d, &d->providers[i], rows);
	}
	json_add(r, "attention", json_bool(attention));
	reply->result = r;
	return (CONTROL_DONE);
}

/* Quartiles and whiskers of each provider's DNS latency, for a box plot. */
static int
ctl_latency_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon			*d = arg;
	struct daemon_zone		*z;
	const struct probe_provider	*pp;
	struct latency_summary		 s;
	cJSON				*r, *rows, *row;
	uint32_t			 scale = 1;
	size_t				 i;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	if (z == NULL)
		return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "latency needs a zone"));
	r = json_check(cJSON_CreateObject());
	json_add(r, "zone", json_str(z->name));
	rows = json_check(cJSON_CreateArray());
	json_add(r, "latency", rows);
	for (i = 0; i < z->npairs; i++) {
		pp = d->probe != NULL ? probe_find_provider(d->probe,
		    z->pairs[i].provider->name) : NULL;
		memset(&s, 0, sizeof(s));
		if (pp != NULL)
			latency_summarize(&pp->lat, &s);
		if (s.max > scale)
			scale = s.max;
		row = json_check(cJSON_CreateObject());
		json_push(rows, row);
		json_add(row, "provider", json_str(z->pairs[i].provider->name));
		json_add(row, "samples", json_num((double)s.samples));
		json_add(row, "min_ms", json_num(s.min));
		json_add(row, "p25_ms", json_num(s.p25));
		json_add(row, "p50_ms", json_num(s.p50));
		json_add(row, "p75_ms", json_num(s.p75));
		json_add(row, "p90_ms", json_num(s.p90));
		json_add(row, "p99_ms", json_num(s.p99));
		json_add(row, "max_ms", json_num(s.max));
	}
	json_add(r, "scale_ms", json_num(scale));
	json_add(r, "width", json_num(DAEMON_BOX_WIDTH));
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_plan_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct daemon_job	*job;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	if (z == NULL)
		return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "plan needs a zone"));
	job = daemon_job_new(d, 1, RECONCILE_DRYRUN, 1);
	job->tasks[0].job = job;
	job->tasks[0].zone = xstrdup(z->name);
	job->ntasks = 1;
	return (daemon_job_run(d, job, req, reply));
}

static int
ctl_sync_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct daemon_job	*job;
	const cJSON		*v;
	cJSON			*queued;
	unsigned		 flags = 0;
	size_t			 i;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	v = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_FORCE);
	if (v != NULL && !cJSON_IsBool(v))
		return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
		    "\"force\" must be true or false"));
	if (cJSON_IsTrue(v))
		flags |= RECONCILE_FORCE;
	flags |= RECONCILE_MANUAL;
	if (z == NULL && d->nzones == 0)
		return (control_reply_error(reply, CTL_ERR_NO_SUCH_ZONE,
		    "no zone is configured"));
	job = daemon_job_new(d, 0, flags, z != NULL ? 1 : d->nzones);
	queued = json_check(cJSON_CreateArray());
	json_add(job->result, "queued", queued);
	for (i = 0; i < (z != NULL ? 1 : d->nzones); i++) {
		job->tasks[i].job = job;
		job->tasks[i].zone = xstrdup(z != NULL ? z->name :
		    d->zones[i].name);
		json_push(queued, json_str(job->tasks[i].zone));
		job->ntasks++;
	}
	log_info("daemon", "sync %s%s requested by uid %u",
	    z != NULL ? z->name : "(every zone)",
	    (flags & RECONCILE_FORCE) ? " --force" : "", (unsigned)req->uid);
	return (daemon_job_run(d, job, req, reply));
}

static int
ctl_reload_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon	*d = arg;
	char		 err[DAEMON_ERR_MAX], *msg;
	cJSON		*r;

	log_info("daemon", "reload requested by uid %u", (unsigned)req->uid);
	if (daemon_reload(d, err, sizeof(err)) == -1)
		return (control_reply_error(reply, CTL_ERR_INTERNAL,
		    "reload refused: %s", err));
	r = json_check(cJSON_CreateObject());
	json_add(r, "reloaded", json_bool(1));
	xasprintf(&msg, "configuration reloaded: %zu zones, %zu providers",
	    d->nzones, d->nproviders);
	json_add(r, "message", json_str(msg));
	free(msg);
	reply->result = r;
	return (CONTROL_DONE);
}

static int
ctl_lint_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct daemon		*d = arg;
	struct daemon_zone	*z;
	struct lint_report	 lr;
	cJSON			*r, *rows, *row;
	size_t			 i, j;
	int			 attention = 0;

	if (ctl_zone_arg(d, req, reply, &z) == -1)
		return (CONTROL_DONE);
	r = json_check(cJSON_CreateObject());
	rows = json_check(cJSON_CreateArray());
	json_add(r, "lint", rows);
	for (i = 0; i < d->nzones; i++) {
		if (z != NULL && z != &d->zones[i])
			continue;
		memset(&lr, 0, sizeof(lr));
		daemon_lint_zone(d, &d->zones[i], 0, &lr);
		attention |= lint_report_attention(&lr);
		for (j = 0; j < lr.n; j++) {
			row = json_check(cJSON_CreateObject());
			json_push(rows, row);
			json_add(row, "zone", json_str(d->zones[i].name));
			json_add(row, "severity", json_str(lint_severity_name(
			    lr.findings[j].severity)));
			json_add(row, "message", json_str(
			    lr.findings[j].message));
		}
		lint_report_clear(&lr);
	}
	json_add(r, "attention", json_bool(attention));
	reply->result = r;
	return (CONTROL_DONE);
}
