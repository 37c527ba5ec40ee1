/*
 * diff.c: the changeset between a desired and an actual zone.
 *
 * Both zones are sorted arrays of RRsets (zone.h), so the diff is one linear
 * merge: walk both arrays with rrset_cmp_key, skipping what is not managed
 * on each side (SOA, the apex NS when none is passed in, ignored RRsets).
 * A key only in desired is a CREATE, only in actual a DELETE, in both with
 * different TTL or rdata an UPDATE.  The apex NS passed in by the caller
 * takes the place of desired's own apex NS, at its position in zone order.
 *
 * Ignore patterns are fnmatch(3) globs over the absolute owner name, used
 * without flags: '*' matches any string, dots included (FNM_PATHNAME and
 * FNM_PERIOD are about '/' and a leading '.', not labels), so
 * "*.dyn.example.com." covers every name at any depth below
 * dyn.example.com. (but not dyn.example.com. itself).  Owners and patterns
 * are both lower-case, so no case folding is needed.
 */
#include "autoconf.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "diff.h"
#include "log.h"
#include "xmalloc.h"
#include "zone.h"

#define DIFF_CHANGES_MIN	16
#define IGNORE_GLOB_MAX		1024	/* longer than any DNS name needs */

static const char *const change_op_names[] = {
	[CHANGE_CREATE] = "create",
	[CHANGE_UPDATE] = "update",
	[CHANGE_DELETE] = "delete",
};

/*
 * One side of the merge: the RRsets of a zone that take part in the diff,
 * in zone order.  On the desired side an apex NS given by the caller is
 * spliced in where it belongs; `extra` holds it until it has been used.
 */
struct diff_side {
	const struct zone	*zone;
	size_t			 idx;
	const struct rrset	*extra;
	int			 skip_apex_ns;
	const struct diff_opts	*opts;
};

const char *
change_op_name(enum change_op op)
{
	if ((unsigned)op >= sizeof(change_op_names) / sizeof(change_op_names[0]))
		return ("unknown");
	return (change_op_names[op]);
}

/* 1 when the RRset is the zone's apex NS. */
static int
diff_is_apex_ns(const struct zone *z, const struct rrset *rs)
{
	return (rs->type == LDNS_RR_TYPE_NS && strcmp(rs->owner, z->origin) == 0);
}

/* 1 when the RRset takes no part in the diff. */
static int
diff_skip(const struct diff_side *side, const struct rrset *rs)
{
	const struct diff_opts	*opts = side->opts;

	if (rs->type == LDNS_RR_TYPE_SOA)
		return (1);
	if (side->skip_apex_ns && diff_is_apex_ns(side->zone, rs))
		return (1);
	if (opts->nignores != 0 &&
	    ignore_match(opts->ignores, opts->nignores, rs->owner, rs->type))
		return (1);
	return (0);
}

/* The next RRset of one side, without consuming it; NULL at the end. */
static const struct rrset *
diff_peek(struct diff_side *side)
{
	const struct zone	*z = side->zone;
	const struct rrset	*rs;

	while (side->idx < z->nrrsets) {
		rs = &z->rrsets[side->idx];
		if (!diff_skip(side, rs))
			break;
		side->idx++;
	}
	rs = side->idx < z->nrrsets ? &z->rrsets[side->idx] : NULL;
	if (side->extra != NULL && (rs == NULL ||
	    rrset_cmp_key(side->extra, rs) < 0))
		return (side->extra);
	return (rs);
}

/* Consume the RRset diff_peek() just returned. */
static void
diff_next(struct diff_side *side, const struct rrset *rs)
{
	if (rs == side->extra)
		side->extra = NULL;
	else
		side->idx++;
}

static void
diff_add(struct changeset *cs, size_t *alloc, enum change_op op,
    const struct rrset *old, const struct rrset *new)
{
	struct change	*c;

	if (cs->nchanges == *alloc) {
		*alloc = *alloc == 0 ? DIFF_CHANGES_MIN : *alloc * 2;
		cs->changes = xreallocarray(cs->changes, *alloc,
		    sizeof(*cs->changes));
	}
	c = &cs->changes[cs->nchanges++];
	c->op = op;
	c->old = old;
	c->new = new;
	switch (op) {
	case CHANGE_CREATE:
		cs->ncreate++;
		break;
	case CHANGE_UPDATE:
		cs->nupdate++;
		break;
	case CHANGE_DELETE:
		cs->ndelete++;
		break;
	}
}

