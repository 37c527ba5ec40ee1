/*
 * store.h: the source of truth.
 *
 * (a) A git repository read with libgit2 at a configured ref (bare or not;
 *     no checkout): version = commit id, with author and commit time.
 * (b) A plain directory: version = SHA-256 over the sorted relative paths
 *     and contents of every regular file below it.
 *
 * Zones are loaded through a zone_source over the tree of one version, so
 * $INCLUDE works identically in both and can never leave the store.
 * A zone whose new version fails to load keeps its last good version in
 * force; the failure (version + "file:line: message") is kept beside it.
 */
#ifndef MULTIDNS_STORE_H
#define MULTIDNS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "zone.h"

#define STORE_VERSION_MAX	65	/* 40 hex (git) or 64 hex (dir) + NUL */

struct store_version {
	char		 id[STORE_VERSION_MAX];
	char		*author;	/* "Name <email>", NULL for a directory */
	char		*summary;	/* first line of the commit message, or NULL */
	int64_t		 time;		/* commit time, or when the hash was taken */
};

/* One zone as the store holds it. */
struct store_zone {
	char			*origin;	/* absolute, lower-case */
	char			*file;		/* relative to the store root */
	struct zone		*zone;		/* last good, NULL before the first */
	struct store_version	 version;	/* of `zone` */
	int			 failed;	/* the newest version did not load */
	char			 failed_version[STORE_VERSION_MAX];
	struct zone_error	 error;		/* why, when failed */
};

struct store;

struct store	*store_open(enum store_kind, const char *path, const char *ref,
		    char *err, size_t errlen);
void		 store_close(struct store *);
/*
 * Add a zone to keep loaded; the origin is made absolute and lower-case.
 * NULL (logged) for an empty origin or one already added.  A zone added
 * after a refresh is loaded by the next one, even at the same version.
 */
struct store_zone *store_add_zone(struct store *, const char *origin,
		    const char *file);
size_t		 store_nzones(const struct store *);
struct store_zone *store_zone_at(struct store *, size_t);
struct store_zone *store_find_zone(struct store *, const char *origin);

/*
 * Look at the store's current version; when it differs from the one last
 * seen, load every zone at it.  Returns -1 when the store itself cannot be
 * read (err filled, nothing changed), else the number of zones whose loaded
 * zone changed (0 when nothing moved).  Zones that fail keep their last
 * good version and have `failed` set; a zone that loads clears it.  A zone
 * whose content (zone->hash and every RRset hash) is the same at the new
 * version keeps its struct zone, takes the new version, and is not counted.
 */
int		 store_refresh(struct store *, char *err, size_t errlen);
/*
 * The version seen by the last refresh (even if some zone failed at it);
 * NULL before the first successful refresh.
 */
const struct store_version *store_current(const struct store *);

void		 store_version_clear(struct store_version *);
/* dst must be zeroed or hold a version: its old strings are freed. */
void		 store_version_copy(struct store_version *dst,
		    const struct store_version *src);

#endif
