/* db.c: the daemon's state database (SQLite, WAL, versioned schema). */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define DB_BUSY_TIMEOUT_MS	5000

/*
 * Forward migrations: entry i takes the schema from user_version i to i + 1
 * and runs in one transaction together with the user_version bump.  Adding
 * migration 2 is adding one string to the array; never edit a shipped one.
 */
static const char *const db_migrations[] = {
	/* 1: everything. */
	"CREATE TABLE zones ("
	"  name        TEXT PRIMARY KEY NOT NULL,"
	"  first_seen  INTEGER NOT NULL,"
	"  last_seen   INTEGER NOT NULL"
	");"
	"CREATE TABLE providers ("
	"  name        TEXT PRIMARY KEY NOT NULL,"
	"  type        TEXT NOT NULL,"
	"  first_seen  INTEGER NOT NULL,"
	"  last_seen   INTEGER NOT NULL"
	");"
	"CREATE TABLE versions ("
	"  zone        TEXT NOT NULL REFERENCES zones(name),"
	"  version     TEXT NOT NULL,"
	"  author      TEXT,"
	"  summary     TEXT,"
	"  commit_time INTEGER NOT NULL,"
	"  seen_at     INTEGER NOT NULL,"
	"  ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),"
	"  error       TEXT,"
	"  PRIMARY KEY (zone, version)"
	");"
	"CREATE INDEX versions_zone_seen ON versions(zone, seen_at);"
	"CREATE TABLE applied ("
	"  zone        TEXT NOT NULL REFERENCES zones(name),"
	"  provider    TEXT NOT NULL REFERENCES providers(name),"
	"  version     TEXT NOT NULL,"
	"  applied_at  INTEGER NOT NULL,"
	"  PRIMARY KEY (zone, provider),"
	"  FOREIGN KEY (zone, version) REFERENCES versions(zone, version)"
	");"
	"CREATE TABLE drift ("
	"  id          INTEGER PRIMARY KEY,"
	"  zone        TEXT NOT NULL REFERENCES zones(name),"
	"  provider    TEXT NOT NULL REFERENCES providers(name),"
	"  owner       TEXT NOT NULL,"
	"  type        TEXT NOT NULL,"
	"  kind        TEXT NOT NULL"
	"              CHECK (kind IN ('missing', 'extra', 'changed')),"
	"  desired     TEXT,"
	"  actual      TEXT,"
	"  first_seen  INTEGER NOT NULL,"
	"  last_seen   INTEGER NOT NULL,"
	"  resolved_at INTEGER,"
	"  UNIQUE (zone, provider, owner, type)"
	");"
	"CREATE INDEX drift_open ON drift(zone, provider, last_seen)"
	"  WHERE resolved_at IS NULL;"
	"CREATE TABLE changes ("
	"  id          INTEGER PRIMARY KEY,"
	"  time        INTEGER NOT NULL,"
	"  zone        TEXT NOT NULL,"
	"  provider    TEXT NOT NULL,"
	"  version     TEXT,"
	"  author      TEXT,"
	"  op          TEXT NOT NULL"
	"              CHECK (op IN ('create', 'update', 'delete')),"
	"  owner       TEXT NOT NULL,"
	"  type        TEXT NOT NULL,"
	"  old_value   TEXT,"
	"  new_value   TEXT,"
	"  result      TEXT NOT NULL"
	"              CHECK (result IN ('ok', 'failed', 'refused')),"
	"  error       TEXT"
	");"
	"CREATE INDEX changes_zone ON changes(zone, id);"
	"CREATE INDEX changes_time ON changes(time);"
	"CREATE TABLE health ("
	"  id          INTEGER PRIMARY KEY,"
	"  time        INTEGER NOT NULL,"
	"  provider    TEXT NOT NULL,"
	"  nameserver  TEXT NOT NULL DEFAULT '',"
	"  kind        TEXT NOT NULL CHECK (kind IN ('dns', 'api')),"
	"  ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),"
	"  latency_ms  INTEGER,"
	"  error       TEXT"
	");"
	"CREATE INDEX health_time ON health(time);"
	"CREATE INDEX health_ns ON health(provider, nameserver, kind, time);"
	"CREATE TABLE latency ("
	"  provider    TEXT NOT NULL,"
	"  nameserver  TEXT NOT NULL DEFAULT '',"
	"  kind        TEXT NOT NULL CHECK (kind IN ('dns', 'api')),"
	"  samples     INTEGER NOT NULL,"
	"  p50_ms      INTEGER NOT NULL,"
	"  p90_ms      INTEGER NOT NULL,"
	"  p99_ms      INTEGER NOT NULL,"
	"  max_ms      INTEGER NOT NULL,"
	"  updated_at  INTEGER NOT NULL,"
	"  PRIMARY KEY (provider, nameserver, kind)"
	");"
	"CREATE TABLE events ("
	"  id          TEXT PRIMARY KEY NOT NULL,"
	"  time        INTEGER NOT NULL,"
	"  zone        TEXT,"
	"  provider    TEXT,"
	"  type        TEXT NOT NULL,"
	"  severity    TEXT NOT NULL"
	"              CHECK (severity IN ('info', 'warning', 'critical')),"
	"  summary     TEXT NOT NULL,"
	"  details     TEXT"
	");"
	"CREATE INDEX events_time ON events(time);"
	"CREATE TABLE outbox ("
	"  id          INTEGER PRIMARY KEY,"
	"  event       TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  webhook     TEXT NOT NULL,"
	"  state       TEXT NOT NULL DEFAULT 'pending'"
	"              CHECK (state IN ('pending', 'delivered',"
	"                               'undeliverable')),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error  TEXT,"
	"  delivered_at INTEGER,"
	"  UNIQUE (event, webhook)"
	");"
	"CREATE INDEX outbox_due ON outbox(next_attempt)"
	"  WHERE state = 'pending';",
};

