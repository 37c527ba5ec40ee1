/*
 * zone.h: the zone model.
 *
 * A zone is a sorted array of RRsets.  Owners are absolute, canonical
 * lower-case presentation names with the trailing dot ("www.example.com.").
 * Each RRset holds its records' rdata in canonical wire form (RFC 4034
 * section 6.2: embedded names lower-cased for the types that say so),
 * sorted by that wire form (RFC 4034 section 6.3), duplicates collapsed,
 * together with ldns' presentation text of each rdata.
 *
 * RRsets are sorted by (owner in canonical DNS name order, type), so two
 * zones diff by a single linear merge (diff.c).
 */
#ifndef MULTIDNS_ZONE_H
#define MULTIDNS_ZONE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZONE_TTL_MAX		2147483647U	/* RFC 2181 section 8 */
#define ZONE_INCLUDE_DEPTH	16		/* $INCLUDE nesting limit */
#define ZONE_LINE_MAX		65536		/* characters in one line */
#define ZONE_RECORD_MAX		262144		/* characters in one record */
#define ZONE_RR_MAX		5000000		/* records in one zone */
#define ZONE_FILE_MAX		(256U << 20)	/* bytes in one file */

/*
 * Master file rules (zone_load):
 * - $ORIGIN and the origin of $INCLUDE must be absolute names.  $INCLUDE
 *   paths are relative to the store root; absolute paths and paths whose
 *   ".." leaves the root are refused ("include escapes the store").  An
 *   included file starts with the includer's current origin and $TTL and
 *   without a previous owner; both are restored when it ends.  Nesting
 *   deeper than ZONE_INCLUDE_DEPTH and loops are errors.
 * - A record without a TTL takes the $TTL in force, else the TTL of the
 *   previous record, else it is an error.  TTLs above ZONE_TTL_MAX are
 *   errors.  Class IN only (it may be omitted).
 * - All records of one RRset must have the same TTL; otherwise the first
 *   record (in file order) whose TTL differs from the first record's is an
 *   error: "TTL 300 differs from 600 in the same RRset (line N)".  RRSIG
 *   RRsets are exempt and take the lowest TTL.  Identical records are
 *   collapsed silently.
 * - zone_load requires exactly one SOA, at the apex.  zone_finish (the
 *   builder) does not require an SOA, but refuses a second one or one that
 *   is not at the apex.  Otherwise both validate the same way; when there
 *   are several errors the one found first in file order is reported.
 *
 * Hashes are 64-bit FNV-1a: an RRset's over its owner text, a NUL, the
 * type (2 octets, network order), the TTL (4 octets) and, per rdata in
 * order, its length (2 octets) and canonical wire form; a zone's over its
 * origin text, a NUL, and each RRset's hash (8 octets, network order).
 */

struct rdata {
	uint8_t		*wire;		/* canonical wire form */
	uint16_t	 len;
	char		*text;		/* presentation form, as ldns prints it */
};

struct rrset {
	char		*owner;		/* absolute, lower-case, trailing dot */
	uint16_t	 type;		/* LDNS_RR_TYPE_* / IANA number */
	uint32_t	 ttl;
	size_t		 nrdata;
	struct rdata	*rdata;		/* sorted, no duplicates */
	uint64_t	 hash;		/* over owner, type, ttl and rdata */
};

struct zone_build;

struct zone {
	char		*origin;	/* absolute, lower-case, trailing dot */
	size_t		 nrrsets;
	struct rrset	*rrsets;	/* sorted by (owner, type) */
	uint64_t	 hash;		/* over every RRset */
	struct zone_build *build;	/* private to zone.c: records added, not
					   yet finished; NULL once finished */
	unsigned	 refs;		/* zone_ref() / zone_free() */
};

/* Where and why a load failed: printed as "file:line: message". */
struct zone_error {
	char		file[512];	/* path relative to the store, or as given */
	unsigned	line;		/* 0 when the error has no line */
	char		msg[512];
};

/*
 * Files are read through a source, so that zones load the same way from a
 * directory and from a git tree.  read() returns 0 and a malloc'd buffer
 * (NUL-terminated, len excludes the NUL), or -1 with a message in err->msg.
 * Paths handed to read() are relative to the source's root; the loader has
 * already refused any path that escapes the root ("..", absolute paths).
 */
struct zone_source {
	int	(*read)(void *arg, const char *path, char **buf, size_t *len,
		    struct zone_error *err);
	void	*arg;
};

/*
 * A source over a directory of the file system; root must outlive the
 * source.  Files (after symbolic links) must be regular files below root,
 * at most ZONE_FILE_MAX bytes.
 */
void	zone_source_dir(struct zone_source *, const char *root);

/*
 * Load and validate the master file `path` (relative to the source's root)
 * for the zone `origin`.  Returns a zone or NULL with err filled in; a
 * broken file never yields a partial zone.
 */
struct zone	*zone_load(const struct zone_source *, const char *origin,
		    const char *path, struct zone_error *err);
/* Same, from a file path on disk (its directory is the root). */
struct zone	*zone_load_file(const char *origin, const char *path,
		    struct zone_error *err);
/* A zone is reference-counted: zone_free() drops one reference. */
struct zone	*zone_ref(struct zone *);
void		 zone_free(struct zone *);

/*
 * Builder, for zones read from providers and for tests.  zone_new returns
 * NULL when origin is not a valid domain name (a missing trailing dot is
 * added).  Owners given to zone_add_rr_text are absolute or relative to
 * the origin ("@" is the apex); so are names in the rdata.  zone_finish
 * is called once; records cannot be added after it.  Errors from the
 * builder have no file and line and name the record: "owner TYPE: msg".
 */
struct zone	*zone_new(const char *origin);
/* Add one record given in presentation form; 0 or -1 with err->msg. */
int		 zone_add_rr_text(struct zone *, const char *owner, uint16_t type,
		    uint32_t ttl, const char *rdata, struct zone_error *err);
/* Sort, collapse duplicates, compute hashes; 0 or -1 with err (validation). */
int		 zone_finish(struct zone *, struct zone_error *err);

/* Lookup by owner and type (binary search); NULL when absent. */
const struct rrset *zone_find(const struct zone *, const char *owner,
		    uint16_t type);
/* Compare two RRsets' keys in zone order: owner (canonical), then type. */
int		 rrset_cmp_key(const struct rrset *, const struct rrset *);
/* 1 when two RRsets have the same TTL and rdata (owner/type assumed equal). */
int		 rrset_equal_data(const struct rrset *, const struct rrset *);
struct rrset	*rrset_dup(const struct rrset *);
void		 rrset_clear(struct rrset *);	/* frees members, not the struct */

/* Type name ("A", "TYPE65534"); the result is static or thread-unsafe. */
const char	*zone_type_name(uint16_t type, char *buf, size_t len);
/* Print a zone in master file form, one RR a line, sorted. */
void		 zone_print(const struct zone *, FILE *);
size_t		 zone_count_rrs(const struct zone *);
void		 zone_error_set(struct zone_error *, const char *file,
		    unsigned line, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/* "file:line: msg", or "file: msg" without a line. */
const char	*zone_error_str(const struct zone_error *, char *buf, size_t len);

#endif
