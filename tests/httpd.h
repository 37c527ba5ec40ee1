/*
 * httpd.h: a scripted HTTP/1.1 test server on 127.0.0.1 (libevent evhttp),
 * running on the same event base as the code under test.
 *
 * Every request is answered, in this order, by:
 * 1. the first scripted reply (httpd_expect, httpd_script) whose method
 *    and path match; it is used up (after `repeat` uses);
 * 2. the handler set with httpd_on(), if it returns 0;
 * 3. otherwise 404 "no scripted reply" (counted by httpd_unmatched()).
 *
 * Every request is recorded (method, path+query, headers, body) and can be
 * inspected with httpd_nrequests() / httpd_request().
 */
#ifndef TEST_HTTPD_H
#define TEST_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct httpd;

enum httpd_action {
	HTTPD_REPLY = 0,	/* send status, headers, body */
	HTTPD_CLOSE,		/* close the connection without answering */
	HTTPD_RESET,		/* reset the connection (RST) without answering */
};

struct httpd_reply {
	const char		*method;	/* NULL = any */
	const char		*path;		/* NULL = any; query ignored
						   unless it contains '?' */
	int			 status;	/* 0 = 200 */
	const char *const	*headers;	/* "Name: value", NULL-terminated */
	const char		*body;		/* NULL = empty */
	size_t			 body_len;	/* 0 = strlen(body) */
	int			 body_free;	/* handler only: free(body) after */
	unsigned		 delay_ms;	/* before the action */
	enum httpd_action	 action;
	int			 chunked;	/* send without Content-Length */
	int			 repeat;	/* uses; 0 = 1, -1 = forever */
};

struct httpd_header {
	char	*name;
	char	*value;
};

struct httpd_request {
	char			*method;
	char			*uri;		/* path and query as received */
	char			*path;		/* without the query */
	struct httpd_header	*headers;
	size_t			 nheaders;
	char			*body;		/* NUL-terminated */
	size_t			 body_len;
	unsigned		 conn;		/* 1-based TCP connection number */
	uint64_t		 at_ms;		/* monotonic arrival time */
};

/*
 * Dynamic fakes: fill *out from *req and return 0, or return -1 to let
 * the server answer 404. out->method, out->path and out->repeat are
 * ignored; strings are copied after the handler returns.
 */
typedef int	(*httpd_handler_cb)(const struct httpd_request *,
		    struct httpd_reply *, void *);

struct httpd	*httpd_new(struct event_base *);
void		 httpd_free(struct httpd *);
int		 httpd_port(const struct httpd *);
/* "http://127.0.0.1:PORT" + path; free() the result. */
char		*httpd_url(const struct httpd *, const char *);

void		 httpd_expect(struct httpd *, const char *method,
		    const char *path, int status, const char *const *headers,
		    const char *body);
void		 httpd_script(struct httpd *, const struct httpd_reply *);
void		 httpd_on(struct httpd *, httpd_handler_cb, void *);
size_t		 httpd_pending_scripts(const struct httpd *);

size_t		 httpd_nrequests(const struct httpd *);
const struct httpd_request *httpd_request(const struct httpd *, size_t);
const char	*httpd_request_header(const struct httpd_request *,
		    const char *);
unsigned	 httpd_connections(const struct httpd *);	/* accepted */
unsigned	 httpd_max_concurrent(const struct httpd *);	/* requests */
unsigned	 httpd_unmatched(const struct httpd *);
void		 httpd_reset_stats(struct httpd *);

#endif