enum db_st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_ZONE_UPSERT,
	ST_PROVIDER_UPSERT,
	ST_VERSION_RECORD,
	ST_APPLIED_SET,
	ST_APPLIED_GET,
	ST_DRIFT_STATE,
	ST_DRIFT_UPSERT,
	ST_DRIFT_RESOLVE,
	ST_DRIFT_RESOLVE_ONE,
	ST_DRIFT_LIST,
	ST_CHANGE_INSERT,
	ST_HISTORY,
	ST_HEALTH_INSERT,
	ST_LATENCY_SAMPLES,
	ST_LATENCY_SET,
	ST_LATENCY_GET,
	ST_PRUNE,
	ST_EVENT_INSERT,
	ST_OUTBOX_ENQUEUE,
	ST_OUTBOX_DUE,
	ST_OUTBOX_NEXT,
	ST_OUTBOX_DELIVERED,
	ST_OUTBOX_FAILED,
	ST_OUTBOX_UNDELIVERABLE,
	ST_DRIFT_COUNTS,
	ST_CHANGE_COUNTS,
	ST_OUTBOX_PENDING,
	ST_EVENT_LAST,
	ST_MAX
};

static const char *const db_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ZONE_UPSERT] =
	    "INSERT INTO zones (name, first_seen, last_seen)"
	    " VALUES (?1, ?2, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen",
	[ST_PROVIDER_UPSERT] =
	    "INSERT INTO providers (name, type, first_seen, last_seen)"
	    " VALUES (?1, ?2, ?3, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET type = excluded.type,"
	    " last_seen = excluded.last_seen",
	[ST_VERSION_RECORD] =
	    "INSERT INTO versions (zone, version, author, summary, commit_time,"
	    " seen_at, ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (zone, version) DO UPDATE SET"
	    " author = excluded.author, summary = excluded.summary,"
	    " commit_time = excluded.commit_time, ok = excluded.ok,"
	    " error = excluded.error",
	[ST_APPLIED_SET] =
	    "INSERT INTO applied (zone, provider, version, applied_at)"
	    " VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (zone, provider) DO UPDATE SET"
	    " version = excluded.version, applied_at = excluded.applied_at",
	[ST_APPLIED_GET] =
	    "SELECT version FROM applied WHERE zone = ?1 AND provider = ?2",
	[ST_DRIFT_STATE] =
	    "SELECT resolved_at IS NULL FROM drift"
	    " WHERE zone = ?1 AND provider = ?2 AND owner = ?3 AND type = ?4",
	[ST_DRIFT_UPSERT] =
	    "INSERT INTO drift (zone, provider, owner, type, kind, desired,"
	    " actual, first_seen, last_seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
	    " ON CONFLICT (zone, provider, owner, type) DO UPDATE SET"
	    " kind = excluded.kind, desired = excluded.desired,"
	    " actual = excluded.actual,"
	    " first_seen = CASE WHEN drift.resolved_at IS NULL"
	    "  THEN drift.first_seen ELSE excluded.first_seen END,"
	    " last_seen = excluded.last_seen, resolved_at = NULL",
	[ST_DRIFT_RESOLVE] =
	    "UPDATE drift SET resolved_at = ?3"
	    " WHERE zone = ?1 AND provider = ?2 AND resolved_at IS NULL"
	    " AND last_seen < ?3",
	[ST_DRIFT_RESOLVE_ONE] =
	    "UPDATE drift SET resolved_at = ?5"
	    " WHERE zone = ?1 AND provider = ?2 AND owner = ?3 AND type = ?4"
	    " AND resolved_at IS NULL AND actual LIKE 'over DNS at %'",
	[ST_DRIFT_LIST] =
	    "SELECT id, zone, provider, owner, type, kind, desired, actual,"
	    " first_seen, last_seen, resolved_at FROM drift"
	    " WHERE (?1 IS NULL OR zone = ?1) AND (?2 IS NULL OR provider = ?2)"
	    " AND (?3 OR resolved_at IS NULL)"
	    " ORDER BY zone, provider, owner, type",
	[ST_CHANGE_INSERT] =
	    "INSERT INTO changes (time, zone, provider, version, author, op,"
	    " owner, type, old_value, new_value, result, error)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_HISTORY] =
	    "SELECT id, time, zone, provider, version, author, op, owner, type,"
	    " old_value, new_value, result, error FROM changes"
	    " WHERE (?1 IS NULL OR zone = ?1) ORDER BY id DESC LIMIT ?2",
	[ST_HEALTH_INSERT] =
	    "INSERT INTO health (time, provider, nameserver, kind, ok,"
	    " latency_ms, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_LATENCY_SAMPLES] =
	    "SELECT latency_ms FROM health"
	    " WHERE provider = ?1 AND nameserver = ?2 AND kind = ?3"
	    " AND time >= ?4 AND ok = 1 AND latency_ms IS NOT NULL"
	    " ORDER BY latency_ms",
	[ST_LATENCY_SET] =
	    "INSERT INTO latency (provider, nameserver, kind, samples, p50_ms,"
	    " p90_ms, p99_ms, max_ms, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (provider, nameserver, kind) DO UPDATE SET"
	    " samples = excluded.samples, p50_ms = excluded.p50_ms,"
	    " p90_ms = excluded.p90_ms, p99_ms = excluded.p99_ms,"
	    " max_ms = excluded.max_ms, updated_at = excluded.updated_at",
	[ST_LATENCY_GET] =
	    "SELECT samples, p50_ms, p90_ms, p99_ms, max_ms, updated_at"
	    " FROM latency WHERE provider = ?1 AND nameserver = ?2"
	    " AND kind = ?3",
	[ST_PRUNE] = "DELETE FROM health WHERE time < ?1",
	[ST_EVENT_INSERT] =
	    "INSERT INTO events (id, time, zone, provider, type, severity,"
	    " summary, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (id) DO NOTHING",
	[ST_OUTBOX_ENQUEUE] =
	    "INSERT INTO outbox (event, webhook, next_attempt)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (event, webhook) DO NOTHING",
	[ST_OUTBOX_DUE] =
	    "SELECT o.event, o.webhook, o.state, o.attempts, o.next_attempt,"
	    " o.last_error, o.delivered_at, e.time, e.zone, e.provider, e.type,"
	    " e.severity, e.summary, e.details"
	    " FROM outbox o JOIN events e ON e.id = o.event"
	    " WHERE o.state = 'pending' AND o.next_attempt <= ?1"
	    " ORDER BY o.next_attempt, o.id LIMIT ?2",
	[ST_OUTBOX_NEXT] =
	    "SELECT min(next_attempt) FROM outbox WHERE state = 'pending'",
	[ST_OUTBOX_DELIVERED] =
	    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,"
	    " delivered_at = ?3, last_error = NULL"
	    " WHERE event = ?1 AND webhook = ?2 AND state = 'pending'",
	[ST_OUTBOX_FAILED] =
	    "UPDATE outbox SET attempts = attempts + 1, last_error = ?3,"
	    " next_attempt = ?4"
	    " WHERE event = ?1 AND webhook = ?2 AND state = 'pending'",
	[ST_OUTBOX_UNDELIVERABLE] =
	    "UPDATE outbox SET state = 'undeliverable',"
	    " attempts = attempts + 1, last_error = ?3"
	    " WHERE event = ?1 AND webhook = ?2 AND state = 'pending'",
	[ST_DRIFT_COUNTS] =
	    "SELECT zone, provider, NULL, count(*) FROM drift"
	    " WHERE resolved_at IS NULL GROUP BY zone, provider"
	    " ORDER BY zone, provider",
	[ST_CHANGE_COUNTS] =
	    "SELECT zone, provider, result, count(*) FROM changes"
	    " GROUP BY zone, provider, result ORDER BY zone, provider, result",
	[ST_OUTBOX_PENDING] =
	    "SELECT count(*), min(e.time) FROM outbox o"
	    " JOIN events e ON e.id = o.event WHERE o.state = 'pending'",
	[ST_EVENT_LAST] =
	    "SELECT type, time, details FROM events"
	    " WHERE provider = ?1 AND (type = ?2 OR type = ?3)"
	    " ORDER BY time DESC, rowid DESC LIMIT 1",
};

