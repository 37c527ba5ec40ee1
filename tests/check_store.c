/* check_store.c: the store over real git repositories and directories. */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <ldns/ldns.h>

#include "log.h"
#include "store.h"
#include "xmalloc.h"
#include "zone.h"

#define ZONE_GOOD \
	"$ORIGIN example.com.\n" \
	"$TTL 3600\n" \
	"@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n" \
	"@ IN NS ns1.example.com.\n" \
	"ns1 IN A 192.0.2.1\n" \
	"www IN A 192.0.2.10\n"
/* Line 6 is broken. */
#define ZONE_BROKEN \
	"$ORIGIN example.com.\n" \
	"$TTL 3600\n" \
	"@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n" \
	"@ IN NS ns1.example.com.\n" \
	"ns1 IN A 192.0.2.1\n" \
	"www IN A 999.0.2.10\n"
#define ZONE_FIXED \
	"$ORIGIN example.com.\n" \
	"$TTL 3600\n" \
	"@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n" \
	"@ IN NS ns1.example.com.\n" \
	"ns1 IN A 192.0.2.1\n" \
	"www IN A 192.0.2.20\n"
#define ZONE_INCLUDE(f) \
	"$ORIGIN example.com.\n" \
	"$TTL 3600\n" \
	"@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n" \
	"@ IN NS ns1.example.com.\n" \
	"$INCLUDE " f "\n"
/* No $ORIGIN: relative to the origin the zone is loaded for. */
#define ZONE_NET \
	"$TTL 3600\n" \
	"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n" \
	"@ IN NS ns1\n" \
	"ns1 IN A 192.0.2.53\n"
#define HOSTS_INC \
	"ns1.example.com. 3600 IN A 192.0.2.1\n" \
	"www.example.com. 3600 IN A 192.0.2.30\n"

#define AUTHOR_NAME	"Alice Example"
#define AUTHOR_EMAIL	"alice@example.com"
#define AUTHOR		AUTHOR_NAME " <" AUTHOR_EMAIL ">"

/* --- helpers ------------------------------------------------------------ */

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return (rmdir(path));
	return (unlink(path));
}

