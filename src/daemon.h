/*
 * daemon.h: the running daemon's objects.
 *
 * One struct daemon per process.  It owns the config, the store, the state
 * database, the control socket, the HTTP layer and the runtime objects
 * built from the config: one daemon_provider per [provider] section, one
 * daemon_zone per [zone] section, and one daemon_pair per (zone, provider)
 * that the zone lists.  Reload builds new objects from the new config,
 * matches them to the old ones by name (carrying runtime state such as
 * errors, backoff and last results), swaps, and frees the old ones; a
 * reload that fails changes nothing.
 */
#ifndef MULTIDNS_DAEMON_H
#define MULTIDNS_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "health.h"
#include "remediate.h"
#include "store.h"

struct event;
struct event_base;
struct control;
struct db;
struct http;
struct probe;
struct delegation;
struct alert;
struct metrics;
struct provider;
struct reconcile;

#define DAEMON_ERR_MAX	512

enum pair_state {
	PAIR_STATE_NEW,		/* nothing done yet */
	PAIR_STATE_BUSY,	/* a reconcile is running */
	PAIR_STATE_IN_SYNC,	/* last reconcile: provider matches */
	PAIR_STATE_DRIFT,	/* differences seen, not (yet) repaired */
	PAIR_STATE_REFUSED,	/* the safety gate refused the changeset */
	PAIR_STATE_ERROR,	/* fetch or apply failed */
};

struct daemon_provider {
	char			*name;
	struct provider_conf	*conf;		/* points into daemon->conf */
	struct provider		*backend;	/* NULL if the type is not built */
	/* Carried across reloads. */
	unsigned		 consecutive_errors;
	int64_t			 last_ok;	/* unix seconds, 0 = never */
	int64_t			 last_error_time;
	char			 last_error[DAEMON_ERR_MAX];
	struct health_node	 api_health;	/* from reconcile results */
	struct remediate_state	 rem;		/* withdrawn? (remediate.c) */
};

struct daemon_zone;

struct daemon_pair {
	struct daemon_zone	*zone;
	struct daemon_provider	*provider;
	/* Carried across reloads. */
	enum pair_state		 state;
	int64_t			 last_run;	/* last reconcile finished */
	int64_t			 last_ok;	/* last time found in sync */
	size_t			 drift;		/* differences at the last look */
	size_t			 pending;	/* changes the last plan held */
	char			 applied_version[STORE_VERSION_MAX];
	char			 last_error[DAEMON_ERR_MAX];
	int64_t			 drift_pass;	/* time of the last drift pass */
	uint64_t		 refused_hash;	/* changeset last refused */
	struct reconcile	*rc;		/* reconcile.c's, while busy */
};

struct daemon_zone {
	struct daemon		*daemon;
	char			*name;		/* absolute, lower-case */
	struct zone_conf	*conf;		/* points into daemon->conf */
	struct store_zone	*sz;		/* the store's; desired zone */
	struct daemon_pair	*pairs;
	size_t			 npairs;
	struct event		*timer;		/* next periodic reconcile */
	/* Carried across reloads. */
	int			 dirty;		/* new version, not yet synced */
	int			 seen_loaded;	/* seen_hash is set */
	uint64_t		 seen_hash;	/* content last seen */
	char			 seen_version[STORE_VERSION_MAX];
					/* last good version recorded */
	char			 seen_failed[STORE_VERSION_MAX];
					/* last failed version recorded */
	int			 remediate_pending;	/* NS union moved while
						   busy: reconcile again */
};

struct daemon_job;

struct daemon {
	struct event_base	*base;
	char			*config_path;
	struct config		*conf;
	struct store		*store;
	struct db		*db;
	struct control		*ctl;
	struct http		*http;

	struct daemon_provider	*providers;
	size_t			 nproviders;
	struct daemon_zone	*zones;
	size_t			 nzones;

	struct event		*ev_term, *ev_int, *ev_hup;
	struct event		*ev_store;	/* store poll timer */
	struct event		*ev_wait;	/* requests waiting on busy zones */
	struct event		*ev_watchdog;
	int64_t			 started;	/* unix seconds */
	int64_t			 last_reload;
	unsigned		 reloads;
	char			 store_error[DAEMON_ERR_MAX];
	int			 stopping;
	int			 debug;		/* -d: log level stays debug */
	struct daemon_job	*jobs;		/* plan/sync answers pending */
	char			 status_line[256];	/* last STATUS= sent */
	struct probe		*probe;		/* DNS prober (probe.c) */
	struct alert		*alerts;	/* events and webhooks (alert.c) */
	struct metrics		*metrics;	/* Prometheus listener (metrics.c) */
	struct event		*ev_probe;	/* probe cycle timer */
	struct delegation	*deleg;		/* delegation checks */
	struct event		*ev_deleg;	/* their timer */
	int			 probe_tx;	/* a cycle's transaction open */
	int64_t			 probe_persisted;	/* latency last stored */
	int64_t			 probe_pruned;	/* health samples last pruned */
};

/*
 * Start: load the config (errors in err), open the state database, the
 * store, the providers and the control socket, and arm the signals and
 * timers.  The daemon never forks.  NULL with a message in err.
 */
struct daemon	*daemon_new(const char *config_path, int debug, char *err,
		    size_t errlen);
/* Run the event loop until SIGTERM/SIGINT; 0 or -1. */
int		 daemon_run(struct daemon *);
/* Cancel what is in flight, close everything and free; takes NULL. */
void		 daemon_free(struct daemon *);
/* Leave the event loop (as SIGTERM does). */
void		 daemon_stop(struct daemon *);
/*
 * Re-read the config and the store (SIGHUP and `dnsctl reload`): parse,
 * validate fully, match old and new objects by name carrying their state,
 * swap, free the old ones.  -1 with the reason in err changes nothing.
 */
int		 daemon_reload(struct daemon *, char *err, size_t errlen);

const char	*pair_state_name(enum pair_state);
struct daemon_zone *daemon_find_zone(struct daemon *, const char *name);
struct daemon_provider *daemon_find_provider(struct daemon *,
		    const char *name);
int64_t		 daemon_now(void);	/* unix seconds */
/* The health hook: log and record a transition (alerting hangs here). */
void		 daemon_health_transition(const struct health_transition *,
		    void *arg);

#endif
