/*
 * diff.h: the changeset between a desired and an actual zone.
 *
 * One linear merge over the two sorted RRset arrays.  SOA is never part of
 * a changeset (each provider owns its SOA).  The apex NS RRset is computed
 * by the caller (the union of the active providers' nameservers) and passed
 * in; when none is passed the apex NS is left alone.  RRsets matching an
 * ignore pattern are never touched, on either side.
 */
#ifndef MULTIDNS_DIFF_H
#define MULTIDNS_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

enum change_op {
	CHANGE_CREATE,
	CHANGE_UPDATE,
	CHANGE_DELETE,
};

struct change {
	enum change_op		 op;
	const struct rrset	*old;	/* NULL for CREATE; points into actual */
	const struct rrset	*new;	/* NULL for DELETE; points into desired */
};

struct changeset {
	size_t		 nchanges;
	struct change	*changes;	/* in zone order */
	size_t		 ncreate, nupdate, ndelete;
};

/* An ignore pattern: owner glob (fnmatch, absolute after expansion) + type. */
struct ignore {
	char		*glob;		/* absolute, lower-case, e.g. "_acme-challenge.*.example.com." */
	uint16_t	 type;		/* 0 = every type */
};

struct diff_opts {
	const struct rrset	*apex_ns;	/* desired apex NS, NULL = unmanaged */
	const struct ignore	*ignores;
	size_t			 nignores;
};

/*
 * The changes that turn `actual` into `desired`.  The changeset points into
 * both zones (and opts->apex_ns), which must outlive it.  opts may be NULL
 * (apex NS unmanaged, nothing ignored).  The ignore patterns apply to
 * opts->apex_ns as well.  Returns 0, or -1 with an empty changeset when the
 * zones have different origins or opts->apex_ns is not an NS RRset at the
 * origin.  The changeset is always initialised; changeset_free() it.
 */
int	diff_zones(const struct zone *desired, const struct zone *actual,
	    const struct diff_opts *, struct changeset *);
void	changeset_free(struct changeset *);	/* frees contents only */
const char *change_op_name(enum change_op);

/*
 * 1 when the RRset matches one of the patterns: fnmatch(3) without flags
 * over the absolute lower-case owner, so '*' spans labels ("*.dyn.example.
 * com." matches a.b.dyn.example.com., not dyn.example.com. itself).
 */
int	ignore_match(const struct ignore *, size_t, const char *owner,
	    uint16_t type);
/*
 * Parse "GLOB [TYPE]" with GLOB relative to origin (or absolute, with a
 * trailing dot); "@" is the apex.  The glob is lower-cased and must lie in
 * the zone.  TYPE is a mnemonic or TYPEnnn (not a meta type such as ANY);
 * without it every type matches.  0, or -1 with a message in err
 * ("ignore: unknown type 'FOO'") and *ig zeroed.  ignore_clear() frees.
 */
int	ignore_parse(const char *spec, const char *origin, struct ignore *,
	    char *err, size_t errlen);
void	ignore_clear(struct ignore *);

#endif