struct db {
	sqlite3		*sq;
	char		*path;
	sqlite3_stmt	*st[ST_MAX];
	int		 bind_rc;	/* first failed bind since db_stmt() */
	int		 migrations_run;
	char		 errmsg[DB_ERRMSG_MAX];
};

static const char *const db_drift_kind_names[] = {
	[DB_DRIFT_MISSING] = "missing",
	[DB_DRIFT_EXTRA] = "extra",
	[DB_DRIFT_CHANGED] = "changed",
};
static const char *const db_change_result_names[] = {
	[DB_CHANGE_OK] = "ok",
	[DB_CHANGE_FAILED] = "failed",
	[DB_CHANGE_REFUSED] = "refused",
};
static const char *const db_change_op_names[] = {
	[CHANGE_CREATE] = "create",
	[CHANGE_UPDATE] = "update",
	[CHANGE_DELETE] = "delete",
};
static const char *const db_health_kind_names[] = {
	[DB_HEALTH_DNS] = "dns",
	[DB_HEALTH_API] = "api",
};
static const char *const db_severity_names[] = {
	[DB_SEVERITY_INFO] = "info",
	[DB_SEVERITY_WARNING] = "warning",
	[DB_SEVERITY_CRITICAL] = "critical",
};
static const char *const db_outbox_state_names[] = {
	[DB_OUTBOX_PENDING] = "pending",
	[DB_OUTBOX_DELIVERED] = "delivered",
	[DB_OUTBOX_UNDELIVERABLE] = "undeliverable",
};

static const char *
db_name(const char *const *names, size_t n, unsigned v)
{
	if (v >= n || names[v] == NULL)
		return ("unknown");
	return (names[v]);
}

/* The enum value of a word read back from a CHECKed column. */
static unsigned
db_value(const char *const *names, size_t n, const unsigned char *word)
{
	size_t	i;

	for (i = 0; word != NULL && i < n; i++) {
		if (names[i] != NULL &&
		    strcmp(names[i], (const char *)word) == 0)
			return ((unsigned)i);
	}
	return (0);
}

const char *
db_drift_kind_name(enum db_drift_kind v)
{
	return (db_name(db_drift_kind_names, nitems(db_drift_kind_names), v));
}

const char *
db_change_result_name(enum db_change_result v)
{
	return (db_name(db_change_result_names,
	    nitems(db_change_result_names), v));
}

const char *
db_health_kind_name(enum db_health_kind v)
{
	return (db_name(db_health_kind_names, nitems(db_health_kind_names), v));
}

const char *
db_severity_name(enum db_severity v)
{
	return (db_name(db_severity_names, nitems(db_severity_names), v));
}

const char *
db_outbox_state_name(enum db_outbox_state v)
{
	return (db_name(db_outbox_state_names, nitems(db_outbox_state_names),
	    v));
}

static void
db_seterrx(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
db_seterrx(struct db *db, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
}

/* "what: sqlite's message". */
static void
db_seterr(struct db *db, const char *what)
{
	db_seterrx(db, "%s: %s", what, sqlite3_errmsg(db->sq));
}

const char *
db_errmsg(const struct db *db)
{
	return (db->errmsg);
}

int
db_schema_version(void)
{
	return ((int)nitems(db_migrations));
}

int
db_migrations_run(const struct db *db)
{
	return (db->migrations_run);
}

int
db_in_transaction(const struct db *db)
{
	return (!sqlite3_get_autocommit(db->sq));
}

/* The cached statement, prepared on first use. */
static sqlite3_stmt *
db_stmt(struct db *db, enum db_st id)
{
	db->bind_rc = SQLITE_OK;
	if (db->st[id] != NULL)
		return (db->st[id]);
	if (sqlite3_prepare_v3(db->sq, db_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &db->st[id], NULL) != SQLITE_OK) {
		db_seterr(db, "prepare");
		db->st[id] = NULL;
		return (NULL);
	}
	return (db->st[id]);
}

static void
db_bind_text(struct db *db, sqlite3_stmt *st, int i, const char *s)
{
	int	rc;

	if (s == NULL)
		rc = sqlite3_bind_null(st, i);
	else
		rc = sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK && db->bind_rc == SQLITE_OK)
		db->bind_rc = rc;
}

static void
db_bind_int(struct db *db, sqlite3_stmt *st, int i, int64_t v)
{
	int	rc;

	rc = sqlite3_bind_int64(st, i, v);
	if (rc != SQLITE_OK && db->bind_rc == SQLITE_OK)
		db->bind_rc = rc;
}