int
diff_zones(const struct zone *desired, const struct zone *actual,
    const struct diff_opts *opts, struct changeset *cs)
{
	static const struct diff_opts	 no_opts;
	struct diff_side		 d, a;
	const struct rrset		*drs, *ars;
	size_t				 alloc = 0;
	int				 cmp;

	memset(cs, 0, sizeof(*cs));
	if (opts == NULL)
		opts = &no_opts;
	if (strcasecmp(desired->origin, actual->origin) != 0) {
		log_warnx("diff", "cannot diff zone %s against zone %s",
		    desired->origin, actual->origin);
		return (-1);
	}
	if (opts->apex_ns != NULL &&
	    (opts->apex_ns->type != LDNS_RR_TYPE_NS ||
	    strcasecmp(opts->apex_ns->owner, desired->origin) != 0)) {
		log_warnx("diff", "%s: apex NS given for %s type %u",
		    desired->origin, opts->apex_ns->owner,
		    (unsigned)opts->apex_ns->type);
		return (-1);
	}

	memset(&d, 0, sizeof(d));
	d.zone = desired;
	d.opts = opts;
	d.extra = opts->apex_ns;
	/*
	 * Desired's own apex NS never takes part: the caller's replaces it,
	 * or the apex NS is unmanaged.  Actual's only when it is unmanaged.
	 */
	d.skip_apex_ns = 1;
	/* The caller's apex NS is subject to the ignore patterns, too. */
	if (d.extra != NULL && opts->nignores != 0 &&
	    ignore_match(opts->ignores, opts->nignores, d.extra->owner,
	    d.extra->type))
		d.extra = NULL;
	memset(&a, 0, sizeof(a));
	a.zone = actual;
	a.opts = opts;
	a.skip_apex_ns = opts->apex_ns == NULL;

	for (;;) {
		drs = diff_peek(&d);
		ars = diff_peek(&a);
		if (drs == NULL && ars == NULL)
			break;
		if (drs == NULL)
			cmp = 1;
		else if (ars == NULL)
			cmp = -1;
		else
			cmp = rrset_cmp_key(drs, ars);

		if (cmp < 0) {
			diff_add(cs, &alloc, CHANGE_CREATE, NULL, drs);
			diff_next(&d, drs);
		} else if (cmp > 0) {
			diff_add(cs, &alloc, CHANGE_DELETE, ars, NULL);
			diff_next(&a, ars);
		} else {
			if (!rrset_equal_data(drs, ars))
				diff_add(cs, &alloc, CHANGE_UPDATE, ars, drs);
			diff_next(&d, drs);
			diff_next(&a, ars);
		}
	}
	return (0);
}

void
changeset_free(struct changeset *cs)
{
	if (cs == NULL)
		return;
	free(cs->changes);
	memset(cs, 0, sizeof(*cs));
}

int
ignore_match(const struct ignore *ignores, size_t n, const char *owner,
    uint16_t type)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (ignores[i].type != 0 && ignores[i].type != type)
			continue;
		if (fnmatch(ignores[i].glob, owner, 0) == 0)
			return (1);
	}
	return (0);
}

/* Parse a type mnemonic or TYPEnnn (RFC 3597); 0 when it is not one. */
static uint16_t
ignore_parse_type(const char *s)
{
	const char	*p;
	unsigned long	 v;
	ldns_rr_type	 t;

	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4])) {
		/* ldns reads these with atoi(); be strict instead. */
		for (p = s + 4; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return (0);
		}
		if (strlen(s + 4) > 5)
			return (0);
		v = strtoul(s + 4, NULL, 10);
		if (v > 65535)
			return (0);
		return ((uint16_t)v);
	}
	t = ldns_get_rr_type_by_name(s);
	if ((int)t <= 0 || (int)t > 65535)
		return (0);
	return ((uint16_t)t);
}

/* 1 when the absolute name `glob` is the origin or below it. */
static int
ignore_in_zone(const char *glob, const char *origin)
{
	size_t	glen = strlen(glob), olen = strlen(origin);

	if (strcmp(origin, ".") == 0)
		return (1);
	if (glen == olen)
		return (strcmp(glob, origin) == 0);
	if (glen < olen + 1)
		return (0);
	return (glob[glen - olen - 1] == '.' &&
	    strcmp(glob + glen - olen, origin) == 0);
}

int
ignore_parse(const char *spec, const char *origin, struct ignore *ig,
    char *err, size_t errlen)
{
	static const char	 ws[] = " \t\r\n";
	char			*copy, *word, *tword, *extra, *last, *glob, *p;
	uint16_t		 type = 0;
	int			 rv = -1;

	memset(ig, 0, sizeof(*ig));
	copy = xstrdup(spec);
	glob = NULL;
	word = strtok_r(copy, ws, &last);
	tword = word != NULL ? strtok_r(NULL, ws, &last) : NULL;
	extra = tword != NULL ? strtok_r(NULL, ws, &last) : NULL;

	if (word == NULL) {
		snprintf(err, errlen, "ignore: empty pattern");
		goto out;
	}
	if (extra != NULL) {
		snprintf(err, errlen, "ignore: unexpected '%s' after the type",
		    extra);
		goto out;
	}
	if (tword != NULL) {
		type = ignore_parse_type(tword);
		if (type == 0) {
			snprintf(err, errlen, "ignore: unknown type '%s'", tword);
			goto out;
		}
		/* OPT and the query/meta types (RFC 6895) are no records. */
		if (type == LDNS_RR_TYPE_OPT || (type >= 128 && type <= 255)) {
			snprintf(err, errlen, "ignore: '%s' is not a record type",
			    tword);
			goto out;
		}
	}

	if (strcmp(word, "@") == 0)
		glob = xstrdup(origin);
	else if (word[strlen(word) - 1] == '.')
		glob = xstrdup(word);
	else if (strcmp(origin, ".") == 0)
		xasprintf(&glob, "%s.", word);
	else
		xasprintf(&glob, "%s.%s", word, origin);
	for (p = glob; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);

	if (strlen(glob) > IGNORE_GLOB_MAX) {
		snprintf(err, errlen, "ignore: pattern '%.32s...' is too long",
		    word);
		goto out;
	}
	if (strstr(glob, "..") != NULL ||
	    (glob[0] == '.' && glob[1] != '\0')) {
		snprintf(err, errlen, "ignore: pattern '%s' has an empty label",
		    word);
		goto out;
	}
	if (!ignore_in_zone(glob, origin)) {
		snprintf(err, errlen,
		    "ignore: pattern '%s' is outside the zone %s", word, origin);
		goto out;
	}

	ig->glob = glob;
	ig->type = type;
	glob = NULL;
	rv = 0;
out:
	free(glob);
	free(copy);
	return (rv);
}

void
ignore_clear(struct ignore *ig)
{
	if (ig == NULL)
		return;
	free(ig->glob);
	memset(ig, 0, sizeof(ig[0]));
}
