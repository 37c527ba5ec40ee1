/* check_db.c: the state database. */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"

static char	tmpdir[PATH_MAX - 64];
static char	dbpath[PATH_MAX];

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/check_db.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof dbpath, "%s/state.db", tmpdir);
}

static void
teardown(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[PATH_MAX * 2];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* --- helpers ---------------------------------------------------------- */

static sqlite3 *
raw_open(const char *path)
{
	sqlite3	*sq = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(sq, 5000);
	return (sq);
}

static void
raw_exec(sqlite3 *sq, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	rc = sqlite3_exec(sq, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

static int64_t
raw_int(sqlite3 *sq, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v;

	ck_assert_int_eq(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* The first column of the first row as text, into a static buffer. */
static const char *
raw_text(sqlite3 *sq, const char *sql)
{
	static char		 buf[1024];
	sqlite3_stmt		*st;
	const unsigned char	*s;

	ck_assert_int_eq(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	s = sqlite3_column_text(st, 0);
	snprintf(buf, sizeof buf, "%s", s == NULL ? "(null)" : (const char *)s);
	sqlite3_finalize(st);
	return (buf);
}

static int64_t
path_int(const char *sql)
{
	sqlite3	*sq = raw_open(dbpath);
	int64_t	 v = raw_int(sq, sql);

	sqlite3_close(sq);
	return (v);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat	 sb;
	unsigned char	*buf;
	int		 fd;

	ck_assert_int_eq(stat(path, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return (buf);
}

static int
exists(const char *suffix)
{
	char		p[PATH_MAX * 2];
	struct stat	sb;

	snprintf(p, sizeof p, "%s%s", dbpath, suffix);
	return (stat(p, &sb) == 0);
}

static struct db *
open_ok(void)
{
	struct db	*db;
	char		 err[512] = "";

	db = db_open(dbpath, err, sizeof err);
	ck_assert_msg(db != NULL, "db_open: %s", err);
	return (db);
}

/* A zone "example.com." on providers "pdns" and "nsone". */
static struct db *
open_seeded(void)
{
	struct db	*db = open_ok();

	ck_assert_int_eq(db_zone_upsert(db, "example.com.", 10), 0);
	ck_assert_int_eq(db_provider_upsert(db, "pdns", "powerdns", 10), 0);
	ck_assert_int_eq(db_provider_upsert(db, "nsone", "ns1", 10), 0);
	return (db);
}

/* --- opening ---------------------------------------------------------- */

START_TEST(test_create_reopen)
{
	struct db	*db;
	struct stat	 sb;
	sqlite3		*sq;
	char		 v[65], p[PATH_MAX * 2];

	ck_assert(!exists(""));
	db = open_seeded();
	ck_assert_int_eq(db_migrations_run(db), 1);
	ck_assert_int_eq(db_version_record(db, "example.com.", "abc123",
	    "A <a@example.com>", "add www", 1000, 1, NULL, 1001), 0);
	ck_assert_int_eq(db_applied_set(db, "example.com.", "pdns", "abc123",
	    1002), 0);

	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);

	/* Seen from another connection while ours is open. */
	sq = raw_open(dbpath);
	ck_assert_str_eq(raw_text(sq, "PRAGMA journal_mode"), "wal");
	ck_assert_int_eq(raw_int(sq, "PRAGMA user_version"),
	    db_schema_version());
	ck_assert_int_eq(db_schema_version(), 1);
	sqlite3_close(sq);
	db_close(db);

	db = open_ok();
	ck_assert_int_eq(db_migrations_run(db), 0);
	ck_assert_int_eq(db_applied_get(db, "example.com.", "pdns", v,
	    sizeof v), 1);
	ck_assert_str_eq(v, "abc123");
	ck_assert_int_eq(db_applied_get(db, "example.com.", "nsone", v,
	    sizeof v), 0);
	db_close(db);

	sq = raw_open(dbpath);
	ck_assert_int_eq(raw_int(sq, "PRAGMA user_version"), 1);
	ck_assert_str_eq(raw_text(sq, "SELECT type FROM providers WHERE "
	    "name = 'nsone'"), "ns1");
	ck_assert_str_eq(raw_text(sq, "SELECT author || '|' || summary || '|' "
	    "|| commit_time || '|' || seen_at || '|' || ok FROM versions"),
	    "A <a@example.com>|add www|1000|1001|1");
	sqlite3_close(sq);
}
END_TEST

START_TEST(test_missing_parent)
{
	char	 path[PATH_MAX * 2], want[PATH_MAX * 3], err[512];
	struct stat sb;

	snprintf(path, sizeof path, "%s/nope/state.db", tmpdir);
	ck_assert_ptr_null(db_open(path, err, sizeof err));
	snprintf(want, sizeof want,
	    "%s: cannot create: No such file or directory", path);
	ck_assert_str_eq(err, want);
	snprintf(path, sizeof path, "%s/nope", tmpdir);
	ck_assert_int_eq(stat(path, &sb), -1);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	sqlite3		*sq;
	unsigned char	*before, *after;
	size_t		 nbefore, nafter;
	char		 err[512], want[PATH_MAX * 2];

	sq = raw_open(dbpath);
	raw_exec(sq, "CREATE TABLE future (x); PRAGMA user_version = 999;");
	sqlite3_close(sq);
	before = slurp(dbpath, &nbefore);

	ck_assert_ptr_null(db_open(dbpath, err, sizeof err));
	snprintf(want, sizeof want, "%s: schema version 999 is newer than "
	    "this multidnsd supports (1); refusing to open", dbpath);
	ck_assert_str_eq(err, want);

	after = slurp(dbpath, &nafter);
	ck_assert_uint_eq(nbefore, nafter);
	ck_assert_int_eq(memcmp(before, after, nbefore), 0);
	ck_assert(!exists("-wal"));
	free(before);
	free(after);
}
END_TEST

START_TEST(test_garbage_refused)
{
	unsigned char	 junk[8192], *after;
	size_t		 i, nafter;
	char		 err[512], want[PATH_MAX * 2];
	int		 fd;

	for (i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)("not a database\n"[i % 15] ^
		    (i >> 8));
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY | O_CREAT, 0644), 0);
	ck_assert_int_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);

	ck_assert_ptr_null(db_open(dbpath, err, sizeof err));
	snprintf(want, sizeof want, "%s: not a usable SQLite database (file "
	    "is not a database); refusing to open", dbpath);
	ck_assert_str_eq(err, want);

	after = slurp(dbpath, &nafter);
	ck_assert_uint_eq(nafter, sizeof junk);
	ck_assert_int_eq(memcmp(junk, after, sizeof junk), 0);
	ck_assert(!exists("-wal"));
	ck_assert(!exists("-shm"));
	ck_assert(!exists("-journal"));
	free(after);

	/* Again: still refused, still there. */
	ck_assert_ptr_null(db_open(dbpath, err, sizeof err));
	ck_assert_str_eq(err, want);
	after = slurp(dbpath, &nafter);
	ck_assert_uint_eq(nafter, sizeof junk);
	free(after);
}
END_TEST

START_TEST(test_corrupt_refused)
{
	struct db	*db;
	sqlite3		*sq;
	unsigned char	*before, *after;
	size_t		 nbefore, nafter;
	char		 err[512], want[PATH_MAX * 2];
	int		 i, fd, pagesize;

	db = open_ok();
	ck_assert_int_eq(db_begin(db), 0);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(db_health_record(db, i, "pdns",
		    "ns1.example.net.", DB_HEALTH_DNS, 1, i % 97, NULL), 0);
	ck_assert_int_eq(db_commit(db), 0);
	db_close(db);
	ck_assert(!exists("-wal"));	/* checkpointed on close */

	sq = raw_open(dbpath);
	pagesize = (int)raw_int(sq, "PRAGMA page_size");
	ck_assert_int_gt(raw_int(sq, "PRAGMA page_count"), 8);
	sqlite3_close(sq);

	/* Scribble over pages 3 to 6, leave the header page alone. */
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
	for (i = 0; i < 4 * pagesize; i++) {
		unsigned char c = (unsigned char)(0xa5 ^ i);

		ck_assert_int_eq(pwrite(fd, &c, 1, 2 * pagesize + i), 1);
	}
	close(fd);
	before = slurp(dbpath, &nbefore);

	ck_assert_ptr_null(db_open(dbpath, err, sizeof err));
	/* One line, whatever SQLite's report looks like. */
	ck_assert_ptr_null(strchr(err, '\n'));
	snprintf(want, sizeof want, "%s: database is corrupt (quick_check: "
	    "*** in database main ***; Page 3: ", dbpath);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_msg(strlen(err) > strlen("); refusing to open") &&
	    strcmp(err + strlen(err) - strlen("); refusing to open"),
	    "); refusing to open") == 0, "%s", err);

	after = slurp(dbpath, &nafter);
	ck_assert_uint_eq(nbefore, nafter);
	ck_assert_int_eq(memcmp(before, after, nbefore), 0);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_migrate_from_v0)
{
	struct db	*db;
	sqlite3		*sq;

	sq = raw_open(dbpath);
	raw_exec(sq, "CREATE TABLE notes (x TEXT); "
	    "INSERT INTO notes VALUES ('kept');");
	ck_assert_int_eq(raw_int(sq, "PRAGMA user_version"), 0);
	sqlite3_close(sq);

	db = open_ok();
	ck_assert_int_eq(db_migrations_run(db), 1);
	db_close(db);
	db = open_ok();
	ck_assert_int_eq(db_migrations_run(db), 0);
	db_close(db);

	sq = raw_open(dbpath);
	ck_assert_int_eq(raw_int(sq, "PRAGMA user_version"), 1);
	ck_assert_str_eq(raw_text(sq, "SELECT x FROM notes"), "kept");
	ck_assert_int_eq(raw_int(sq, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('zones', 'providers', "
	    "'versions', 'applied', 'drift', 'changes', 'health', 'latency', "
	    "'events', 'outbox')"), 10);
	sqlite3_close(sq);
}
END_TEST

START_TEST(test_migration_atomic)
{
	sqlite3	*sq;
	char	 err[512], want[PATH_MAX * 2];

	/* A clashing table makes migration 1 fail half-way through. */
	sq = raw_open(dbpath);
	raw_exec(sq, "CREATE TABLE health (x); INSERT INTO health VALUES (7);");
	sqlite3_close(sq);

	ck_assert_ptr_null(db_open(dbpath, err, sizeof err));
	snprintf(want, sizeof want, "%s: migration to schema version 1 "
	    "failed: table health already exists", dbpath);
	ck_assert_str_eq(err, want);

	sq = raw_open(dbpath);
	ck_assert_int_eq(raw_int(sq, "PRAGMA user_version"), 0);
	/* zones was created before health in the same transaction: gone. */
	ck_assert_int_eq(raw_int(sq, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'zones'"), 0);
	ck_assert_int_eq(raw_int(sq, "SELECT x FROM health"), 7);
	sqlite3_close(sq);
}
END_TEST

/* --- crash safety ----------------------------------------------------- */

static void
child_crash(int wfd)
{
	struct db	*db;
	char		 err[512];
	int		 i;

	if ((db = db_open(dbpath, err, sizeof err)) == NULL)
		_exit(2);
	if (db_begin(db) == -1 ||
	    db_zone_upsert(db, "one.example.", 1) == -1 ||
	    db_health_record(db, 1, "p", "ns", DB_HEALTH_DNS, 1, 5,
	    NULL) == -1 ||
	    db_commit(db) == -1)
		_exit(3);
	if (db_begin(db) == -1 || db_zone_upsert(db, "two.example.", 2) == -1)
		_exit(4);
	for (i = 0; i < 5000; i++) {
		if (db_health_record(db, 2, "p", "ns", DB_HEALTH_DNS, 1, i,
		    "x") == -1)
			_exit(5);
	}
	if (write(wfd, "x", 1) != 1)
		_exit(6);
	for (;;)
		pause();
}

START_TEST(test_kill_mid_transaction)
{
	struct db	*db;
	sqlite3		*sq;
	pid_t		 pid;
	int		 fds[2], status;
	char		 c;

	db = open_ok();		/* create the schema first */
	db_close(db);

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_crash(fds[1]);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);	/* inside tx 2 */
	close(fds[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);

	db = open_ok();
	ck_assert_int_eq(db_migrations_run(db), 0);
	db_close(db);

	sq = raw_open(dbpath);
	ck_assert_str_eq(raw_text(sq, "PRAGMA quick_check"), "ok");
	ck_assert_str_eq(raw_text(sq, "SELECT group_concat(name) FROM zones"),
	    "one.example.");
	ck_assert_int_eq(raw_int(sq, "SELECT count(*) FROM health"), 1);
	ck_assert_int_eq(raw_int(sq, "SELECT latency_ms FROM health"), 5);
	sqlite3_close(sq);
}
END_TEST

START_TEST(test_busy_waits)
{
	struct db	*db;
	struct timespec	 t0, t1;
	pid_t		 pid;
	int		 fds[2], status;
	double		 elapsed;
	char		 c;

	db = open_ok();		/* create the schema */
	db_close(db);

	/* Never fork with a connection open. */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sqlite3	*sq;

		close(fds[0]);
		if (sqlite3_open_v2(dbpath, &sq, SQLITE_OPEN_READWRITE,
		    NULL) != SQLITE_OK ||
		    sqlite3_exec(sq, "BEGIN IMMEDIATE; INSERT INTO zones "
		    "VALUES ('held.example.', 1, 1)", NULL, NULL,
		    NULL) != SQLITE_OK)
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		sleep(1);
		if (sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(4);
		sqlite3_close(sq);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);	/* lock held */
	close(fds[0]);

	/* Opening an up-to-date database takes no write lock. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	db = open_ok();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(elapsed < 0.5, "open waited %.3f s", elapsed);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(db_zone_upsert(db, "mine.example.", 2) == 0, "%s",
	    db_errmsg(db));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(elapsed > 0.5 && elapsed < 4.5, "waited %.3f s",
	    elapsed);

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	db_close(db);
	ck_assert_int_eq(path_int("SELECT count(*) FROM zones WHERE name IN "
	    "('held.example.', 'mine.example.')"), 2);
}
END_TEST

/* --- transactions, versions ------------------------------------------- */

START_TEST(test_transactions)
{
	struct db		*db;
	struct db_event		 ev = { "ev-1", 5, NULL, NULL, "test",
				    DB_SEVERITY_INFO, "s", NULL };
	const char		*hooks[] = { "ops" };

	db = open_seeded();
	ck_assert_int_eq(db_in_transaction(db), 0);
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_in_transaction(db), 1);
	ck_assert_int_eq(db_begin(db), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "begin: cannot start a transaction within a transaction");
	ck_assert_int_eq(db_zone_upsert(db, "gone.example.", 1), 0);
	ck_assert_int_eq(db_event_add(db, &ev, hooks, 1, 5), 1);
	ck_assert_int_eq(db_rollback(db), 0);
	ck_assert_int_eq(db_in_transaction(db), 0);
	ck_assert_int_eq(db_commit(db), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "commit: cannot commit - no transaction is active");
	db_close(db);

	ck_assert_int_eq(path_int("SELECT count(*) FROM zones"), 1);
	ck_assert_int_eq(path_int("SELECT count(*) FROM events"), 0);
	ck_assert_int_eq(path_int("SELECT count(*) FROM outbox"), 0);
}
END_TEST

START_TEST(test_versions_applied)
{
	struct db	*db;
	sqlite3		*sq;
	char		 v[8];

	db = open_seeded();
	ck_assert_int_eq(db_version_record(db, "example.com.", "v1", NULL,
	    NULL, 50, 0, "example.com.zone:3: bad TTL", 100), 0);
	ck_assert_int_eq(db_version_record(db, "example.com.", "v1", "B",
	    "fix", 50, 1, NULL, 200), 0);
	/* Not recorded for this zone: refused by the foreign key. */
	ck_assert_int_eq(db_applied_set(db, "example.com.", "pdns", "v2",
	    300), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "applied set: FOREIGN KEY constraint failed");
	ck_assert_int_eq(db_applied_set(db, "example.com.", "pdns", "v1",
	    300), 0);
	ck_assert_int_eq(db_version_record(db, "nope.", "v1", NULL, NULL, 1,
	    1, NULL, 1), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "version record: FOREIGN KEY constraint failed");
	ck_assert_int_eq(db_applied_get(db, "example.com.", "pdns", v, 2), -1);
	ck_assert_str_eq(db_errmsg(db), "applied get: version does not fit");
	ck_assert_int_eq(db_applied_get(db, "example.com.", "pdns", v, 3), 1);
	ck_assert_str_eq(v, "v1");
	/* A provider changing type keeps its first_seen. */
	ck_assert_int_eq(db_provider_upsert(db, "pdns", "rfc2136", 400), 0);
	db_close(db);

	sq = raw_open(dbpath);
	ck_assert_str_eq(raw_text(sq, "SELECT seen_at || '|' || ok || '|' || "
	    "ifnull(error, 'NULL') || '|' || author FROM versions"),
	    "100|1|NULL|B");
	ck_assert_str_eq(raw_text(sq, "SELECT type || '|' || first_seen || "
	    "'|' || last_seen FROM providers WHERE name = 'pdns'"),
	    "rfc2136|10|400");
	sqlite3_close(sq);
}
END_TEST

START_TEST(test_strings_are_parameters)
{
	struct db	*db;
	const char	*evil = "x'); DROP TABLE zones; --.";

	db = open_ok();
	ck_assert_int_eq(db_zone_upsert(db, evil, 1), 0);
	db_close(db);
	ck_assert_int_eq(path_int("SELECT count(*) FROM zones WHERE name = "
	    "'x''); DROP TABLE zones; --.'"), 1);
}
END_TEST

/* --- drift ------------------------------------------------------------ */

START_TEST(test_drift_lifecycle)
{
	struct db	*db;
	struct db_drift	*d;
	size_t		 n;

	db = open_seeded();
	ck_assert_int_eq(db_drift_upsert(db, "example.com.", "pdns",
	    "www.example.com.", "A", DB_DRIFT_MISSING, "192.0.2.1", NULL,
	    100), 1);
	ck_assert_int_eq(db_drift_upsert(db, "example.com.", "pdns",
	    "old.example.com.", "TXT", DB_DRIFT_EXTRA, NULL, "\"x\"", 100), 1);
	ck_assert_int_eq(db_drift_upsert(db, "example.com.", "nsone",
	    "old.example.com.", "TXT", DB_DRIFT_EXTRA, NULL, "\"x\"", 100), 1);
	/* Seen again: still open, last_seen moves, kind follows. */
	ck_assert_int_eq(db_drift_upsert(db, "example.com.", "pdns",
	    "www.example.com.", "A", DB_DRIFT_CHANGED, "192.0.2.1",
	    "192.0.2.9", 200), 0);
	ck_assert_int_eq(db_drift_resolve_unseen(db, "example.com.", "pdns",
	    200), 1);

	ck_assert_int_eq(db_drift_list(db, "example.com.", "pdns", 0, &d, &n),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].owner, "www.example.com.");
	ck_assert_str_eq(d[0].type, "A");
	ck_assert_int_eq(d[0].kind, DB_DRIFT_CHANGED);
	ck_assert_str_eq(d[0].desired, "192.0.2.1");
	ck_assert_str_eq(d[0].actual, "192.0.2.9");
	ck_assert_int_eq(d[0].first_seen, 100);
	ck_assert_int_eq(d[0].last_seen, 200);
	ck_assert_int_eq(d[0].resolved_at, 0);
	db_drift_free(d, n);

	ck_assert_int_eq(db_drift_list(db, NULL, "pdns", 1, &d, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0].owner, "old.example.com.");
	ck_assert_int_eq(d[0].kind, DB_DRIFT_EXTRA);
	ck_assert_ptr_null(d[0].desired);
	ck_assert_str_eq(d[0].actual, "\"x\"");
	ck_assert_int_eq(d[0].first_seen, 100);
	ck_assert_int_eq(d[0].last_seen, 100);
	ck_assert_int_eq(d[0].resolved_at, 200);
	db_drift_free(d, n);

	/* The other provider's item was not touched. */
	ck_assert_int_eq(db_drift_list(db, NULL, NULL, 0, &d, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0].provider, "nsone");
	ck_assert_int_eq(d[0].resolved_at, 0);
	db_drift_free(d, n);

	/* Back again: reopened as a new episode. */
	ck_assert_int_eq(db_drift_upsert(db, "example.com.", "pdns",
	    "old.example.com.", "TXT", DB_DRIFT_EXTRA, NULL, "\"y\"", 300), 1);
	ck_assert_int_eq(db_drift_resolve_unseen(db, "example.com.", "pdns",
	    300), 1);	/* www */
	ck_assert_int_eq(db_drift_list(db, "example.com.", "pdns", 0, &d, &n),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].owner, "old.example.com.");
	ck_assert_str_eq(d[0].actual, "\"y\"");
	ck_assert_int_eq(d[0].first_seen, 300);
	ck_assert_int_eq(d[0].last_seen, 300);
	ck_assert_int_eq(d[0].resolved_at, 0);
	db_drift_free(d, n);
	ck_assert_int_eq(db_drift_resolve_unseen(db, "example.com.", "pdns",
	    300), 0);

	/* Unknown zone: refused, and no transaction left open. */
	ck_assert_int_eq(db_drift_upsert(db, "nope.", "pdns", "a.nope.", "A",
	    DB_DRIFT_MISSING, "1", NULL, 1), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "drift upsert: FOREIGN KEY constraint failed");
	ck_assert_int_eq(db_in_transaction(db), 0);

	ck_assert_int_eq(db_drift_list(db, "nope.", NULL, 1, &d, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(d);
	db_close(db);

	ck_assert_str_eq(db_drift_kind_name(DB_DRIFT_MISSING), "missing");
	ck_assert_str_eq(db_drift_kind_name((enum db_drift_kind)9), "unknown");
}
END_TEST

/* --- audit ------------------------------------------------------------ */

START_TEST(test_history)
{
	struct db		*db;
	struct db_change	 c;
	struct db_history	*h;
	size_t			 n;
	int			 i;
	char			 owner[64];

	db = open_seeded();
	ck_assert_int_eq(db_begin(db), 0);
	for (i = 0; i < 5; i++) {
		memset(&c, 0, sizeof c);
		snprintf(owner, sizeof owner, "h%d.example.com.", i);
		c.time = 1000 + i;
		c.zone = i == 3 ? "example.org." : "example.com.";
		c.provider = "pdns";
		c.version = "abc";
		c.author = "A <a@example.com>";
		c.op = i % 2 ? CHANGE_UPDATE : CHANGE_CREATE;
		c.owner = owner;
		c.type = "AAAA";
		c.old_value = i % 2 ? "2001:db8::1" : NULL;
		c.new_value = "2001:db8::2";
		c.result = i == 4 ? DB_CHANGE_REFUSED : DB_CHANGE_OK;
		c.error = i == 4 ? "safety gate: 40% > 30%" : NULL;
		ck_assert_int_eq(db_change_record(db, &c), 0);
	}
	ck_assert_int_eq(db_commit(db), 0);

	ck_assert_int_eq(db_history_list(db, 3, NULL, &h, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(h[0].owner, "h4.example.com.");
	ck_assert_str_eq(h[1].owner, "h3.example.com.");
	ck_assert_str_eq(h[2].owner, "h2.example.com.");
	ck_assert_int_eq(h[0].time, 1004);
	ck_assert_int_eq(h[0].op, CHANGE_CREATE);
	ck_assert_ptr_null(h[0].old_value);
	ck_assert_int_eq(h[0].result, DB_CHANGE_REFUSED);
	ck_assert_str_eq(h[0].error, "safety gate: 40% > 30%");
	ck_assert_str_eq(h[1].zone, "example.org.");
	ck_assert_int_eq(h[1].op, CHANGE_UPDATE);
	ck_assert_str_eq(h[1].old_value, "2001:db8::1");
	ck_assert_ptr_null(h[1].error);
	ck_assert_int_eq(h[1].result, DB_CHANGE_OK);
	ck_assert_str_eq(h[2].author, "A <a@example.com>");
	ck_assert_int_gt(h[0].id, h[1].id);
	db_history_free(h, n);

	ck_assert_int_eq(db_history_list(db, 0, "example.com.", &h, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(h[0].owner, "h4.example.com.");
	ck_assert_str_eq(h[1].owner, "h2.example.com.");
	ck_assert_str_eq(h[3].owner, "h0.example.com.");
	db_history_free(h, n);

	ck_assert_int_eq(db_history_list(db, 10, "example.net.", &h, &n), 0);
	ck_assert_uint_eq(n, 0);
	db_close(db);

	ck_assert_str_eq(db_change_result_name(DB_CHANGE_REFUSED), "refused");
}
END_TEST

/* --- health ----------------------------------------------------------- */

START_TEST(test_health_latency_prune)
{
	struct db		*db;
	struct db_latency	 l;
	int			 i;

	db = open_ok();
	ck_assert_int_eq(db_begin(db), 0);
	for (i = 100; i >= 1; i--)
		ck_assert_int_eq(db_health_record(db, 1000 + i, "pdns",
		    "ns1.example.net.", DB_HEALTH_DNS, 1, i, NULL), 0);
	/* Not counted: a failure, another nameserver, an old sample. */
	ck_assert_int_eq(db_health_record(db, 1050, "pdns", "ns1.example.net.",
	    DB_HEALTH_DNS, 0, 5000, "timeout"), 0);
	ck_assert_int_eq(db_health_record(db, 1050, "pdns", "ns2.example.net.",
	    DB_HEALTH_DNS, 1, 7000, NULL), 0);
	ck_assert_int_eq(db_health_record(db, 10, "pdns", "ns1.example.net.",
	    DB_HEALTH_DNS, 1, 9000, NULL), 0);
	ck_assert_int_eq(db_health_record(db, 1050, "pdns", NULL,
	    DB_HEALTH_API, 1, 250, NULL), 0);
	ck_assert_int_eq(db_health_record(db, 1050, "pdns", NULL,
	    DB_HEALTH_API, 0, -1, "HTTP 503"), 0);
	ck_assert_int_eq(db_commit(db), 0);

	ck_assert_int_eq(db_latency_update(db, "pdns", "ns1.example.net.",
	    DB_HEALTH_DNS, 1000, 2000, &l), 0);
	ck_assert_int_eq(l.samples, 100);
	ck_assert_int_eq(l.p50_ms, 50);
	ck_assert_int_eq(l.p90_ms, 90);
	ck_assert_int_eq(l.p99_ms, 99);
	ck_assert_int_eq(l.max_ms, 100);
	memset(&l, 0xff, sizeof l);
	ck_assert_int_eq(db_latency_get(db, "pdns", "ns1.example.net.",
	    DB_HEALTH_DNS, &l), 1);
	ck_assert_int_eq(l.samples, 100);
	ck_assert_int_eq(l.p50_ms, 50);
	ck_assert_int_eq(l.p99_ms, 99);
	ck_assert_int_eq(l.updated_at, 2000);

	ck_assert_int_eq(db_latency_update(db, "pdns", NULL, DB_HEALTH_API, 0,
	    2001, &l), 0);
	ck_assert_int_eq(l.samples, 1);
	ck_assert_int_eq(l.p50_ms, 250);
	ck_assert_int_eq(l.p99_ms, 250);
	ck_assert_int_eq(db_latency_get(db, "pdns", NULL, DB_HEALTH_DNS, &l),
	    0);
	ck_assert_int_eq(l.samples, 0);

	/* 10, and 1001..1049 are older than 1050. */
	ck_assert_int_eq(db_prune(db, 1050), 50);
	ck_assert_int_eq(db_prune(db, 1050), 0);
	ck_assert_int_eq(db_latency_update(db, "pdns", "ns1.example.net.",
	    DB_HEALTH_DNS, 0, 2002, &l), 0);
	ck_assert_int_eq(l.samples, 51);
	ck_assert_int_eq(l.p50_ms, 75);
	ck_assert_int_eq(l.max_ms, 100);
	db_close(db);

	ck_assert_int_eq(path_int("SELECT count(*) FROM health WHERE "
	    "nameserver = '' AND kind = 'api' AND latency_ms IS NULL AND "
	    "error = 'HTTP 503'"), 1);
}
END_TEST

/* --- events and outbox ------------------------------------------------ */

START_TEST(test_event_idempotent)
{
	struct db		*db;
	struct db_event		 ev;
	struct db_outbox	*o;
	size_t			 n;
	const char		*hooks[] = { "ops", "chat" };

	db = open_ok();
	memset(&ev, 0, sizeof ev);
	ev.id = "drift_found/example.com./pdns/www.example.com./A/100";
	ev.time = 100;
	ev.zone = "example.com.";
	ev.provider = "pdns";
	ev.type = "drift_found";
	ev.severity = DB_SEVERITY_WARNING;
	ev.summary = "www.example.com. A missing at pdns";
	ev.details = "{\"owner\":\"www.example.com.\"}";
	ck_assert_int_eq(db_event_add(db, &ev, hooks, 2, 100), 1);
	ev.summary = "changed";
	ck_assert_int_eq(db_event_add(db, &ev, hooks, 2, 100), 0);
	ck_assert_int_eq(db_outbox_enqueue(db, ev.id, "ops", 100), 0);

	ck_assert_int_eq(db_outbox_due(db, 100, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(o[0].webhook, "ops");
	ck_assert_str_eq(o[1].webhook, "chat");
	ck_assert_str_eq(o[0].summary, "www.example.com. A missing at pdns");
	ck_assert_str_eq(o[0].details, "{\"owner\":\"www.example.com.\"}");
	ck_assert_int_eq(o[0].severity, DB_SEVERITY_WARNING);
	ck_assert_str_eq(o[0].type, "drift_found");
	ck_assert_str_eq(o[0].zone, "example.com.");
	ck_assert_int_eq(o[0].state, DB_OUTBOX_PENDING);
	ck_assert_int_eq(o[0].attempts, 0);
	db_outbox_free(o, n);

	/* Enqueue for an unknown event: foreign key. */
	ck_assert_int_eq(db_outbox_enqueue(db, "nope", "ops", 1), -1);
	ck_assert_str_eq(db_errmsg(db),
	    "outbox enqueue: FOREIGN KEY constraint failed");
	db_close(db);
	ck_assert_int_eq(path_int("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(path_int("SELECT count(*) FROM outbox"), 2);
}
END_TEST

static void
add_event(struct db *db, const char *id, int64_t next_attempt)
{
	struct db_event	 ev;
	const char	*hooks[] = { "ops" };

	memset(&ev, 0, sizeof ev);
	ev.id = id;
	ev.time = 1;
	ev.type = "provider_down";
	ev.severity = DB_SEVERITY_CRITICAL;
	ev.summary = id;
	ck_assert_int_eq(db_event_add(db, &ev, hooks, 1, next_attempt), 1);
}

START_TEST(test_outbox_lifecycle)
{
	struct db		*db;
	struct db_outbox	*o;
	size_t			 n;
	int64_t			 when;

	db = open_ok();
	ck_assert_int_eq(db_outbox_next_time(db, &when), 0);
	add_event(db, "e1", 100);
	add_event(db, "e2", 50);
	add_event(db, "e3", 100);

	ck_assert_int_eq(db_outbox_next_time(db, &when), 1);
	ck_assert_int_eq(when, 50);
	ck_assert_int_eq(db_outbox_due(db, 49, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(db_outbox_due(db, 100, 2, &o, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(o[0].event, "e2");
	ck_assert_str_eq(o[1].event, "e1");
	ck_assert_int_eq(o[0].severity, DB_SEVERITY_CRITICAL);
	ck_assert_ptr_null(o[0].zone);
	ck_assert_ptr_null(o[0].details);
	db_outbox_free(o, n);

	/* e2 fails: backs off past the others. */
	ck_assert_int_eq(db_outbox_failed(db, "e2", "ops", "HTTP 500", 400), 0);
	ck_assert_int_eq(db_outbox_due(db, 100, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(o[0].event, "e1");
	ck_assert_str_eq(o[1].event, "e3");
	db_outbox_free(o, n);
	ck_assert_int_eq(db_outbox_delivered(db, "e1", "ops", 110), 0);
	ck_assert_int_eq(db_outbox_delivered(db, "e3", "ops", 111), 0);
	ck_assert_int_eq(db_outbox_next_time(db, &when), 1);
	ck_assert_int_eq(when, 400);
	ck_assert_int_eq(db_outbox_due(db, 399, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(db_outbox_due(db, 400, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(o[0].event, "e2");
	ck_assert_int_eq(o[0].attempts, 1);
	ck_assert_int_eq(o[0].next_attempt, 400);
	ck_assert_str_eq(o[0].last_error, "HTTP 500");
	db_outbox_free(o, n);
	ck_assert_int_eq(db_outbox_undeliverable(db, "e2", "ops",
	    "HTTP 410"), 0);
	ck_assert_int_eq(db_outbox_next_time(db, &when), 0);
	ck_assert_int_eq(db_outbox_due(db, 100000, 0, &o, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* Finished deliveries cannot change any more. */
	ck_assert_int_eq(db_outbox_delivered(db, "e1", "ops", 120), -1);
	ck_assert_str_eq(db_errmsg(db), "outbox delivered: no pending "
	    "delivery of event e1 to webhook ops");
	ck_assert_int_eq(db_outbox_failed(db, "e2", "ops", "x", 1), -1);
	ck_assert_str_eq(db_errmsg(db), "outbox failed: no pending "
	    "delivery of event e2 to webhook ops");
	db_close(db);

	/* And it all survived the close. */
	db = open_ok();
	ck_assert_int_eq(db_outbox_next_time(db, &when), 0);
	db_close(db);
	ck_assert_int_eq(path_int("SELECT count(*) FROM outbox WHERE "
	    "event = 'e1' AND state = 'delivered' AND attempts = 1 AND "
	    "delivered_at = 110 AND last_error IS NULL"), 1);
	ck_assert_int_eq(path_int("SELECT count(*) FROM outbox WHERE "
	    "event = 'e2' AND state = 'undeliverable' AND attempts = 2 AND "
	    "last_error = 'HTTP 410'"), 1);
	ck_assert_str_eq(db_outbox_state_name(DB_OUTBOX_UNDELIVERABLE),
	    "undeliverable");
	ck_assert_str_eq(db_severity_name(DB_SEVERITY_CRITICAL), "critical");
	ck_assert_str_eq(db_health_kind_name(DB_HEALTH_API), "api");
}
END_TEST

static Suite *
db_suite(void)
{
	Suite	*s = suite_create("db");
	TCase	*tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_reopen);
	tcase_add_test(tc, test_missing_parent);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_garbage_refused);
	tcase_add_test(tc, test_corrupt_refused);
	tcase_add_test(tc, test_migrate_from_v0);
	tcase_add_test(tc, test_migration_atomic);
	tcase_add_test(tc, test_kill_mid_transaction);
	tcase_add_test(tc, test_busy_waits);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_versions_applied);
	tcase_add_test(tc, test_strings_are_parameters);
	tcase_add_test(tc, test_drift_lifecycle);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_health_latency_prune);
	tcase_add_test(tc, test_event_idempotent);
	tcase_add_test(tc, test_outbox_lifecycle);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(LOG_LEVEL_WARN, "check_db");
	sr = srunner_create(db_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