static void
db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * One step: SQLITE_ROW or SQLITE_DONE, or -1 with the error set (and the
 * statement reset).
 */
static int
db_step(struct db *db, sqlite3_stmt *st, const char *what)
{
	int	rc;

	if (db->bind_rc != SQLITE_OK) {
		db_seterrx(db, "%s: binding parameters: %s", what,
		    sqlite3_errstr(db->bind_rc));
		db_done(st);
		return (-1);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return (rc);
	db_seterr(db, what);
	db_done(st);
	return (-1);
}

/* Run a statement that returns no rows; 0 or -1. */
static int
db_run(struct db *db, sqlite3_stmt *st, const char *what)
{
	int	rc;

	rc = db_step(db, st, what);
	if (rc == -1)
		return (-1);
	db_done(st);
	if (rc != SQLITE_DONE) {
		db_seterrx(db, "%s: unexpected row", what);
		return (-1);
	}
	return (0);
}

static int
db_simple(struct db *db, enum db_st id, const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, id)) == NULL)
		return (-1);
	return (db_run(db, st, what));
}

int
db_begin(struct db *db)
{
	return (db_simple(db, ST_BEGIN, "begin"));
}

int
db_commit(struct db *db)
{
	return (db_simple(db, ST_COMMIT, "commit"));
}

int
db_rollback(struct db *db)
{
	char	saved[DB_ERRMSG_MAX];
	int	rv;

	/* Keep the error that made the caller roll back. */
	memcpy(saved, db->errmsg, sizeof saved);
	if (sqlite3_get_autocommit(db->sq))
		return (0);	/* sqlite already rolled back */
	rv = db_simple(db, ST_ROLLBACK, "rollback");
	if (rv == 0)
		memcpy(db->errmsg, saved, sizeof db->errmsg);
	return (rv);
}

/* Open a transaction unless the caller has one; *own says which. */
static int
db_tx_enter(struct db *db, int *own)
{
	*own = sqlite3_get_autocommit(db->sq);
	if (*own)
		return (db_begin(db));
	return (0);
}

static int
db_tx_leave(struct db *db, int own, int rv)
{
	if (!own)
		return (rv);
	if (rv == -1) {
		db_rollback(db);
		return (-1);
	}
	if (db_commit(db) == -1) {
		db_rollback(db);
		return (-1);
	}
	return (rv);
}

static char *
db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*s;

	if ((s = sqlite3_column_text(st, i)) == NULL)
		return (NULL);
	return (xstrdup((const char *)s));
}

/* --- opening ---------------------------------------------------------- */

static int
db_pragma_int(struct db *db, const char *sql, int *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL) != SQLITE_OK) {
		db_seterrx(db, "%s", sqlite3_errmsg(db->sq));
		return (-1);
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			db_seterrx(db, "%s: no result", sql);
		else
			db_seterrx(db, "%s", sqlite3_errmsg(db->sq));
		sqlite3_finalize(st);
		return (-1);
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (0);
}

/* The first result row of a pragma, as text into buf. */
static int
db_pragma_text(struct db *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt		*st;
	const unsigned char	*s;
	int			 rc;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL) != SQLITE_OK) {
		db_seterrx(db, "%s", sqlite3_errmsg(db->sq));
		return (-1);
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			db_seterrx(db, "%s: no result", sql);
		else
			db_seterrx(db, "%s", sqlite3_errmsg(db->sq));
		sqlite3_finalize(st);
		return (-1);
	}
	s = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", s == NULL ? "" : (const char *)s);
	sqlite3_finalize(st);
	return (0);
}

