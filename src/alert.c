/*
 * alert.c: events, the webhook outbox and its delivery loop (see alert.h).
 *
 * The outbox lives in the state database (db.c): a row per (event,
 * webhook) with its attempts and next attempt time in unix seconds.  The
 * loop here is one timer: it takes the due rows, POSTs each with one
 * attempt (HTTP_REQ_NO_RETRY; retries are ours, through the outbox, so
 * they survive a restart), and re-arms itself for the soonest pending row.
 * A retry is never scheduled earlier than its backoff: next_attempt is the
 * backoff's end rounded up to the next second.
 *
 * `dnsctl alerts` and `status` read the events through a second,
 * read-only SQLite connection to the same file (WAL lets it read while the
 * daemon's connection writes); db.c's handle stays the only writer.
 */
#include "autoconf.h"

#include <sys/time.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "alert.h"
#include "control.h"
#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define ALERT_BACKOFF_BASE	5	/* seconds */
#define ALERT_BACKOFF_CAP	600
#define ALERT_POOL_CONCURRENCY	4	/* per webhook */
#define ALERT_MAX_RESPONSE	(64 * 1024)
#define ALERT_RETRY_DB_MS	5000	/* after a database error */
#define ALERT_POLL_MS		1000	/* while rows are in flight */
#define ALERT_LIST_DEFAULT	50
#define ALERT_LIST_MAX		1000
#define ALERT_ATTENTION_SECS	86400
#define ALERT_SUMMARY_MAX	512

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Per type (names in alert.h): the severity, and the id's time bucket (seconds, or ALERT_WINDOW_NONE when the key alone
 * names the occurrence).  The windows: a repeated failure or refusal of
 * the same change pages again at most once per window; a health
 * transition raised twice within a minute is one transition.
 */
static const struct {
	enum db_severity	 severity;
	int64_t			 window;
} alert_types[ALERT_TYPE_MAX] = {
	[ALERT_DRIFT_FOUND] = { DB_SEVERITY_WARNING, 3600 },
	[ALERT_DRIFT_RESOLVED] = { DB_SEVERITY_INFO, 3600 },
	[ALERT_PROVIDER_DOWN] = { DB_SEVERITY_CRITICAL, 60 },
	[ALERT_PROVIDER_DEGRADED] = { DB_SEVERITY_WARNING, 60 },
	[ALERT_PROVIDER_UP] = { DB_SEVERITY_INFO, 60 },
	[ALERT_PROVIDER_FLAPPING] = { DB_SEVERITY_WARNING, ALERT_WINDOW_NONE },
	[ALERT_APPLY_FAILED] = { DB_SEVERITY_CRITICAL, 3600 },
	[ALERT_CHANGE_REFUSED] = { DB_SEVERITY_CRITICAL, 86400 },
	[ALERT_VERSION_REJECTED] = { DB_SEVERITY_CRITICAL, ALERT_WINDOW_NONE },
	[ALERT_NS_WITHDRAWN] = { DB_SEVERITY_CRITICAL, 60 },
	[ALERT_NS_REINSTATED] = { DB_SEVERITY_INFO, 60 },
	[ALERT_DELEGATION_MISMATCH] = { DB_SEVERITY_WARNING, 86400 },
	[ALERT_WEBHOOK_UNDELIVERABLE] = { DB_SEVERITY_CRITICAL,
	    ALERT_WINDOW_NONE },
};

struct alert_webhook {
	char			*name;
	char			*url;
	int			 events[ALERT_TYPE_MAX];	/* 1 = wanted */
	enum db_severity	 min_severity;
	enum webhook_format	 format;
	char			*secret;	/* NULL = unsigned */
	size_t			 secret_len;
	unsigned		 max_age;
	unsigned		 timeout;
	struct http_pool	*pool;
};

/* One attempt in flight. */
struct alert_delivery {
	struct alert		*alert;
	char			*event;
	char			*webhook;
	int64_t			 attempts;	/* before this one */
	int64_t			 event_time;
	struct http_request	*req;
	struct alert_delivery	*next;
};

/* Health transitions of one provider, for flap suppression. */
struct alert_flap {
	char			*provider;
	int64_t			*times;		/* within the window */
	size_t			 ntimes;
	int			 suppressing;
	unsigned		 suppressed;
	int64_t			 last;		/* last transition */
	/* The last suppressed transition, raised again when it settles. */
	enum alert_type		 type;
	char			*zone;
	char			*summary;
	char			*details;
	struct alert_flap	*next;
};

struct alert {
	struct event_base	*base;
	struct db		*db;
	struct http		*http;
	char			*state_path;
	sqlite3			*ro;		/* read-only, opened lazily */

	struct alert_webhook	*webhooks;
	size_t			 nwebhooks;
	unsigned		 flap_window;
	unsigned		 flap_threshold;

	struct event		*timer;
	struct event		*flap_timer;
	struct alert_delivery	*inflight;
	size_t			 ninflight;
	struct alert_flap	*flaps;

	unsigned		 backoff_base;	/* seconds */
	unsigned		 backoff_cap;
	int			 jitter;
	uint64_t		 rng;
};

/* Flags for alert_record(). */
#define ALERT_REC_SUPPRESSED	0x1	/* store only, send nowhere */
#define ALERT_REC_NO_FLAP	0x2	/* skip flap accounting */

static int	alert_record(struct alert *, const struct alert_event *,
		    int flags, const char *exclude, const cJSON *extra);
static void	alert_arm(struct alert *);

/* --- names, ids, time ---------------------------------------------------- */

const char *
alert_type_name(enum alert_type t)
{
	if ((unsigned)t >= NITEMS(alert_type_names))
		return ("unknown");
	return (alert_type_names[t]);
}

int
alert_type_from_name(const char *s, enum alert_type *out)
{
	size_t	i;

	for (i = 0; i < NITEMS(alert_type_names); i++) {
		if (strcmp(alert_type_names[i], s) == 0) {
			*out = (enum alert_type)i;
			return (0);
		}
	}
	return (-1);
}

