/*
 * store.c: the source of truth, a git ref (libgit2) or a plain directory.
 *
 * A refresh first finds the store's current version: the commit the ref
 * names, or a SHA-256 over a snapshot of the directory taken in one pass.
 * Each zone is then loaded through a zone_source over that one version
 * (the commit's tree, or the snapshot), so what is loaded is exactly what
 * the version id names, and $INCLUDE can never leave the store.
 *
 * Both sources refuse the same things: symbolic links, anything that is
 * not a regular file, names starting with '.', and files over
 * STORE_FILE_MAX.  Uncommitted changes in a work tree are never seen.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>

#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_PATH_MAX		4096		/* a relative path in the store */
#define STORE_FILE_MAX		(64UL << 20)	/* one file or blob */
#define STORE_DIR_TOTAL_MAX	(256UL << 20)	/* a directory snapshot */
#define STORE_DIR_ENTRIES_MAX	100000		/* entries in a directory store */
#define STORE_DIR_DEPTH_MAX	32		/* directory nesting */
#define STORE_TEXT_MAX		1024		/* author, summary */

struct store {
	enum store_kind		 kind;
	char			*path;
	char			*ref;		/* git only */
	git_repository		*repo;		/* git only */

	int			 have_current;
	struct store_version	 current;

	struct store_zone	**zones;	/* pointers stay valid */
	size_t			 nzones;
};

/* One entry of a directory snapshot. */
enum store_entry_kind {
	STORE_ENTRY_FILE,	/* a regular file, content held */
	STORE_ENTRY_BIG,	/* a regular file over STORE_FILE_MAX */
	STORE_ENTRY_LINK,	/* a symbolic link */
	STORE_ENTRY_DIR,
	STORE_ENTRY_OTHER,	/* fifo, socket, device */
};

struct store_entry {
	char			*path;
	enum store_entry_kind	 kind;
	char			*data;		/* FILE: NUL-terminated */
	size_t			 len;
};

struct store_snap {
	struct store_entry	*entries;	/* sorted by path */
	size_t			 nentries;
	size_t			 centries;	/* allocated */
	size_t			 total;		/* bytes of content held */
};

struct store_git_src {
	git_repository		*repo;
	git_tree		*tree;
};

static void	store_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
store_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *
store_git_strerror(void)
{
	const git_error	*e;

	e = git_error_last();
	if (e == NULL || e->message == NULL)
		return ("unknown libgit2 error");
	return (e->message);
}

void
store_version_clear(struct store_version *v)
{
	free(v->author);
	free(v->summary);
	memset(v, 0, sizeof(*v));
}

/* dst must be zeroed or hold a version; its old contents are freed. */
void
store_version_copy(struct store_version *dst, const struct store_version *src)
{
	if (dst == src)
		return;
	store_version_clear(dst);
	memcpy(dst->id, src->id, sizeof(dst->id));
	dst->id[sizeof(dst->id) - 1] = '\0';
	dst->author = src->author != NULL ? xstrdup(src->author) : NULL;
	dst->summary = src->summary != NULL ? xstrdup(src->summary) : NULL;
	dst->time = src->time;
}

/*
 * Text from a commit goes into logs and the control socket: keep it to one
 * line of bounded length without control characters.
 */
static char *
store_clean_text(const char *s, size_t len)
{
	char	*out;
	size_t	 i;

	if (len > STORE_TEXT_MAX)
		len = STORE_TEXT_MAX;
	out = xstrndup(s, len);
	for (i = 0; out[i] != '\0'; i++) {
		if (iscntrl((unsigned char)out[i]))
			out[i] = '?';
	}
	return (out);
}

/*
 * Normalise a path handed to a source: drop empty and "." components;
 * refuse "..", absolute paths and names starting with '.' (they are not part
 * of a directory store, so they are not part of a git one either).
 */
