/*
 * config.h: the configuration file, INI read with inih.
 *
 *   [daemon]                 state, socket, user, metrics, log-level, ...
 *   [store]                  type = git|directory, path, ref, poll
 *   [provider "NAME"]        type = powerdns|rfc2136|..., then its own keys
 *   [zone "example.com"]     file, providers, mode, ignore (repeatable), ...
 *   [webhook "NAME"]         url, events, min-severity, format, secret-file,
 *                            max-age, timeout (alert.c delivers to it)
 *
 * Section names follow git-config: a kind, a space, and a quoted name.
 * Unknown sections and keys are errors reported as "file:line: message".
 * Relative paths are taken relative to the directory of the config file.
 */
#ifndef MULTIDNS_CONFIG_H
#define MULTIDNS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "db.h"
#include "diff.h"
#include "log.h"

#define CONFIG_DEFAULT_PATH	"/etc/multidns/multidns.conf"
#define CONFIG_DEFAULT_STATE	"/var/lib/multidns/state.db"
#define CONFIG_DEFAULT_SOCKET	"/run/multidns/control.sock"
#define CONFIG_SIZE_MAX		(1024 * 1024)	/* bigger files are refused */

enum store_kind {
	STORE_KIND_GIT,
	STORE_KIND_DIR,
};

enum zone_mode {
	ZONE_MODE_ENFORCE,	/* repair drift */
	ZONE_MODE_ALERT,	/* only record and report it */
};

/* What a provider outage does (remediate.h). */
enum outage_action {
	OUTAGE_ALERT,		/* only alert (default) */
	OUTAGE_WITHDRAW,	/* withdraw its nameservers from the apex NS */
};

/* A provider-specific option, kept as given and checked against its type. */
struct config_kv {
	char		*key;
	char		*value;
	unsigned	 line;
};

struct provider_conf {
	char		*name;
	char		*type;		/* "powerdns", "rfc2136", ... */
	struct config_kv *opts;		/* the type's own keys, in file order,
					   then defaults (line 0); values
					   normalised: paths absolute,
					   booleans "yes"/"no" */
	size_t		 nopts;
	unsigned	 timeout;	/* seconds, per API request */
	unsigned	 max_concurrency;
	char		*probe;		/* probe = ADDR[:PORT] ..., NULL = unset
					   (rfc2136: its server) */
	unsigned	 line;
};

struct zone_conf {
	char		*name;		/* absolute, lower-case, trailing dot */
	char		*file;		/* relative to the store root */
	char		**providers;	/* names of provider sections */
	size_t		 nproviders;
	enum zone_mode	 mode;
	struct ignore	*ignores;
	size_t		 nignores;
	unsigned	 max_update_pct;	/* safety gate, default 30 */
	unsigned	 max_delete_pct;	/* safety gate, default 30 */
	unsigned	 safety_min_rrsets;	/* gate applies from this size, default 10 */
	unsigned	 probe_sample;	/* RRsets checked over DNS per probe
					   cycle, default 20 */
	char		*parent;	/* parent = ADDR[:PORT] ...: the parent
					   zone's nameservers, asked for the
					   delegation; NULL = not checked */
	unsigned	 line;
	unsigned	 providers_line;	/* of the providers key */
};

enum webhook_format {
	WEBHOOK_FORMAT_JSON,	/* the versioned schema, see multidnsd(8) */
	WEBHOOK_FORMAT_SLACK,	/* {"text": "..."} */
};

struct webhook_conf {
	char		*name;
	char		*url;		/* http:// or https:// */
	char		**events;	/* event type names; none = all */
	size_t		 nevents;
	enum db_severity min_severity;	/* default info: everything */
	enum webhook_format format;
	char		*secret_file;	/* path or credential:NAME; NULL =
					   requests are not signed */
	unsigned	 max_age;	/* seconds; then undeliverable */
	unsigned	 timeout;	/* seconds, per attempt */
	unsigned	 line;
};

struct config {
	char		*path;		/* the file this was read from */

	/* [daemon] */
	char		*state_path;
	char		*socket_path;
	char		*user;		/* daemon's user for the control socket, NULL = root only */
	char		*metrics;	/* ADDR:PORT of the Prometheus listener,
					   NULL = off */
	enum log_level	 log_level;
	unsigned	 interval;	/* seconds between reconcile cycles */
	unsigned	 jitter_pct;	/* +- share of interval */
	unsigned	 probe_interval;	/* seconds between probe cycles */
	unsigned	 probe_timeout;	/* ms per DNS attempt */
	unsigned	 down_after;	/* consecutive failures: down */
	unsigned	 up_after;	/* consecutive successes: back up */
	unsigned	 slow_ms;	/* slower answers: degraded */
	unsigned	 flap_window;	/* seconds; see alert.h */
	unsigned	 flap_threshold;	/* transitions; 0 = no suppression */
	unsigned	 delegation_interval;	/* seconds between delegation
						   checks (zones with parent) */
	unsigned	 lint_min_ttl;	/* lint: floor for stable records */
	unsigned	 lint_max_ns_ttl;	/* lint: ceiling for the apex NS */
	enum outage_action on_outage;	/* default alert */
	unsigned	 withdraw_after;	/* seconds DOWN before withdrawing */
	unsigned	 reinstate_after;	/* seconds HEALTHY before reinstating */

	/* [store] */
	enum store_kind	 store_kind;
	char		*store_path;
	char		*store_ref;	/* git only, default "HEAD" */
	unsigned	 store_poll;	/* seconds between store polls */

	struct provider_conf *providers;
	size_t		 nproviders;
	struct zone_conf *zones;
	size_t		 nzones;
	struct webhook_conf *webhooks;	/* sorted by name */
	size_t		 nwebhooks;
};

/* Parse and validate; NULL with "file:line: message" in err. */
struct config	*config_load(const char *path, char *err, size_t errlen);
void		 config_free(struct config *);
/* The normalised config: every key with its effective value, sorted. */
void		 config_print(const struct config *, FILE *);

const struct provider_conf *config_find_provider(const struct config *,
		    const char *name);
const struct zone_conf *config_find_zone(const struct config *,
		    const char *name);
/* A provider-specific option's value, or NULL. */
const char	*provider_conf_get(const struct provider_conf *, const char *key);
const struct webhook_conf *config_find_webhook(const struct config *,
		    const char *name);
const char	*zone_mode_name(enum zone_mode);
const char	*outage_action_name(enum outage_action);
const char	*webhook_format_name(enum webhook_format);
const char	*store_kind_name(enum store_kind);

/*
 * multidnsd -n: open the store, load every zone once and print one
 * "file:line: message" line to errfp per zone that fails; with listfp,
 * one line per zone loaded (size and store version) goes there.  0 or -1.
 */
int		 config_check_zones(const struct config *, FILE *listfp,
		    FILE *errfp);

#define CONFIG_CHECK_PRINT	0x1	/* print the normalised config */
#define CONFIG_CHECK_LIST	0x2	/* list every zone loaded */
/*
 * Load `path`, check it and its zones; with CONFIG_CHECK_PRINT, write the
 * normalised config to out first, with CONFIG_CHECK_LIST one line per
 * zone.  On success "configuration OK: N zones, M providers" goes to out;
 * every error goes to errfp.  0 or -1.
 */
int		 config_check_file(const char *path, int flags, FILE *out,
		    FILE *errfp);

#endif
