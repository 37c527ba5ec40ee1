/*
 * http.h: the one HTTP client layer, libcurl multi driven by libevent.
 *
 * One struct http per event base. One struct http_pool per destination
 * (a provider account, a webhook): it bounds concurrency, rate-limits with
 * a token bucket, retries with exponential backoff and full jitter, honours
 * Retry-After, and pauses the whole pool after a throttling answer so that
 * the other requests queued for the same account wait too.
 *
 * Rules the callers can rely on:
 * - The completion callback is called exactly once per request, always from
 *   the event loop, never from inside http_request_start(), unless the
 *   request is cancelled first (then it is never called).
 * - Redirects are not followed; only http and https are allowed.
 * - Bodies and header values are never logged (they carry secrets). At
 *   debug level one line per attempt gives the method, host and path
 *   (no query, no user info), status, attempt number and milliseconds.
 * - A response body larger than the pool's max_body is an error
 *   (HTTP_ERR_TOO_LARGE), never truncated data.
 * - The request handle is valid until its callback returns or until
 *   http_cancel(). http_cancel() may be called from any callback; on the
 *   request whose callback is running it does nothing.
 * - http_pool_free() cancels the pool's requests (their callbacks are not
 *   called); it may be called from inside one of the pool's callbacks.
 * - http_free() frees every pool not yet freed; never call it from a
 *   callback.
 * - Requests wait FIFO for a slot (max_concurrent), for a token (rate,
 *   burst) and for the end of a pool pause; a retry goes to the head of
 *   the queue once its backoff is over. Each attempt takes a token.
 *
 * Retry policy (http_pool_config.max_retries retries at most, so at most
 * max_retries + 1 attempts):
 * - Connect-phase failures (cannot resolve, cannot connect, TLS handshake)
 *   are retried for every method: nothing was sent.
 * - Other transport failures (timeouts, connection dropped, empty reply)
 *   and HTTP 408, 500, 502, 503 and 504 are retried only when the request
 *   is idempotent: GET, HEAD, OPTIONS, PUT and DELETE are by default;
 *   POST and PATCH only with HTTP_REQ_IDEMPOTENT.
 * - 429 is retried for every method (the server did not act on it).
 *   RFC 9110 10.2.3: Retry-After as delta-seconds or HTTP-date is
 *   honoured, also on 503. Without Retry-After the backoff delay is used.
 *   Either way the pool is paused for that long.
 *   If Retry-After asks for more than max_retry_after_ms, the request is
 *   not retried: it completes at once with the 429 (or 503) response and
 *   err = HTTP_ERR_THROTTLED, so the caller can reschedule; the pool is
 *   paused for max_retry_after_ms.
 * - The pool's classify callback can override the verdict for providers
 *   that throttle without 429 (Route 53: 400 + <Code>Throttling</Code>;
 *   Google: 403 rateLimitExceeded).
 * - Backoff before retry n (n = 1, 2, ...) is uniform in
 *   [0, min(backoff_cap_ms, backoff_base_ms * 2^(n-1))] ("full jitter").
 */
#ifndef MULTIDNS_HTTP_H
#define MULTIDNS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

struct event_base;
struct http;
struct http_pool;
struct http_request;
struct http_response_headers;

enum http_error {
	HTTP_OK = 0,		/* a complete HTTP response, any status */
	HTTP_ERR_CONNECT,	/* could not resolve or connect */
	HTTP_ERR_TIMEOUT,	/* connect or total timeout */
	HTTP_ERR_TRANSPORT,	/* any other transfer failure */
	HTTP_ERR_TOO_LARGE,	/* response body or headers over the cap */
	HTTP_ERR_THROTTLED,	/* Retry-After beyond max_retry_after_ms */
};

struct http_response {
	long		 status;	/* HTTP status; 0 if no usable answer */
	enum http_error	 err;
	const char	*error;		/* human text, "" when err == HTTP_OK */
	const char	*body;		/* NUL-terminated, never NULL */
	size_t		 body_len;
	int		 attempts;	/* 1 = no retry */
	uint64_t	 elapsed_ms;	/* from http_request_start, queueing included */