static char *
tmpdir_new(void)
{
	char	*d;

	d = xstrdup("/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return (d);
}

static void
tmpdir_free(char *d)
{
	ck_assert_int_eq(nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(d);
}

static void
file_write(const char *dir, const char *name, const char *content)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

/* The rdata of the one A record at owner, or NULL. */
static const char *
zone_a(const struct zone *z, const char *owner)
{
	const struct rrset	*rs;

	if (z == NULL)
		return (NULL);
	rs = zone_find(z, owner, LDNS_RR_TYPE_A);
	if (rs == NULL || rs->nrdata != 1)
		return (NULL);
	return (rs->rdata[0].text);
}

static int
is_hex(const char *s, size_t len)
{
	size_t	i;

	if (strlen(s) != len)
		return (0);
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return (0);
	}
	return (1);
}

/* A scratch repository, committed into through an in-memory index. */
struct trepo {
	char		*tmp;
	char		*path;		/* the repository (workdir or bare) */
	git_repository	*repo;
	git_index	*idx;
	int		 ncommits;
};

static void
trepo_init(struct trepo *t, int bare)
{
	memset(t, 0, sizeof(*t));
	t->tmp = tmpdir_new();
	xasprintf(&t->path, "%s/%s", t->tmp, bare ? "zones.git" : "zones");
	ck_assert_int_eq(git_repository_init(&t->repo, t->path, bare), 0);
	ck_assert_int_eq(git_repository_is_bare(t->repo), bare);
	ck_assert_int_eq(git_index_new(&t->idx), 0);
}

static void
trepo_put(struct trepo *t, const char *path, const char *content,
    git_filemode_t mode)
{
	git_index_entry	e;

	memset(&e, 0, sizeof(e));
	e.path = path;
	e.mode = mode;
	ck_assert_int_eq(git_blob_create_from_buffer(&e.id, t->repo, content,
	    strlen(content)), 0);
	ck_assert_int_eq(git_index_add(t->idx, &e), 0);
}

/* Commit the index on HEAD's branch; the id goes to id (41 bytes). */
static void
trepo_commit(struct trepo *t, const char *msg, char *id)
{
	git_oid		 tree_oid, oid;
	git_tree	*tree;
	git_commit	*parent = NULL;
	git_signature	*sig;
	const git_commit *parents[1];

	ck_assert_int_eq(git_index_write_tree_to(&tree_oid, t->idx, t->repo),
	    0);
	ck_assert_int_eq(git_tree_lookup(&tree, t->repo, &tree_oid), 0);
	if (git_reference_name_to_id(&oid, t->repo, "HEAD") == 0)
		ck_assert_int_eq(git_commit_lookup(&parent, t->repo, &oid), 0);
	ck_assert_int_eq(git_signature_new(&sig, AUTHOR_NAME, AUTHOR_EMAIL,
	    1700000000 + t->ncommits, 60), 0);
	parents[0] = parent;
	ck_assert_int_eq(git_commit_create(&oid, t->repo, "HEAD", sig, sig,
	    NULL, msg, tree, parent != NULL ? 1 : 0, parents), 0);
	t->ncommits++;
	git_oid_tostr(id, 41, &oid);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
}

static void
trepo_free(struct trepo *t)
{
	git_index_free(t->idx);
	git_repository_free(t->repo);
	free(t->path);
	tmpdir_free(t->tmp);
}

static struct store *
open_ok(enum store_kind kind, const char *path, const char *ref)
{
	struct store	*st;
	char		 err[512] = "";

	st = store_open(kind, path, ref, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open: %s", err);
	return (st);
}

static int
refresh(struct store *st)
{
	char	err[512] = "";
	int	rv;

	rv = store_refresh(st, err, sizeof(err));
	ck_assert_msg(rv >= 0, "store_refresh: %s", err);
	return (rv);
}

/* --- git ------------------------------------------------------------------ */

static void
git_load(int bare)
{
	struct trepo			 t;
	struct store			*st;
	struct store_zone		*z;
	const struct store_version	*cur;
	struct zone			*before;
	char				 c1[41];

	trepo_init(&t, bare);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "Add example.com\n\nWith a body.\n", c1);

	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	ck_assert_ptr_null(store_current(st));
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_null(z->zone);

	ck_assert_int_eq(refresh(st), 1);
	cur = store_current(st);
	ck_assert_ptr_nonnull(cur);
	ck_assert_str_eq(cur->id, c1);
	ck_assert_int_eq(is_hex(cur->id, 40), 1);
	ck_assert_str_eq(cur->author, AUTHOR);
	ck_assert_str_eq(cur->summary, "Add example.com");
	ck_assert_int_eq(cur->time, 1700000000);

	ck_assert_ptr_nonnull(z->zone);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(z->version.author, AUTHOR);
	ck_assert_str_eq(z->version.summary, "Add example.com");
	ck_assert_int_eq(z->version.time, 1700000000);
	ck_assert_str_eq(z->zone->origin, "example.com.");
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");
	ck_assert_str_eq(zone_a(z->zone, "ns1.example.com."), "192.0.2.1");

	/* No new commit: nothing moves, the zone object stays. */
	before = z->zone;
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_ptr_eq(z->zone, before);
	ck_assert_str_eq(store_current(st)->id, c1);

	store_close(st);
	trepo_free(&t);
}

START_TEST(test_git_bare_load)
{
	git_load(1);
}
END_TEST

START_TEST(test_git_nonbare_load)
{
	git_load(0);
}
END_TEST

START_TEST(test_git_broken_then_fixed)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	char			 c1[41], c2[41], c3[41], buf[1100];

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);
	st = open_ok(STORE_KIND_GIT, t.path, NULL);
	z = store_add_zone(st, "example.com", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);

	trepo_put(&t, "example.com.zone", ZONE_BROKEN, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "break it", c2);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(store_current(st)->id, c2);
	ck_assert_str_eq(store_current(st)->summary, "break it");
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->failed_version, c2);
	ck_assert_str_eq(z->error.file, "example.com.zone");
	ck_assert_uint_eq(z->error.line, 6);
	ck_assert_int_gt(strlen(z->error.msg), 0);
	zone_error_str(&z->error, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "example.com.zone:6: ", 20) == 0,
	    "error is \"%s\"", buf);
	/* The last good version stays in force. */
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(z->version.summary, "good");
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");

	/* Still broken, same commit: not tried again. */
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);

	trepo_put(&t, "example.com.zone", ZONE_FIXED, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "fix it", c3);
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->failed_version, "");
	ck_assert_str_eq(z->error.msg, "");
	ck_assert_uint_eq(z->error.line, 0);
	ck_assert_str_eq(z->version.id, c3);
	ck_assert_str_eq(z->version.summary, "fix it");
	ck_assert_int_eq(z->version.time, 1700000002);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.20");

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_broken_first)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	char			 c1[41];

	/* Broken from the start: no zone at all, failed set. */
	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_BROKEN, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "broken", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_ptr_null(z->zone);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->failed_version, c1);
	ck_assert_str_eq(z->version.id, "");
	ck_assert_uint_eq(z->error.line, 6);
	ck_assert_str_eq(store_current(st)->id, c1);
	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_missing_file)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	char			 c1[41];

	trepo_init(&t, 1);
	trepo_put(&t, "other.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "other", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_ptr_nonnull(strstr(z->error.msg, "no such file"));
	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_include)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	char			 c1[41], c2[41];

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_INCLUDE("inc/hosts.inc"),
	    GIT_FILEMODE_BLOB);
	trepo_put(&t, "inc/hosts.inc", HOSTS_INC, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "with include", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.30");
	ck_assert_str_eq(z->version.id, c1);

	/* An $INCLUDE of a file that is not in the commit fails. */
	trepo_put(&t, "example.com.zone", ZONE_INCLUDE("inc/nope.inc"),
	    GIT_FILEMODE_BLOB);
	trepo_commit(&t, "bad include", c2);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->failed_version, c2);
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.30");

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_symlink)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z1, *z2, *z3;
	char			 c1[41];

	trepo_init(&t, 1);
	/* The zone file itself a symlink (to a real file in the tree). */
	trepo_put(&t, "real.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_put(&t, "example.com.zone", "real.zone", GIT_FILEMODE_LINK);
	/* A symlinked directory on the way. */
	trepo_put(&t, "dir", "/etc", GIT_FILEMODE_LINK);
	/* An $INCLUDE of a symlink. */
	trepo_put(&t, "example.net.zone", ZONE_INCLUDE("passwd"),
	    GIT_FILEMODE_BLOB);
	trepo_put(&t, "passwd", "/etc/passwd", GIT_FILEMODE_LINK);
	trepo_commit(&t, "links", c1);

	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z1 = store_add_zone(st, "example.info.", "example.com.zone");
	z2 = store_add_zone(st, "example.org.", "dir/example.org.zone");
	z3 = store_add_zone(st, "example.com.", "example.net.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z1->failed, 1);
	ck_assert_ptr_null(z1->zone);
	ck_assert_str_eq(z1->error.msg, "symbolic link refused");
	ck_assert_int_eq(z2->failed, 1);
	ck_assert_str_eq(z2->error.msg, "dir is a symbolic link; refused");
	ck_assert_int_eq(z3->failed, 1);
	ck_assert_ptr_null(z3->zone);
	ck_assert_msg(strstr(z3->error.msg, "symbolic link") != NULL,
	    "error is \"%s\"", z3->error.msg);

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_not_blob)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	char			 c1[41];

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone/x", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "dir", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->error.msg, "is a directory");
	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_bad_ref)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	git_reference		*br;
	git_commit		*head;
	git_oid			 oid;
	char			 c1[41], err[512];
	char			 *dir;

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);

	memset(err, 0, sizeof(err));
	st = store_open(STORE_KIND_GIT, t.path, "refs/heads/nope", err,
	    sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "ref 'refs/heads/nope' not found") != NULL,
	    "err is \"%s\"", err);

	/* Not a repository at all. */
	dir = tmpdir_new();
	memset(err, 0, sizeof(err));
	ck_assert_ptr_null(store_open(STORE_KIND_GIT, dir, "HEAD", err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "cannot open git repository") != NULL,
	    "err is \"%s\"", err);
	tmpdir_free(dir);

	/* A branch that goes away after the store was opened. */
	ck_assert_int_eq(git_reference_name_to_id(&oid, t.repo, "HEAD"), 0);
	ck_assert_int_eq(git_commit_lookup(&head, t.repo, &oid), 0);
	ck_assert_int_eq(git_branch_create(&br, t.repo, "release", head, 0),
	    0);
	git_commit_free(head);
	st = open_ok(STORE_KIND_GIT, t.path, "release");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	/* git_branch_delete leaks inside libgit2 1.5 (config regex). */
	ck_assert_int_eq(git_reference_delete(br), 0);
	git_reference_free(br);

	memset(err, 0, sizeof(err));
	ck_assert_int_eq(store_refresh(st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "ref 'release' not found") != NULL,
	    "err is \"%s\"", err);
	/* Nothing changed. */
	ck_assert_str_eq(store_current(st)->id, c1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_ref_forms)
{
	struct trepo		 t;
	struct store		*s1, *s2, *s3;
	git_reference		*br;
	git_commit		*head;
	git_oid			 oid;
	char			 c1[41], c2[41];

	trepo_init(&t, 0);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);
	ck_assert_int_eq(git_reference_name_to_id(&oid, t.repo, "HEAD"), 0);
	ck_assert_int_eq(git_commit_lookup(&head, t.repo, &oid), 0);
	ck_assert_int_eq(git_branch_create(&br, t.repo, "release", head, 0),
	    0);
	git_commit_free(head);
	git_reference_free(br);

	s1 = open_ok(STORE_KIND_GIT, t.path, "release");
	s2 = open_ok(STORE_KIND_GIT, t.path, "refs/heads/release");
	s3 = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	store_add_zone(s1, "example.com.", "example.com.zone");
	store_add_zone(s2, "example.com.", "example.com.zone");
	store_add_zone(s3, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(s1), 1);
	ck_assert_int_eq(refresh(s2), 1);
	ck_assert_int_eq(refresh(s3), 1);
	ck_assert_str_eq(store_current(s1)->id, c1);
	ck_assert_str_eq(store_current(s2)->id, c1);

	/* A commit on HEAD's branch does not move "release". */
	trepo_put(&t, "example.com.zone", ZONE_FIXED, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "on the default branch", c2);
	ck_assert_int_eq(refresh(s1), 0);
	ck_assert_int_eq(refresh(s2), 0);
	ck_assert_int_eq(refresh(s3), 1);
	ck_assert_str_eq(store_current(s1)->id, c1);
	ck_assert_str_eq(store_current(s3)->id, c2);
	ck_assert_str_eq(zone_a(store_find_zone(s1, "example.com.")->zone,
	    "www.example.com."), "192.0.2.10");
	ck_assert_str_eq(zone_a(store_find_zone(s3, "example.com.")->zone,
	    "www.example.com."), "192.0.2.20");

	store_close(s1);
	store_close(s2);
	store_close(s3);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_uncommitted)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	git_index		*wtidx;
	char			 c1[41];

	trepo_init(&t, 0);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);

	/* Edit the work tree, and even stage it: nothing goes live. */
	file_write(t.path, "example.com.zone", ZONE_FIXED);
	file_write(t.path, "example.net.zone", ZONE_GOOD);
	ck_assert_int_eq(git_repository_index(&wtidx, t.repo), 0);
	ck_assert_int_eq(git_index_add_bypath(wtidx, "example.com.zone"), 0);
	ck_assert_int_eq(git_index_write(wtidx), 0);
	git_index_free(wtidx);

	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");

	/* A zone only in the work tree is not found. */
	z = store_add_zone(st, "example.net.", "example.net.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->error.msg, "no such file in the commit");

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_same_content)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	struct zone		*before;
	char			 c1[41], c2[41];

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	before = z->zone;

	/* A commit that does not touch the zone: version moves, zone not. */
	trepo_put(&t, "README", "notes\n", GIT_FILEMODE_BLOB);
	trepo_put(&t, "example.net.zone", ZONE_NET, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "docs", c2);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_ptr_eq(z->zone, before);
	ck_assert_str_eq(z->version.id, c2);
	ck_assert_str_eq(z->version.summary, "docs");
	ck_assert_str_eq(store_current(st)->id, c2);
	ck_assert_int_eq(store_current(st)->time, 1700000001);

	/* A zone added later loads at the current version. */
	z = store_add_zone(st, "example.net.", "example.net.zone");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->version.id, c2);
	ck_assert_int_eq(z->version.time, 1700000001);
	ck_assert_str_eq(zone_a(z->zone, "ns1.example.net."), "192.0.2.53");
	ck_assert_int_eq(refresh(st), 0);

	store_close(st);
	trepo_free(&t);
}
END_TEST