static int
db_exec(struct db *db, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(db->sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_seterrx(db, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(db->sq));
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

/* Run every pending migration, each in its own transaction. */
static int
db_migrate(struct db *db)
{
	char	sql[64];
	int	version = 0, latest = db_schema_version();

	/* Up to date: no write lock needed to find that out. */
	if (db_pragma_int(db, "PRAGMA user_version", &version) == -1)
		return (-1);
	if (version >= latest)
		return (0);
	for (;;) {
		if (db_exec(db, "BEGIN IMMEDIATE") == -1)
			return (-1);
		/* Re-read under the write lock: another process may win. */
		if (db_pragma_int(db, "PRAGMA user_version", &version) == -1)
			goto fail;
		if (version >= latest)
			break;
		if (db_exec(db, db_migrations[version]) == -1)
			goto fail;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		    version + 1);
		if (db_exec(db, sql) == -1)
			goto fail;
		if (db_exec(db, "COMMIT") == -1)
			goto fail;
		db->migrations_run++;
		log_info("db", "%s: schema migrated to version %d", db->path,
		    version + 1);
	}
	return (db_exec(db, "COMMIT"));

fail:
	{
		char	msg[DB_ERRMSG_MAX];

		snprintf(msg, sizeof msg, "%s", db->errmsg);
		if (!sqlite3_get_autocommit(db->sq))
			sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
		db_seterrx(db, "migration to schema version %d failed: %s",
		    version + 1, msg);
	}
	return (-1);
}

/* SQLite's multi-line report as one log-friendly line. */
static void
db_oneline(const unsigned char *s, char *buf, size_t len)
{
	size_t	n = 0;

	if (s == NULL)
		s = (const unsigned char *)"?";
	for (; *s != '\0' && n + 3 < len; s++) {
		if (*s == '\n') {
			buf[n++] = ';';
			buf[n++] = ' ';
		} else if (*s >= 0x20 && *s != 0x7f)
			buf[n++] = (char)*s;
	}
	buf[n] = '\0';
}

static int
db_setup(struct db *db)
{
	sqlite3_stmt		*st;
	const unsigned char	*s;
	char			 mode[32], msg[DB_ERRMSG_MAX];
	int			 version, rc, fk;

	/* Read first, write nothing, until the file is known to be sound. */
	if (db_pragma_int(db, "PRAGMA user_version", &version) == -1) {
		snprintf(msg, sizeof msg, "%s", db->errmsg);
		db_seterrx(db, "not a usable SQLite database (%s); refusing to "
		    "open", msg);
		return (-1);
	}
	if (version > db_schema_version() || version < 0) {
		db_seterrx(db, "schema version %d is newer than this multidnsd "
		    "supports (%d); refusing to open", version,
		    db_schema_version());
		return (-1);
	}

	if (sqlite3_prepare_v2(db->sq, "PRAGMA quick_check", -1, &st,
	    NULL) != SQLITE_OK) {
		db_seterrx(db, "quick_check: %s", sqlite3_errmsg(db->sq));
		return (-1);
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_seterrx(db, "quick_check: %s; refusing to open",
		    sqlite3_errmsg(db->sq));
		sqlite3_finalize(st);
		return (-1);
	}
	s = sqlite3_column_text(st, 0);
	if (s == NULL || strcmp((const char *)s, "ok") != 0) {
		db_oneline(s, msg, sizeof msg);
		db_seterrx(db, "database is corrupt (quick_check: %s); "
		    "refusing to open", msg);
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);

	if (db_pragma_text(db, "PRAGMA journal_mode = WAL", mode,
	    sizeof mode) == -1)
		return (-1);
	if (strcasecmp(mode, "wal") != 0) {
		db_seterrx(db, "cannot use WAL mode (journal_mode is %s)",
		    mode);
		return (-1);
	}
	/* FULL: see db.h, a commit must survive a power loss. */
	if (db_exec(db, "PRAGMA synchronous = FULL") == -1)
		return (-1);
	if (db_exec(db, "PRAGMA foreign_keys = ON") == -1)
		return (-1);
	if (db_pragma_int(db, "PRAGMA foreign_keys", &fk) == -1)
		return (-1);
	if (fk != 1) {
		db_seterrx(db, "this SQLite cannot enforce foreign keys");
		return (-1);
	}
	return (db_migrate(db));
}

struct db *
db_open(const char *path, char *err, size_t errlen)
{
	struct db	*db;
	int		 fd, rc;

	/*
	 * Create a missing file ourselves so it is 0600 from the start (SQLite
	 * creates the -wal and -shm files with the same mode); an empty file
	 * is an empty database.  Never O_TRUNC: an existing file is kept.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fd != -1)
		close(fd);

	db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (db->sq == NULL)
		fatalx("db", "sqlite3_open_v2: out of memory");
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->sq));
		db_close(db);
		return (NULL);
	}
	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, DB_BUSY_TIMEOUT_MS);

	if (db_setup(db) == -1) {
		snprintf(err, errlen, "%s: %s", path, db->errmsg);
		db_close(db);
		return (NULL);
	}
	db->errmsg[0] = '\0';
	return (db);
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < nitems(db->st); i++)
		sqlite3_finalize(db->st[i]);
	if (db->sq != NULL && sqlite3_close(db->sq) != SQLITE_OK)
		log_warnx("db", "%s: close: %s", db->path,
		    sqlite3_errmsg(db->sq));
	free(db->path);
	free(db);
}

/* --- zones, providers, versions, applied ------------------------------ */

int
db_zone_upsert(struct db *db, const char *name, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_ZONE_UPSERT)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, name);
	db_bind_int(db, st, 2, now);
	return (db_run(db, st, "zone upsert"));
}

int
db_provider_upsert(struct db *db, const char *name, const char *type,
    int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_PROVIDER_UPSERT)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, name);
	db_bind_text(db, st, 2, type);
	db_bind_int(db, st, 3, now);
	return (db_run(db, st, "provider upsert"));
}

int
db_version_record(struct db *db, const char *zone, const char *version,
    const char *author, const char *summary, int64_t commit_time, int ok,
    const char *error, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_VERSION_RECORD)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, version);
	db_bind_text(db, st, 3, author);
	db_bind_text(db, st, 4, summary);
	db_bind_int(db, st, 5, commit_time);
	db_bind_int(db, st, 6, now);
	db_bind_int(db, st, 7, ok ? 1 : 0);
	db_bind_text(db, st, 8, error);
	return (db_run(db, st, "version record"));
}

int
db_applied_set(struct db *db, const char *zone, const char *provider,
    const char *version, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_APPLIED_SET)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_text(db, st, 3, version);
	db_bind_int(db, st, 4, now);
	return (db_run(db, st, "applied set"));
}

int
db_applied_get(struct db *db, const char *zone, const char *provider,
    char *version, size_t len)
{
	sqlite3_stmt		*st;
	const unsigned char	*s;
	int			 rc, rv = 0;

	if ((st = db_stmt(db, ST_APPLIED_GET)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	if ((rc = db_step(db, st, "applied get")) == -1)
		return (-1);
	if (rc == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		if (s == NULL || strlen((const char *)s) >= len) {
			db_seterrx(db, "applied get: version does not fit");
			rv = -1;
		} else {
			memcpy(version, s, strlen((const char *)s) + 1);
			rv = 1;
		}
	}
	db_done(st);
	return (rv);
}

/* --- drift ------------------------------------------------------------ */

int
db_drift_upsert(struct db *db, const char *zone, const char *provider,
    const char *owner, const char *type, enum db_drift_kind kind,
    const char *desired, const char *actual, int64_t now)
{
	sqlite3_stmt	*st;
	int		 own, rc, opened = 1;

	if ((unsigned)kind >= nitems(db_drift_kind_names)) {
		db_seterrx(db, "drift upsert: bad kind %d", (int)kind);
		return (-1);
	}
	if (db_tx_enter(db, &own) == -1)
		return (-1);

	if ((st = db_stmt(db, ST_DRIFT_STATE)) == NULL)
		return (db_tx_leave(db, own, -1));
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_text(db, st, 3, owner);
	db_bind_text(db, st, 4, type);
	if ((rc = db_step(db, st, "drift upsert")) == -1)
		return (db_tx_leave(db, own, -1));
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1)
		opened = 0;	/* already open */
	db_done(st);

	if ((st = db_stmt(db, ST_DRIFT_UPSERT)) == NULL)
		return (db_tx_leave(db, own, -1));
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_text(db, st, 3, owner);
	db_bind_text(db, st, 4, type);
	db_bind_text(db, st, 5, db_drift_kind_names[kind]);
	db_bind_text(db, st, 6, desired);
	db_bind_text(db, st, 7, actual);
	db_bind_int(db, st, 8, now);
	if (db_run(db, st, "drift upsert") == -1)
		return (db_tx_leave(db, own, -1));
	return (db_tx_leave(db, own, opened));
}

int
db_drift_resolve_unseen(struct db *db, const char *zone, const char *provider,
    int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_DRIFT_RESOLVE)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_int(db, st, 3, now);
	if (db_run(db, st, "drift resolve") == -1)
		return (-1);
	return (sqlite3_changes(db->sq));
}

