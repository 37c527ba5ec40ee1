/*
 * alert.h: events, and their delivery to webhooks through a persistent
 * outbox.
 *
 * EVENTS
 *	Something worth telling an operator (drift found, a provider down, a
 *	change refused, ...) is raised once with alert_raise().  Each event
 *	has a type (enum alert_type, one name per type), a time, an optional
 *	zone and provider, a severity (fixed per type), a one-line summary
 *	and a JSON object of details.
 *
 * EVENT IDS
 *	id = the first 32 hex digits (128 bits) of
 *
 *	    SHA-256("multidns-event-1" NUL type NUL zone NUL provider NUL
 *	        key NUL bucket)
 *
 *	zone, provider and key are "" when absent; bucket is the decimal
 *	start of the time bucket the event falls into, floor(time / window)
 *	* window, or "-" when the type (or the caller) uses no bucket.  The
 *	key is what identifies the occurrence: a store version id, the hash
 *	of a changeset, the drift items, the time of a health transition.
 *	So the same occurrence raised twice (say once before a crash and
 *	once after the restart) gets the same id and is stored and sent
 *	once, and two distinct occurrences differ in their key or their
 *	bucket.  The price of a bucket: one occurrence raised on both sides
 *	of a bucket boundary is two events, and the same key raised again
 *	within one bucket is one; each type's window is chosen so that both
 *	are what an operator wants (see alert.c, alert_types[]).
 *
 * OUTBOX
 *	alert_raise() writes the event and one outbox row per matching
 *	webhook in one transaction (or in the caller's, when one is open:
 *	then the event is exactly as durable as what the caller records with
 *	it) before any delivery is attempted.  Delivery runs from a libevent
 *	timer, never from inside alert_raise(): due rows are POSTed, one
 *	request per (event, webhook), at most ALERT_MAX_INFLIGHT at once.
 *	A 2xx answer marks the row delivered; anything else is a failed
 *	attempt, retried after an exponential backoff with full jitter
 *	(uniform in [0, min(cap, base * 2^(attempts - 1))], base 5 s, cap
 *	10 min).  A row still undelivered max-age seconds after its event's
 *	time is marked undeliverable, and a webhook-undeliverable event is
 *	raised (sent to the other webhooks, never to the one that failed; an
 *	undeliverable webhook-undeliverable raises nothing more).  Delivery
 *	is at least once: receivers deduplicate on the event id (in the body
 *	and in X-Multidns-Event-Id).  Rows pending when the daemon stopped
 *	are delivered after alert_new().
 *
 * FLAP SUPPRESSION
 *	provider-down, provider-degraded and provider-up are health
 *	transitions.  When a provider makes flap-threshold of them within
 *	flap-window seconds, the last one is recorded as suppressed and a
 *	single provider-flapping event is sent instead; further transitions
 *	are recorded (details "suppressed": true) and sent nowhere.  Once the
 *	provider has made no transition for flap-window seconds, the last
 *	suppressed transition is raised again, sent as usual, with details
 *	"flap_settled": true and "suppressed": N, so that receivers learn the
 *	state it settled in.  flap-threshold = 0 turns this off.
 *
 * Never logged: the webhook secret, signatures and bodies.
 */
#ifndef MULTIDNS_ALERT_H
#define MULTIDNS_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "db.h"

struct event_base;
struct http;
struct control_request;
struct control_reply;
struct alert;

#define ALERT_SCHEMA		1	/* "schema" in the JSON payload */
#define ALERT_ID_LEN		32	/* hex digits */
#define ALERT_MAX_INFLIGHT	16	/* requests at once, all webhooks */
#define ALERT_WINDOW_NONE	(-1)	/* alert_event.window: no bucket */

enum alert_type {
	ALERT_DRIFT_FOUND,
	ALERT_DRIFT_RESOLVED,
	ALERT_PROVIDER_DOWN,
	ALERT_PROVIDER_DEGRADED,
	ALERT_PROVIDER_UP,
	ALERT_PROVIDER_FLAPPING,
	ALERT_APPLY_FAILED,
	ALERT_CHANGE_REFUSED,
	ALERT_VERSION_REJECTED,
	ALERT_NS_WITHDRAWN,
	ALERT_NS_REINSTATED,
	ALERT_DELEGATION_MISMATCH,
	ALERT_WEBHOOK_UNDELIVERABLE,
	ALERT_TYPE_MAX
};