START_TEST(test_git_back_to_good)
{
	struct trepo		 t;
	struct store		*st;
	struct store_zone	*z;
	git_reference		*head, *moved;
	git_oid			 oid;
	char			 c1[41], c2[41];

	trepo_init(&t, 1);
	trepo_put(&t, "example.com.zone", ZONE_GOOD, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "good", c1);
	st = open_ok(STORE_KIND_GIT, t.path, "HEAD");
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	trepo_put(&t, "example.com.zone", ZONE_BROKEN, GIT_FILEMODE_BLOB);
	trepo_commit(&t, "broken", c2);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);

	/* The branch is reset to the good commit: failed clears. */
	ck_assert_int_eq(git_oid_fromstr(&oid, c1), 0);
	ck_assert_int_eq(git_repository_head(&head, t.repo), 0);
	ck_assert_int_eq(git_reference_set_target(&moved, head, &oid, "reset"),
	    0);
	git_reference_free(moved);
	git_reference_free(head);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->version.id, c1);
	ck_assert_str_eq(store_current(st)->id, c1);

	store_close(st);
	trepo_free(&t);
}
END_TEST

/* --- directory ---------------------------------------------------------- */

START_TEST(test_dir_load)
{
	struct store		*st;
	struct store_zone	*z;
	struct zone		*before;
	char			*d, *path, v1[STORE_VERSION_MAX];
	char			 v2[STORE_VERSION_MAX];
	struct timespec		 ts[2];

	d = tmpdir_new();
	file_write(d, "example.com.zone", ZONE_GOOD);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(is_hex(store_current(st)->id, 64), 1);
	ck_assert_ptr_null(store_current(st)->author);
	ck_assert_ptr_null(store_current(st)->summary);
	ck_assert_int_gt(store_current(st)->time, 0);
	ck_assert_str_eq(z->version.id, store_current(st)->id);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");
	snprintf(v1, sizeof(v1), "%s", z->version.id);
	before = z->zone;

	ck_assert_int_eq(refresh(st), 0);

	/* mtime alone: same version. */
	xasprintf(&path, "%s/example.com.zone", d);
	ts[0].tv_sec = ts[1].tv_sec = 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(store_current(st)->id, v1);
	ck_assert_ptr_eq(z->zone, before);

	/* Dot-files and dot-dirs do not count. */
	file_write(d, ".hidden", "x");
	free(path);
	xasprintf(&path, "%s/.git", d);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	file_write(path, "HEAD", "ref: refs/heads/main\n");
	free(path);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(store_current(st)->id, v1);

	/* Content: new version, new zone. */
	file_write(d, "example.com.zone", ZONE_FIXED);
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_str_ne(store_current(st)->id, v1);
	ck_assert_int_eq(is_hex(store_current(st)->id, 64), 1);
	ck_assert_str_eq(z->version.id, store_current(st)->id);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.20");
	snprintf(v2, sizeof(v2), "%s", z->version.id);

	/* Broken: old zone in force, failed set. */
	file_write(d, "example.com.zone", ZONE_BROKEN);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z->failed, 1);
	ck_assert_str_eq(z->failed_version, store_current(st)->id);
	ck_assert_str_eq(z->version.id, v2);
	ck_assert_str_eq(z->error.file, "example.com.zone");
	ck_assert_uint_eq(z->error.line, 6);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.20");

	/* Back to the same bytes: the same version id as before. */
	file_write(d, "example.com.zone", ZONE_GOOD);
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(store_current(st)->id, v1);

	store_close(st);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_dir_hash_exact)
{
	struct store	*st;
	char		*d, *sub;

	/* SHA-256("a" NUL be64(1) "x" "sub/b" NUL be64(0)). */
	d = tmpdir_new();
	file_write(d, "a", "x");
	xasprintf(&sub, "%s/sub", d);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	file_write(sub, "b", "");
	file_write(sub, ".swp", "ignored");
	free(sub);
	xasprintf(&sub, "%s/link", d);
	ck_assert_int_eq(symlink("a", sub), 0);
	free(sub);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(store_current(st)->id,
	    "53cdd9c1c46710c70aa57eb3d82127a364f754d4d9846e544dc93806af529d28");
	store_close(st);
	tmpdir_free(d);

	/* Empty directory: SHA-256 of nothing. */
	d = tmpdir_new();
	st = open_ok(STORE_KIND_DIR, d, NULL);
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_str_eq(store_current(st)->id,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	store_close(st);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_dir_include)
{
	struct store		*st;
	struct store_zone	*z;
	char			*d, *sub;

	d = tmpdir_new();
	xasprintf(&sub, "%s/inc", d);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	file_write(d, "example.com.zone", ZONE_INCLUDE("inc/hosts.inc"));
	file_write(sub, "hosts.inc", HOSTS_INC);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.30");

	/* Changing only the included file moves the version and the zone. */
	file_write(sub, "hosts.inc", "www.example.com. 3600 IN A 192.0.2.31\n"
	    "ns1.example.com. 3600 IN A 192.0.2.1\n");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.31");

	free(sub);
	store_close(st);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_dir_symlink)
{
	struct store		*st;
	struct store_zone	*z1, *z2, *z3, *z4;
	char			*d, *out, *p, *q;

	d = tmpdir_new();
	out = tmpdir_new();
	file_write(out, "example.com.zone", ZONE_GOOD);
	file_write(out, "secret", "www.example.com. 3600 IN A 192.0.2.66\n");

	/* The zone file a symlink pointing outside the store. */
	xasprintf(&p, "%s/example.com.zone", out);
	xasprintf(&q, "%s/example.com.zone", d);
	ck_assert_int_eq(symlink(p, q), 0);
	free(p);
	free(q);
	/* A directory symlink pointing outside. */
	xasprintf(&q, "%s/zones", d);
	ck_assert_int_eq(symlink(out, q), 0);
	free(q);
	/* An $INCLUDE through a symlink pointing outside. */
	file_write(d, "example.net.zone", ZONE_INCLUDE("secret"));
	xasprintf(&p, "%s/secret", out);
	xasprintf(&q, "%s/secret", d);
	ck_assert_int_eq(symlink(p, q), 0);
	free(p);
	free(q);
	/* A fifo: never opened. */
	xasprintf(&q, "%s/fifo.zone", d);
	ck_assert_int_eq(mkfifo(q, 0600), 0);
	free(q);

	st = open_ok(STORE_KIND_DIR, d, NULL);
	z1 = store_add_zone(st, "example.info.", "example.com.zone");
	z2 = store_add_zone(st, "example.org.", "zones/example.com.zone");
	z3 = store_add_zone(st, "example.com.", "example.net.zone");
	z4 = store_add_zone(st, "example.biz.", "fifo.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z1->failed, 1);
	ck_assert_ptr_null(z1->zone);
	ck_assert_str_eq(z1->error.msg, "symbolic link refused");
	ck_assert_int_eq(z2->failed, 1);
	ck_assert_str_eq(z2->error.msg, "zones is a symbolic link; refused");
	ck_assert_int_eq(z3->failed, 1);
	ck_assert_ptr_null(z3->zone);
	ck_assert_msg(strstr(z3->error.msg, "symbolic link") != NULL,
	    "error is \"%s\"", z3->error.msg);
	ck_assert_int_eq(z4->failed, 1);
	ck_assert_str_eq(z4->error.msg, "not a regular file");

	store_close(st);
	tmpdir_free(out);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_dir_gone)
{
	struct store		*st;
	struct store_zone	*z;
	char			*d, *dcopy, v1[STORE_VERSION_MAX], err[512];

	d = tmpdir_new();
	file_write(d, "example.com.zone", ZONE_GOOD);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	z = store_add_zone(st, "example.com.", "example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	snprintf(v1, sizeof(v1), "%s", store_current(st)->id);

	dcopy = xstrdup(d);
	tmpdir_free(d);
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(store_refresh(st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot open directory store") != NULL,
	    "err is \"%s\"", err);
	ck_assert_str_eq(store_current(st)->id, v1);
	ck_assert_int_eq(z->failed, 0);
	ck_assert_str_eq(z->version.id, v1);
	ck_assert_str_eq(zone_a(z->zone, "www.example.com."), "192.0.2.10");
	store_close(st);

	memset(err, 0, sizeof(err));
	ck_assert_ptr_null(store_open(STORE_KIND_DIR, dcopy, NULL, err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "cannot open directory store") != NULL,
	    "err is \"%s\"", err);
	free(dcopy);
}
END_TEST

START_TEST(test_dir_unreadable)
{
	struct store	*st;
	char		*d, *p, err[512];

	if (geteuid() == 0)
		return;		/* root reads everything */
	d = tmpdir_new();
	file_write(d, "example.com.zone", ZONE_GOOD);
	file_write(d, "locked", "x");
	xasprintf(&p, "%s/locked", d);
	ck_assert_int_eq(chmod(p, 0), 0);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	store_add_zone(st, "example.com.", "example.com.zone");
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(store_refresh(st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot open locked") != NULL,
	    "err is \"%s\"", err);
	ck_assert_ptr_null(store_current(st));
	ck_assert_ptr_null(store_find_zone(st, "example.com.")->zone);
	store_close(st);
	free(p);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_path_refusals)
{
	struct store		*st;
	struct store_zone	*z1, *z2, *z3;
	char			*d;

	d = tmpdir_new();
	file_write(d, ".example.com.zone", ZONE_GOOD);
	file_write(d, "example.com.zone", ZONE_GOOD);
	st = open_ok(STORE_KIND_DIR, d, NULL);
	z1 = store_add_zone(st, "example.com.", ".example.com.zone");
	z2 = store_add_zone(st, "example.net.", "../example.com.zone");
	ck_assert_int_eq(refresh(st), 0);
	ck_assert_int_eq(z1->failed, 1);
	ck_assert_ptr_nonnull(strstr(z1->error.msg,
	    "names starting with '.' are not part of the store"));
	ck_assert_int_eq(z2->failed, 1);
	ck_assert_ptr_null(z2->zone);
	store_close(st);

	/* "." and empty components are fine. */

	st = open_ok(STORE_KIND_DIR, d, NULL);
	z3 = store_add_zone(st, "example.com.", ".//example.com.zone");
	ck_assert_int_eq(refresh(st), 1);
	ck_assert_int_eq(z3->failed, 0);
	store_close(st);
	tmpdir_free(d);
}
END_TEST

/* --- bookkeeping -------------------------------------------------------- */

START_TEST(test_zones_lookup)
{
	struct store		*st;
	struct store_zone	*a, *b;
	char			*d;

	d = tmpdir_new();
	st = open_ok(STORE_KIND_DIR, d, NULL);
	ck_assert_uint_eq(store_nzones(st), 0);
	a = store_add_zone(st, "Example.COM", "a.zone");
	b = store_add_zone(st, "example.net.", "b.zone");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(a->origin, "example.com.");
	ck_assert_str_eq(a->file, "a.zone");
	ck_assert_ptr_null(store_add_zone(st, "example.com.", "c.zone"));
	ck_assert_ptr_null(store_add_zone(st, "", "c.zone"));
	ck_assert_uint_eq(store_nzones(st), 2);
	ck_assert_ptr_eq(store_zone_at(st, 0), a);
	ck_assert_ptr_eq(store_zone_at(st, 1), b);
	ck_assert_ptr_null(store_zone_at(st, 2));
	ck_assert_ptr_eq(store_find_zone(st, "example.com"), a);
	ck_assert_ptr_eq(store_find_zone(st, "EXAMPLE.com."), a);
	ck_assert_ptr_eq(store_find_zone(st, "example.net."), b);
	ck_assert_ptr_null(store_find_zone(st, "example.org."));
	store_close(st);
	tmpdir_free(d);
}
END_TEST

START_TEST(test_version_copy)
{
	struct store_version	a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	snprintf(a.id, sizeof(a.id), "%s", "0123456789abcdef");
	a.author = xstrdup(AUTHOR);
	a.summary = xstrdup("summary");
	a.time = 42;
	b.author = xstrdup("old");	/* freed by the copy */
	store_version_copy(&b, &a);
	ck_assert_str_eq(b.id, "0123456789abcdef");
	ck_assert_str_eq(b.author, AUTHOR);
	ck_assert_ptr_ne(b.author, a.author);
	ck_assert_str_eq(b.summary, "summary");
	ck_assert_int_eq(b.time, 42);
	store_version_copy(&b, &b);
	ck_assert_str_eq(b.author, AUTHOR);
	store_version_clear(&a);
	ck_assert_str_eq(a.id, "");
	ck_assert_ptr_null(a.author);
	ck_assert_ptr_null(a.summary);
	ck_assert_int_eq(a.time, 0);
	store_version_copy(&b, &a);
	ck_assert_ptr_null(b.author);
	ck_assert_str_eq(b.id, "");
	store_version_clear(&b);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");

	tc = tcase_create("git");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_git_bare_load);
	tcase_add_test(tc, test_git_nonbare_load);
	tcase_add_test(tc, test_git_broken_then_fixed);
	tcase_add_test(tc, test_git_broken_first);
	tcase_add_test(tc, test_git_missing_file);
	tcase_add_test(tc, test_git_include);
	tcase_add_test(tc, test_git_symlink);
	tcase_add_test(tc, test_git_not_blob);
	tcase_add_test(tc, test_git_bad_ref);
	tcase_add_test(tc, test_git_ref_forms);
	tcase_add_test(tc, test_git_uncommitted);
	tcase_add_test(tc, test_git_same_content);
	tcase_add_test(tc, test_git_back_to_good);
	suite_add_tcase(s, tc);

	tc = tcase_create("dir");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dir_load);
	tcase_add_test(tc, test_dir_hash_exact);
	tcase_add_test(tc, test_dir_include);
	tcase_add_test(tc, test_dir_symlink);
	tcase_add_test(tc, test_dir_gone);
	tcase_add_test(tc, test_dir_unreadable);
	tcase_add_test(tc, test_path_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, test_zones_lookup);
	tcase_add_test(tc, test_version_copy);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(LOG_LEVEL_ERROR, "check_store");
	git_libgit2_init();
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	git_libgit2_shutdown();
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