int
db_drift_resolve(struct db *db, const char *zone, const char *provider,
    const char *owner, const char *type, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_DRIFT_RESOLVE_ONE)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_text(db, st, 3, owner);
	db_bind_text(db, st, 4, type);
	db_bind_int(db, st, 5, now);
	if (db_run(db, st, "drift resolve one") == -1)
		return (-1);
	return (sqlite3_changes(db->sq));
}

int
db_drift_list(struct db *db, const char *zone, const char *provider,
    int include_resolved, struct db_drift **out, size_t *nout)
{
	sqlite3_stmt	*st;
	struct db_drift	*v = NULL, *d;
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if ((st = db_stmt(db, ST_DRIFT_LIST)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_text(db, st, 2, provider);
	db_bind_int(db, st, 3, include_resolved ? 1 : 0);
	while ((rc = db_step(db, st, "drift list")) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		d = &v[n++];
		d->id = sqlite3_column_int64(st, 0);
		d->zone = db_col_text(st, 1);
		d->provider = db_col_text(st, 2);
		d->owner = db_col_text(st, 3);
		d->type = db_col_text(st, 4);
		d->kind = db_value(db_drift_kind_names,
		    nitems(db_drift_kind_names), sqlite3_column_text(st, 5));
		d->desired = db_col_text(st, 6);
		d->actual = db_col_text(st, 7);
		d->first_seen = sqlite3_column_int64(st, 8);
		d->last_seen = sqlite3_column_int64(st, 9);
		d->resolved_at = sqlite3_column_int64(st, 10);
	}
	if (rc == -1) {
		db_drift_free(v, n);
		return (-1);
	}
	db_done(st);
	*out = v;
	*nout = n;
	return (0);
}

void
db_drift_free(struct db_drift *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].zone);
		free(v[i].provider);
		free(v[i].owner);
		free(v[i].type);
		free(v[i].desired);
		free(v[i].actual);
	}
	free(v);
}

/* --- audit ------------------------------------------------------------ */

int
db_change_record(struct db *db, const struct db_change *c)
{
	sqlite3_stmt	*st;

	if ((unsigned)c->op >= nitems(db_change_op_names) ||
	    (unsigned)c->result >= nitems(db_change_result_names)) {
		db_seterrx(db, "change record: bad op or result");
		return (-1);
	}
	if ((st = db_stmt(db, ST_CHANGE_INSERT)) == NULL)
		return (-1);
	db_bind_int(db, st, 1, c->time);
	db_bind_text(db, st, 2, c->zone);
	db_bind_text(db, st, 3, c->provider);
	db_bind_text(db, st, 4, c->version);
	db_bind_text(db, st, 5, c->author);
	db_bind_text(db, st, 6, db_change_op_names[c->op]);
	db_bind_text(db, st, 7, c->owner);
	db_bind_text(db, st, 8, c->type);
	db_bind_text(db, st, 9, c->old_value);
	db_bind_text(db, st, 10, c->new_value);
	db_bind_text(db, st, 11, db_change_result_names[c->result]);
	db_bind_text(db, st, 12, c->error);
	return (db_run(db, st, "change record"));
}

int
db_history_list(struct db *db, size_t limit, const char *zone,
    struct db_history **out, size_t *nout)
{
	sqlite3_stmt		*st;
	struct db_history	*v = NULL, *h;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = db_stmt(db, ST_HISTORY)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, zone);
	db_bind_int(db, st, 2, limit == 0 || limit > INT64_MAX ? -1 :
	    (int64_t)limit);
	while ((rc = db_step(db, st, "history list")) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		h = &v[n++];
		h->id = sqlite3_column_int64(st, 0);
		h->time = sqlite3_column_int64(st, 1);
		h->zone = db_col_text(st, 2);
		h->provider = db_col_text(st, 3);
		h->version = db_col_text(st, 4);
		h->author = db_col_text(st, 5);
		h->op = db_value(db_change_op_names,
		    nitems(db_change_op_names), sqlite3_column_text(st, 6));
		h->owner = db_col_text(st, 7);
		h->type = db_col_text(st, 8);
		h->old_value = db_col_text(st, 9);
		h->new_value = db_col_text(st, 10);
		h->result = db_value(db_change_result_names,
		    nitems(db_change_result_names),
		    sqlite3_column_text(st, 11));
		h->error = db_col_text(st, 12);
	}
	if (rc == -1) {
		db_history_free(v, n);
		return (-1);
	}
	db_done(st);
	*out = v;
	*nout = n;
	return (0);
}

void
db_history_free(struct db_history *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].zone);
		free(v[i].provider);
		free(v[i].version);
		free(v[i].author);
		free(v[i].owner);
		free(v[i].type);
		free(v[i].old_value);
		free(v[i].new_value);
		free(v[i].error);
	}
	free(v);
}

/* --- health ----------------------------------------------------------- */

int
db_health_record(struct db *db, int64_t time, const char *provider,
    const char *nameserver, enum db_health_kind kind, int ok,
    int64_t latency_ms, const char *error)
{
	sqlite3_stmt	*st;

	if ((unsigned)kind >= nitems(db_health_kind_names)) {
		db_seterrx(db, "health record: bad kind %d", (int)kind);
		return (-1);
	}
	if ((st = db_stmt(db, ST_HEALTH_INSERT)) == NULL)
		return (-1);
	db_bind_int(db, st, 1, time);
	db_bind_text(db, st, 2, provider);
	db_bind_text(db, st, 3, nameserver == NULL ? "" : nameserver);
	db_bind_text(db, st, 4, db_health_kind_names[kind]);
	db_bind_int(db, st, 5, ok ? 1 : 0);
	if (latency_ms < 0) {
		if (sqlite3_bind_null(st, 6) != SQLITE_OK)
			db->bind_rc = SQLITE_ERROR;
	} else
		db_bind_int(db, st, 6, latency_ms);
	db_bind_text(db, st, 7, error);
	return (db_run(db, st, "health record"));
}

