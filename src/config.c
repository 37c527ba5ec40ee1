/*
 * config.c: the configuration file.
 *
 * The file is read whole (at most CONFIG_SIZE_MAX bytes) and handed to
 * inih line by line through config_reader().  inih is built without
 * INI_HANDLER_LINENO and without a callback for section headers, so the
 * reader does three jobs besides feeding lines: it counts them (every
 * message is "file:line: message"), it strips leading white space (so an
 * indented line is a key of its own, never an inih continuation line), and
 * it parses section headers itself, so that empty sections, duplicate
 * sections and the line of each section are known.  The first error stops
 * the parse: the reader returns NULL.
 *
 * Provider keys depend on the provider's type, which may come after them,
 * so a provider section is checked when it ends.  Which keys each type
 * takes is one table, provider_keys[].
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "alert.h"
#include "config.h"
#include "diff.h"
#include "dnsio.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "xmalloc.h"
#include "zone.h"

#define CONFIG_NAME_MAX		64	/* provider names */
#define CONFIG_ECHO_MAX		"100"	/* bad values are quoted up to this */

#define DEFAULT_LOG_LEVEL	LOG_LEVEL_INFO
#define DEFAULT_INTERVAL	60
#define DEFAULT_JITTER		10
#define DEFAULT_STORE_REF	"HEAD"
#define DEFAULT_STORE_POLL	5
#define DEFAULT_TIMEOUT		30
#define DEFAULT_CONCURRENCY	4
#define DEFAULT_MAX_PCT		30
#define DEFAULT_MIN_RRSETS	10
#define DEFAULT_PROBE_INTERVAL	30
#define DEFAULT_PROBE_TIMEOUT	1000
#define DEFAULT_PROBE_SAMPLE	20
#define DEFAULT_DOWN_AFTER	3
#define DEFAULT_UP_AFTER	2
#define DEFAULT_SLOW_MS		500
#define DEFAULT_FLAP_WINDOW	600
#define DEFAULT_FLAP_THRESHOLD	4
#define DEFAULT_DELEGATION_INTERVAL 3600
#define DEFAULT_LINT_MIN_TTL	300
#define DEFAULT_LINT_MAX_NS_TTL	86400
#define DEFAULT_WITHDRAW_AFTER	60
#define DEFAULT_REINSTATE_AFTER	300
#define DEFAULT_WEBHOOK_MAX_AGE	86400
#define DEFAULT_WEBHOOK_TIMEOUT	10

enum config_section {
	SECTION_NONE,
	SECTION_DAEMON,
	SECTION_STORE,
	SECTION_PROVIDER,
	SECTION_ZONE,
	SECTION_WEBHOOK,
};

/* How a provider key's value is checked and normalised. */
enum config_vtype {
	VTYPE_WORD,		/* one token: no white space or controls */
	VTYPE_PATH,		/* made absolute against the config's directory */
	VTYPE_URL,		/* http:// or https:// */
	VTYPE_HOSTPORT,		/* host, host:port, [v6]:port or bare v6 */
	VTYPE_BOOL,		/* stored as "yes" or "no" */
	VTYPE_CHOICE,		/* one of the '|'-separated words in choices */
	VTYPE_NAMES,		/* domain names, stored absolute, space-separated */
};

struct provider_key {
	const char		*type;
	const char		*key;
	enum config_vtype	 vtype;
	int			 required;
	const char		*def;		/* default value or NULL */
	const char		*choices;	/* VTYPE_CHOICE: "a|b|c" */
};

/*
 * Every provider type's own keys, in the order they are printed.  The
 * common keys (type, timeout, max-concurrency) are not listed.  Secrets
 * are never given here directly: only *-file keys point at them.
 */
static const struct provider_key provider_keys[] = {
	{ "powerdns", "url", VTYPE_URL, 1, NULL, NULL },
	{ "powerdns", "api-key-file", VTYPE_PATH, 1, NULL, NULL },
	{ "powerdns", "server-id", VTYPE_WORD, 0, "localhost", NULL },
	{ "powerdns", "create-zone", VTYPE_BOOL, 0, "no", NULL },
	{ "powerdns", "nameservers", VTYPE_NAMES, 0, NULL, NULL },

	{ "rfc2136", "server", VTYPE_HOSTPORT, 1, NULL, NULL },
	{ "rfc2136", "tsig-key-name", VTYPE_WORD, 0, NULL, NULL },
	{ "rfc2136", "tsig-algorithm", VTYPE_CHOICE, 0, "hmac-sha256",
	    "hmac-md5|hmac-sha1|hmac-sha224|hmac-sha256|hmac-sha384|hmac-sha512" },
	{ "rfc2136", "tsig-secret-file", VTYPE_PATH, 0, NULL, NULL },
	{ "rfc2136", "nameservers", VTYPE_NAMES, 0, NULL, NULL },
	{ "rfc2136", "axfr-server", VTYPE_HOSTPORT, 0, NULL, NULL },

	{ "cloudflare", "api-token-file", VTYPE_PATH, 1, NULL, NULL },
	{ "cloudflare", "api-url", VTYPE_URL, 0, NULL, NULL },
	{ "cloudflare", "zone-id", VTYPE_WORD, 0, NULL, NULL },
	{ "cloudflare", "proxied", VTYPE_CHOICE, 0, "leave", "leave|manage" },
	{ "cloudflare", "nameservers", VTYPE_NAMES, 0, NULL, NULL },

	{ "route53", "access-key-id", VTYPE_WORD, 0, NULL, NULL },
	{ "route53", "secret-access-key-file", VTYPE_PATH, 0, NULL, NULL },
	{ "route53", "credentials-file", VTYPE_PATH, 0, NULL, NULL },
	{ "route53", "profile", VTYPE_WORD, 0, NULL, NULL },
	{ "route53", "hosted-zone-id", VTYPE_WORD, 0, NULL, NULL },
	{ "route53", "api-url", VTYPE_URL, 0, NULL, NULL },
	{ "route53", "region", VTYPE_WORD, 0, "us-east-1", NULL },
	{ "route53", "nameservers", VTYPE_NAMES, 0, NULL, NULL },
	{ "route53", "wait-insync", VTYPE_BOOL, 0, "no", NULL },

	{ "gcloud", "service-account-file", VTYPE_PATH, 1, NULL, NULL },
	{ "gcloud", "project", VTYPE_WORD, 1, NULL, NULL },
	{ "gcloud", "managed-zone", VTYPE_WORD, 0, NULL, NULL },
	{ "gcloud", "api-url", VTYPE_URL, 0, NULL, NULL },
	{ "gcloud", "token-url", VTYPE_URL, 0, NULL, NULL },
	{ "gcloud", "nameservers", VTYPE_NAMES, 0, NULL, NULL },
	{ "gcloud", "change-timeout", VTYPE_WORD, 0, "120", NULL },
};

/* Keys that must be given together or not at all. */
static const struct {
	const char	*type;
	const char	*a;
	const char	*b;
} provider_pairs[] = {
	{ "rfc2136", "tsig-key-name", "tsig-secret-file" },
	{ "route53", "access-key-id", "secret-access-key-file" },
};

static const char *const provider_types[] = {
	"powerdns", "rfc2136", "cloudflare", "route53", "gcloud",
};
#define PROVIDER_TYPES	"powerdns|rfc2136|cloudflare|route53|gcloud"

static const char *const zone_mode_names[] = {
	[ZONE_MODE_ENFORCE] = "enforce",
	[ZONE_MODE_ALERT] = "alert",
};

static const char *const webhook_format_names[] = {
	[WEBHOOK_FORMAT_JSON] = "json",
	[WEBHOOK_FORMAT_SLACK] = "slack",
};