static int
store_path_norm(const char *path, char **out, struct zone_error *err)
{
	char		*buf;
	const char	*p, *e;
	size_t		 n, len, off = 0;

	len = strlen(path);
	if (len == 0 || len >= STORE_PATH_MAX) {
		zone_error_set(err, path, 0, "invalid path in store");
		return (-1);
	}
	if (path[0] == '/') {
		zone_error_set(err, path, 0, "absolute path refused");
		return (-1);
	}
	buf = xmalloc(len + 1);
	for (p = path; *p != '\0'; p = e) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		n = e - p;
		if (n == 1 && p[0] == '.')
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			zone_error_set(err, path, 0,
			    "path leaves the store; refused");
			free(buf);
			return (-1);
		}
		if (p[0] == '.') {
			zone_error_set(err, path, 0,
			    "names starting with '.' are not part of the store");
			free(buf);
			return (-1);
		}
		if (off != 0)
			buf[off++] = '/';
		memcpy(buf + off, p, n);
		off += n;
	}
	buf[off] = '\0';
	if (off == 0) {
		zone_error_set(err, path, 0, "invalid path in store");
		free(buf);
		return (-1);
	}
	*out = buf;
	return (0);
}

/* --- git --------------------------------------------------------------- */

/*
 * A path was not found in the tree: say so, or that one of its parent
 * components is a symbolic link.
 */
static void
store_git_notfound(git_tree *tree, const char *path, struct zone_error *err)
{
	git_tree_entry	*te;
	char		*prefix, *slash;
	int		 link = 0;

	prefix = xstrdup(path);
	slash = prefix;
	while ((slash = strchr(slash, '/')) != NULL) {
		*slash = '\0';
		if (git_tree_entry_bypath(&te, tree, prefix) == 0) {
			if (git_tree_entry_filemode(te) == GIT_FILEMODE_LINK)
				link = 1;
			git_tree_entry_free(te);
		}
		if (link)
			break;
		*slash++ = '/';
	}
	if (link)
		zone_error_set(err, path, 0,
		    "%s is a symbolic link; refused", prefix);
	else
		zone_error_set(err, path, 0, "no such file in the commit");
	free(prefix);
}

static int
store_git_read(void *arg, const char *path, char **buf, size_t *len,
    struct zone_error *err)
{
	struct store_git_src	*gs = arg;
	git_tree_entry		*te = NULL;
	git_odb			*odb = NULL;
	git_blob		*blob = NULL;
	git_object_t		 type;
	size_t			 size;
	char			*norm, *out;
	int			 rv = -1;

	if (store_path_norm(path, &norm, err) != 0)
		return (-1);

	if (git_tree_entry_bypath(&te, gs->tree, norm) != 0) {
		store_git_notfound(gs->tree, norm, err);
		goto out;
	}
	switch (git_tree_entry_filemode(te)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		break;
	case GIT_FILEMODE_LINK:
		zone_error_set(err, path, 0, "symbolic link refused");
		goto out;
	case GIT_FILEMODE_TREE:
		zone_error_set(err, path, 0, "is a directory");
		goto out;
	case GIT_FILEMODE_COMMIT:
		zone_error_set(err, path, 0, "is a submodule; refused");
		goto out;
	default:
		zone_error_set(err, path, 0, "not a regular file");
		goto out;
	}

	/* Check the size before the blob is read into memory. */
	if (git_repository_odb(&odb, gs->repo) != 0 ||
	    git_odb_read_header(&size, &type, odb, git_tree_entry_id(te)) != 0) {
		zone_error_set(err, path, 0, "cannot read blob: %s",
		    store_git_strerror());
		goto out;
	}
	if (type != GIT_OBJECT_BLOB) {
		zone_error_set(err, path, 0, "not a blob");
		goto out;
	}
	if (size > STORE_FILE_MAX) {
		zone_error_set(err, path, 0, "file is %zu bytes, over the limit "
		    "of %lu", size, STORE_FILE_MAX);
		goto out;
	}
	if (git_blob_lookup(&blob, gs->repo, git_tree_entry_id(te)) != 0) {
		zone_error_set(err, path, 0, "cannot read blob: %s",
		    store_git_strerror());
		goto out;
	}
	size = (size_t)git_blob_rawsize(blob);
	if (size > STORE_FILE_MAX) {
		zone_error_set(err, path, 0, "file is over the size limit");
		goto out;
	}
	out = xmalloc(size + 1);
	memcpy(out, git_blob_rawcontent(blob), size);
	out[size] = '\0';
	*buf = out;
	*len = size;
	rv = 0;
out:
	git_blob_free(blob);
	git_odb_free(odb);
	git_tree_entry_free(te);
	free(norm);
	return (rv);
}