/*
 * The names, here rather than in alert.c so that config.c can check an
 * events filter without linking alert.c.
 */
static const char *const alert_type_names[ALERT_TYPE_MAX] = {
	[ALERT_DRIFT_FOUND] = "drift-found",
	[ALERT_DRIFT_RESOLVED] = "drift-resolved",
	[ALERT_PROVIDER_DOWN] = "provider-down",
	[ALERT_PROVIDER_DEGRADED] = "provider-degraded",
	[ALERT_PROVIDER_UP] = "provider-up",
	[ALERT_PROVIDER_FLAPPING] = "provider-flapping",
	[ALERT_APPLY_FAILED] = "apply-failed",
	[ALERT_CHANGE_REFUSED] = "change-refused",
	[ALERT_VERSION_REJECTED] = "store-version-rejected",
	[ALERT_NS_WITHDRAWN] = "ns-withdrawn",
	[ALERT_NS_REINSTATED] = "ns-reinstated",
	[ALERT_DELEGATION_MISMATCH] = "delegation-mismatch",
	[ALERT_WEBHOOK_UNDELIVERABLE] = "webhook-undeliverable",
};

struct alert_event {
	enum alert_type	 type;
	int64_t		 time;		/* unix seconds; 0 = now */
	const char	*zone;		/* may be NULL */
	const char	*provider;	/* may be NULL */
	const char	*key;		/* the occurrence; may be NULL */
	int64_t		 window;	/* bucket seconds; 0 = the type's,
					   ALERT_WINDOW_NONE = none */
	const char	*summary;	/* one line, required */
	const cJSON	*details;	/* an object, borrowed; may be NULL */
};

/* alert.c */
const char	*alert_type_name(enum alert_type);
int		 alert_type_from_name(const char *, enum alert_type *);
enum db_severity alert_type_severity(enum alert_type);
/* The id of an event (see EVENT IDS); out has ALERT_ID_LEN + 1 bytes. */
void		 alert_event_id(const struct alert_event *, char *out);

/*
 * Start: read every webhook's secret (NULL with the reason in err if one
 * cannot be read), make one HTTP pool per webhook, and arm the delivery
 * timer, which first sends what a previous run left pending.  db, http
 * and base must outlive the alert; conf is not kept.
 */
struct alert	*alert_new(struct event_base *, struct db *, struct http *,
		    const struct config *, char *err, size_t errlen);
/* Cancel requests in flight (they stay pending in the outbox); takes NULL. */
void		 alert_free(struct alert *);
/*
 * Take a new config: all or nothing.  Webhooks are matched by name; a
 * changed URL, secret or timeout applies from the next attempt.  -1 with
 * the reason in err (a secret file that cannot be read) changes nothing.
 */
int		 alert_reload(struct alert *, const struct config *, char *err,
		    size_t errlen);
/*
 * Record an event and queue it for every webhook whose events filter and
 * min-severity match.  1 new, 0 already recorded (same id) or alert is
 * NULL (no alerting, as in unit tests of other modules), -1 on a database
 * error (logged).  Delivery starts later, from the event loop.
 */
int		 alert_raise(struct alert *, const struct alert_event *);
/* The same, now, in the type's bucket, with a printf summary. */
int		 alert_raisef(struct alert *, enum alert_type,
		    const char *zone, const char *provider, const char *key,
		    const cJSON *details, const char *fmt, ...)
		    __attribute__((format(printf, 7, 8)));

/*
 * The `alerts` control command: the newest events (args "limit", default
 * 50, and "zone"), one row per delivery, and rows for events sent nowhere.
 */
int		 alert_ctl_alerts(struct alert *, const struct control_request *,
		    struct control_reply *);
/*
 * For `status`: adds "alerts": {"pending": N, "undeliverable_24h": N,
 * "last_undeliverable": TIME|null} to result; 1 when that needs an
 * operator's attention (an event became undeliverable in the last 24
 * hours), else 0.
 */
int		 alert_status(struct alert *, cJSON *result);

/* For tests: backoff in seconds, jitter 0 = always the full delay. */
void		 alert_set_backoff(struct alert *, unsigned base_s,
		    unsigned cap_s, int jitter);

#endif