/* Nearest rank: the smallest value with at least pct% of samples <= it. */
static int64_t
db_quantile(const int64_t *v, size_t n, unsigned pct)
{
	size_t	rank;

	if (n == 0)
		return (0);
	rank = (n * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	return (v[rank - 1]);
}

int
db_latency_update(struct db *db, const char *provider, const char *nameserver,
    enum db_health_kind kind, int64_t since, int64_t now,
    struct db_latency *out)
{
	sqlite3_stmt	*st;
	int64_t		*v = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc;

	if ((unsigned)kind >= nitems(db_health_kind_names)) {
		db_seterrx(db, "latency update: bad kind %d", (int)kind);
		return (-1);
	}
	if (nameserver == NULL)
		nameserver = "";
	if ((st = db_stmt(db, ST_LATENCY_SAMPLES)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, provider);
	db_bind_text(db, st, 2, nameserver);
	db_bind_text(db, st, 3, db_health_kind_names[kind]);
	db_bind_int(db, st, 4, since);
	while ((rc = db_step(db, st, "latency update")) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n++] = sqlite3_column_int64(st, 0);	/* sorted by SQL */
	}
	if (rc == -1) {
		free(v);
		return (-1);
	}
	db_done(st);

	memset(out, 0, sizeof *out);
	out->samples = (int64_t)n;
	out->p50_ms = db_quantile(v, n, 50);
	out->p90_ms = db_quantile(v, n, 90);
	out->p99_ms = db_quantile(v, n, 99);
	out->max_ms = n == 0 ? 0 : v[n - 1];
	out->updated_at = now;
	free(v);

	if ((st = db_stmt(db, ST_LATENCY_SET)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, provider);
	db_bind_text(db, st, 2, nameserver);
	db_bind_text(db, st, 3, db_health_kind_names[kind]);
	db_bind_int(db, st, 4, out->samples);
	db_bind_int(db, st, 5, out->p50_ms);
	db_bind_int(db, st, 6, out->p90_ms);
	db_bind_int(db, st, 7, out->p99_ms);
	db_bind_int(db, st, 8, out->max_ms);
	db_bind_int(db, st, 9, out->updated_at);
	return (db_run(db, st, "latency update"));
}

int
db_latency_get(struct db *db, const char *provider, const char *nameserver,
    enum db_health_kind kind, struct db_latency *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((unsigned)kind >= nitems(db_health_kind_names)) {
		db_seterrx(db, "latency get: bad kind %d", (int)kind);
		return (-1);
	}
	memset(out, 0, sizeof *out);
	if ((st = db_stmt(db, ST_LATENCY_GET)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, provider);
	db_bind_text(db, st, 2, nameserver == NULL ? "" : nameserver);
	db_bind_text(db, st, 3, db_health_kind_names[kind]);
	if ((rc = db_step(db, st, "latency get")) == -1)
		return (-1);
	if (rc == SQLITE_ROW) {
		out->samples = sqlite3_column_int64(st, 0);
		out->p50_ms = sqlite3_column_int64(st, 1);
		out->p90_ms = sqlite3_column_int64(st, 2);
		out->p99_ms = sqlite3_column_int64(st, 3);
		out->max_ms = sqlite3_column_int64(st, 4);
		out->updated_at = sqlite3_column_int64(st, 5);
	}
	db_done(st);
	return (rc == SQLITE_ROW ? 1 : 0);
}

int
db_prune(struct db *db, int64_t older_than)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_PRUNE)) == NULL)
		return (-1);
	db_bind_int(db, st, 1, older_than);
	if (db_run(db, st, "prune") == -1)
		return (-1);
	return (sqlite3_changes(db->sq));
}

/* --- events and outbox ------------------------------------------------ */

int
db_outbox_enqueue(struct db *db, const char *event, const char *webhook,
    int64_t next_attempt)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, ST_OUTBOX_ENQUEUE)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, event);
	db_bind_text(db, st, 2, webhook);
	db_bind_int(db, st, 3, next_attempt);
	if (db_run(db, st, "outbox enqueue") == -1)
		return (-1);
	return (sqlite3_changes(db->sq) > 0 ? 1 : 0);
}

int
db_event_add(struct db *db, const struct db_event *ev,
    const char *const *webhooks, size_t nwebhooks, int64_t next_attempt)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 own, added;

	if ((unsigned)ev->severity >= nitems(db_severity_names)) {
		db_seterrx(db, "event add: bad severity %d", (int)ev->severity);
		return (-1);
	}
	if (db_tx_enter(db, &own) == -1)
		return (-1);
	if ((st = db_stmt(db, ST_EVENT_INSERT)) == NULL)
		return (db_tx_leave(db, own, -1));
	db_bind_text(db, st, 1, ev->id);
	db_bind_int(db, st, 2, ev->time);
	db_bind_text(db, st, 3, ev->zone);
	db_bind_text(db, st, 4, ev->provider);
	db_bind_text(db, st, 5, ev->type);
	db_bind_text(db, st, 6, db_severity_names[ev->severity]);
	db_bind_text(db, st, 7, ev->summary);
	db_bind_text(db, st, 8, ev->details);
	if (db_run(db, st, "event add") == -1)
		return (db_tx_leave(db, own, -1));
	added = sqlite3_changes(db->sq) > 0;
	for (i = 0; added && i < nwebhooks; i++) {
		if (db_outbox_enqueue(db, ev->id, webhooks[i],
		    next_attempt) == -1)
			return (db_tx_leave(db, own, -1));
	}
	return (db_tx_leave(db, own, added));
}

