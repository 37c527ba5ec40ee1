/*
 * db.h: the daemon's state database (SQLite, WAL, versioned schema).
 *
 * One struct db per process, used from the event loop thread only.
 *
 * Durability: journal_mode=WAL with synchronous=FULL.  Every COMMIT fsyncs
 * the WAL, so a transaction that returned from db_commit() survives both a
 * process crash and a power loss.  (WAL + NORMAL would survive a process
 * crash but could lose the last commits on power loss, and we promise that
 * a crash never loses a record of what was applied.)  The price is one
 * fsync per transaction: batch many rows (a probe cycle's health samples,
 * a changeset's audit rows) into one db_begin()/db_commit().
 *
 * Times are integer unix seconds (int64_t) everywhere; latencies are
 * integer milliseconds.
 *
 * Every function returns -1 on error with the reason in db_errmsg(), and
 * 0 (or a count, or 1/0 for found/not found) on success.  Functions that
 * write several rows open their own transaction when none is open, or join
 * the caller's (whose db_rollback() then undoes everything).  Lists are
 * returned as arrays of owned copies, freed with the matching *_free(), so
 * callers may write to the database while walking them.
 */
#ifndef MULTIDNS_DB_H
#define MULTIDNS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "diff.h"

#define DB_ERRMSG_MAX	512

struct db;

enum db_drift_kind {
	DB_DRIFT_MISSING,	/* desired, absent at the provider */
	DB_DRIFT_EXTRA,		/* at the provider, not desired */
	DB_DRIFT_CHANGED,	/* both, different rdata or TTL */
};

enum db_change_result {
	DB_CHANGE_OK,
	DB_CHANGE_FAILED,
	DB_CHANGE_REFUSED,	/* by the safety gate */
};

enum db_health_kind {
	DB_HEALTH_DNS,
	DB_HEALTH_API,
};

enum db_severity {
	DB_SEVERITY_INFO,
	DB_SEVERITY_WARNING,
	DB_SEVERITY_CRITICAL,
};

enum db_outbox_state {
	DB_OUTBOX_PENDING,
	DB_OUTBOX_DELIVERED,
	DB_OUTBOX_UNDELIVERABLE,
};

/*
 * Open or create.  A missing file is created with mode 0600; a missing
 * parent directory, a file that is not a database or fails quick_check,
 * and a schema newer than this code are errors ("PATH: message" in err).
 * An existing file is never deleted or recreated.  Pending migrations run,
 * each in one transaction with its user_version bump.
 */