static const char *const store_kind_names[] = {
	[STORE_KIND_GIT] = "git",
	[STORE_KIND_DIR] = "directory",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A key seen in the current section, to refuse duplicates. */
struct config_seen {
	char		*key;
	unsigned	 line;
};

struct config_parse {
	struct config		*conf;
	const char		*file;		/* as given, for messages */
	char			*dir;		/* absolute directory of file */
	const char		*buf;
	size_t			 len;
	size_t			 off;
	unsigned		 line;
	char			*err;
	size_t			 errlen;
	int			 failed;

	enum config_section	 section;
	char			*section_text;	/* "[zone \"x.\"]" for messages */
	struct config_seen	*seen;
	size_t			 nseen;

	unsigned		 daemon_line;
	unsigned		 store_line;
	int			 store_has_type;
	unsigned		 store_ref_line;
	int			 store_has_path;
};

static void
config_error(struct config_parse *cp, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_error(struct config_parse *cp, unsigned line, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	if (cp->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line != 0)
		snprintf(cp->err, cp->errlen, "%s:%u: %s", cp->file, line, msg);
	else
		snprintf(cp->err, cp->errlen, "%s: %s", cp->file, msg);
	cp->failed = 1;
}

const char *
zone_mode_name(enum zone_mode mode)
{
	if ((unsigned)mode >= NITEMS(zone_mode_names))
		return ("unknown");
	return (zone_mode_names[mode]);
}

const char *
outage_action_name(enum outage_action a)
{
	return (a == OUTAGE_WITHDRAW ? "withdraw" : "alert");
}

const char *
webhook_format_name(enum webhook_format f)
{
	if ((unsigned)f >= NITEMS(webhook_format_names))
		return ("unknown");
	return (webhook_format_names[f]);
}

const char *
store_kind_name(enum store_kind kind)
{
	if ((unsigned)kind >= NITEMS(store_kind_names))
		return ("unknown");
	return (store_kind_names[kind]);
}

/* Value checks. */

/* A decimal number in [min, max]; 0 or -1. */
static int
config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long	v = 0;
	const char		*p;

	if (*s == '\0' || strlen(s) > 10)
		return (-1);
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = (unsigned)v;
	return (0);
}

static int
config_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < NITEMS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (-1);
}

/* 1 when s is one of the '|'-separated words in choices. */
static int
config_is_choice(const char *s, const char *choices)
{
	const char	*p = choices, *end;
	size_t		 len = strlen(s);

	for (;;) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && strncmp(p, s, len) == 0)
			return (1);
		if (*end == '\0')
			return (0);
		p = end + 1;
	}
}

/* One token: printable, no white space, at most 255 characters. */
static int
config_is_word(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > 255)
		return (0);
	for (p = s; *p != '\0'; p++) {
		if (!isgraph((unsigned char)*p))
			return (0);
	}
	return (1);
}

static int
config_is_name_char(int c)
{
	return (isalnum(c) || c == '-' || c == '_');
}

/* Provider names: [A-Za-z0-9_-]+, at most CONFIG_NAME_MAX. */
static int
config_is_provider_name(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > CONFIG_NAME_MAX)
		return (0);
	for (p = s; *p != '\0'; p++) {
		if (!config_is_name_char((unsigned char)*p))
			return (0);
	}
	return (1);
}

/*
 * A host name: labels of letters, digits, '-' and '_', made absolute and
 * lower-case ("." is the root).  0 and *out, or -1 with the reason.
 */
static int
config_dname_norm(const char *in, char **out, char *why, size_t whylen)
{
	size_t		 len = strlen(in), label = 0, i;
	char		*s;

	if (len == 0) {
		snprintf(why, whylen, "empty name");
		return (-1);
	}
	if (strcmp(in, ".") == 0) {
		*out = xstrdup(".");
		return (0);
	}
	if (in[len - 1] == '.')
		len--;
	if (len > 253) {
		snprintf(why, whylen, "longer than 253 characters");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (in[i] == '.') {
			if (label == 0) {
				snprintf(why, whylen, "empty label");
				return (-1);
			}
			label = 0;
			continue;
		}
		if (!config_is_name_char((unsigned char)in[i])) {
			if (isprint((unsigned char)in[i]))
				snprintf(why, whylen, "invalid character '%c'",
				    in[i]);
			else
				snprintf(why, whylen, "invalid character 0x%02x",
				    (unsigned char)in[i]);
			return (-1);
		}
		if (++label > 63) {
			snprintf(why, whylen, "label longer than 63 characters");
			return (-1);
		}
	}
	if (label == 0) {
		snprintf(why, whylen, "empty label");
		return (-1);
	}
	s = xmalloc(len + 2);
	for (i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)in[i]);
	s[len] = '.';
	s[len + 1] = '\0';
	*out = s;
	return (0);
}

/* host, host:port, [v6] or [v6]:port, or a bare IPv6 address. */
static int
config_is_hostport(const char *s)
{
	struct in6_addr	 a6;
	char		 host[256], why[64], *name;
	const char	*colon, *close, *port = NULL;
	size_t		 hlen;
	unsigned	 p;

	if (*s == '\0' || strlen(s) >= sizeof(host))
		return (0);
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return (1);
	if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return (0);
		hlen = (size_t)(close - s - 1);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return (0);
		if (close[1] == '\0')
			return (1);
		if (close[1] != ':')
			return (0);
		port = close + 2;
	} else {
		colon = strchr(s, ':');
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (colon != NULL)
			port = colon + 1;
		/* Host names and IPv4 addresses both pass as names. */
		if (hlen == 0 || strcmp(host, ".") == 0 ||
		    config_dname_norm(host, &name, why, sizeof(why)) != 0)
			return (0);
		free(name);
	}
	if (port != NULL && config_parse_uint(port, 1, 65535, &p) != 0)
		return (0);
	return (1);
}

static int
config_is_url(const char *s)
{
	const char	*rest;

	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return (0);
	if (*rest == '\0' || *rest == '/')
		return (0);
	return (config_is_word(s));
}

/*
 * A path, absolute as given or relative to the config's directory, with
 * "." components and repeated or trailing slashes removed.  ".." is kept:
 * resolving it without the file system could change what it names.
 */