int
db_outbox_due(struct db *db, int64_t now, size_t limit,
    struct db_outbox **out, size_t *nout)
{
	sqlite3_stmt		*st;
	struct db_outbox	*v = NULL, *o;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = db_stmt(db, ST_OUTBOX_DUE)) == NULL)
		return (-1);
	db_bind_int(db, st, 1, now);
	db_bind_int(db, st, 2, limit == 0 || limit > INT64_MAX ? -1 :
	    (int64_t)limit);
	while ((rc = db_step(db, st, "outbox due")) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		o = &v[n++];
		o->event = db_col_text(st, 0);
		o->webhook = db_col_text(st, 1);
		o->state = db_value(db_outbox_state_names,
		    nitems(db_outbox_state_names), sqlite3_column_text(st, 2));
		o->attempts = sqlite3_column_int64(st, 3);
		o->next_attempt = sqlite3_column_int64(st, 4);
		o->last_error = db_col_text(st, 5);
		o->delivered_at = sqlite3_column_int64(st, 6);
		o->time = sqlite3_column_int64(st, 7);
		o->zone = db_col_text(st, 8);
		o->provider = db_col_text(st, 9);
		o->type = db_col_text(st, 10);
		o->severity = db_value(db_severity_names,
		    nitems(db_severity_names), sqlite3_column_text(st, 11));
		o->summary = db_col_text(st, 12);
		o->details = db_col_text(st, 13);
	}
	if (rc == -1) {
		db_outbox_free(v, n);
		return (-1);
	}
	db_done(st);
	*out = v;
	*nout = n;
	return (0);
}

void
db_outbox_free(struct db_outbox *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].event);
		free(v[i].webhook);
		free(v[i].last_error);
		free(v[i].zone);
		free(v[i].provider);
		free(v[i].type);
		free(v[i].summary);
		free(v[i].details);
	}
	free(v);
}

int
db_outbox_next_time(struct db *db, int64_t *when)
{
	sqlite3_stmt	*st;
	int		 rc, rv = 0;

	*when = 0;
	if ((st = db_stmt(db, ST_OUTBOX_NEXT)) == NULL)
		return (-1);
	if ((rc = db_step(db, st, "outbox next")) == -1)
		return (-1);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*when = sqlite3_column_int64(st, 0);
		rv = 1;
	}
	db_done(st);
	return (rv);
}

/* Run one outbox update that must hit exactly one pending delivery. */
static int
db_outbox_update(struct db *db, enum db_st id, const char *what,
    const char *event, const char *webhook, const char *error, int64_t t)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, id)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, event);
	db_bind_text(db, st, 2, webhook);
	if (id == ST_OUTBOX_DELIVERED)
		db_bind_int(db, st, 3, t);
	else {
		db_bind_text(db, st, 3, error);
		if (id == ST_OUTBOX_FAILED)
			db_bind_int(db, st, 4, t);
	}
	if (db_run(db, st, what) == -1)
		return (-1);
	if (sqlite3_changes(db->sq) != 1) {
		db_seterrx(db, "%s: no pending delivery of event %s to "
		    "webhook %s", what, event, webhook);
		return (-1);
	}
	return (0);
}

int
db_outbox_delivered(struct db *db, const char *event, const char *webhook,
    int64_t now)
{
	return (db_outbox_update(db, ST_OUTBOX_DELIVERED, "outbox delivered",
	    event, webhook, NULL, now));
}

int
db_outbox_failed(struct db *db, const char *event, const char *webhook,
    const char *error, int64_t next_attempt)
{
	return (db_outbox_update(db, ST_OUTBOX_FAILED, "outbox failed",
	    event, webhook, error, next_attempt));
}

int
db_outbox_undeliverable(struct db *db, const char *event,
    const char *webhook, const char *error)
{
	return (db_outbox_update(db, ST_OUTBOX_UNDELIVERABLE,
	    "outbox undeliverable", event, webhook, error, 0));
}

/* --- counts for metrics ------------------------------------------------ */

static int
db_counts(struct db *db, enum db_st id, const char *what,
    struct db_count **out, size_t *nout)
{
	sqlite3_stmt	*st;
	struct db_count	*v = NULL, *c;
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if ((st = db_stmt(db, id)) == NULL)
		return (-1);
	while ((rc = db_step(db, st, what)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		c = &v[n++];
		c->zone = db_col_text(st, 0);
		c->provider = db_col_text(st, 1);
		c->result = db_col_text(st, 2);
		c->n = sqlite3_column_int64(st, 3);
	}
	if (rc == -1) {
		db_count_free(v, n);
		return (-1);
	}
	db_done(st);
	*out = v;
	*nout = n;
	return (0);
}

int
db_drift_counts(struct db *db, struct db_count **out, size_t *nout)
{
	return (db_counts(db, ST_DRIFT_COUNTS, "drift counts", out, nout));
}

int
db_change_counts(struct db *db, struct db_count **out, size_t *nout)
{
	return (db_counts(db, ST_CHANGE_COUNTS, "change counts", out, nout));
}

void
db_count_free(struct db_count *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].zone);
		free(v[i].provider);
		free(v[i].result);
	}
	free(v);
}

int
db_outbox_pending(struct db *db, int64_t *count, int64_t *oldest)
{
	sqlite3_stmt	*st;
	int		 rc;

	*count = 0;
	*oldest = 0;
	if ((st = db_stmt(db, ST_OUTBOX_PENDING)) == NULL)
		return (-1);
	if ((rc = db_step(db, st, "outbox pending")) == -1)
		return (-1);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*oldest = sqlite3_column_int64(st, 1);	/* NULL reads as 0 */
	}
	db_done(st);
	return (0);
}

int
db_event_last(struct db *db, const char *provider, const char *type1,
    const char *type2, char **type, int64_t *time, char **details)
{
	sqlite3_stmt	*st;
	int		 rc;

	*type = NULL;
	*details = NULL;
	*time = 0;
	if ((st = db_stmt(db, ST_EVENT_LAST)) == NULL)
		return (-1);
	db_bind_text(db, st, 1, provider);
	db_bind_text(db, st, 2, type1);
	db_bind_text(db, st, 3, type2);
	if ((rc = db_step(db, st, "event last")) == -1)
		return (-1);
	if (rc == SQLITE_ROW) {
		*type = db_col_text(st, 0);
		*time = sqlite3_column_int64(st, 1);
		*details = db_col_text(st, 2);
	}
	db_done(st);
	return (rc == SQLITE_ROW);
}
