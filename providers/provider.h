/*
 * provider.h: the one interface every DNS provider backend implements.
 *
 * A backend is a `const struct provider_ops` in providers/NAME.c; the core
 * lists them in one array (providers/provider.c).  A NULL operation means
 * "not supported".  All I/O is asynchronous on the daemon's event loop:
 * an operation either fails at once (returns -1 with a message in err and
 * never calls its callback) or returns 0 and later calls its callback
 * exactly once, unless provider_cancel() is called first, in which case
 * the callback is never called.  A slow or dead provider never delays the
 * others: nothing here blocks.
 *
 * The rules that keep zones safe (see ../shared/research, "partial reads"):
 * - fetch() reports a zone only when the provider's listing is complete:
 *   every page read to its documented end, every answer parsed.  Anything
 *   short of that is an error, never a smaller zone.
 * - fetch() reports the provider's view as a finished zone: SOA and apex NS
 *   included, names absolute and lower-case, in the provider's own TTLs.
 * - apply() reports a result for every change it was given.
 */
#ifndef MULTIDNS_PROVIDER_H
#define MULTIDNS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diff.h"
#include "zone.h"

struct event_base;
struct http;
struct provider;

/* Capability flags. */
#define PROVIDER_CAP_APEX_NS	0x01	/* can edit the zone's apex NS RRset */
#define PROVIDER_CAP_ATOMIC	0x02	/* each batch (API call or UPDATE message)
					   applies all or nothing; a changeset
					   larger than one batch is not atomic */
#define PROVIDER_CAP_CREATE	0x04	/* can create a missing zone */
#define PROVIDER_CAP_AXFR	0x08	/* the zone can be read by AXFR */

struct provider_caps {
	unsigned	 flags;
	size_t		 max_batch;	/* changes per atomic batch, 0 = no limit */
	uint32_t	 min_ttl;	/* lowest TTL accepted, 0 = any */
	const uint16_t	*types;		/* record types it can hold, NULL = any */
	size_t		 ntypes;
};

enum change_result {
	CHANGE_RESULT_OK,
	CHANGE_RESULT_FAILED,		/* the provider refused or errored */
	CHANGE_RESULT_NOT_TRIED,	/* an earlier batch failed first */
};

/* What apply() did, change by change (same order as the changeset). */
struct apply_result {
	size_t			 nchanges;
	enum change_result	*results;
	char			**errors;	/* per change, NULL when OK */
	size_t			 api_calls;	/* requests or messages sent */
};

typedef void (*provider_fetch_cb)(struct provider *, int status,
    const char *error, struct zone *zone, void *arg);
typedef void (*provider_apply_cb)(struct provider *,
    const struct apply_result *, void *arg);
typedef void (*provider_ns_cb)(struct provider *, int status,
    const char *error, char **names, size_t nnames, void *arg);

struct provider_ops {
	const char	*type;		/* the config's `type =` */

	/*
	 * Check the provider's config section, read its secrets (files only),
	 * set p->caps and p->priv.  Runs at start and at reload, before the
	 * new config replaces the old: a failure refuses the config.
	 */
	int	(*init)(struct provider *, char *err, size_t errlen);
	void	(*free)(struct provider *);

	/*
	 * Read every RRset of `origin` as the provider holds it.  status 0:
	 * zone is a finished zone, owned by the callback from then on;
	 * status -1: error says why and zone is NULL.  A zone the provider
	 * does not have is an error ("zone not found"), never an empty zone.
	 */
	int	(*fetch)(struct provider *, const char *origin,
		    provider_fetch_cb, void *arg, char *err, size_t errlen);

	/*
	 * Apply a changeset (created by diff_zones against what fetch()
	 * returned) in as few batches as the provider allows.  The changeset
	 * and the zones it points into stay valid until the callback runs.
	 */
	int	(*apply)(struct provider *, const char *origin,
		    const struct changeset *, provider_apply_cb, void *arg,
		    char *err, size_t errlen);

	/* The nameserver names the provider assigns to the zone. */
	int	(*nameservers)(struct provider *, const char *origin,
		    provider_ns_cb, void *arg, char *err, size_t errlen);

	/* Create a missing zone (PROVIDER_CAP_CREATE). */
	int	(*create)(struct provider *, const char *origin,
		    provider_fetch_cb, void *arg, char *err, size_t errlen);

	/* Abandon every operation in flight; their callbacks never run. */
	void	(*cancel)(struct provider *);
};

struct provider {
	const struct provider_ops	*ops;
	char				*name;
	struct provider_conf		*conf;	/* borrowed from the config */
	struct event_base		*base;
	struct http			*http;	/* shared HTTP layer, may be NULL */
	struct provider_caps		 caps;
	void				*priv;	/* the backend's own state */
};

/* providers/provider.c */
const struct provider_ops *provider_ops_find(const char *type);
struct provider	*provider_new(struct provider_conf *, struct event_base *,
		    struct http *, char *err, size_t errlen);
void		 provider_free(struct provider *);	/* cancels first */
void		 provider_cancel(struct provider *);
int		 provider_supports_type(const struct provider *, uint16_t);
const char	*change_result_name(enum change_result);
void		 apply_result_init(struct apply_result *, size_t nchanges);
void		 apply_result_clear(struct apply_result *);
/*
 * The provider's `nameservers` key as absolute lower-case names, appended
 * to *names (*n of them).  0, or -1 with err naming a name that is not
 * absolute (nothing appended).  No key: 0, nothing appended.
 */
int		 provider_conf_names(const struct provider *, char ***names,
		    size_t *n, char *err, size_t errlen);
/* Read a secret from a file (mode must not allow group/other access). */
char		*provider_read_secret(const char *path, char *err,
		    size_t errlen);

/* The backends. */
extern const struct provider_ops powerdns_ops;
extern const struct provider_ops rfc2136_ops;
extern const struct provider_ops cloudflare_ops;
extern const struct provider_ops route53_ops;
extern const struct provider_ops gcloud_ops;

#endif