/* Resolve the ref to a commit; the caller frees it. */
static int
store_git_resolve(struct store *st, git_commit **out, char *err, size_t errlen)
{
	git_object	*obj = NULL, *peeled = NULL;

	if (git_revparse_single(&obj, st->repo, st->ref) != 0) {
		store_errf(err, errlen, "%s: ref '%s' not found: %s", st->path,
		    st->ref, store_git_strerror());
		return (-1);
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) {
		store_errf(err, errlen, "%s: ref '%s' does not name a commit: "
		    "%s", st->path, st->ref, store_git_strerror());
		git_object_free(obj);
		return (-1);
	}
	git_object_free(obj);
	*out = (git_commit *)peeled;
	return (0);
}

static void
store_git_version(git_commit *commit, struct store_version *v)
{
	const git_signature	*sig;
	const char		*msg, *eol;
	char			*s;
	size_t			 n;

	memset(v, 0, sizeof(*v));
	git_oid_tostr(v->id, sizeof(v->id), git_commit_id(commit));

	sig = git_commit_author(commit);
	if (sig != NULL) {
		xasprintf(&s, "%s <%s>", sig->name != NULL ? sig->name : "",
		    sig->email != NULL ? sig->email : "");
		v->author = store_clean_text(s, strlen(s));
		free(s);
	}

	msg = git_commit_message(commit);
	if (msg != NULL) {
		while (*msg == '\n' || *msg == '\r')
			msg++;
		eol = strchr(msg, '\n');
		n = eol != NULL ? (size_t)(eol - msg) : strlen(msg);
		while (n > 0 && isspace((unsigned char)msg[n - 1]))
			n--;
		v->summary = store_clean_text(msg, n);
	}
	v->time = (int64_t)git_commit_time(commit);
}

/* --- directory --------------------------------------------------------- */

static void
store_snap_free(struct store_snap *snap)
{
	size_t	i;

	for (i = 0; i < snap->nentries; i++) {
		free(snap->entries[i].path);
		free(snap->entries[i].data);
	}
	free(snap->entries);
	memset(snap, 0, sizeof(*snap));
}

static struct store_entry *
store_snap_add(struct store_snap *snap, const char *path,
    enum store_entry_kind kind)
{
	struct store_entry	*e;