	/* Private: use http_response_header(). */
	struct http_response_headers *headers;
};

/* What to do with an answer; returned by the pool's classify callback. */
enum http_verdict {
	HTTP_VERDICT_DEFAULT,	/* apply the built-in rules above */
	HTTP_VERDICT_DONE,	/* hand this answer to the caller */
	HTTP_VERDICT_RETRY,	/* retry (within max_retries), backoff */
	HTTP_VERDICT_THROTTLED,	/* like 429: Retry-After, pause the pool */
};

typedef void	(*http_done_cb)(const struct http_response *, void *);
typedef void	(*http_setup_cb)(CURL *, void *);
typedef enum http_verdict (*http_classify_cb)(const struct http_response *,
		    void *);

struct http_pool_config {
	const char	*name;		/* for logs; copied */
	unsigned	 max_concurrent;	/* in flight at once, >= 1 */
	double		 rate;		/* requests per second; 0 = unlimited */
	unsigned	 burst;		/* token bucket depth, >= 1 */
	long		 connect_timeout_ms;
	long		 timeout_ms;	/* whole attempt */
	int		 max_retries;	/* >= 0 */
	unsigned	 backoff_base_ms;
	unsigned	 backoff_cap_ms;
	unsigned	 max_retry_after_ms;	/* longest Retry-After we wait */
	size_t		 max_body;	/* bytes */
	http_classify_cb classify;	/* NULL = built-in rules only */
	void		*classify_arg;
};

/* Request flags. */
#define HTTP_REQ_IDEMPOTENT	0x1	/* safe to repeat (e.g. PATCH REPLACE) */
#define HTTP_REQ_NOT_IDEMPOTENT	0x2	/* never repeat after sending */
#define HTTP_REQ_NO_RETRY	0x4	/* one attempt only */

struct http_request_params {
	const char		*method;	/* "GET", "POST", ...; NULL = GET */
	const char		*url;
	const char *const	*headers;	/* "Name: value", NULL-terminated */
	const void		*body;		/* copied; NULL = no body */
	size_t			 body_len;
	int			 flags;		/* HTTP_REQ_* */
	long			 timeout_ms;	/* 0 = the pool's */
	long			 connect_timeout_ms; /* 0 = the pool's */
	size_t			 max_body;	/* 0 = the pool's */
	http_setup_cb		 setup;		/* before each attempt, or NULL */
	http_done_cb		 cb;
	void			*arg;		/* for setup and cb */
};

struct http_pool_stats {
	uint64_t	requests;	/* started */
	uint64_t	attempts;	/* transfers begun */
	uint64_t	completed;	/* callback called */
	uint64_t	errors;		/* completed with err != HTTP_OK */
	uint64_t	http_errors;	/* completed with status >= 400 */
	uint64_t	retries;
	uint64_t	throttled;	/* 429s and classify THROTTLED answers */
	uint64_t	cancelled;
	uint64_t	bytes_in;	/* response body bytes */
	unsigned	in_flight;
	unsigned	queued;		/* waiting for a slot, token or retry */
};

#define HTTP_DEFAULT_MAX_BODY	(64 * 1024 * 1024)

/* http.c */
struct http	*http_new(struct event_base *);
void		 http_free(struct http *);

void		 http_pool_config_init(struct http_pool_config *);
struct http_pool *http_pool_new(struct http *, const struct http_pool_config *);
void		 http_pool_free(struct http_pool *);
const char	*http_pool_name(const struct http_pool *);
/* Walk the pools not yet freed: prev NULL gives the first; NULL at the end. */
const struct http_pool *http_pool_next(const struct http *,
		    const struct http_pool *prev);
void		 http_pool_stats(const struct http_pool *, struct http_pool_stats *);

struct http_request *http_request_start(struct http_pool *,
		    const struct http_request_params *);
void		 http_cancel(struct http_request *);

const char	*http_response_header(const struct http_response *,
		    const char *);
const char	*http_strerror(enum http_error);
int		 http_retry_after_parse(const char *, time_t, unsigned *);

#endif