struct db	*db_open(const char *path, char *err, size_t errlen);
void		 db_close(struct db *);	/* takes NULL */
const char	*db_errmsg(const struct db *);
int		 db_schema_version(void);	/* the newest this code knows */
/* How many migrations the db_open() that returned this handle ran. */
int		 db_migrations_run(const struct db *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Transactions do not nest. */
int		 db_begin(struct db *);
int		 db_commit(struct db *);
int		 db_rollback(struct db *);
int		 db_in_transaction(const struct db *);

int		 db_zone_upsert(struct db *, const char *name, int64_t now);
int		 db_provider_upsert(struct db *, const char *name,
		    const char *type, int64_t now);

/*
 * A store version seen for a zone (ok = 1 loaded, 0 failed with error).
 * Seeing the same version again updates it but keeps the first seen_at.
 */
int		 db_version_record(struct db *, const char *zone,
		    const char *version, const char *author,
		    const char *summary, int64_t commit_time, int ok,
		    const char *error, int64_t now);

/* The version last applied to a provider; get: 1 found, 0 none. */
int		 db_applied_set(struct db *, const char *zone,
		    const char *provider, const char *version, int64_t now);
int		 db_applied_get(struct db *, const char *zone,
		    const char *provider, char *version, size_t len);

/*
 * Drift items are keyed by (zone, provider, owner, type).  upsert: an open
 * item gets last_seen = now (and the new kind/desired/actual); a new one is
 * inserted with first_seen = last_seen = now; a resolved one is reopened
 * with first_seen = now.  Returns 1 when the item (re)opened, 0 when it was
 * already open.
 *
 * resolve_unseen: every open item of (zone, provider) with last_seen < now
 * gets resolved_at = now; returns how many.  The reconciler upserts what it
 * found at time T, then calls resolve_unseen(T), so T must be greater than
 * the T of the previous pass for the same pair.
 */
struct db_drift {
	int64_t			 id;
	char			*zone;
	char			*provider;
	char			*owner;
	char			*type;
	enum db_drift_kind	 kind;
	char			*desired;	/* may be NULL */
	char			*actual;	/* may be NULL */
	int64_t			 first_seen;
	int64_t			 last_seen;
	int64_t			 resolved_at;	/* 0 = open */
};
int		 db_drift_upsert(struct db *, const char *zone,
		    const char *provider, const char *owner, const char *type,
		    enum db_drift_kind, const char *desired, const char *actual,
		    int64_t now);
int		 db_drift_resolve_unseen(struct db *, const char *zone,
		    const char *provider, int64_t now);
/*
 * Resolve one open item seen over DNS (the prober writes `actual' as
 * "over DNS at ADDR: ..."); items found through the API are left to
 * resolve_unseen.  1 when one was resolved, else 0.
 */
int		 db_drift_resolve(struct db *, const char *zone,
		    const char *provider, const char *owner, const char *type,
		    int64_t now);
/* Open items (or all with include_resolved), zone/provider NULL = any. */
int		 db_drift_list(struct db *, const char *zone,
		    const char *provider, int include_resolved,
		    struct db_drift **, size_t *);
void		 db_drift_free(struct db_drift *, size_t);
const char	*db_drift_kind_name(enum db_drift_kind);

/* One audit row per change attempted. */
struct db_change {
	int64_t			 time;
	const char		*zone;
	const char		*provider;
	const char		*version;	/* may be NULL */
	const char		*author;	/* may be NULL */
	enum change_op		 op;
	const char		*owner;
	const char		*type;
	const char		*old_value;	/* NULL for CREATE */
	const char		*new_value;	/* NULL for DELETE */
	enum db_change_result	 result;
	const char		*error;		/* may be NULL */
};
int		 db_change_record(struct db *, const struct db_change *);
/* An audit row as read back. */
struct db_history {
	int64_t			 id;
	int64_t			 time;
	char			*zone;
	char			*provider;
	char			*version;
	char			*author;
	enum change_op		 op;
	char			*owner;
	char			*type;
	char			*old_value;
	char			*new_value;
	enum db_change_result	 result;
	char			*error;
};
/*
 * Newest first (by insertion order, which survives clock steps), at most
 * limit rows (0 = no limit), zone NULL = every zone.
 */
int		 db_history_list(struct db *, size_t limit, const char *zone,
		    struct db_history **, size_t *);
void		 db_history_free(struct db_history *, size_t);
const char	*db_change_result_name(enum db_change_result);

/* Health samples and latency quantiles. */
int		 db_health_record(struct db *, int64_t time,
		    const char *provider, const char *nameserver,
		    enum db_health_kind, int ok, int64_t latency_ms,
		    const char *error);	/* latency_ms < 0 = none */
struct db_latency {
	int64_t		 samples;
	int64_t		 p50_ms;
	int64_t		 p90_ms;
	int64_t		 p99_ms;
	int64_t		 max_ms;
	int64_t		 updated_at;
};
/*
 * Nearest-rank quantiles over the successful samples of one nameserver
 * since `since`, stored in the latency table and returned in out.  With no
 * sample everything is 0.  nameserver NULL = the API samples.
 */
int		 db_latency_update(struct db *, const char *provider,
		    const char *nameserver, enum db_health_kind, int64_t since,
		    int64_t now, struct db_latency *out);
/* 1 found, 0 none. */
int		 db_latency_get(struct db *, const char *provider,
		    const char *nameserver, enum db_health_kind,
		    struct db_latency *out);
/* Delete health samples older than `older_than`; returns how many. */
int		 db_prune(struct db *, int64_t older_than);
const char	*db_health_kind_name(enum db_health_kind);

/*
 * Events with a stable id; adding the same id twice is a no-op.  add()
 * returns 1 when the event is new (and then queues it for each webhook in
 * the same transaction), 0 when it was already there.
 */
struct db_event {
	const char		*id;
	int64_t			 time;
	const char		*zone;		/* may be NULL */
	const char		*provider;	/* may be NULL */
	const char		*type;		/* "drift_found", ... */
	enum db_severity	 severity;
	const char		*summary;
	const char		*details;	/* JSON object, may be NULL */
};
int		 db_event_add(struct db *, const struct db_event *,
		    const char *const *webhooks, size_t nwebhooks,
		    int64_t next_attempt);
const char	*db_severity_name(enum db_severity);

/* One delivery of one event to one webhook. */
struct db_outbox {
	char			*event;
	char			*webhook;
	enum db_outbox_state	 state;
	int64_t			 attempts;
	int64_t			 next_attempt;
	char			*last_error;	/* may be NULL */
	int64_t			 delivered_at;	/* 0 = not */
	/* The event, for building the payload. */
	int64_t			 time;
	char			*zone;
	char			*provider;
	char			*type;
	enum db_severity	 severity;
	char			*summary;
	char			*details;
};
/* 1 queued, 0 already queued. */
int		 db_outbox_enqueue(struct db *, const char *event,
		    const char *webhook, int64_t next_attempt);
/* Pending deliveries with next_attempt <= now, soonest first. */
int		 db_outbox_due(struct db *, int64_t now, size_t limit,
		    struct db_outbox **, size_t *);
void		 db_outbox_free(struct db_outbox *, size_t);
/* The soonest next_attempt of any pending delivery: 1 found, 0 none. */
int		 db_outbox_next_time(struct db *, int64_t *when);
int		 db_outbox_delivered(struct db *, const char *event,
		    const char *webhook, int64_t now);
/* A failed attempt: attempts + 1, retry at next_attempt. */
int		 db_outbox_failed(struct db *, const char *event,
		    const char *webhook, const char *error,
		    int64_t next_attempt);
/* A last failed attempt: attempts + 1, never retried. */
int		 db_outbox_undeliverable(struct db *, const char *event,
		    const char *webhook, const char *error);
const char	*db_outbox_state_name(enum db_outbox_state);

/*
 * Counts for metrics.  drift: open items per (zone, provider), result
 * NULL.  changes: audit rows per (zone, provider, result).  Sorted.
 */
struct db_count {
	char			*zone;
	char			*provider;
	char			*result;	/* may be NULL */
	int64_t			 n;
};
int		 db_drift_counts(struct db *, struct db_count **, size_t *);
int		 db_change_counts(struct db *, struct db_count **, size_t *);
void		 db_count_free(struct db_count *, size_t);
/* Pending deliveries, and the time of the oldest one's event (0 = none). */
int		 db_outbox_pending(struct db *, int64_t *count, int64_t *oldest);
/*
 * The newest event of type1 or type2 about provider: 1 found (type and
 * details, which may be NULL, are the caller's to free), 0 none, -1.
 */
int		 db_event_last(struct db *, const char *provider,
		    const char *type1, const char *type2, char **type,
		    int64_t *time, char **details);

#endif