static char *
config_path_resolve(const char *dir, const char *value)
{
	char		*joined, *out, *o;
	const char	*p, *end;
	size_t		 n;

	if (value[0] == '/')
		joined = xstrdup(value);
	else
		xasprintf(&joined, "%s/%s", dir, value);
	out = xmalloc(strlen(joined) + 2);
	o = out;
	for (p = joined; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	free(joined);
	return (out);
}

/* Split a list on commas and white space into words; returns the count. */
static size_t
config_split(const char *s, char ***out)
{
	char	**v = NULL, *copy, *w, *last;
	size_t	  n = 0;

	copy = xstrdup(s);
	for (w = strtok_r(copy, ", \t", &last); w != NULL;
	    w = strtok_r(NULL, ", \t", &last)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup(w);
	}
	free(copy);
	*out = v;
	return (n);
}

static void
config_free_words(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sections. */

static struct provider_conf *
config_cur_provider(struct config_parse *cp)
{
	return (&cp->conf->providers[cp->conf->nproviders - 1]);
}

static struct zone_conf *
config_cur_zone(struct config_parse *cp)
{
	return (&cp->conf->zones[cp->conf->nzones - 1]);
}

static struct webhook_conf *
config_cur_webhook(struct config_parse *cp)
{
	return (&cp->conf->webhooks[cp->conf->nwebhooks - 1]);
}

static void
config_seen_clear(struct config_parse *cp)
{
	size_t	i;

	for (i = 0; i < cp->nseen; i++)
		free(cp->seen[i].key);
	free(cp->seen);
	cp->seen = NULL;
	cp->nseen = 0;
}

/* Refuse a scalar key given twice in one section; 0 or -1. */
static int
config_seen_check(struct config_parse *cp, const char *key)
{
	size_t	i;

	for (i = 0; i < cp->nseen; i++) {
		if (strcmp(cp->seen[i].key, key) == 0) {
			config_error(cp, cp->line,
			    "duplicate key '%s' (first at line %u)", key,
			    cp->seen[i].line);
			return (-1);
		}
	}
	cp->seen = xreallocarray(cp->seen, cp->nseen + 1, sizeof(*cp->seen));
	cp->seen[cp->nseen].key = xstrdup(key);
	cp->seen[cp->nseen].line = cp->line;
	cp->nseen++;
	return (0);
}

static const struct provider_key *
config_provider_key(const char *type, const char *key)
{
	size_t	i;

	for (i = 0; i < NITEMS(provider_keys); i++) {
		if (strcmp(provider_keys[i].type, type) == 0 &&
		    strcmp(provider_keys[i].key, key) == 0)
			return (&provider_keys[i]);
	}
	return (NULL);
}

/* Check and normalise one provider option; 0 or -1. */
static int
config_provider_value(struct config_parse *cp, struct config_kv *kv,
    const struct provider_key *pk)
{
	char		**words, *name, *norm, *tmp, why[128];
	size_t		  nwords, i, len;
	int		  b;

	switch (pk->vtype) {
	case VTYPE_WORD:
		if (!config_is_word(kv->value)) {
			config_error(cp, kv->line, "%s: expected one word, "
			    "got '%." CONFIG_ECHO_MAX "s'", kv->key, kv->value);
			return (-1);
		}
		break;
	case VTYPE_PATH:
		if (kv->value[0] == '\0') {
			config_error(cp, kv->line, "%s: expected a path, "
			    "got an empty value", kv->key);
			return (-1);
		}
		/* A systemd credential (LoadCredential=) is not a path. */
		if (strncmp(kv->value, "credential:", 11) == 0) {
			if (kv->value[11] == '\0' ||
			    strchr(kv->value + 11, '/') != NULL) {
				config_error(cp, kv->line, "%s: expected "
				    "credential:NAME with a NAME and no '/'",
				    kv->key);
				return (-1);
			}
			break;
		}
		tmp = config_path_resolve(cp->dir, kv->value);
		free(kv->value);
		kv->value = tmp;
		break;
	case VTYPE_URL:
		if (!config_is_url(kv->value)) {
			config_error(cp, kv->line, "%s: expected an http:// or "
			    "https:// URL, got '%." CONFIG_ECHO_MAX "s'", kv->key,
			    kv->value);
			return (-1);
		}
		break;
	case VTYPE_HOSTPORT:
		if (!config_is_hostport(kv->value)) {
			config_error(cp, kv->line, "%s: expected HOST or "
			    "HOST:PORT, got '%." CONFIG_ECHO_MAX "s'", kv->key,
			    kv->value);
			return (-1);
		}
		break;
	case VTYPE_BOOL:
		if (config_parse_bool(kv->value, &b) != 0) {
			config_error(cp, kv->line, "%s: expected yes or no, "
			    "got '%." CONFIG_ECHO_MAX "s'", kv->key, kv->value);
			return (-1);
		}
		free(kv->value);
		kv->value = xstrdup(b ? "yes" : "no");
		break;
	case VTYPE_CHOICE:
		if (!config_is_choice(kv->value, pk->choices)) {
			config_error(cp, kv->line, "%s: expected %s, "
			    "got '%." CONFIG_ECHO_MAX "s'", kv->key, pk->choices,
			    kv->value);
			return (-1);
		}
		break;
	case VTYPE_NAMES:
		nwords = config_split(kv->value, &words);
		if (nwords == 0) {
			config_error(cp, kv->line, "%s: expected one or more "
			    "host names", kv->key);
			return (-1);
		}
		norm = xstrdup("");
		for (i = 0; i < nwords; i++) {
			if (config_dname_norm(words[i], &name, why,
			    sizeof(why)) != 0) {
				config_error(cp, kv->line, "%s: invalid host "
				    "name '%." CONFIG_ECHO_MAX "s': %s", kv->key,
				    words[i], why);
				free(norm);
				config_free_words(words, nwords);
				return (-1);
			}
			len = strlen(norm);
			xasprintf(&tmp, "%s%s%s", norm, len ? " " : "", name);
			free(norm);
			free(name);
			norm = tmp;
		}
		config_free_words(words, nwords);
		free(kv->value);
		kv->value = norm;
		break;
	}
	return (0);
}

/* The provider section just ended: check its keys against its type. */
static void
config_provider_end(struct config_parse *cp)
{
	struct provider_conf		*pc = config_cur_provider(cp);
	const struct provider_key	*pk;
	struct config_kv		*kv;
	char				*hint;
	size_t				 i;
	int				 has_a, has_b;

	if (pc->type == NULL) {
		config_error(cp, pc->line, "missing required key 'type' in %s",
		    cp->section_text);
		return;
	}
	for (i = 0; i < pc->nopts; i++) {
		kv = &pc->opts[i];
		pk = config_provider_key(pc->type, kv->key);
		if (pk == NULL) {
			xasprintf(&hint, "%s-file", kv->key);
			if (config_provider_key(pc->type, hint) != NULL)
				config_error(cp, kv->line, "unknown key '%s' for "
				    "provider type '%s' (secrets go in a file: "
				    "use '%s')", kv->key, pc->type, hint);
			else
				config_error(cp, kv->line, "unknown key '%s' for "
				    "provider type '%s'", kv->key, pc->type);
			free(hint);
			return;
		}
		if (config_provider_value(cp, kv, pk) != 0)
			return;
	}
	for (i = 0; i < NITEMS(provider_keys); i++) {
		pk = &provider_keys[i];
		if (strcmp(pk->type, pc->type) != 0 ||
		    provider_conf_get(pc, pk->key) != NULL)
			continue;
		if (pk->required) {
			config_error(cp, pc->line, "missing required key '%s' "
			    "in %s", pk->key, cp->section_text);
			return;
		}
		if (pk->def != NULL) {
			pc->opts = xreallocarray(pc->opts, pc->nopts + 1,
			    sizeof(*pc->opts));
			kv = &pc->opts[pc->nopts++];
			kv->key = xstrdup(pk->key);
			kv->value = xstrdup(pk->def);
			kv->line = 0;
		}
	}
	for (i = 0; i < NITEMS(provider_pairs); i++) {
		if (strcmp(provider_pairs[i].type, pc->type) != 0)
			continue;
		has_a = provider_conf_get(pc, provider_pairs[i].a) != NULL;
		has_b = provider_conf_get(pc, provider_pairs[i].b) != NULL;
		if (has_a != has_b) {
			config_error(cp, pc->line, "'%s' and '%s' go together "
			    "in %s", provider_pairs[i].a, provider_pairs[i].b,
			    cp->section_text);
			return;
		}
	}
}

static void
config_zone_end(struct config_parse *cp)
{
	struct zone_conf	*zc = config_cur_zone(cp);

	if (zc->nproviders == 0) {
		config_error(cp, zc->line, "missing required key 'providers' "
		    "in %s", cp->section_text);
		return;
	}
	if (zc->file == NULL) {
		if (strcmp(zc->name, ".") == 0)
			zc->file = xstrdup("root.zone");
		else
			xasprintf(&zc->file, "%szone", zc->name);
	}
}

static void
config_webhook_end(struct config_parse *cp)
{
	struct webhook_conf	*wc = config_cur_webhook(cp);

	if (wc->url == NULL)
		config_error(cp, wc->line, "missing required key 'url' in %s",
		    cp->section_text);
}

static void
config_store_end(struct config_parse *cp)
{
	struct config	*conf = cp->conf;

	if (!cp->store_has_type) {
		config_error(cp, cp->store_line, "missing required key 'type' "
		    "in [store]");
		return;
	}
	if (!cp->store_has_path) {
		config_error(cp, cp->store_line, "missing required key 'path' "
		    "in [store]");
		return;
	}
	if (conf->store_kind == STORE_KIND_DIR && cp->store_ref_line != 0) {
		config_error(cp, cp->store_ref_line, "ref: only valid for "
		    "store type 'git'");
		return;
	}
	if (conf->store_kind == STORE_KIND_GIT && conf->store_ref == NULL)
		conf->store_ref = xstrdup(DEFAULT_STORE_REF);
}

static void
config_section_end(struct config_parse *cp)
{
	switch (cp->section) {
	case SECTION_STORE:
		config_store_end(cp);
		break;
	case SECTION_PROVIDER:
		config_provider_end(cp);
		break;
	case SECTION_ZONE:
		config_zone_end(cp);
		break;
	case SECTION_WEBHOOK:
		config_webhook_end(cp);
		break;
	case SECTION_NONE:
	case SECTION_DAEMON:
		break;
	}
	config_seen_clear(cp);
	free(cp->section_text);
	cp->section_text = NULL;
	cp->section = SECTION_NONE;
}

/* A new section; kind and name (NULL when none) as written. */
static void
config_section_begin(struct config_parse *cp, const char *kind,
    const char *name)
{
	struct config		*conf = cp->conf;
	struct provider_conf	*pc;
	struct zone_conf	*zc;
	struct webhook_conf	*wc;
	char			*norm, why[128];
	size_t			 i;

	if (strcmp(kind, "daemon") == 0 || strcmp(kind, "store") == 0) {
		unsigned	*first;
		int		 daemon = strcmp(kind, "daemon") == 0;

		if (name != NULL) {
			config_error(cp, cp->line, "section [%s] takes no name",
			    kind);
			return;
		}
		first = daemon ? &cp->daemon_line : &cp->store_line;
		if (*first != 0) {
			config_error(cp, cp->line, "duplicate section [%s] "
			    "(first at line %u)", kind, *first);
			return;
		}
		*first = cp->line;
		cp->section = daemon ? SECTION_DAEMON : SECTION_STORE;
		xasprintf(&cp->section_text, "[%s]", kind);
	} else if (strcmp(kind, "provider") == 0) {
		if (name == NULL) {
			config_error(cp, cp->line, "section [provider] needs a "
			    "name: [provider \"NAME\"]");
			return;
		}
		if (!config_is_provider_name(name)) {
			config_error(cp, cp->line, "invalid provider name "
			    "'%." CONFIG_ECHO_MAX "s': use letters, digits, '-' "
			    "and '_'", name);
			return;
		}
		for (i = 0; i < conf->nproviders; i++) {
			if (strcmp(conf->providers[i].name, name) == 0) {
				config_error(cp, cp->line, "duplicate section "
				    "[provider \"%s\"] (first at line %u)", name,
				    conf->providers[i].line);
				return;
			}
		}
		conf->providers = xreallocarray(conf->providers,
		    conf->nproviders + 1, sizeof(*conf->providers));
		pc = &conf->providers[conf->nproviders++];
		memset(pc, 0, sizeof(*pc));
		pc->name = xstrdup(name);
		pc->timeout = DEFAULT_TIMEOUT;
		pc->max_concurrency = DEFAULT_CONCURRENCY;
		pc->line = cp->line;
		cp->section = SECTION_PROVIDER;
		xasprintf(&cp->section_text, "[provider \"%s\"]", name);
	} else if (strcmp(kind, "zone") == 0) {
		if (name == NULL) {
			config_error(cp, cp->line, "section [zone] needs a "
			    "name: [zone \"NAME\"]");
			return;
		}
		if (config_dname_norm(name, &norm, why, sizeof(why)) != 0) {
			config_error(cp, cp->line, "invalid zone name "
			    "'%." CONFIG_ECHO_MAX "s': %s", name, why);
			return;
		}
		for (i = 0; i < conf->nzones; i++) {
			if (strcmp(conf->zones[i].name, norm) == 0) {
				config_error(cp, cp->line, "duplicate section "
				    "[zone \"%s\"] (first at line %u)", norm,
				    conf->zones[i].line);
				free(norm);
				return;
			}
		}
		conf->zones = xreallocarray(conf->zones, conf->nzones + 1,
		    sizeof(*conf->zones));
		zc = &conf->zones[conf->nzones++];
		memset(zc, 0, sizeof(*zc));
		zc->name = norm;
		zc->mode = ZONE_MODE_ALERT;
		zc->max_update_pct = DEFAULT_MAX_PCT;
		zc->max_delete_pct = DEFAULT_MAX_PCT;
		zc->safety_min_rrsets = DEFAULT_MIN_RRSETS;
		zc->probe_sample = DEFAULT_PROBE_SAMPLE;
		zc->line = cp->line;
		cp->section = SECTION_ZONE;
		xasprintf(&cp->section_text, "[zone \"%s\"]", norm);
	} else if (strcmp(kind, "webhook") == 0) {
		if (name == NULL) {
			config_error(cp, cp->line, "section [webhook] needs a "
			    "name: [webhook \"NAME\"]");
			return;
		}
		if (!config_is_provider_name(name)) {
			config_error(cp, cp->line, "invalid webhook name "
			    "'%." CONFIG_ECHO_MAX "s': use letters, digits, '-' "
			    "and '_'", name);
			return;
		}
		for (i = 0; i < conf->nwebhooks; i++) {
			if (strcmp(conf->webhooks[i].name, name) == 0) {
				config_error(cp, cp->line, "duplicate section "
				    "[webhook \"%s\"] (first at line %u)", name,
				    conf->webhooks[i].line);
				return;
			}
		}
		conf->webhooks = xreallocarray(conf->webhooks,
		    conf->nwebhooks + 1, sizeof(*conf->webhooks));
		wc = &conf->webhooks[conf->nwebhooks++];
		memset(wc, 0, sizeof(*wc));
		wc->name = xstrdup(name);
		wc->min_severity = DB_SEVERITY_INFO;
		wc->format = WEBHOOK_FORMAT_JSON;
		wc->max_age = DEFAULT_WEBHOOK_MAX_AGE;
		wc->timeout = DEFAULT_WEBHOOK_TIMEOUT;
		wc->line = cp->line;
		cp->section = SECTION_WEBHOOK;
		xasprintf(&cp->section_text, "[webhook \"%s\"]", name);
	} else {
		config_error(cp, cp->line, "unknown section [%." CONFIG_ECHO_MAX
		    "s]", kind);
		return;
	}
}

/*
 * A section header line, leading white space already gone: '[', a kind,
 * optionally white space and a double-quoted name, ']', then nothing but
 * white space or a comment.
 */
static void
config_section_line(struct config_parse *cp, char *line)
{
	char	*p, *kind, *name = NULL, *close, *q;

	config_section_end(cp);
	if (cp->failed)
		return;

	p = line + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	kind = p;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_')
		p++;
	q = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		name = p + 1;
		if ((close = strchr(name, '"')) == NULL)
			goto bad;
		p = close + 1;
		*close = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ']')
		goto bad;
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '\0' && *p != '#' && *p != ';')
		goto bad;
	*q = '\0';
	if (*kind == '\0')
		goto bad;
	config_section_begin(cp, kind, name);
	return;

bad:
	config_error(cp, cp->line, "bad section header: expected [KIND] or "
	    "[KIND \"NAME\"]");
}