enum db_severity
alert_type_severity(enum alert_type t)
{
	if ((unsigned)t >= NITEMS(alert_types))
		return (DB_SEVERITY_CRITICAL);
	return (alert_types[t].severity);
}

static int64_t
alert_now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return ((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static int64_t
alert_now(void)
{
	return ((int64_t)time(NULL));
}

static void
alert_hex(const unsigned char *in, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
alert_event_id(const struct alert_event *ev, char *out)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 bucket[32], hex[2 * EVP_MAX_MD_SIZE + 1];
	const char	*parts[6];
	int64_t		 window = ev->window, t = ev->time;
	size_t		 i;

	if (window == 0)
		window = (unsigned)ev->type < NITEMS(alert_types) ?
		    alert_types[ev->type].window : ALERT_WINDOW_NONE;
	if (t == 0)
		t = alert_now();
	if (window > 0) {
		t -= ((t % window) + window) % window;
		snprintf(bucket, sizeof(bucket), "%" PRId64, t);
	} else
		snprintf(bucket, sizeof(bucket), "-");
	parts[0] = "multidns-event-1";
	parts[1] = alert_type_name(ev->type);
	parts[2] = ev->zone != NULL ? ev->zone : "";
	parts[3] = ev->provider != NULL ? ev->provider : "";
	parts[4] = ev->key != NULL ? ev->key : "";
	parts[5] = bucket;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("alert", "EVP_MD_CTX_new failed");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("alert", "SHA-256 is not available");
	for (i = 0; i < NITEMS(parts); i++)
		EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	alert_hex(md, mdlen, hex);
	memcpy(out, hex, ALERT_ID_LEN);
	out[ALERT_ID_LEN] = '\0';
}

/* RFC 3339, UTC, whole seconds. */
static void
alert_time_str(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
}

static cJSON *
alert_json_check(cJSON *item)
{
	if (item == NULL)
		fatalx("alert", "out of memory building JSON");
	return (item);
}

static void
alert_json_add(cJSON *obj, const char *key, cJSON *item)
{
	cJSON_AddItemToObject(obj, key, alert_json_check(item));
}

static cJSON *
alert_json_str(const char *s)
{
	return (s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static cJSON *
alert_json_time(int64_t t)
{
	char	buf[32];

	if (t <= 0)
		return (cJSON_CreateNull());
	alert_time_str(t, buf, sizeof(buf));
	return (cJSON_CreateString(buf));
}

/* --- webhooks ------------------------------------------------------------ */

static void
alert_webhook_clear(struct alert_webhook *w)
{
	free(w->name);
	free(w->url);
	if (w->secret != NULL) {
		explicit_bzero(w->secret, w->secret_len);
		free(w->secret);
	}
	http_pool_free(w->pool);
	memset(w, 0, sizeof(*w));
}

/* Fill w from wc (no pool yet); -1 if the secret cannot be read. */
static int
alert_webhook_init(struct alert_webhook *w, const struct webhook_conf *wc,
    char *err, size_t errlen)
{
	enum alert_type	t;
	char		msg[512];
	size_t		i;

	memset(w, 0, sizeof(*w));
	if (wc->secret_file != NULL) {
		w->secret = provider_read_secret(wc->secret_file, msg,
		    sizeof(msg));
		if (w->secret == NULL) {
			snprintf(err, errlen, "webhook %s: secret-file: %s",
			    wc->name, msg);
			return (-1);
		}
		w->secret_len = strlen(w->secret);
	}
	w->name = xstrdup(wc->name);
	w->url = xstrdup(wc->url);
	for (i = 0; i < ALERT_TYPE_MAX; i++)
		w->events[i] = wc->nevents == 0;
	for (i = 0; i < wc->nevents; i++) {
		if (alert_type_from_name(wc->events[i], &t) == 0)
			w->events[t] = 1;
	}
	w->min_severity = wc->min_severity;
	w->format = wc->format;
	w->max_age = wc->max_age;
	w->timeout = wc->timeout;
	return (0);
}

static struct http_pool *
alert_pool_new(struct alert *a, const char *name)
{
	struct http_pool_config	 pc;
	char			*pname;
	struct http_pool	*pool;

	http_pool_config_init(&pc);
	xasprintf(&pname, "webhook %s", name);
	pc.name = pname;
	pc.max_concurrent = ALERT_POOL_CONCURRENCY;
	pc.max_retries = 0;
	pc.max_body = ALERT_MAX_RESPONSE;
	pool = http_pool_new(a->http, &pc);
	free(pname);
	return (pool);
}

static struct alert_webhook *
alert_find_webhook(struct alert *a, const char *name)
{
	size_t	i;

	for (i = 0; i < a->nwebhooks; i++) {
		if (strcmp(a->webhooks[i].name, name) == 0)
			return (&a->webhooks[i]);
	}
	return (NULL);
}

static int
alert_webhook_wants(const struct alert_webhook *w, enum alert_type t,
    enum db_severity sev)
{
	return ((unsigned)t < ALERT_TYPE_MAX && w->events[t] &&
	    sev >= w->min_severity);
}

/* --- the read-only connection -------------------------------------------- */

static sqlite3 *
alert_ro(struct alert *a)
{
	if (a->ro != NULL)
		return (a->ro);
	if (sqlite3_open_v2(a->state_path, &a->ro, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK) {
		log_warnx("alert", "%s: %s", a->state_path, a->ro != NULL ?
		    sqlite3_errmsg(a->ro) : "cannot open");
		sqlite3_close(a->ro);
		a->ro = NULL;
		return (NULL);
	}
	sqlite3_busy_timeout(a->ro, 1000);
	return (a->ro);
}

static char *
alert_col(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return (s != NULL ? xstrdup((const char *)s) : NULL);
}

/* --- start, reload, stop ------------------------------------------------- */

static void	alert_tick_cb(evutil_socket_t, short, void *);
static void	alert_flap_cb(evutil_socket_t, short, void *);

/* Build webhooks for conf, reading every secret; -1 frees what it built. */
static int
alert_webhooks_build(const struct config *conf, struct alert_webhook **out,
    char *err, size_t errlen)
{
	struct alert_webhook	*v;
	size_t			 i, j;

	v = xcalloc(conf->nwebhooks + 1, sizeof(*v));
	for (i = 0; i < conf->nwebhooks; i++) {
		if (alert_webhook_init(&v[i], &conf->webhooks[i], err,
		    errlen) == -1) {
			for (j = 0; j < i; j++)
				alert_webhook_clear(&v[j]);
			free(v);
			return (-1);
		}
	}
	*out = v;
	return (0);
}

struct alert *
alert_new(struct event_base *base, struct db *db, struct http *http,
    const struct config *conf, char *err, size_t errlen)
{
	struct alert	*a;
	size_t		 i;

	a = xcalloc(1, sizeof(*a));
	if (alert_webhooks_build(conf, &a->webhooks, err, errlen) == -1) {
		free(a);
		return (NULL);
	}
	a->nwebhooks = conf->nwebhooks;
	a->base = base;
	a->db = db;
	a->http = http;
	a->state_path = xstrdup(conf->state_path);
	a->flap_window = conf->flap_window;
	a->flap_threshold = conf->flap_threshold;
	a->backoff_base = ALERT_BACKOFF_BASE;
	a->backoff_cap = ALERT_BACKOFF_CAP;
	a->jitter = 1;
	a->rng = (uint64_t)alert_now_ms() ^ ((uint64_t)(uintptr_t)a << 16);
	for (i = 0; i < a->nwebhooks; i++)
		a->webhooks[i].pool = alert_pool_new(a, a->webhooks[i].name);
	a->timer = evtimer_new(base, alert_tick_cb, a);
	a->flap_timer = evtimer_new(base, alert_flap_cb, a);
	if (a->timer == NULL || a->flap_timer == NULL)
		fatalx("alert", "cannot create timers");
	/* Deliver what a previous run left pending. */
	alert_arm(a);
	return (a);
}

static void
alert_delivery_free(struct alert_delivery *d)
{
	free(d->event);
	free(d->webhook);
	free(d);
}

/* Forget the in-flight deliveries of one webhook (its pool is going). */
static void
alert_inflight_drop(struct alert *a, const char *webhook)
{
	struct alert_delivery	**dp, *d;

	for (dp = &a->inflight; (d = *dp) != NULL;) {
		if (webhook == NULL || strcmp(d->webhook, webhook) == 0) {
			*dp = d->next;
			http_cancel(d->req);
			alert_delivery_free(d);
			a->ninflight--;
		} else
			dp = &d->next;
	}
}

static void
alert_flap_free(struct alert_flap *f)
{
	free(f->provider);
	free(f->times);
	free(f->zone);
	free(f->summary);
	free(f->details);
	free(f);
}

void
alert_free(struct alert *a)
{
	struct alert_flap	*f, *next;
	size_t			 i;

	if (a == NULL)
		return;
	alert_inflight_drop(a, NULL);
	for (i = 0; i < a->nwebhooks; i++)
		alert_webhook_clear(&a->webhooks[i]);
	free(a->webhooks);
	for (f = a->flaps; f != NULL; f = next) {
		next = f->next;
		alert_flap_free(f);
	}
	if (a->timer != NULL)
		event_free(a->timer);
	if (a->flap_timer != NULL)
		event_free(a->flap_timer);
	sqlite3_close(a->ro);
	free(a->state_path);
	free(a);
}

int
alert_reload(struct alert *a, const struct config *conf, char *err,
    size_t errlen)
{
	struct alert_webhook	*nw, *old;
	size_t			 i;

	if (alert_webhooks_build(conf, &nw, err, errlen) == -1)
		return (-1);
	/* Keep the pools (and their requests) of webhooks kept by name. */
	for (i = 0; i < conf->nwebhooks; i++) {
		old = alert_find_webhook(a, nw[i].name);
		if (old != NULL) {
			nw[i].pool = old->pool;
			old->pool = NULL;
		} else
			nw[i].pool = alert_pool_new(a, nw[i].name);
	}
	for (i = 0; i < a->nwebhooks; i++) {
		if (a->webhooks[i].pool != NULL)	/* removed */
			alert_inflight_drop(a, a->webhooks[i].name);
		alert_webhook_clear(&a->webhooks[i]);
	}
	free(a->webhooks);
	a->webhooks = nw;
	a->nwebhooks = conf->nwebhooks;
	a->flap_window = conf->flap_window;
	a->flap_threshold = conf->flap_threshold;
	log_info("alert", "%zu webhook%s", a->nwebhooks,
	    a->nwebhooks == 1 ? "" : "s");
	alert_arm(a);
	return (0);
}

void
alert_set_backoff(struct alert *a, unsigned base_s, unsigned cap_s,
    int jitter)
{
	a->backoff_base = base_s;
	a->backoff_cap = cap_s;
	a->jitter = jitter;
}

/* --- raising ------------------------------------------------------------- */

static struct alert_flap *
alert_flap_get(struct alert *a, const char *provider)
{
	struct alert_flap	*f;

	for (f = a->flaps; f != NULL; f = f->next) {
		if (strcmp(f->provider, provider) == 0)
			return (f);
	}
	f = xcalloc(1, sizeof(*f));
	f->provider = xstrdup(provider);
	f->next = a->flaps;
	a->flaps = f;
	return (f);
}

static void
alert_flap_arm(struct alert *a)
{
	struct alert_flap	*f;
	struct timeval		 tv;
	int64_t			 soonest = INT64_MAX, ms;

	for (f = a->flaps; f != NULL; f = f->next) {
		if (f->suppressing && f->last + a->flap_window < soonest)
			soonest = f->last + a->flap_window;
	}
	if (soonest == INT64_MAX) {
		evtimer_del(a->flap_timer);
		return;
	}
	ms = soonest * 1000 - alert_now_ms();
	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->flap_timer, &tv);
}

static void
alert_flap_save(struct alert_flap *f, const struct alert_event *ev)
{
	char	*details = NULL;

	if (ev->details != NULL &&
	    (details = cJSON_PrintUnformatted(ev->details)) == NULL)
		fatalx("alert", "out of memory");
	free(f->zone);
	free(f->summary);
	free(f->details);
	f->type = ev->type;
	f->zone = ev->zone != NULL ? xstrdup(ev->zone) : NULL;
	f->summary = xstrdup(ev->summary);
	f->details = details;
}

static int
alert_is_health(enum alert_type t)
{
	return (t == ALERT_PROVIDER_DOWN || t == ALERT_PROVIDER_DEGRADED ||
	    t == ALERT_PROVIDER_UP);
}

/*
 * Flap accounting for a health transition: 0 to record and send it as
 * usual, or the result of recording it suppressed.
 */
static int
alert_flap(struct alert *a, const struct alert_event *ev, int *handled)
{
	struct alert_flap	*f;
	struct alert_event	 fl;
	cJSON			*extra;
	char			 summary[ALERT_SUMMARY_MAX], key[32];
	size_t			 i, n;
	int			 rv;

	*handled = 0;
	if (a->flap_threshold == 0 || ev->provider == NULL ||
	    !alert_is_health(ev->type))
		return (0);
	f = alert_flap_get(a, ev->provider);
	/* Forget transitions that have left the window. */
	for (i = n = 0; i < f->ntimes; i++) {
		if (f->times[i] > ev->time - (int64_t)a->flap_window)
			f->times[n++] = f->times[i];
	}
	f->ntimes = n;
	f->last = ev->time;
	if (f->suppressing) {
		*handled = 1;
		f->suppressed++;
		alert_flap_save(f, ev);
		rv = alert_record(a, ev, ALERT_REC_SUPPRESSED, NULL, NULL);
		alert_flap_arm(a);
		return (rv);
	}
	f->times = xreallocarray(f->times, f->ntimes + 1, sizeof(*f->times));
	f->times[f->ntimes++] = ev->time;
	if (f->ntimes < a->flap_threshold)
		return (0);

	/* The threshold is reached: this one is the last sent as itself. */
	*handled = 1;
	f->suppressing = 1;
	f->suppressed = 1;
	alert_flap_save(f, ev);
	rv = alert_record(a, ev, ALERT_REC_SUPPRESSED, NULL, NULL);
	extra = alert_json_check(cJSON_CreateObject());
	alert_json_add(extra, "transitions", cJSON_CreateNumber(
	    (double)f->ntimes));
	alert_json_add(extra, "flap_window", cJSON_CreateNumber(
	    a->flap_window));
	alert_json_add(extra, "last_transition", cJSON_CreateString(
	    alert_type_name(ev->type)));
	snprintf(summary, sizeof(summary), "provider %s is flapping: %zu "
	    "health changes within %u s; further changes are recorded, not "
	    "sent, until it has been stable for %u s", ev->provider,
	    f->ntimes, a->flap_window, a->flap_window);
	snprintf(key, sizeof(key), "%" PRId64, ev->time);
	memset(&fl, 0, sizeof(fl));
	fl.type = ALERT_PROVIDER_FLAPPING;
	fl.time = ev->time;
	fl.provider = ev->provider;
	fl.key = key;
	fl.summary = summary;
	if (alert_record(a, &fl, ALERT_REC_NO_FLAP, NULL, extra) == -1)
		rv = -1;
	cJSON_Delete(extra);
	f->ntimes = 0;
	alert_flap_arm(a);
	return (rv);
}

/* Providers quiet for flap-window: raise the state they settled in. */
static void
alert_flap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct alert		*a = arg;
	struct alert_flap	*f;
	struct alert_event	 ev;
	cJSON			*details, *extra;
	char			 key[48], summary[ALERT_SUMMARY_MAX];
	int64_t			 now = alert_now();

	(void)fd;
	(void)what;
	for (f = a->flaps; f != NULL; f = f->next) {
		if (!f->suppressing || f->last + a->flap_window > now)
			continue;
		details = f->details != NULL ? cJSON_Parse(f->details) : NULL;
		extra = alert_json_check(cJSON_CreateObject());
		alert_json_add(extra, "flap_settled", cJSON_CreateTrue());
		alert_json_add(extra, "suppressed", cJSON_CreateNumber(
		    f->suppressed));
		snprintf(summary, sizeof(summary), "%s (settled after "
		    "flapping; %u changes were not sent)", f->summary,
		    f->suppressed);
		snprintf(key, sizeof(key), "settled:%" PRId64, f->last);
		memset(&ev, 0, sizeof(ev));
		ev.type = f->type;
		ev.time = now;
		ev.zone = f->zone;
		ev.provider = f->provider;
		ev.key = key;
		ev.window = ALERT_WINDOW_NONE;
		ev.summary = summary;
		ev.details = details;
		(void)alert_record(a, &ev, ALERT_REC_NO_FLAP, NULL, extra);
		cJSON_Delete(details);
		cJSON_Delete(extra);
		f->suppressing = 0;
		f->suppressed = 0;
		f->ntimes = 0;
	}
	alert_flap_arm(a);
}

/*
 * Store one event and its outbox rows.  extra's members are added to the
 * details; exclude names a webhook not to queue it for.
 */
static int
alert_record(struct alert *a, const struct alert_event *ev, int flags,
    const char *exclude, const cJSON *extra)
{
	struct db_event	 row;
	const char	**names;
	const cJSON	*item;
	cJSON		*details;
	char		 id[ALERT_ID_LEN + 1], *text;
	size_t		 n = 0, i;
	int		 rv;
	enum db_severity sev = alert_type_severity(ev->type);

	alert_event_id(ev, id);
	if (cJSON_IsObject(ev->details))
		details = alert_json_check(cJSON_Duplicate(ev->details, 1));
	else
		details = alert_json_check(cJSON_CreateObject());
	cJSON_ArrayForEach(item, extra) {
		cJSON_DeleteItemFromObjectCaseSensitive(details, item->string);
		alert_json_add(details, item->string,
		    cJSON_Duplicate(item, 1));
	}
	if (flags & ALERT_REC_SUPPRESSED) {
		cJSON_DeleteItemFromObjectCaseSensitive(details, "suppressed");
		alert_json_add(details, "suppressed", cJSON_CreateTrue());
	}
	if ((text = cJSON_PrintUnformatted(details)) == NULL)
		fatalx("alert", "out of memory");
	cJSON_Delete(details);

	names = xcalloc(a->nwebhooks + 1, sizeof(*names));
	for (i = 0; i < a->nwebhooks && !(flags & ALERT_REC_SUPPRESSED); i++) {
		if (exclude != NULL && strcmp(exclude, a->webhooks[i].name) == 0)
			continue;
		if (alert_webhook_wants(&a->webhooks[i], ev->type, sev))
			names[n++] = a->webhooks[i].name;
	}
	memset(&row, 0, sizeof(row));
	row.id = id;
	row.time = ev->time;
	row.zone = ev->zone;
	row.provider = ev->provider;
	row.type = alert_type_name(ev->type);
	row.severity = sev;
	row.summary = ev->summary;
	row.details = text;
	rv = db_event_add(a->db, &row, names, n, ev->time);
	if (rv == -1)
		log_warnx("alert", "recording event %s (%s): %s", id, row.type,
		    db_errmsg(a->db));
	else if (rv == 1)
		log_info("alert", "event %s %s%s%s%s%s: %s%s (%zu webhook%s)",
		    id, row.type, ev->zone != NULL ? " zone " : "",
		    ev->zone != NULL ? ev->zone : "",
		    ev->provider != NULL ? " provider " : "",
		    ev->provider != NULL ? ev->provider : "", ev->summary,
		    (flags & ALERT_REC_SUPPRESSED) ? " [suppressed: flapping]" :
		    "", n, n == 1 ? "" : "s");
	else
		log_debug("alert", "event %s %s: already recorded", id,
		    row.type);
	free(names);
	free(text);
	if (rv == 1 && n > 0)
		alert_arm(a);
	return (rv);
}

int
alert_raise(struct alert *a, const struct alert_event *in)
{
	struct alert_event	ev = *in;
	int			handled, rv;

	if (a == NULL)
		return (0);
	if ((unsigned)ev.type >= ALERT_TYPE_MAX || ev.summary == NULL) {
		log_warnx("alert", "bad event (type %d)", (int)ev.type);
		return (-1);
	}
	if (ev.time == 0)
		ev.time = alert_now();
	rv = alert_flap(a, &ev, &handled);
	if (handled)
		return (rv);
	return (alert_record(a, &ev, 0, NULL, NULL));
}

int
alert_raisef(struct alert *a, enum alert_type type, const char *zone,
    const char *provider, const char *key, const cJSON *details,
    const char *fmt, ...)
{
	struct alert_event	ev;
	char			summary[ALERT_SUMMARY_MAX];
	va_list			ap;

	if (a == NULL)
		return (0);
	va_start(ap, fmt);
	vsnprintf(summary, sizeof(summary), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.zone = zone;
	ev.provider = provider;
	ev.key = key;
	ev.summary = summary;
	ev.details = details;
	return (alert_raise(a, &ev));
}

/* --- delivery ------------------------------------------------------------ */

static uint64_t
alert_random(struct alert *a)
{
	uint64_t	z;

	z = (a->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Milliseconds before attempt `failed` + 1: full jitter. */
static uint64_t
alert_backoff_ms(struct alert *a, int64_t failed)
{
	uint64_t	ceiling;
	int64_t		shift = failed - 1;

	if (shift < 0)
		shift = 0;
	if (shift > 30)
		shift = 30;
	ceiling = ((uint64_t)a->backoff_base * 1000) << shift;
	if (ceiling > (uint64_t)a->backoff_cap * 1000)
		ceiling = (uint64_t)a->backoff_cap * 1000;
	if (!a->jitter)
		return (ceiling);
	return (alert_random(a) % (ceiling + 1));
}

static void
alert_arm_ms(struct alert *a, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->timer, &tv);
}

/* Wake up for the soonest pending delivery, if any. */
static void
alert_arm(struct alert *a)
{
	int64_t	when, ms;
	int	rv;

	if ((rv = db_outbox_next_time(a->db, &when)) == -1) {
		log_warnx("alert", "outbox: %s", db_errmsg(a->db));
		alert_arm_ms(a, ALERT_RETRY_DB_MS);
		return;
	}
	if (rv == 0) {
		evtimer_del(a->timer);
		return;
	}
	ms = when * 1000 - alert_now_ms();
	/* What is due may all be in flight: look again after a while. */
	if (ms <= 0 && a->ninflight > 0)
		ms = ALERT_POLL_MS;
	alert_arm_ms(a, ms);
}

/* Slack's text escapes: &, < and >. */
static void
alert_slack_escape(const char *s, char *out, size_t len)
{
	size_t		o = 0;
	const char	*rep;
	char		 one[2];

	for (; *s != '\0' && o + 6 < len; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		default:
			one[0] = *s;
			one[1] = '\0';
			rep = one;
			break;
		}
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	out[o] = '\0';
}

/* The request body for one outbox row; free() it. */
static char *
alert_payload(const struct alert_webhook *w, const struct db_outbox *row)
{
	cJSON		*o, *details;
	char		*body, text[2048], esc[ALERT_SUMMARY_MAX * 5 + 64];
	char		 tbuf[32];

	if (w->format == WEBHOOK_FORMAT_SLACK) {
		snprintf(text, sizeof(text), "[%s] %s%s%s%s%s: %s (event %s)",
		    db_severity_name(row->severity), row->type,
		    row->zone != NULL ? " zone " : "",
		    row->zone != NULL ? row->zone : "",
		    row->provider != NULL ? " provider " : "",
		    row->provider != NULL ? row->provider : "",
		    row->summary != NULL ? row->summary : "", row->event);
		alert_slack_escape(text, esc, sizeof(esc));
		o = alert_json_check(cJSON_CreateObject());
		alert_json_add(o, "text", cJSON_CreateString(esc));
	} else {
		details = row->details != NULL ? cJSON_Parse(row->details) :
		    NULL;
		if (!cJSON_IsObject(details)) {
			cJSON_Delete(details);
			details = cJSON_CreateObject();
		}
		alert_time_str(row->time, tbuf, sizeof(tbuf));
		o = alert_json_check(cJSON_CreateObject());
		alert_json_add(o, "schema", cJSON_CreateNumber(ALERT_SCHEMA));
		alert_json_add(o, "id", cJSON_CreateString(row->event));
		alert_json_add(o, "type", alert_json_str(row->type));
		alert_json_add(o, "time", cJSON_CreateString(tbuf));
		alert_json_add(o, "zone", alert_json_str(row->zone));
		alert_json_add(o, "provider", alert_json_str(row->provider));
		alert_json_add(o, "severity", cJSON_CreateString(
		    db_severity_name(row->severity)));
		alert_json_add(o, "summary", alert_json_str(row->summary));
		alert_json_add(o, "details", details);
	}
	if ((body = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("alert", "out of memory");
	cJSON_Delete(o);
	return (body);
}

/* "sha256=" HMAC-SHA256(secret, "TIMESTAMP.BODY") in hex. */
static void
alert_sign(const struct alert_webhook *w, const char *ts, const char *body,
    char *out, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1], *msg;

	xasprintf(&msg, "%s.%s", ts, body);
	if (HMAC(EVP_sha256(), w->secret, (int)w->secret_len,
	    (const unsigned char *)msg, strlen(msg), md, &mdlen) == NULL)
		fatalx("alert", "HMAC-SHA256 failed");
	free(msg);
	alert_hex(md, mdlen, hex);
	explicit_bzero(md, sizeof(md));
	snprintf(out, len, "sha256=%s", hex);
}

static void	alert_done_cb(const struct http_response *, void *);

/* Give up on one row; raise webhook-undeliverable for it. */
static void
alert_give_up(struct alert *a, const struct db_outbox *row,
    const char *why)
{
	struct alert_event	 ev;
	cJSON			*details;
	char			 key[ALERT_ID_LEN + 128];
	char			 summary[ALERT_SUMMARY_MAX];
	enum alert_type		 t;

	if (db_outbox_undeliverable(a->db, row->event, row->webhook,
	    why) == -1) {
		log_warnx("alert", "outbox: %s", db_errmsg(a->db));
		return;
	}
	log_warnx("alert", "webhook %s: event %s (%s) is undeliverable after "
	    "%" PRId64 " attempts: %s", row->webhook, row->event, row->type,
	    row->attempts, why);
	if (row->type == NULL || (alert_type_from_name(row->type, &t) == 0 &&
	    t == ALERT_WEBHOOK_UNDELIVERABLE))
		return;
	details = alert_json_check(cJSON_CreateObject());
	alert_json_add(details, "event", cJSON_CreateString(row->event));
	alert_json_add(details, "event_type", cJSON_CreateString(row->type));
	alert_json_add(details, "webhook", cJSON_CreateString(row->webhook));
	alert_json_add(details, "attempts", cJSON_CreateNumber(
	    (double)row->attempts));
	alert_json_add(details, "last_error", cJSON_CreateString(why));
	snprintf(summary, sizeof(summary), "event %s (%s) could not be "
	    "delivered to webhook %s: %s", row->event, row->type,
	    row->webhook, why);
	snprintf(key, sizeof(key), "%s/%s", row->event, row->webhook);
	memset(&ev, 0, sizeof(ev));
	ev.type = ALERT_WEBHOOK_UNDELIVERABLE;
	ev.time = alert_now();
	ev.zone = row->zone;
	ev.provider = row->provider;
	ev.key = key;
	ev.summary = summary;
	ev.details = details;
	(void)alert_record(a, &ev, ALERT_REC_NO_FLAP, row->webhook, NULL);
	cJSON_Delete(details);
}

static int
alert_is_inflight(struct alert *a, const struct db_outbox *row)
{
	struct alert_delivery	*d;

	for (d = a->inflight; d != NULL; d = d->next) {
		if (strcmp(d->event, row->event) == 0 &&
		    strcmp(d->webhook, row->webhook) == 0)
			return (1);
	}
	return (0);
}

/* One attempt for one due row. */
static void
alert_deliver(struct alert *a, const struct db_outbox *row, int64_t now)
{
	struct alert_webhook		*w;
	struct alert_delivery		*d;
	struct http_request_params	 rp;
	const char			*headers[8];
	char				*body, ts[32], sig[160];
	char				 h_id[80], h_type[80], h_ts[64];
	char				 h_sig[200], h_ua[64];
	char				 why[600];
	size_t				 nh = 0;

	if ((w = alert_find_webhook(a, row->webhook)) == NULL) {
		alert_give_up(a, row, "webhook no longer configured");
		return;
	}
	if (now >= row->time + (int64_t)w->max_age) {
		snprintf(why, sizeof(why), "not delivered within max-age "
		    "(%u s)%s%.500s", w->max_age, row->last_error != NULL ?
		    "; last error: " : "", row->last_error != NULL ?
		    row->last_error : "");
		alert_give_up(a, row, why);
		return;
	}
	body = alert_payload(w, row);
	snprintf(h_ua, sizeof(h_ua), "User-Agent: multidnsd/%s",
	    PACKAGE_VERSION);
	snprintf(h_id, sizeof(h_id), "X-Multidns-Event-Id: %s", row->event);
	snprintf(h_type, sizeof(h_type), "X-Multidns-Event-Type: %.50s",
	    row->type != NULL ? row->type : "");
	headers[nh++] = "Content-Type: application/json";
	headers[nh++] = h_ua;
	headers[nh++] = h_id;
	headers[nh++] = h_type;
	if (w->secret != NULL) {
		snprintf(ts, sizeof(ts), "%" PRId64, alert_now());
		alert_sign(w, ts, body, sig, sizeof(sig));
		snprintf(h_ts, sizeof(h_ts), "X-Multidns-Timestamp: %s", ts);
		snprintf(h_sig, sizeof(h_sig), "X-Multidns-Signature: %s", sig);
		headers[nh++] = h_ts;
		headers[nh++] = h_sig;
	}
	headers[nh] = NULL;

	d = xcalloc(1, sizeof(*d));
	d->alert = a;
	d->event = xstrdup(row->event);
	d->webhook = xstrdup(row->webhook);
	d->attempts = row->attempts;
	d->event_time = row->time;

	memset(&rp, 0, sizeof(rp));
	rp.method = "POST";
	rp.url = w->url;
	rp.headers = headers;
	rp.body = body;
	rp.body_len = strlen(body);
	rp.flags = HTTP_REQ_NO_RETRY;
	rp.timeout_ms = (long)w->timeout * 1000;
	rp.connect_timeout_ms = rp.timeout_ms;
	rp.cb = alert_done_cb;
	rp.arg = d;
	log_debug("alert", "webhook %s: event %s (%s), attempt %" PRId64,
	    w->name, row->event, row->type, row->attempts + 1);
	d->req = http_request_start(w->pool, &rp);
	free(body);
	explicit_bzero(h_sig, sizeof(h_sig));
	explicit_bzero(sig, sizeof(sig));
	d->next = a->inflight;
	a->inflight = d;
	a->ninflight++;
}

static void
alert_done_cb(const struct http_response *res, void *arg)
{
	struct alert_delivery	*d = arg, **dp;
	struct alert		*a = d->alert;
	struct alert_webhook	*w;
	char			 why[512];
	int64_t			 now_ms = alert_now_ms(), next, deadline;
	uint64_t		 delay;

	for (dp = &a->inflight; *dp != NULL; dp = &(*dp)->next) {
		if (*dp == d) {
			*dp = d->next;
			a->ninflight--;
			break;
		}
	}
	if (res->err == HTTP_OK && res->status >= 200 && res->status < 300) {
		if (db_outbox_delivered(a->db, d->event, d->webhook,
		    now_ms / 1000) == -1)
			log_warnx("alert", "outbox: %s", db_errmsg(a->db));
		else
			log_info("alert", "webhook %s: event %s delivered "
			    "(attempt %" PRId64 ", HTTP %ld)", d->webhook,
			    d->event, d->attempts + 1, res->status);
	} else {
		if (res->err != HTTP_OK)
			snprintf(why, sizeof(why), "%s: %.400s",
			    http_strerror(res->err), res->error);
		else
			snprintf(why, sizeof(why), "HTTP %ld", res->status);
		delay = alert_backoff_ms(a, d->attempts + 1);
		/* Never earlier than the backoff: round up. */
		next = (now_ms + (int64_t)delay + 999) / 1000;
		w = alert_find_webhook(a, d->webhook);
		deadline = d->event_time + (w != NULL ? (int64_t)w->max_age : 0);
		if (next > deadline)
			next = deadline;
		if (db_outbox_failed(a->db, d->event, d->webhook, why,
		    next) == -1)
			log_warnx("alert", "outbox: %s", db_errmsg(a->db));
		else
			log_warnx("alert", "webhook %s: event %s: attempt %"
			    PRId64 " failed: %s; next at +%" PRId64 " s",
			    d->webhook, d->event, d->attempts + 1, why,
			    next - now_ms / 1000);
	}
	alert_delivery_free(d);
	alert_arm(a);
}

static void
alert_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct alert		*a = arg;
	struct db_outbox	*rows;
	size_t			 n, i, slots;
	int64_t			 now = alert_now();

	(void)fd;
	(void)what;
	/* A caller's transaction is open: its events are not ours yet. */
	if (db_in_transaction(a->db)) {
		alert_arm_ms(a, 100);
		return;
	}
	if (a->ninflight >= ALERT_MAX_INFLIGHT) {
		alert_arm_ms(a, ALERT_POLL_MS);
		return;
	}
	slots = ALERT_MAX_INFLIGHT - a->ninflight;
	if (db_outbox_due(a->db, now, a->ninflight + slots, &rows,
	    &n) == -1) {
		log_warnx("alert", "outbox: %s", db_errmsg(a->db));
		alert_arm_ms(a, ALERT_RETRY_DB_MS);
		return;
	}
	for (i = 0; i < n && slots > 0; i++) {
		if (alert_is_inflight(a, &rows[i]))
			continue;
		alert_deliver(a, &rows[i], now);
		slots--;
	}
	db_outbox_free(rows, n);
	alert_arm(a);
}

/* --- dnsctl alerts and status -------------------------------------------- */

static const char alert_list_sql[] =
    "SELECT e.id, e.time, e.type, e.zone, e.provider, e.severity,"
    " e.summary, e.details, o.webhook, o.state, o.attempts,"
    " o.next_attempt, o.last_error, o.delivered_at"
    " FROM (SELECT rowid AS rid, * FROM events"
    "       WHERE ?2 IS NULL OR zone = ?2"
    "       ORDER BY time DESC, rid DESC LIMIT ?1) e"
    " LEFT JOIN outbox o ON o.event = e.id"
    " ORDER BY e.time DESC, e.rid DESC, o.webhook";

static const char alert_counts_sql[] =
    "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),"
    " (SELECT count(*) FROM events WHERE type = 'webhook-undeliverable'"
    "  AND time >= ?1),"
    " (SELECT max(time) FROM events WHERE type = 'webhook-undeliverable')";

/* pending, undeliverable in the last day, time of the last; 0 or -1. */
static int
alert_counts(struct alert *a, int64_t *pending, int64_t *recent,
    int64_t *last)
{
	sqlite3		*ro;
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	*pending = *recent = *last = 0;
	if ((ro = alert_ro(a)) == NULL)
		return (-1);
	if (sqlite3_prepare_v2(ro, alert_counts_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, alert_now() - ALERT_ATTENTION_SECS);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*pending = sqlite3_column_int64(st, 0);
	*recent = sqlite3_column_int64(st, 1);
	*last = sqlite3_column_int64(st, 2);
	rv = 0;
out:
	if (rv == -1)
		log_warnx("alert", "reading events: %s", sqlite3_errmsg(ro));
	sqlite3_finalize(st);
	return (rv);
}

int
alert_status(struct alert *a, cJSON *result)
{
	cJSON	*o;
	int64_t	 pending, recent, last;

	o = alert_json_check(cJSON_CreateObject());
	cJSON_AddItemToObject(result, "alerts", o);
	if (alert_counts(a, &pending, &recent, &last) == -1) {
		alert_json_add(o, "error", cJSON_CreateString("cannot read "
		    "the events"));
		return (0);
	}
	alert_json_add(o, "webhooks", cJSON_CreateNumber(
	    (double)a->nwebhooks));
	alert_json_add(o, "pending", cJSON_CreateNumber((double)pending));
	alert_json_add(o, "undeliverable_24h", cJSON_CreateNumber(
	    (double)recent));
	alert_json_add(o, "last_undeliverable", alert_json_time(last));
	return (recent > 0);
}

static const char *
alert_row_state(sqlite3_stmt *st)
{
	const unsigned char	*state = sqlite3_column_text(st, 9);
	const unsigned char	*details = sqlite3_column_text(st, 7);
	cJSON			*d;
	const char		*s = "not-sent";

	if (state != NULL)
		return ((const char *)state);
	if (details != NULL && (d = cJSON_Parse((const char *)details)) !=
	    NULL) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d,
		    "suppressed")))
			s = "suppressed";
		cJSON_Delete(d);
	}
	return (s);
}

int
alert_ctl_alerts(struct alert *a, const struct control_request *req,
    struct control_reply *reply)
{
	const cJSON	*v;
	cJSON		*r, *rows, *row;
	sqlite3		*ro;
	sqlite3_stmt	*st = NULL;
	const char	*zone = NULL, *state;
	char		*s;
	int64_t		 limit = ALERT_LIST_DEFAULT, pending, recent, last;
	int		 rc;

	v = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_LIMIT);
	if (v != NULL) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > 1e6 ||
		    v->valuedouble != (double)(int64_t)v->valuedouble)
			return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
			    "limit: expected a whole number from 1 to %d",
			    ALERT_LIST_MAX));
		limit = (int64_t)v->valuedouble;
		if (limit > ALERT_LIST_MAX)
			limit = ALERT_LIST_MAX;
	}
	v = cJSON_GetObjectItemCaseSensitive(req->args, CTL_ARG_ZONE);
	if (v != NULL) {
		if (!cJSON_IsString(v))
			return (control_reply_error(reply, CTL_ERR_BAD_REQUEST,
			    "zone: expected a string"));
		zone = v->valuestring;
	}
	if ((ro = alert_ro(a)) == NULL ||
	    alert_counts(a, &pending, &recent, &last) == -1)
		return (control_reply_error(reply, CTL_ERR_INTERNAL,
		    "cannot read the events from %s", a->state_path));
	if (sqlite3_prepare_v2(ro, alert_list_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, limit);
	if (zone != NULL)
		sqlite3_bind_text(st, 2, zone, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 2);

	r = alert_json_check(cJSON_CreateObject());
	alert_json_add(r, "webhooks", cJSON_CreateNumber(
	    (double)a->nwebhooks));
	alert_json_add(r, "pending", cJSON_CreateNumber((double)pending));
	alert_json_add(r, "undeliverable_24h", cJSON_CreateNumber(
	    (double)recent));
	rows = alert_json_check(cJSON_CreateArray());
	alert_json_add(r, "alerts", rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = alert_json_check(cJSON_CreateObject());
		cJSON_AddItemToArray(rows, row);
		alert_json_add(row, "time", alert_json_time(
		    sqlite3_column_int64(st, 1)));
		s = alert_col(st, 5);
		alert_json_add(row, "severity", alert_json_str(s));
		free(s);
		s = alert_col(st, 2);
		alert_json_add(row, "type", alert_json_str(s));
		free(s);
		s = alert_col(st, 3);
		alert_json_add(row, "zone", alert_json_str(s));
		free(s);
		s = alert_col(st, 4);
		alert_json_add(row, "provider", alert_json_str(s));
		free(s);
		s = alert_col(st, 8);
		alert_json_add(row, "webhook", alert_json_str(s));
		free(s);
		state = alert_row_state(st);
		alert_json_add(row, "state", cJSON_CreateString(state));
		alert_json_add(row, "attempts", cJSON_CreateNumber((double)
		    sqlite3_column_int64(st, 10)));
		alert_json_add(row, "next_attempt", strcmp(state,
		    "pending") == 0 ? alert_json_time(sqlite3_column_int64(st,
		    11)) : cJSON_CreateNull());
		alert_json_add(row, "delivered_at", alert_json_time(
		    sqlite3_column_int64(st, 13)));
		s = alert_col(st, 12);
		alert_json_add(row, "last_error", alert_json_str(s));
		free(s);
		s = alert_col(st, 6);
		alert_json_add(row, "summary", alert_json_str(s));
		free(s);
		s = alert_col(st, 0);
		alert_json_add(row, "id", alert_json_str(s));
		free(s);
	}
	if (rc != SQLITE_DONE) {
		cJSON_Delete(r);
		goto fail;
	}
	sqlite3_finalize(st);
	alert_json_add(r, "attention", cJSON_CreateBool(recent > 0));
	reply->result = r;
	return (CONTROL_DONE);

fail:
	log_warnx("alert", "reading events: %s", sqlite3_errmsg(ro));
	sqlite3_finalize(st);
	return (control_reply_error(reply, CTL_ERR_INTERNAL, "cannot read "
	    "the events: %s", sqlite3_errmsg(ro)));
}