	if (snap->nentries == snap->centries) {
		snap->centries = snap->centries == 0 ? 64 : snap->centries * 2;
		snap->entries = xreallocarray(snap->entries, snap->centries,
		    sizeof(*snap->entries));
	}
	e = &snap->entries[snap->nentries++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	e->kind = kind;
	return (e);
}

/*
 * Read one regular file (fd already checked).  Content up to STORE_FILE_MAX
 * is kept; a bigger file is only hashed, into e->data as a 32-byte digest.
 */
static int
store_dir_read_file(int fd, struct store_snap *snap, struct store_entry *e,
    const char *path, char *err, size_t errlen)
{
	EVP_MD_CTX	*md = NULL;
	char		*buf = NULL, chunk[65536];
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	unsigned	 dlen;

	for (;;) {
		if (md != NULL) {
			n = read(fd, chunk, sizeof(chunk));
			if (n > 0 && EVP_DigestUpdate(md, chunk, n) != 1)
				fatalx("store", "EVP_DigestUpdate failed");
		} else {
			if (len == cap) {
				cap = cap == 0 ? 8192 : cap * 2;
				if (cap > STORE_FILE_MAX + 1)
					cap = STORE_FILE_MAX + 1;
				buf = xreallocarray(buf, cap + 1, 1);
			}
			n = read(fd, buf + len, cap - len);
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			store_errf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (md != NULL)
			continue;
		len += n;
		if (len > STORE_FILE_MAX) {
			/* Too big to keep: hash the rest as a stream. */
			if ((md = EVP_MD_CTX_new()) == NULL)
				fatalx("store", "EVP_MD_CTX_new failed");
			if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
			    EVP_DigestUpdate(md, buf, len) != 1)
				fatalx("store", "SHA-256 failed");
			free(buf);
			buf = NULL;
		}
	}
	if (md != NULL) {
		e->kind = STORE_ENTRY_BIG;
		e->data = xmalloc(EVP_MAX_MD_SIZE);
		if (EVP_DigestFinal_ex(md, (unsigned char *)e->data,
		    &dlen) != 1)
			fatalx("store", "SHA-256 failed");
		e->len = dlen;
		EVP_MD_CTX_free(md);
		return (0);
	}
	if (snap->total + len > STORE_DIR_TOTAL_MAX) {
		store_errf(err, errlen, "directory store holds more than %lu "
		    "bytes", STORE_DIR_TOTAL_MAX);
		goto fail;
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	snap->total += len;
	e->data = buf;
	e->len = len;
	return (0);
fail:
	EVP_MD_CTX_free(md);
	free(buf);
	return (-1);
}

/* Walk one directory (dfd is consumed).  prefix is "" at the root. */
static int
store_dir_walk(int dfd, const char *prefix, int depth, struct store_snap *snap,
    char *err, size_t errlen)
{
	DIR			*dir;
	struct dirent		*de;
	struct stat		 sb;
	struct store_entry	*e;
	char			*path = NULL;
	int			 fd, rv = -1;

	if ((dir = fdopendir(dfd)) == NULL) {
		store_errf(err, errlen, "cannot read directory %s: %s",
		    *prefix == '\0' ? "." : prefix, strerror(errno));
		close(dfd);
		return (-1);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0) {
				store_errf(err, errlen, "cannot read directory "
				    "%s: %s", *prefix == '\0' ? "." : prefix,
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;	/* ., .., .git and other dot-files */
		if (snap->nentries >= STORE_DIR_ENTRIES_MAX) {
			store_errf(err, errlen, "directory store has more than "
			    "%d entries", STORE_DIR_ENTRIES_MAX);
			goto out;
		}
		free(path);
		if (*prefix == '\0')
			path = xstrdup(de->d_name);
		else
			xasprintf(&path, "%s/%s", prefix, de->d_name);
		if (strlen(path) >= STORE_PATH_MAX) {
			store_errf(err, errlen, "path too long: %.64s...", path);
			goto out;
		}
		if (fstatat(dirfd(dir), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;	/* removed while we looked */
			store_errf(err, errlen, "cannot stat %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (S_ISLNK(sb.st_mode)) {
			store_snap_add(snap, path, STORE_ENTRY_LINK);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (depth + 1 > STORE_DIR_DEPTH_MAX) {
				store_errf(err, errlen, "%s: directories nested "
				    "deeper than %d", path, STORE_DIR_DEPTH_MAX);
				goto out;
			}
			fd = openat(dirfd(dir), de->d_name,
			    O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
			if (fd == -1) {
				store_errf(err, errlen, "cannot open %s: %s",
				    path, strerror(errno));
				goto out;
			}
			store_snap_add(snap, path, STORE_ENTRY_DIR);
			if (store_dir_walk(fd, path, depth + 1, snap, err,
			    errlen) != 0)
				goto out;
			continue;
		}
		if (!S_ISREG(sb.st_mode)) {
			store_snap_add(snap, path, STORE_ENTRY_OTHER);
			continue;
		}
		/* O_NONBLOCK: never hang on a fifo swapped in meanwhile. */
		fd = openat(dirfd(dir), de->d_name,
		    O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC);
		if (fd == -1) {
			store_errf(err, errlen, "cannot open %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			close(fd);
			store_errf(err, errlen, "%s changed while reading the "
			    "store", path);
			goto out;
		}
		e = store_snap_add(snap, path, STORE_ENTRY_FILE);
		if (store_dir_read_file(fd, snap, e, path, err, errlen) != 0) {
			close(fd);
			goto out;
		}
		close(fd);
	}
	rv = 0;
out:
	free(path);
	closedir(dir);
	return (rv);
}

static int
store_entry_cmp(const void *a, const void *b)
{
	const struct store_entry	*ea = a, *eb = b;

	return (strcmp(ea->path, eb->path));
}

static void
store_hash_u64(EVP_MD_CTX *md, uint64_t v)
{
	unsigned char	b[8];
	int		i;

	for (i = 7; i >= 0; i--) {
		b[i] = v & 0xff;
		v >>= 8;
	}
	if (EVP_DigestUpdate(md, b, sizeof(b)) != 1)
		fatalx("store", "SHA-256 failed");
}

/*
 * Take a snapshot of the directory and its version: SHA-256 over every
 * regular file in path order, as path, NUL, 64-bit big-endian length,
 * content.  A file over STORE_FILE_MAX contributes path, NUL, all-ones
 * length and the SHA-256 of its content.  Symbolic links, directories and
 * other files are never read, and do not count.
 */
static int
store_dir_snapshot(struct store *st, struct store_snap *snap,
    struct store_version *v, char *err, size_t errlen)
{
	EVP_MD_CTX		*md;
	struct store_entry	*e;
	unsigned char		 digest[EVP_MAX_MD_SIZE];
	unsigned		 dlen, i;
	size_t			 k;
	int			 fd;
	char			 msg[512];

	memset(snap, 0, sizeof(*snap));
	fd = open(st->path, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	if (fd == -1) {
		store_errf(err, errlen, "cannot open directory store %s: %s",
		    st->path, strerror(errno));
		return (-1);
	}
	if (store_dir_walk(fd, "", 0, snap, msg, sizeof(msg)) != 0) {
		store_errf(err, errlen, "directory store %s: %s", st->path,
		    msg);
		store_snap_free(snap);
		return (-1);
	}
	if (snap->nentries > 0)
		qsort(snap->entries, snap->nentries, sizeof(*snap->entries),
		    store_entry_cmp);

	if ((md = EVP_MD_CTX_new()) == NULL)
		fatalx("store", "EVP_MD_CTX_new failed");
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("store", "SHA-256 failed");
	for (k = 0; k < snap->nentries; k++) {
		e = &snap->entries[k];
		if (e->kind != STORE_ENTRY_FILE && e->kind != STORE_ENTRY_BIG)
			continue;
		if (EVP_DigestUpdate(md, e->path, strlen(e->path) + 1) != 1)
			fatalx("store", "SHA-256 failed");
		store_hash_u64(md, e->kind == STORE_ENTRY_FILE ?
		    (uint64_t)e->len : UINT64_MAX);
		if (e->len > 0 && EVP_DigestUpdate(md, e->data, e->len) != 1)
			fatalx("store", "SHA-256 failed");
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32)
		fatalx("store", "SHA-256 failed");
	EVP_MD_CTX_free(md);

	memset(v, 0, sizeof(*v));
	for (i = 0; i < dlen; i++)
		snprintf(v->id + 2 * i, 3, "%02x", digest[i]);
	v->time = (int64_t)time(NULL);
	return (0);
}

static struct store_entry *
store_snap_find(struct store_snap *snap, const char *path)
{
	struct store_entry	key;

	if (snap->nentries == 0)
		return (NULL);
	memset(&key, 0, sizeof(key));
	key.path = (char *)path;
	return (bsearch(&key, snap->entries, snap->nentries,
	    sizeof(*snap->entries), store_entry_cmp));
}

static int
store_dir_read(void *arg, const char *path, char **buf, size_t *len,
    struct zone_error *err)
{
	struct store_snap	*snap = arg;
	struct store_entry	*e;
	char			*norm, *slash;
	int			 rv = -1;

	if (store_path_norm(path, &norm, err) != 0)
		return (-1);
	if ((e = store_snap_find(snap, norm)) == NULL) {
		/* Say why: a parent component may be a symbolic link. */
		slash = norm;
		while ((slash = strchr(slash, '/')) != NULL) {
			*slash = '\0';
			e = store_snap_find(snap, norm);
			if (e != NULL && e->kind == STORE_ENTRY_LINK) {
				zone_error_set(err, path, 0,
				    "%s is a symbolic link; refused", norm);
				goto out;
			}
			*slash++ = '/';
		}
		zone_error_set(err, path, 0, "no such file in the store");
		goto out;
	}
	switch (e->kind) {
	case STORE_ENTRY_FILE:
		*buf = xmalloc(e->len + 1);
		memcpy(*buf, e->data, e->len + 1);
		*len = e->len;
		rv = 0;
		break;
	case STORE_ENTRY_BIG:
		zone_error_set(err, path, 0, "file is over the size limit of "
		    "%lu bytes", STORE_FILE_MAX);
		break;
	case STORE_ENTRY_LINK:
		zone_error_set(err, path, 0, "symbolic link refused");
		break;
	case STORE_ENTRY_DIR:
		zone_error_set(err, path, 0, "is a directory");
		break;
	case STORE_ENTRY_OTHER:
		zone_error_set(err, path, 0, "not a regular file");
		break;
	}
out:
	free(norm);
	return (rv);
}

/* --- the store ------------------------------------------------------- */

struct store *
store_open(enum store_kind kind, const char *path, const char *ref,
    char *err, size_t errlen)
{
	struct store	*st;
	git_commit	*commit;
	struct stat	 sb;

	if (path == NULL || *path == '\0') {
		store_errf(err, errlen, "store path is empty");
		return (NULL);
	}
	st = xcalloc(1, sizeof(*st));
	st->kind = kind;
	st->path = xstrdup(path);

	switch (kind) {
	case STORE_KIND_GIT:
		st->ref = xstrdup(ref != NULL && *ref != '\0' ? ref : "HEAD");
		if (git_libgit2_init() < 0) {
			store_errf(err, errlen, "cannot initialise libgit2: %s",
			    store_git_strerror());
			free(st->ref);
			free(st->path);
			free(st);
			return (NULL);
		}
		/* NO_SEARCH: never pick up a repository above the path. */
		if (git_repository_open_ext(&st->repo, path,
		    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
			store_errf(err, errlen, "cannot open git repository "
			    "%s: %s", path, store_git_strerror());
			store_close(st);
			return (NULL);
		}
		if (store_git_resolve(st, &commit, err, errlen) != 0) {
			store_close(st);
			return (NULL);
		}
		git_commit_free(commit);
		break;
	case STORE_KIND_DIR:
		if (stat(path, &sb) != 0) {
			store_errf(err, errlen, "cannot open directory store "
			    "%s: %s", path, strerror(errno));
			store_close(st);
			return (NULL);
		}
		if (!S_ISDIR(sb.st_mode)) {
			store_errf(err, errlen, "directory store %s: not a "
			    "directory", path);
			store_close(st);
			return (NULL);
		}
		break;
	default:
		store_errf(err, errlen, "unknown store kind %d", (int)kind);
		free(st->path);
		free(st);
		return (NULL);
	}
	return (st);
}

void
store_close(struct store *st)
{
	struct store_zone	*z;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nzones; i++) {
		z = st->zones[i];
		free(z->origin);
		free(z->file);
		zone_free(z->zone);
		store_version_clear(&z->version);
		free(z);
	}
	free(st->zones);
	store_version_clear(&st->current);
	if (st->kind == STORE_KIND_GIT) {
		git_repository_free(st->repo);
		git_libgit2_shutdown();
	}
	free(st->ref);
	free(st->path);
	free(st);
}

/* Absolute, lower-case form of a zone name; NULL when it cannot be one. */
static char *
store_origin_norm(const char *origin)
{
	char	*s;
	size_t	 i, len;

	len = strlen(origin);
	if (len == 0 || len > 255)
		return (NULL);
	if (origin[len - 1] == '.')
		s = xstrdup(origin);
	else
		xasprintf(&s, "%s.", origin);
	for (i = 0; s[i] != '\0'; i++)
		s[i] = tolower((unsigned char)s[i]);
	return (s);
}

/*
 * Returns NULL (and logs) when the origin is invalid or already added.
 */
struct store_zone *
store_add_zone(struct store *st, const char *origin, const char *file)
{
	struct store_zone	*z;
	char			*norm;

	if ((norm = store_origin_norm(origin)) == NULL) {
		log_warnx("store", "invalid zone name \"%s\"", origin);
		return (NULL);
	}
	if (store_find_zone(st, norm) != NULL) {
		log_warnx("store", "zone %s added twice", norm);
		free(norm);
		return (NULL);
	}
	z = xcalloc(1, sizeof(*z));
	z->origin = norm;
	z->file = xstrdup(file);
	st->zones = xreallocarray(st->zones, st->nzones + 1,
	    sizeof(*st->zones));
	st->zones[st->nzones++] = z;
	return (z);
}

size_t
store_nzones(const struct store *st)
{
	return (st->nzones);
}

struct store_zone *
store_zone_at(struct store *st, size_t idx)
{
	if (idx >= st->nzones)
		return (NULL);
	return (st->zones[idx]);
}

struct store_zone *
store_find_zone(struct store *st, const char *origin)
{
	char	*norm;
	size_t	 i;

	if ((norm = store_origin_norm(origin)) == NULL)
		return (NULL);
	for (i = 0; i < st->nzones; i++) {
		if (strcmp(st->zones[i]->origin, norm) == 0) {
			free(norm);
			return (st->zones[i]);
		}
	}
	free(norm);
	return (NULL);
}

const struct store_version *
store_current(const struct store *st)
{
	if (!st->have_current)
		return (NULL);
	return (&st->current);
}

/* 1 when two zones have the same content, by their hashes. */
static int
store_zone_same(const struct zone *a, const struct zone *b)
{
	size_t	i;

	if (a->hash != b->hash || a->nrrsets != b->nrrsets ||
	    strcmp(a->origin, b->origin) != 0)
		return (0);
	for (i = 0; i < a->nrrsets; i++) {
		if (a->rrsets[i].hash != b->rrsets[i].hash)
			return (0);
	}
	return (1);
}

/*
 * Was this zone's newest attempt at version id?  After a failure at Y, a
 * return to the good version X is tried again, so that failed is cleared.
 */
static int
store_zone_tried(const struct store_zone *z, const char *id)
{
	if (z->failed)
		return (strcmp(z->failed_version, id) == 0);
	return (z->zone != NULL && strcmp(z->version.id, id) == 0);
}

/* Load one zone at version v; 1 when its loaded zone changed, else 0. */
static int
store_load_zone(struct store_zone *z, const struct zone_source *src,
    const struct store_version *v)
{
	struct zone		*zone;
	struct zone_error	 zerr;
	char			 buf[1100];

	memset(&zerr, 0, sizeof(zerr));
	zone = zone_load(src, z->origin, z->file, &zerr);
	if (zone == NULL) {
		if (zerr.msg[0] == '\0')
			zone_error_set(&zerr, z->file, 0, "cannot load zone");
		z->failed = 1;
		memcpy(z->failed_version, v->id, sizeof(z->failed_version));
		z->error = zerr;
		log_warnx("store", "zone %s: version %s rejected: %s",
		    z->origin, v->id, zone_error_str(&zerr, buf, sizeof(buf)));
		return (0);
	}
	if (z->failed)
		log_info("store", "zone %s: loads again at version %s",
		    z->origin, v->id);
	z->failed = 0;
	memset(z->failed_version, 0, sizeof(z->failed_version));
	memset(&z->error, 0, sizeof(z->error));

	if (z->zone != NULL && store_zone_same(z->zone, zone)) {
		/* The content did not move: keep the zone, take the version. */
		zone_free(zone);
		store_version_copy(&z->version, v);
		log_debug("store", "zone %s: unchanged at version %s",
		    z->origin, v->id);
		return (0);
	}
	zone_free(z->zone);
	z->zone = zone;
	store_version_copy(&z->version, v);
	log_info("store", "zone %s: loaded version %s", z->origin, v->id);
	return (1);
}

/*
 * Find the store's version and load every zone not yet tried at it.
 *
 * -1: the store itself cannot be read (the ref does not resolve to a
 *     commit, the tree cannot be read, the directory cannot be walked);
 *     err is filled and nothing changes, neither the current version nor
 *     any zone.
 *  0: the version did not move (and every zone was already tried at it);
 *     nothing is loaded.
 *  n: the number of zones whose loaded zone changed (newly loaded or new
 *     content).  A zone that fails keeps its zone and version and gets
 *     failed, failed_version and error; a zone that loads clears them.  A
 *     zone that loads with the same content as before (by hash) keeps its
 *     zone object, takes the new version, and does not count.
 */
int
store_refresh(struct store *st, char *err, size_t errlen)
{
	struct store_version	 v;
	const struct store_version *vp = &v;
	struct zone_source	 src;
	struct store_git_src	 gs;
	struct store_snap	 snap;
	git_commit		*commit = NULL;
	size_t			 i;
	int			 changed = 0, todo = 0;

	memset(&v, 0, sizeof(v));
	memset(&gs, 0, sizeof(gs));
	memset(&snap, 0, sizeof(snap));

	switch (st->kind) {
	case STORE_KIND_GIT:
		if (store_git_resolve(st, &commit, err, errlen) != 0)
			return (-1);
		git_oid_tostr(v.id, sizeof(v.id), git_commit_id(commit));
		break;
	case STORE_KIND_DIR:
		if (store_dir_snapshot(st, &snap, &v, err, errlen) != 0)
			return (-1);
		break;
	}

	for (i = 0; i < st->nzones; i++) {
		if (!store_zone_tried(st->zones[i], v.id))
			todo = 1;
	}
	if (st->have_current && strcmp(st->current.id, v.id) == 0 && !todo)
		goto out;

	switch (st->kind) {
	case STORE_KIND_GIT:
		if (git_commit_tree(&gs.tree, commit) != 0) {
			store_errf(err, errlen, "%s: cannot read the tree of "
			    "commit %s: %s", st->path, v.id,
			    store_git_strerror());
			changed = -1;
			goto out;
		}
		gs.repo = st->repo;
		store_git_version(commit, &v);
		src.read = store_git_read;
		src.arg = &gs;
		break;
	case STORE_KIND_DIR:
		src.read = store_dir_read;
		src.arg = &snap;
		break;
	}

	/* Same version, zones added since: keep the version as first seen. */
	if (st->have_current && strcmp(st->current.id, v.id) == 0)
		vp = &st->current;
	else
		log_info("store", "%s: version %s", st->path, v.id);
	for (i = 0; i < st->nzones; i++) {
		if (!store_zone_tried(st->zones[i], vp->id))
			changed += store_load_zone(st->zones[i], &src, vp);
	}
	if (vp == &v) {
		store_version_copy(&st->current, &v);
		st->have_current = 1;
	}
out:
	store_version_clear(&v);
	git_tree_free(gs.tree);
	git_commit_free(commit);
	store_snap_free(&snap);
	return (changed);
}