/* Keys. */

static void
config_key_daemon(struct config_parse *cp, const char *key, const char *value)
{
	struct config	*conf = cp->conf;
	const char	*p;

	if (strcmp(key, "state") == 0 || strcmp(key, "socket") == 0) {
		char	**dst;

		if (strcmp(key, "state") == 0)
			dst = &conf->state_path;
		else
			dst = &conf->socket_path;
		if (*value == '\0') {
			config_error(cp, cp->line, "%s: expected a path, got an "
			    "empty value", key);
			return;
		}
		free(*dst);
		*dst = config_path_resolve(cp->dir, value);
	} else if (strcmp(key, "user") == 0) {
		for (p = value; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) && *p != '_' &&
			    *p != '-' && *p != '.')
				break;
		}
		if (*value == '\0' || *p != '\0' || value[0] == '-' ||
		    strlen(value) > 32) {
			config_error(cp, cp->line, "user: expected a user name, "
			    "got '%." CONFIG_ECHO_MAX "s'", value);
			return;
		}
		conf->user = xstrdup(value);
	} else if (strcmp(key, "metrics") == 0) {
		char		host[METRICS_ADDR_MAX], why[160];
		uint16_t	port;

		if (metrics_addr_parse(value, host, sizeof(host), &port, why,
		    sizeof(why)) == -1) {
			config_error(cp, cp->line, "metrics: %s", why);
			return;
		}
		free(conf->metrics);
		conf->metrics = xstrdup(value);
	} else if (strcmp(key, "log-level") == 0) {
		if (strcmp(value, "error") != 0 && strcmp(value, "warning") != 0 &&
		    strcmp(value, "info") != 0 && strcmp(value, "debug") != 0) {
			config_error(cp, cp->line, "log-level: expected "
			    "error|warning|info|debug, got '%." CONFIG_ECHO_MAX
			    "s'", value);
			return;
		}
		(void)log_level_parse(value, &conf->log_level);
	} else if (strcmp(key, "interval") == 0) {
		if (config_parse_uint(value, 5, 86400, &conf->interval) != 0)
			config_error(cp, cp->line, "interval: expected a number "
			    "of seconds from 5 to 86400, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else if (strcmp(key, "jitter") == 0) {
		if (config_parse_uint(value, 0, 50, &conf->jitter_pct) != 0)
			config_error(cp, cp->line, "jitter: expected a "
			    "percentage from 0 to 50, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else if (strcmp(key, "flap-window") == 0) {
		if (config_parse_uint(value, 1, 86400, &conf->flap_window) != 0)
			config_error(cp, cp->line, "flap-window: expected a "
			    "number of seconds from 1 to 86400, got '%."
			    CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "flap-threshold") == 0) {
		if (config_parse_uint(value, 0, 100,
		    &conf->flap_threshold) != 0 || conf->flap_threshold == 1)
			config_error(cp, cp->line, "flap-threshold: expected 0 "
			    "(off) or a number of transitions from 2 to 100, "
			    "got '%." CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "probe-interval") == 0) {
		if (config_parse_uint(value, 1, 86400,
		    &conf->probe_interval) != 0)
			config_error(cp, cp->line, "probe-interval: expected a "
			    "number of seconds from 1 to 86400, got '%."
			    CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "probe-timeout") == 0) {
		if (config_parse_uint(value, 10, 30000,
		    &conf->probe_timeout) != 0)
			config_error(cp, cp->line, "probe-timeout: expected a "
			    "number of milliseconds from 10 to 30000, got '%."
			    CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "down-after") == 0 ||
	    strcmp(key, "up-after") == 0) {
		if (config_parse_uint(value, 1, 100, strcmp(key,
		    "down-after") == 0 ? &conf->down_after :
		    &conf->up_after) != 0)
			config_error(cp, cp->line, "%s: expected a number from "
			    "1 to 100, got '%." CONFIG_ECHO_MAX "s'", key,
			    value);
	} else if (strcmp(key, "slow-ms") == 0) {
		if (config_parse_uint(value, 1, 60000, &conf->slow_ms) != 0)
			config_error(cp, cp->line, "slow-ms: expected a number "
			    "of milliseconds from 1 to 60000, got '%."
			    CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "delegation-interval") == 0) {
		if (config_parse_uint(value, 1, 604800,
		    &conf->delegation_interval) != 0)
			config_error(cp, cp->line, "delegation-interval: "
			    "expected a number of seconds from 1 to 604800, got "
			    "'%." CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "lint-min-ttl") == 0 ||
	    strcmp(key, "lint-max-ns-ttl") == 0) {
		if (config_parse_uint(value, 0, ZONE_TTL_MAX, strcmp(key,
		    "lint-min-ttl") == 0 ? &conf->lint_min_ttl :
		    &conf->lint_max_ns_ttl) != 0)
			config_error(cp, cp->line, "%s: expected a TTL in "
			    "seconds from 0 to %u, got '%." CONFIG_ECHO_MAX
			    "s'", key, ZONE_TTL_MAX, value);
	} else if (strcmp(key, "on-outage") == 0) {
		if (strcmp(value, "alert") == 0)
			conf->on_outage = OUTAGE_ALERT;
		else if (strcmp(value, "withdraw") == 0)
			conf->on_outage = OUTAGE_WITHDRAW;
		else
			config_error(cp, cp->line, "on-outage: expected "
			    "alert|withdraw, got '%." CONFIG_ECHO_MAX "s'",
			    value);
	} else if (strcmp(key, "withdraw-after") == 0 ||
	    strcmp(key, "reinstate-after") == 0) {
		if (config_parse_uint(value, 0, 86400, strcmp(key,
		    "withdraw-after") == 0 ? &conf->withdraw_after :
		    &conf->reinstate_after) != 0)
			config_error(cp, cp->line, "%s: expected a number of "
			    "seconds from 0 to 86400, got '%." CONFIG_ECHO_MAX
			    "s'", key, value);
	} else
		config_error(cp, cp->line, "unknown key '%s' in [daemon]", key);
}

static void
config_key_store(struct config_parse *cp, const char *key, const char *value)
{
	struct config	*conf = cp->conf;

	if (strcmp(key, "type") == 0) {
		if (strcmp(value, "git") == 0)
			conf->store_kind = STORE_KIND_GIT;
		else if (strcmp(value, "directory") == 0)
			conf->store_kind = STORE_KIND_DIR;
		else {
			config_error(cp, cp->line, "type: expected "
			    "git|directory, got '%." CONFIG_ECHO_MAX "s'", value);
			return;
		}
		cp->store_has_type = 1;
	} else if (strcmp(key, "path") == 0) {
		if (*value == '\0') {
			config_error(cp, cp->line, "path: expected a path, got "
			    "an empty value");
			return;
		}
		conf->store_path = config_path_resolve(cp->dir, value);
		cp->store_has_path = 1;
	} else if (strcmp(key, "ref") == 0) {
		if (!config_is_word(value)) {
			config_error(cp, cp->line, "ref: expected a git "
			    "reference, got '%." CONFIG_ECHO_MAX "s'", value);
			return;
		}
		conf->store_ref = xstrdup(value);
		cp->store_ref_line = cp->line;
	} else if (strcmp(key, "poll") == 0) {
		if (config_parse_uint(value, 1, 86400, &conf->store_poll) != 0)
			config_error(cp, cp->line, "poll: expected a number of "
			    "seconds from 1 to 86400, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else
		config_error(cp, cp->line, "unknown key '%s' in [store]", key);
}

/*
 * probe = ADDR[:PORT] ... (and parent = ...): IP literals, separated by
 * spaces or commas.
 */
static int
config_probe_check(struct config_parse *cp, const char *key,
    const char *value)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			**words;
	size_t			 nwords, i;

	nwords = config_split(value, &words);
	if (nwords == 0) {
		config_error(cp, cp->line, "%s: expected at least one "
		    "address", key);
		return (-1);
	}
	for (i = 0; i < nwords; i++) {
		if (dnsio_addr_parse(words[i], 53, &ss, &sslen) == -1) {
			config_error(cp, cp->line, "%s: expected IP "
			    "addresses with optional ports (IPv6 in brackets "
			    "with a port), got '%." CONFIG_ECHO_MAX "s'", key,
			    words[i]);
			config_free_words(words, nwords);
			return (-1);
		}
	}
	config_free_words(words, nwords);
	return (0);
}

static void
config_key_provider(struct config_parse *cp, const char *key,
    const char *value)
{
	struct provider_conf	*pc = config_cur_provider(cp);
	struct config_kv	*kv;
	size_t			 i;

	if (strcmp(key, "type") == 0) {
		for (i = 0; i < NITEMS(provider_types); i++) {
			if (strcmp(value, provider_types[i]) == 0)
				break;
		}
		if (i == NITEMS(provider_types)) {
			config_error(cp, cp->line, "type: expected "
			    PROVIDER_TYPES ", got '%." CONFIG_ECHO_MAX "s'",
			    value);
			return;
		}
		pc->type = xstrdup(value);
	} else if (strcmp(key, "timeout") == 0) {
		if (config_parse_uint(value, 1, 3600, &pc->timeout) != 0)
			config_error(cp, cp->line, "timeout: expected a number "
			    "of seconds from 1 to 3600, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else if (strcmp(key, "max-concurrency") == 0) {
		if (config_parse_uint(value, 1, 64, &pc->max_concurrency) != 0)
			config_error(cp, cp->line, "max-concurrency: expected a "
			    "number from 1 to 64, got '%." CONFIG_ECHO_MAX "s'",
			    value);
	} else if (strcmp(key, "probe") == 0) {
		if (config_probe_check(cp, "probe", value) == 0) {
			free(pc->probe);
			pc->probe = xstrdup(value);
		}
	} else {
		/* Checked against the type when the section ends. */
		pc->opts = xreallocarray(pc->opts, pc->nopts + 1,
		    sizeof(*pc->opts));
		kv = &pc->opts[pc->nopts++];
		kv->key = xstrdup(key);
		kv->value = xstrdup(value);
		kv->line = cp->line;
	}
}

static void
config_key_zone(struct config_parse *cp, const char *key, const char *value)
{
	struct zone_conf	*zc = config_cur_zone(cp);
	struct ignore		 ig;
	char			 why[256], **words;
	const char		*p;
	size_t			 nwords, i, j;
	unsigned		*pct;

	if (strcmp(key, "file") == 0) {
		for (p = value; *p != '\0'; p++) {
			if (iscntrl((unsigned char)*p))
				break;
		}
		if (*value == '\0' || *p != '\0' || value[0] == '/' ||
		    strcmp(value, "..") == 0 || strncmp(value, "../", 3) == 0 ||
		    strstr(value, "/../") != NULL ||
		    (strlen(value) >= 3 &&
		    strcmp(value + strlen(value) - 3, "/..") == 0)) {
			config_error(cp, cp->line, "file: expected a path inside "
			    "the store, got '%." CONFIG_ECHO_MAX "s'", value);
			return;
		}
		zc->file = xstrdup(value);
	} else if (strcmp(key, "providers") == 0) {
		nwords = config_split(value, &words);
		if (nwords == 0) {
			config_error(cp, cp->line, "providers: expected at least "
			    "one provider name");
			return;
		}
		for (i = 0; i < nwords; i++) {
			if (!config_is_provider_name(words[i])) {
				config_error(cp, cp->line, "providers: invalid "
				    "provider name '%." CONFIG_ECHO_MAX "s'",
				    words[i]);
				config_free_words(words, nwords);
				return;
			}
			for (j = 0; j < i; j++) {
				if (strcmp(words[i], words[j]) == 0) {
					config_error(cp, cp->line, "providers: "
					    "'%s' is listed twice", words[i]);
					config_free_words(words, nwords);
					return;
				}
			}
		}
		zc->providers = words;
		zc->nproviders = nwords;
		zc->providers_line = cp->line;
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "enforce") == 0)
			zc->mode = ZONE_MODE_ENFORCE;
		else if (strcmp(value, "alert") == 0)
			zc->mode = ZONE_MODE_ALERT;
		else
			config_error(cp, cp->line, "mode: expected "
			    "enforce|alert, got '%." CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "ignore") == 0) {
		if (ignore_parse(value, zc->name, &ig, why, sizeof(why)) != 0) {
			config_error(cp, cp->line, "%s", why);
			return;
		}
		zc->ignores = xreallocarray(zc->ignores, zc->nignores + 1,
		    sizeof(*zc->ignores));
		zc->ignores[zc->nignores++] = ig;
	} else if (strcmp(key, "max-update-percent") == 0 ||
	    strcmp(key, "max-delete-percent") == 0) {
		if (strcmp(key, "max-update-percent") == 0)
			pct = &zc->max_update_pct;
		else
			pct = &zc->max_delete_pct;
		if (config_parse_uint(value, 0, 100, pct) != 0)
			config_error(cp, cp->line, "%s: expected a percentage "
			    "from 0 to 100, got '%." CONFIG_ECHO_MAX "s'", key,
			    value);
	} else if (strcmp(key, "parent") == 0) {
		if (config_probe_check(cp, "parent", value) == 0) {
			free(zc->parent);
			zc->parent = xstrdup(value);
		}
	} else if (strcmp(key, "probe-sample") == 0) {
		if (config_parse_uint(value, 0, 1000000,
		    &zc->probe_sample) != 0)
			config_error(cp, cp->line, "probe-sample: expected a "
			    "number from 0 to 1000000, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else if (strcmp(key, "safety-min-rrsets") == 0) {
		if (config_parse_uint(value, 0, 1000000,
		    &zc->safety_min_rrsets) != 0)
			config_error(cp, cp->line, "safety-min-rrsets: expected a "
			    "number from 0 to 1000000, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else
		config_error(cp, cp->line, "unknown key '%s' in %s", key,
		    cp->section_text);
}

static void
config_key_webhook(struct config_parse *cp, const char *key,
    const char *value)
{
	struct webhook_conf	*wc = config_cur_webhook(cp);
	char			**words;
	size_t			  nwords, i, j, k;

	if (strcmp(key, "url") == 0) {
		if (!config_is_url(value)) {
			config_error(cp, cp->line, "url: expected an http:// "
			    "or https:// URL, got '%." CONFIG_ECHO_MAX "s'",
			    value);
			return;
		}
		wc->url = xstrdup(value);
	} else if (strcmp(key, "events") == 0) {
		nwords = config_split(value, &words);
		if (nwords == 0) {
			config_error(cp, cp->line, "events: expected 'all' or "
			    "one or more event types");
			return;
		}
		if (nwords == 1 && strcmp(words[0], "all") == 0) {
			config_free_words(words, nwords);
			return;
		}
		for (i = 0; i < nwords; i++) {
			for (k = 0; k < NITEMS(alert_type_names); k++) {
				if (strcmp(words[i], alert_type_names[k]) == 0)
					break;
			}
			if (k == NITEMS(alert_type_names)) {
				config_error(cp, cp->line, "events: unknown "
				    "event type '%." CONFIG_ECHO_MAX "s'",
				    words[i]);
				config_free_words(words, nwords);
				return;
			}
			for (j = 0; j < i; j++) {
				if (strcmp(words[i], words[j]) == 0) {
					config_error(cp, cp->line, "events: "
					    "'%s' is listed twice", words[i]);
					config_free_words(words, nwords);
					return;
				}
			}
		}
		wc->events = words;
		wc->nevents = nwords;
	} else if (strcmp(key, "min-severity") == 0) {
		if (strcmp(value, "info") == 0)
			wc->min_severity = DB_SEVERITY_INFO;
		else if (strcmp(value, "warning") == 0)
			wc->min_severity = DB_SEVERITY_WARNING;
		else if (strcmp(value, "critical") == 0)
			wc->min_severity = DB_SEVERITY_CRITICAL;
		else
			config_error(cp, cp->line, "min-severity: expected "
			    "info|warning|critical, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else if (strcmp(key, "format") == 0) {
		if (strcmp(value, "json") == 0)
			wc->format = WEBHOOK_FORMAT_JSON;
		else if (strcmp(value, "slack") == 0)
			wc->format = WEBHOOK_FORMAT_SLACK;
		else
			config_error(cp, cp->line, "format: expected "
			    "json|slack, got '%." CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "secret-file") == 0) {
		if (*value == '\0') {
			config_error(cp, cp->line, "secret-file: expected a "
			    "path, got an empty value");
			return;
		}
		if (strncmp(value, "credential:", 11) == 0) {
			if (value[11] == '\0' ||
			    strchr(value + 11, '/') != NULL) {
				config_error(cp, cp->line, "secret-file: "
				    "expected credential:NAME with a NAME and "
				    "no '/'");
				return;
			}
			wc->secret_file = xstrdup(value);
		} else
			wc->secret_file = config_path_resolve(cp->dir, value);
	} else if (strcmp(key, "max-age") == 0) {
		if (config_parse_uint(value, 1, 30 * 86400, &wc->max_age) != 0)
			config_error(cp, cp->line, "max-age: expected a number "
			    "of seconds from 1 to 2592000, got '%."
			    CONFIG_ECHO_MAX "s'", value);
	} else if (strcmp(key, "timeout") == 0) {
		if (config_parse_uint(value, 1, 300, &wc->timeout) != 0)
			config_error(cp, cp->line, "timeout: expected a number "
			    "of seconds from 1 to 300, got '%." CONFIG_ECHO_MAX
			    "s'", value);
	} else
		config_error(cp, cp->line, "unknown key '%s' in %s", key,
		    cp->section_text);
}

static int
config_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct config_parse	*cp = arg;

	(void)section;		/* tracked by the reader */
	if (cp->failed)
		return (1);
	if (cp->section != SECTION_NONE && strcmp(key, "ignore") != 0 &&
	    config_seen_check(cp, key) != 0)
		return (1);
	switch (cp->section) {
	case SECTION_NONE:
		config_error(cp, cp->line, "key '%s' outside of a section",
		    key);
		break;
	case SECTION_DAEMON:
		config_key_daemon(cp, key, value);
		break;
	case SECTION_STORE:
		config_key_store(cp, key, value);
		break;
	case SECTION_PROVIDER:
		config_key_provider(cp, key, value);
		break;
	case SECTION_ZONE:
		config_key_zone(cp, key, value);
		break;
	case SECTION_WEBHOOK:
		config_key_webhook(cp, key, value);
		break;
	}
	return (1);
}

/*
 * inih's fgets-style reader over the file in memory: one line per call,
 * counted, leading white space removed, section headers handled here.
 */
static char *
config_reader(char *str, int num, void *arg)
{
	struct config_parse	*cp = arg;
	const char		*start, *end, *nl;
	char			*copy;
	size_t			 n;

	if (cp->failed || cp->off >= cp->len)
		return (NULL);
	start = cp->buf + cp->off;
	nl = memchr(start, '\n', cp->len - cp->off);
	end = nl != NULL ? nl : cp->buf + cp->len;
	cp->off = (size_t)(end - cp->buf) + (nl != NULL ? 1 : 0);
	cp->line++;

	if (memchr(start, '\0', (size_t)(end - start)) != NULL) {
		config_error(cp, cp->line, "NUL byte in line");
		return (NULL);
	}
	if (cp->line == 1 && end - start >= 3 &&
	    memcmp(start, "\xef\xbb\xbf", 3) == 0)
		start += 3;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	if (end > start && end[-1] == '\r')
		end--;
	n = (size_t)(end - start);
	if (num < 2 || n > (size_t)num - 2) {
		config_error(cp, cp->line, "line too long (more than %d "
		    "characters)", num - 2);
		return (NULL);
	}
	memcpy(str, start, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	if (str[0] == '[') {
		copy = xstrndup(start, n);
		config_section_line(cp, copy);
		free(copy);
		if (cp->failed)
			return (NULL);
	}
	return (str);
}

/* Read the whole file, refusing anything over CONFIG_SIZE_MAX. */
static int
config_read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	buf = xmalloc(CONFIG_SIZE_MAX + 1);
	for (;;) {
		n = read(fd, buf + len, CONFIG_SIZE_MAX + 1 - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return (-1);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_SIZE_MAX) {
			snprintf(err, errlen, "%s: larger than %d bytes", path,
			    CONFIG_SIZE_MAX);
			free(buf);
			close(fd);
			return (-1);
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return (0);
}

/* The absolute directory the file is in. */
static char *
config_file_dir(const char *path, char *err, size_t errlen)
{
	char	*copy, *slash, *dir;

	copy = xstrdup(path);
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		free(copy);
		copy = xstrdup(".");
	} else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((dir = realpath(copy, NULL)) == NULL) {
		snprintf(err, errlen, "%s: %s", copy, strerror(errno));
		free(copy);
		return (NULL);
	}
	free(copy);
	return (dir);
}

static int
config_cmp_provider(const void *a, const void *b)
{
	const struct provider_conf	*pa = a, *pb = b;

	return (strcmp(pa->name, pb->name));
}

static int
config_cmp_webhook(const void *a, const void *b)
{
	const struct webhook_conf	*wa = a, *wb = b;

	return (strcmp(wa->name, wb->name));
}

static int
config_cmp_zone(const void *a, const void *b)
{
	const struct zone_conf	*za = a, *zb = b;

	return (strcmp(za->name, zb->name));
}

/* After the last line: what needs the whole file. */
static void
config_finish(struct config_parse *cp)
{
	struct config		*conf = cp->conf;
	struct zone_conf	*zc;
	size_t			 i, j, k;
	int			 used;

	if (cp->store_line == 0) {
		config_error(cp, 0, "missing section [store]");
		return;
	}
	for (i = 0; i < conf->nzones; i++) {
		zc = &conf->zones[i];
		for (j = 0; j < zc->nproviders; j++) {
			if (config_find_provider(conf, zc->providers[j]) ==
			    NULL) {
				config_error(cp, zc->providers_line, "providers: "
				    "no section [provider \"%s\"]",
				    zc->providers[j]);
				return;
			}
		}
	}
	if (conf->nzones == 0) {
		config_error(cp, 0, "no [zone \"NAME\"] section");
		return;
	}
	for (i = 0; i < conf->nproviders; i++) {
		used = 0;
		for (j = 0; j < conf->nzones && !used; j++) {
			zc = &conf->zones[j];
			for (k = 0; k < zc->nproviders; k++) {
				if (strcmp(zc->providers[k],
				    conf->providers[i].name) == 0)
					used = 1;
			}
		}
		if (!used)
			log_warnx("config", "%s:%u: provider '%s' is not used by "
			    "any zone", cp->file, conf->providers[i].line,
			    conf->providers[i].name);
	}
	qsort(conf->providers, conf->nproviders, sizeof(*conf->providers),
	    config_cmp_provider);
	qsort(conf->zones, conf->nzones, sizeof(*conf->zones),
	    config_cmp_zone);
	if (conf->nwebhooks > 0)
		qsort(conf->webhooks, conf->nwebhooks,
		    sizeof(*conf->webhooks), config_cmp_webhook);
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config_parse	 cp;
	struct config		*conf;
	int			 rv;

	memset(&cp, 0, sizeof(cp));
	cp.file = path;
	cp.err = err;
	cp.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (config_read_file(path, (char **)&cp.buf, &cp.len, err,
	    errlen) != 0)
		return (NULL);
	if ((cp.dir = config_file_dir(path, err, errlen)) == NULL) {
		free((char *)cp.buf);
		return (NULL);
	}

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	conf->state_path = xstrdup(CONFIG_DEFAULT_STATE);
	conf->socket_path = xstrdup(CONFIG_DEFAULT_SOCKET);
	conf->log_level = DEFAULT_LOG_LEVEL;
	conf->interval = DEFAULT_INTERVAL;
	conf->jitter_pct = DEFAULT_JITTER;
	conf->probe_interval = DEFAULT_PROBE_INTERVAL;
	conf->probe_timeout = DEFAULT_PROBE_TIMEOUT;
	conf->down_after = DEFAULT_DOWN_AFTER;
	conf->up_after = DEFAULT_UP_AFTER;
	conf->slow_ms = DEFAULT_SLOW_MS;
	conf->flap_window = DEFAULT_FLAP_WINDOW;
	conf->flap_threshold = DEFAULT_FLAP_THRESHOLD;
	conf->delegation_interval = DEFAULT_DELEGATION_INTERVAL;
	conf->lint_min_ttl = DEFAULT_LINT_MIN_TTL;
	conf->lint_max_ns_ttl = DEFAULT_LINT_MAX_NS_TTL;
	conf->on_outage = OUTAGE_ALERT;
	conf->withdraw_after = DEFAULT_WITHDRAW_AFTER;
	conf->reinstate_after = DEFAULT_REINSTATE_AFTER;
	conf->store_kind = STORE_KIND_DIR;
	conf->store_poll = DEFAULT_STORE_POLL;
	cp.conf = conf;

	rv = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	/* Errors of ours come first; inih's own are syntax errors. */
	if (rv > 0 && (!cp.failed || (unsigned)rv < cp.line)) {
		cp.failed = 0;
		config_error(&cp, (unsigned)rv, "syntax error: expected "
		    "'key = value', '[section]' or a comment");
	} else if (rv < 0 && !cp.failed)
		config_error(&cp, 0, "cannot parse (inih error %d)", rv);
	if (!cp.failed)
		config_section_end(&cp);
	if (!cp.failed)
		config_finish(&cp);

	config_seen_clear(&cp);
	free(cp.section_text);
	free(cp.dir);
	free((char *)cp.buf);
	if (cp.failed) {
		config_free(conf);
		return (NULL);
	}
	return (conf);
}

void
config_free(struct config *conf)
{
	struct provider_conf	*pc;
	struct zone_conf	*zc;
	size_t			 i, j;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nproviders; i++) {
		pc = &conf->providers[i];
		for (j = 0; j < pc->nopts; j++) {
			free(pc->opts[j].key);
			free(pc->opts[j].value);
		}
		free(pc->opts);
		free(pc->name);
		free(pc->type);
		free(pc->probe);
	}
	free(conf->providers);
	for (i = 0; i < conf->nzones; i++) {
		zc = &conf->zones[i];
		free(zc->name);
		free(zc->file);
		free(zc->parent);
		config_free_words(zc->providers, zc->nproviders);
		for (j = 0; j < zc->nignores; j++)
			ignore_clear(&zc->ignores[j]);
		free(zc->ignores);
	}
	free(conf->zones);
	for (i = 0; i < conf->nwebhooks; i++) {
		free(conf->webhooks[i].name);
		free(conf->webhooks[i].url);
		config_free_words(conf->webhooks[i].events,
		    conf->webhooks[i].nevents);
		free(conf->webhooks[i].secret_file);
	}
	free(conf->webhooks);
	free(conf->path);
	free(conf->state_path);
	free(conf->socket_path);
	free(conf->user);
	free(conf->metrics);
	free(conf->store_path);
	free(conf->store_ref);
	free(conf);
}

const struct provider_conf *
config_find_provider(const struct config *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->nproviders; i++) {
		if (strcmp(conf->providers[i].name, name) == 0)
			return (&conf->providers[i]);
	}
	return (NULL);
}

const struct webhook_conf *
config_find_webhook(const struct config *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->nwebhooks; i++) {
		if (strcmp(conf->webhooks[i].name, name) == 0)
			return (&conf->webhooks[i]);
	}
	return (NULL);
}

const struct zone_conf *
config_find_zone(const struct config *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->nzones; i++) {
		if (strcasecmp(conf->zones[i].name, name) == 0)
			return (&conf->zones[i]);
	}
	return (NULL);
}

const char *
provider_conf_get(const struct provider_conf *pc, const char *key)
{
	size_t	i;

	for (i = 0; i < pc->nopts; i++) {
		if (strcmp(pc->opts[i].key, key) == 0)
			return (pc->opts[i].value);
	}
	return (NULL);
}

void
config_print(const struct config *conf, FILE *fp)
{
	const struct provider_conf	*pc;
	const struct zone_conf		*zc;
	const struct webhook_conf	*wc;
	const char			*v;
	char				 tbuf[32];
	size_t				 i, j;

	fprintf(fp, "[daemon]\n");
	fprintf(fp, "\tstate = %s\n", conf->state_path);
	fprintf(fp, "\tsocket = %s\n", conf->socket_path);
	if (conf->user != NULL)
		fprintf(fp, "\tuser = %s\n", conf->user);
	if (conf->metrics != NULL)
		fprintf(fp, "\tmetrics = %s\n", conf->metrics);
	fprintf(fp, "\tlog-level = %s\n", log_level_name(conf->log_level));
	fprintf(fp, "\tinterval = %u\n", conf->interval);
	fprintf(fp, "\tjitter = %u\n", conf->jitter_pct);
	/* Probe keys are printed when set, so older configs print as before. */
	if (conf->probe_interval != DEFAULT_PROBE_INTERVAL)
		fprintf(fp, "\tprobe-interval = %u\n", conf->probe_interval);
	if (conf->probe_timeout != DEFAULT_PROBE_TIMEOUT)
		fprintf(fp, "\tprobe-timeout = %u\n", conf->probe_timeout);
	if (conf->down_after != DEFAULT_DOWN_AFTER)
		fprintf(fp, "\tdown-after = %u\n", conf->down_after);
	if (conf->up_after != DEFAULT_UP_AFTER)
		fprintf(fp, "\tup-after = %u\n", conf->up_after);
	if (conf->slow_ms != DEFAULT_SLOW_MS)
		fprintf(fp, "\tslow-ms = %u\n", conf->slow_ms);
	/* Printed when set, so configs without alerts print as before. */
	if (conf->flap_window != DEFAULT_FLAP_WINDOW ||
	    conf->nwebhooks > 0)
		fprintf(fp, "\tflap-window = %u\n", conf->flap_window);
	if (conf->flap_threshold != DEFAULT_FLAP_THRESHOLD ||
	    conf->nwebhooks > 0)
		fprintf(fp, "\tflap-threshold = %u\n", conf->flap_threshold);
	/* Printed when set, so configs without them print as before. */
	if (conf->delegation_interval != DEFAULT_DELEGATION_INTERVAL)
		fprintf(fp, "\tdelegation-interval = %u\n",
		    conf->delegation_interval);
	if (conf->lint_min_ttl != DEFAULT_LINT_MIN_TTL)
		fprintf(fp, "\tlint-min-ttl = %u\n", conf->lint_min_ttl);
	if (conf->lint_max_ns_ttl != DEFAULT_LINT_MAX_NS_TTL)
		fprintf(fp, "\tlint-max-ns-ttl = %u\n", conf->lint_max_ns_ttl);
	/* Printed when set, so configs without remediation print as before. */
	if (conf->on_outage != OUTAGE_ALERT)
		fprintf(fp, "\ton-outage = %s\n",
		    outage_action_name(conf->on_outage));
	if (conf->withdraw_after != DEFAULT_WITHDRAW_AFTER)
		fprintf(fp, "\twithdraw-after = %u\n", conf->withdraw_after);
	if (conf->reinstate_after != DEFAULT_REINSTATE_AFTER)
		fprintf(fp, "\treinstate-after = %u\n", conf->reinstate_after);

	fprintf(fp, "\n[store]\n");
	fprintf(fp, "\ttype = %s\n", store_kind_name(conf->store_kind));
	fprintf(fp, "\tpath = %s\n", conf->store_path);
	if (conf->store_kind == STORE_KIND_GIT)
		fprintf(fp, "\tref = %s\n", conf->store_ref);
	fprintf(fp, "\tpoll = %u\n", conf->store_poll);

	for (i = 0; i < conf->nproviders; i++) {
		pc = &conf->providers[i];
		fprintf(fp, "\n[provider \"%s\"]\n", pc->name);
		fprintf(fp, "\ttype = %s\n", pc->type);
		fprintf(fp, "\ttimeout = %u\n", pc->timeout);
		fprintf(fp, "\tmax-concurrency = %u\n", pc->max_concurrency);
		if (pc->probe != NULL)
			fprintf(fp, "\tprobe = %s\n", pc->probe);
		for (j = 0; j < NITEMS(provider_keys); j++) {
			if (strcmp(provider_keys[j].type, pc->type) != 0)
				continue;
			v = provider_conf_get(pc, provider_keys[j].key);
			if (v != NULL)
				fprintf(fp, "\t%s = %s\n", provider_keys[j].key,
				    v);
		}
	}

	for (i = 0; i < conf->nzones; i++) {
		zc = &conf->zones[i];
		fprintf(fp, "\n[zone \"%s\"]\n", zc->name);
		fprintf(fp, "\tfile = %s\n", zc->file);
		fprintf(fp, "\tproviders = ");
		for (j = 0; j < zc->nproviders; j++)
			fprintf(fp, "%s%s", j ? ", " : "", zc->providers[j]);
		fprintf(fp, "\n");
		fprintf(fp, "\tmode = %s\n", zone_mode_name(zc->mode));
		for (j = 0; j < zc->nignores; j++) {
			if (zc->ignores[j].type == 0)
				fprintf(fp, "\tignore = %s\n",
				    zc->ignores[j].glob);
			else
				fprintf(fp, "\tignore = %s %s\n",
				    zc->ignores[j].glob,
				    zone_type_name(zc->ignores[j].type, tbuf,
				    sizeof(tbuf)));
		}
		fprintf(fp, "\tmax-update-percent = %u\n", zc->max_update_pct);
		fprintf(fp, "\tmax-delete-percent = %u\n", zc->max_delete_pct);
		fprintf(fp, "\tsafety-min-rrsets = %u\n", zc->safety_min_rrsets);
		if (zc->probe_sample != DEFAULT_PROBE_SAMPLE)
			fprintf(fp, "\tprobe-sample = %u\n", zc->probe_sample);
		if (zc->parent != NULL)
			fprintf(fp, "\tparent = %s\n", zc->parent);
	}

	for (i = 0; i < conf->nwebhooks; i++) {
		wc = &conf->webhooks[i];
		fprintf(fp, "\n[webhook \"%s\"]\n", wc->name);
		fprintf(fp, "\turl = %s\n", wc->url);
		fprintf(fp, "\tevents = ");
		if (wc->nevents == 0)
			fprintf(fp, "all");
		for (j = 0; j < wc->nevents; j++)
			fprintf(fp, "%s%s", j ? ", " : "", wc->events[j]);
		fprintf(fp, "\n");
		fprintf(fp, "\tmin-severity = %s\n",
		    db_severity_name(wc->min_severity));
		fprintf(fp, "\tformat = %s\n", webhook_format_name(wc->format));
		if (wc->secret_file != NULL)
			fprintf(fp, "\tsecret-file = %s\n", wc->secret_file);
		fprintf(fp, "\tmax-age = %u\n", wc->max_age);
		fprintf(fp, "\ttimeout = %u\n", wc->timeout);
	}
}

static int
config_check_store(const struct config *conf, FILE *listfp, FILE *errfp)
{
	const struct store_version *v;
	struct store		*store;
	struct store_zone	*sz;
	char			 err[1024], buf[1200];
	size_t			 i;
	int			 rv = 0;

	store = store_open(conf->store_kind, conf->store_path,
	    conf->store_kind == STORE_KIND_GIT ? conf->store_ref : NULL,
	    err, sizeof(err));
	if (store == NULL) {
		fprintf(errfp, "%s\n", err);
		return (-1);
	}
	for (i = 0; i < conf->nzones; i++)
		(void)store_add_zone(store, conf->zones[i].name,
		    conf->zones[i].file);
	if (store_refresh(store, err, sizeof(err)) == -1) {
		fprintf(errfp, "%s\n", err);
		store_close(store);
		return (-1);
	}
	for (i = 0; i < store_nzones(store); i++) {
		sz = store_zone_at(store, i);
		if (sz->failed) {
			fprintf(errfp, "%s\n", zone_error_str(&sz->error, buf,
			    sizeof(buf)));
			rv = -1;
		} else if (sz->zone == NULL) {
			fprintf(errfp, "%s: zone %s was not loaded\n", sz->file,
			    sz->origin);
			rv = -1;
		} else if (listfp != NULL) {
			v = &sz->version;
			fprintf(listfp, "zone %s: %zu RRsets, %zu records from "
			    "%s, version %.12s%s%s%s%s\n", sz->origin,
			    sz->zone->nrrsets, zone_count_rrs(sz->zone),
			    sz->file, v->id, v->author != NULL ? " by " : "",
			    v->author != NULL ? v->author : "",
			    v->summary != NULL ? ": " : "",
			    v->summary != NULL ? v->summary : "");
		}
	}
	store_close(store);
	return (rv);
}

int
config_check_zones(const struct config *conf, FILE *listfp, FILE *errfp)
{
	int			 rv;
	enum log_level		 saved = log_get_level();

	/*
	 * Each failure is printed here, once, as "file:line: message"; the
	 * store's own log lines about it would only repeat it.
	 */
	if (saved < LOG_LEVEL_DEBUG)
		log_set_level(LOG_LEVEL_ERROR);
	rv = config_check_store(conf, listfp, errfp);
	log_set_level(saved);
	return (rv);
}

int
config_check_file(const char *path, int flags, FILE *out, FILE *errfp)
{
	int		 print = (flags & CONFIG_CHECK_PRINT) != 0;
	struct config	*conf;
	char		 err[1024];
	int		 rv;

	if ((conf = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(errfp, "%s\n", err);
		return (-1);
	}
	if (print)
		config_print(conf, out);
	rv = config_check_zones(conf,
	    (flags & CONFIG_CHECK_LIST) ? out : NULL, errfp);
	if (rv == 0) {
		if (print)
			fprintf(out, "\n");
		fprintf(out, "configuration OK: %zu zone%s, %zu provider%s\n",
		    conf->nzones, conf->nzones == 1 ? "" : "s",
		    conf->nproviders, conf->nproviders == 1 ? "" : "s");
	}
	config_free(conf);
	return (rv);
}
