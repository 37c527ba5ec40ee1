/*
 * dnsio.c: asynchronous DNS exchanges (UDP, TCP, AXFR) with ldns packets
 * on libevent; TSIG is in tsig.c.  See dnsio.h for the rules.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsio.h"
#include "log.h"
#include "tsig.h"
#include "xmalloc.h"
#include "zone.h"

enum dnsio_kind {
	DNSIO_KIND_QUERY,
	DNSIO_KIND_AXFR,
};

struct dnsio_query {
	struct event_base	*base;
	enum dnsio_kind		 kind;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	unsigned		 timeout_ms;
	unsigned		 retries;
	unsigned		 total_ms;
	size_t			 max_bytes;
	size_t			 max_rrs;
	const struct dnsio_tsig	*tsig;

	uint8_t			*qwire;		/* 2-byte length + message */
	size_t			 qlen;		/* of the message */
	uint16_t		 id;
	uint8_t			 opcode;
	ldns_rdf		*qname;		/* NULL: no question */
	uint16_t		 qtype;
	uint16_t		 qclass;
	uint8_t			 mac[2 + DNSIO_MAC_MAX];	/* prior MAC */
	size_t			 mac_len;

	int			 fd;
	int			 tcp;
	int			 connected;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_timer;
	struct event		*ev_deadline;
	uint64_t		 t_sent;
	uint64_t		 t_start;

	size_t			 woff;
	uint8_t			*rbuf;		/* TCP: one message */
	size_t			 rhave;
	size_t			 rneed;		/* 0: reading the length */
	uint8_t			 lenbuf[2];

	struct zone		*zone;		/* AXFR */
	int			 soa_seen;
	uint8_t			*ubuf;		/* unsigned messages so far */
	size_t			 ulen;
	size_t			 nunsigned;

	struct dnsio_stats	 st;
	dnsio_cb		 cb;
	dnsio_axfr_cb		 acb;
	void			*arg;
	int			 in_cb;
};

static uint64_t	dnsio_nmismatches;

static void	dnsio_udp_read_cb(evutil_socket_t, short, void *);
static void	dnsio_tcp_read_cb(evutil_socket_t, short, void *);
static void	dnsio_tcp_write_cb(evutil_socket_t, short, void *);
static void	dnsio_timer_cb(evutil_socket_t, short, void *);
static void	dnsio_deadline_cb(evutil_socket_t, short, void *);

const char *
dnsio_strerror(int status)
{
	switch (status) {
	case DNSIO_OK:
		return ("ok");
	case DNSIO_ERR_TIMEOUT:
		return ("timeout");
	case DNSIO_ERR_NETWORK:
		return ("network error");
	case DNSIO_ERR_MALFORMED:
		return ("malformed answer");
	case DNSIO_ERR_TSIG:
		return ("TSIG verification failed");
	case DNSIO_ERR_TOO_LARGE:
		return ("answer too large");
	case DNSIO_ERR_RCODE:
		return ("error answer");
	case DNSIO_ERR_AXFR:
		return ("bad zone transfer");
	}
	return ("unknown error");
}

uint64_t
dnsio_mismatches(void)
{
	return (dnsio_nmismatches);
}

static uint64_t
dnsio_now_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static void
dnsio_random(void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("dnsio", "getrandom");
		p += n;
		len -= (size_t)n;
	}
}

static void
dnsio_timeval(struct timeval *tv, unsigned ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* --- addresses ------------------------------------------------------- */

int
dnsio_addr_parse(const char *s, uint16_t defport, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 1], *end;
	const char		*port = NULL, *close, *colon;
	unsigned long		 p = defport;
	size_t			 hlen;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return (-1);
		hlen = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return (-1);
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - s);
		port = colon + 1;
	} else
		hlen = strlen(s);
	if (hlen == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (*port == '\0' || *end != '\0' || errno != 0 || p == 0 ||
		    p > 65535)
			return (-1);
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

const char *
dnsio_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	char				 h[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "?");
	return (buf);
}

static int
dnsio_addr_equal(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in	*b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6	*a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6	*b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (alen >= sizeof(*a4) && a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (alen >= sizeof(*a6) && a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	return (0);
}

/* --- the query's life ------------------------------------------------ */

/*
 * Verify the TSIG of one message of q (see dnsio_tsig_check); a verified
 * message ends the run of unsigned ones.
 */
static int
dnsio_verify(struct dnsio_query *q, const uint8_t *w, size_t len, int first,
    char *why, size_t whylen)
{
	int	r;

	r = dnsio_tsig_check(q->tsig, q->mac, &q->mac_len, q->ubuf, q->ulen,
	    w, len, first, &q->st.tsig_error, why, whylen);
	if (r == 1) {
		q->ulen = 0;
		q->nunsigned = 0;
	}
	return (r);
}

static void
dnsio_close(struct dnsio_query *q)
{
	if (q->ev_read != NULL)
		event_free(q->ev_read);
	if (q->ev_write != NULL)
		event_free(q->ev_write);
	q->ev_read = q->ev_write = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
}

static void
dnsio_free(struct dnsio_query *q)
{
	dnsio_close(q);
	if (q->ev_timer != NULL)
		event_free(q->ev_timer);
	if (q->ev_deadline != NULL)
		event_free(q->ev_deadline);
	ldns_rdf_deep_free(q->qname);
	free(q->qwire);
	free(q->rbuf);
	free(q->ubuf);
	zone_free(q->zone);
	free(q);
}

void
dnsio_cancel(struct dnsio_query *q)
{
	if (q == NULL || q->in_cb)
		return;
	dnsio_free(q);
}

/* Report and free.  The caller must not touch q afterwards. */
static void
dnsio_finish(struct dnsio_query *q, int status, ldns_pkt *answer)
{
	struct zone	*z = NULL;

	dnsio_close(q);
	if (q->ev_timer != NULL)
		evtimer_del(q->ev_timer);
	if (q->ev_deadline != NULL)
		evtimer_del(q->ev_deadline);
	if (status != DNSIO_OK && q->st.error[0] == '\0')
		snprintf(q->st.error, sizeof(q->st.error), "%s",
		    dnsio_strerror(status));
	q->in_cb = 1;
	if (q->kind == DNSIO_KIND_AXFR) {
		if (status == DNSIO_OK) {
			z = q->zone;
			q->zone = NULL;
		}
		q->acb(status, z, &q->st, q->arg);
	} else
		q->cb(status, status == DNSIO_OK ? answer : NULL, &q->st,
		    q->arg);
	ldns_pkt_free(answer);
	dnsio_free(q);
}

static void
dnsio_fail(struct dnsio_query *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dnsio_fail(struct dnsio_query *q, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(q->st.error, sizeof(q->st.error), fmt, ap);
	va_end(ap);
	dnsio_finish(q, status, NULL);
}

static void
dnsio_mismatch(struct dnsio_query *q, unsigned *counter)
{
	(*counter)++;
	q->st.mismatches++;
	dnsio_nmismatches++;
}

static int
dnsio_socket(struct dnsio_query *q, int type)
{
	int	fd;

	fd = socket(q->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	q->fd = fd;
	return (0);
}

static int
dnsio_udp_send(struct dnsio_query *q)
{
	ssize_t	n;

	q->st.attempts++;
	q->t_sent = dnsio_now_usec();
	n = send(q->fd, q->qwire + 2, q->qlen, 0);
	if (n == -1 && errno != ECONNREFUSED && errno != EAGAIN &&
	    errno != EINTR)
		return (-1);
	return (0);
}

static void
dnsio_arm_timer(struct dnsio_query *q)
{
	struct timeval	tv;

	dnsio_timeval(&tv, q->timeout_ms);
	evtimer_add(q->ev_timer, &tv);
}

static int
dnsio_udp_start(struct dnsio_query *q, char *err, size_t errlen)
{
	if (dnsio_socket(q, SOCK_DGRAM) == -1 ||
	    connect(q->fd, (struct sockaddr *)&q->ss, q->sslen) == -1) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		return (-1);
	}
	q->ev_read = event_new(q->base, q->fd, EV_READ | EV_PERSIST,
	    dnsio_udp_read_cb, q);
	if (q->ev_read == NULL || event_add(q->ev_read, NULL) == -1)
		fatalx("dnsio", "event_new");
	if (dnsio_udp_send(q) == -1) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		return (-1);
	}
	dnsio_arm_timer(q);
	return (0);
}

/* Start (or restart, after TC=1) over TCP; 0 or -1 with errno. */
static int
dnsio_tcp_start(struct dnsio_query *q)
{
	dnsio_close(q);
	q->tcp = 1;
	q->connected = 0;
	q->woff = 0;
	q->rhave = 0;
	q->rneed = 0;
	if (q->rbuf == NULL)
		q->rbuf = xmalloc(DNSIO_MSG_MAX);
	if (dnsio_socket(q, SOCK_STREAM) == -1)
		return (-1);
	q->st.attempts++;
	q->t_sent = dnsio_now_usec();
	if (connect(q->fd, (struct sockaddr *)&q->ss, q->sslen) == -1 &&
	    errno != EINPROGRESS)
		return (-1);
	q->ev_write = event_new(q->base, q->fd, EV_WRITE | EV_PERSIST,
	    dnsio_tcp_write_cb, q);
	q->ev_read = event_new(q->base, q->fd, EV_READ | EV_PERSIST,
	    dnsio_tcp_read_cb, q);
	if (q->ev_write == NULL || q->ev_read == NULL ||
	    event_add(q->ev_write, NULL) == -1)
		fatalx("dnsio", "event_new");
	dnsio_arm_timer(q);
	return (0);
}

enum dnsio_verdict {
	DNSIO_IGNORE,
	DNSIO_ACCEPT,
	DNSIO_REJECT,		/* q->st.error set, status in *status */
};

/*
 * Does this message answer our query?  On ACCEPT *pkt is the parsed
 * answer (caller frees).  first: the first message of a stream or a plain
 * answer (its question must match); later AXFR messages may omit it.
 */
static enum dnsio_verdict
dnsio_match(struct dnsio_query *q, const uint8_t *w, size_t len, int first,
    ldns_pkt **pkt, int *status)
{
	ldns_pkt	*p = NULL;
	ldns_rr		*qrr;

	*pkt = NULL;
	if (len < 12 || ldns_wire2pkt(&p, w, len) != LDNS_STATUS_OK) {
		if (q->tcp) {
			snprintf(q->st.error, sizeof(q->st.error),
			    "malformed answer");
			*status = DNSIO_ERR_MALFORMED;
			return (DNSIO_REJECT);
		}
		dnsio_mismatch(q, &q->st.malformed);
		return (DNSIO_IGNORE);
	}
	if (ldns_pkt_id(p) != q->id) {
		dnsio_mismatch(q, &q->st.bad_id);
		goto ignore;
	}
	if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != q->opcode) {
		dnsio_mismatch(q, &q->st.bad_question);
		goto ignore;
	}
	if (ldns_pkt_qdcount(p) == 0) {
		if (first && q->qname != NULL &&
		    ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR) {
			dnsio_mismatch(q, &q->st.bad_question);
			goto ignore;
		}
	} else {
		qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
		if (ldns_pkt_qdcount(p) != 1 || q->qname == NULL ||
		    qrr == NULL ||
		    ldns_dname_compare(ldns_rr_owner(qrr), q->qname) != 0 ||
		    ldns_rr_get_type(qrr) != q->qtype ||
		    ldns_rr_get_class(qrr) != q->qclass) {
			dnsio_mismatch(q, &q->st.bad_question);
			goto ignore;
		}
	}
	*pkt = p;
	return (DNSIO_ACCEPT);
ignore:
	ldns_pkt_free(p);
	return (DNSIO_IGNORE);
}

static const char *
dnsio_rcode_name(int rcode, char *buf, size_t len)
{
	const ldns_lookup_table	*lt;

	lt = ldns_lookup_by_id(ldns_rcodes, rcode);
	if (lt != NULL)
		return (lt->name);
	snprintf(buf, len, "RCODE%d", rcode);
	return (buf);
}

/* A plain answer: accept, TC fallback, TSIG.  Returns 1 when finished. */
static int
dnsio_answer(struct dnsio_query *q, const uint8_t *w, size_t len)
{
	ldns_pkt	*p;
	char		 why[128], rb[16];
	int		 status = DNSIO_OK, r;

	switch (dnsio_match(q, w, len, 1, &p, &status)) {
	case DNSIO_IGNORE:
		return (0);
	case DNSIO_REJECT:
		dnsio_finish(q, status, NULL);
		return (1);
	case DNSIO_ACCEPT:
		break;
	}
	q->st.rcode = ldns_pkt_get_rcode(p);
	if (!q->tcp && ldns_pkt_tc(p)) {
		ldns_pkt_free(p);
		evtimer_del(q->ev_timer);
		if (dnsio_tcp_start(q) == -1) {
			dnsio_fail(q, DNSIO_ERR_NETWORK, "TCP after TC=1: %s",
			    strerror(errno));
			return (1);
		}
		return (1);
	}
	if (q->tsig != NULL) {
		r = dnsio_verify(q, w, len, 1, why, sizeof(why));
		if (r != 1) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_TSIG, "TSIG verification "
			    "failed: %s (rcode %s)", r == 0 ?
			    "answer not signed" : why,
			    dnsio_rcode_name(q->st.rcode, rb, sizeof(rb)));
			return (1);
		}
		q->st.tsig_verified = 1;
	}
	q->st.rtt_usec = dnsio_now_usec() - q->t_sent;
	q->st.tcp = q->tcp;
	dnsio_finish(q, DNSIO_OK, p);
	return (1);
}

static void
dnsio_udp_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsio_query	*q = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	uint8_t			 buf[DNSIO_MSG_MAX];
	ssize_t			 n;
	int			 i;

	(void)ev;
	for (i = 0; i < 64; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* EAGAIN, or an ICMP error: keep waiting */
			return;
		}
		if (!dnsio_addr_equal(&from, fromlen, &q->ss)) {
			dnsio_mismatch(q, &q->st.bad_source);
			continue;
		}
		if (dnsio_answer(q, buf, (size_t)n))
			return;
	}
}

static void
dnsio_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsio_query	*q = arg;

	(void)fd;
	(void)ev;
	if (!q->tcp && q->st.attempts <= q->retries) {
		if (dnsio_udp_send(q) == -1) {
			dnsio_fail(q, DNSIO_ERR_NETWORK, "send: %s",
			    strerror(errno));
			return;
		}
		dnsio_arm_timer(q);
		return;
	}
	dnsio_fail(q, DNSIO_ERR_TIMEOUT, "no answer after %u attempt%s "
	    "(%u ms %s)", q->st.attempts, q->st.attempts == 1 ? "" : "s",
	    q->timeout_ms, q->tcp ? "idle" : "each");
}

static void
dnsio_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsio_query	*q = arg;

	(void)fd;
	(void)ev;
	dnsio_fail(q, DNSIO_ERR_TIMEOUT, "zone transfer not finished after "
	    "%u ms", q->total_ms);
}

static void
dnsio_tcp_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsio_query	*q = arg;
	socklen_t		 len;
	ssize_t			 n;
	int			 e;

	(void)ev;
	if (!q->connected) {
		len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e != 0) {
			dnsio_fail(q, DNSIO_ERR_NETWORK, "connect: %s",
			    strerror(e));
			return;
		}
		q->connected = 1;
	}
	n = send(fd, q->qwire + q->woff, q->qlen + 2 - q->woff, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		dnsio_fail(q, DNSIO_ERR_NETWORK, "send: %s", strerror(errno));
		return;
	}
	q->woff += (size_t)n;
	if (q->woff == q->qlen + 2) {
		event_del(q->ev_write);
		if (event_add(q->ev_read, NULL) == -1)
			fatalx("dnsio", "event_add");
	}
}

/* --- AXFR ------------------------------------------------------------ */

static char *
dnsio_rdata_text(const ldns_rr *rr)
{
	ldns_buffer	*b;
	char		*s;
	size_t		 i;

	b = ldns_buffer_new(256);
	if (b == NULL)
		fatalx("dnsio", "ldns_buffer_new");
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_write_u8(b, ' ');
		ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i));
	}
	if (ldns_rr_rd_count(rr) == 0)
		ldns_buffer_printf(b, "\\# 0");
	if (!ldns_buffer_status_ok(b))
		fatalx("dnsio", "ldns_buffer");
	s = xstrndup((const char *)ldns_buffer_begin(b),
	    ldns_buffer_position(b));
	ldns_buffer_free(b);
	return (s);
}

/* One AXFR message.  Returns 1 when the query is finished. */
static int
dnsio_axfr_msg(struct dnsio_query *q, const uint8_t *w, size_t len)
{
	ldns_pkt		*p;
	ldns_rr_list		*an;
	ldns_rr			*rr;
	struct zone_error	 zerr;
	char			 why[128], rb[16], *owner, *rdata, eb[600];
	size_t			 i, n;
	int			 status = DNSIO_OK, first, r, rcode, last = 0;

	first = q->st.messages == 0;
	switch (dnsio_match(q, w, len, first, &p, &status)) {
	case DNSIO_IGNORE:
		if (q->st.messages == 0)
			return (0);
		/* inside a stream, a foreign message is fatal */
		dnsio_fail(q, DNSIO_ERR_AXFR, "unexpected message in the "
		    "transfer (message %zu)", q->st.messages + 1);
		return (1);
	case DNSIO_REJECT:
		dnsio_finish(q, status, NULL);
		return (1);
	case DNSIO_ACCEPT:
		break;
	}
	q->st.messages++;
	q->st.bytes += len;
	rcode = ldns_pkt_get_rcode(p);
	if (first)
		q->st.rcode = rcode;
	if (q->st.bytes > q->max_bytes) {
		ldns_pkt_free(p);
		dnsio_fail(q, DNSIO_ERR_TOO_LARGE, "zone transfer larger than "
		    "%zu bytes", q->max_bytes);
		return (1);
	}
	if (q->tsig != NULL) {
		r = dnsio_verify(q, w, len, first, why, sizeof(why));
		if (r == -1 || (r == 0 && first)) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_TSIG, "TSIG verification "
			    "failed: %s (message %zu, rcode %s)", r == 0 ?
			    "answer not signed" : why, q->st.messages,
			    dnsio_rcode_name(rcode, rb, sizeof(rb)));
			return (1);
		}
		if (r == 0) {
			if (++q->nunsigned > DNSIO_TSIG_MAX_UNSIGNED) {
				ldns_pkt_free(p);
				dnsio_fail(q, DNSIO_ERR_TSIG, "TSIG "
				    "verification failed: more than %d "
				    "unsigned messages in a row",
				    DNSIO_TSIG_MAX_UNSIGNED);
				return (1);
			}
			q->st.unsigned_messages++;
			q->ubuf = xreallocarray(q->ubuf, 1, q->ulen + len);
			memcpy(q->ubuf + q->ulen, w, len);
			q->ulen += len;
		}
	}
	if (rcode != LDNS_RCODE_NOERROR) {
		ldns_pkt_free(p);
		dnsio_fail(q, DNSIO_ERR_RCODE, "zone transfer refused: %s",
		    dnsio_rcode_name(rcode, rb, sizeof(rb)));
		return (1);
	}
	an = ldns_pkt_answer(p);
	n = ldns_rr_list_rr_count(an);
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_AXFR, "record of class %u in "
			    "the transfer", ldns_rr_get_class(rr));
			return (1);
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_dname_compare(ldns_rr_owner(rr), q->qname) == 0) {
			if (q->soa_seen) {
				if (i + 1 != n) {
					ldns_pkt_free(p);
					dnsio_fail(q, DNSIO_ERR_AXFR, "records "
					    "after the closing SOA");
					return (1);
				}
				last = 1;
				break;
			}
			q->soa_seen = 1;
		} else if (!q->soa_seen) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_AXFR, "transfer does not "
			    "start with the zone's SOA");
			return (1);
		}
		if (q->st.rrs >= q->max_rrs) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_TOO_LARGE, "more than %zu "
			    "records in the transfer", q->max_rrs);
			return (1);
		}
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		if (owner == NULL)
			fatalx("dnsio", "ldns_rdf2str");
		rdata = dnsio_rdata_text(rr);
		r = zone_add_rr_text(q->zone, owner, ldns_rr_get_type(rr),
		    ldns_rr_ttl(rr), rdata, &zerr);
		free(owner);
		free(rdata);
		if (r == -1) {
			ldns_pkt_free(p);
			dnsio_fail(q, DNSIO_ERR_AXFR, "%s",
			    zone_error_str(&zerr, eb, sizeof(eb)));
			return (1);
		}
		q->st.rrs++;
	}
	ldns_pkt_free(p);
	if (!last)
		return (0);
	if (q->tsig != NULL && q->nunsigned > 0) {
		dnsio_fail(q, DNSIO_ERR_TSIG, "TSIG verification failed: the "
		    "last message of the transfer is not signed");
		return (1);
	}
	if (zone_finish(q->zone, &zerr) == -1) {
		dnsio_fail(q, DNSIO_ERR_AXFR, "%s",
		    zone_error_str(&zerr, eb, sizeof(eb)));
		return (1);
	}
	q->st.tsig_verified = q->tsig != NULL;
	q->st.tcp = 1;
	q->st.rtt_usec = dnsio_now_usec() - q->t_start;
	dnsio_finish(q, DNSIO_OK, NULL);
	return (1);
}

static void
dnsio_tcp_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsio_query	*q = arg;
	ssize_t			 n;
	size_t			 want;
	uint8_t			*dst;
	int			 i, done;

	(void)ev;
	for (i = 0; i < 64; i++) {
		if (q->rneed == 0) {
			want = 2 - q->rhave;
			dst = q->lenbuf + q->rhave;
		} else {
			want = q->rneed - q->rhave;
			dst = q->rbuf + q->rhave;
		}
		n = recv(fd, dst, want, 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			dnsio_fail(q, DNSIO_ERR_NETWORK, "recv: %s",
			    strerror(errno));
			return;
		}
		if (n == 0) {
			dnsio_fail(q, DNSIO_ERR_NETWORK, "connection closed "
			    "by the server%s", q->kind == DNSIO_KIND_AXFR &&
			    q->st.messages > 0 ? " before the end of the "
			    "transfer" : "");
			return;
		}
		dnsio_arm_timer(q);	/* idle timeout */
		q->rhave += (size_t)n;
		if (q->rneed == 0) {
			if (q->rhave < 2)
				continue;
			q->rneed = dnsio_get16(q->lenbuf);
			q->rhave = 0;
			if (q->rneed < 12) {
				dnsio_fail(q, DNSIO_ERR_MALFORMED, "message "
				    "of %zu bytes", q->rneed);
				return;
			}
			continue;
		}
		if (q->rhave < q->rneed)
			continue;
		want = q->rneed;
		q->rneed = q->rhave = 0;
		if (q->kind == DNSIO_KIND_AXFR)
			done = dnsio_axfr_msg(q, q->rbuf, want);
		else
			done = dnsio_answer(q, q->rbuf, want);
		if (done)
			return;
	}
}

/* --- starting -------------------------------------------------------- */

static struct dnsio_query *
dnsio_new(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
    const ldns_pkt *query, const struct dnsio_opts *opts, char *err,
    size_t errlen)
{
	struct dnsio_query	*q;
	ldns_pkt		*p;
	ldns_rr			*qrr;
	uint8_t			*wire = NULL;
	size_t			 len;

	if (salen > sizeof(q->ss) || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6)) {
		snprintf(err, errlen, "bad server address");
		return (NULL);
	}
	q = xcalloc(1, sizeof(*q));
	q->base = base;
	q->fd = -1;
	memcpy(&q->ss, sa, salen);
	q->sslen = salen;
	q->st.rcode = -1;
	q->timeout_ms = DNSIO_TIMEOUT_MS;
	q->retries = DNSIO_RETRIES;
	q->total_ms = DNSIO_AXFR_TOTAL_MS;
	q->max_bytes = DNSIO_AXFR_MAX_BYTES;
	q->max_rrs = DNSIO_AXFR_MAX_RRS;
	if (opts != NULL) {
		if (opts->timeout_ms != 0)
			q->timeout_ms = opts->timeout_ms;
		q->retries = opts->retries;
		if (opts->total_ms != 0)
			q->total_ms = opts->total_ms;
		if (opts->max_bytes != 0)
			q->max_bytes = opts->max_bytes;
		if (opts->max_rrs != 0)
			q->max_rrs = opts->max_rrs;
		q->tsig = opts->tsig;
		q->tcp = opts->tcp;
	}

	if ((p = ldns_pkt_clone(query)) == NULL)
		fatalx("dnsio", "ldns_pkt_clone");
	dnsio_random(&q->id, sizeof(q->id));
	ldns_pkt_set_id(p, q->id);
	q->opcode = ldns_pkt_get_opcode(p);
	if (ldns_pkt_qdcount(p) == 1 &&
	    (qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0)) != NULL) {
		q->qname = ldns_rdf_clone(ldns_rr_owner(qrr));
		q->qtype = ldns_rr_get_type(qrr);
		q->qclass = ldns_rr_get_class(qrr);
	}
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		snprintf(err, errlen, "cannot encode the query");
		goto fail;
	}
	ldns_pkt_free(p);
	if (q->tsig != NULL && dnsio_tsig_sign_wire(q->tsig, &wire, &len,
	    q->mac, &q->mac_len) != 0) {
		free(wire);
		snprintf(err, errlen, "cannot sign the query");
		goto fail;
	}
	if (len > DNSIO_MSG_MAX) {
		free(wire);
		snprintf(err, errlen, "query larger than %d bytes",
		    DNSIO_MSG_MAX);
		goto fail;
	}
	q->qwire = xmalloc(len + 2);
	dnsio_put16(q->qwire, (uint16_t)len);
	memcpy(q->qwire + 2, wire, len);
	q->qlen = len;
	free(wire);
	q->ev_timer = evtimer_new(base, dnsio_timer_cb, q);
	if (q->ev_timer == NULL)
		fatalx("dnsio", "evtimer_new");
	return (q);
fail:
	dnsio_free(q);
	return (NULL);
}

static int
dnsio_start(struct dnsio_query *q, char *err, size_t errlen)
{
	q->t_start = dnsio_now_usec();
	if (q->tcp) {
		if (dnsio_tcp_start(q) == -1) {
			snprintf(err, errlen, "TCP: %s", strerror(errno));
			return (-1);
		}
		return (0);
	}
	return (dnsio_udp_start(q, err, errlen));
}

struct dnsio_query *
dnsio_query(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const ldns_pkt *query, const struct dnsio_opts *opts,
    dnsio_cb cb, void *arg, char *err, size_t errlen)
{
	struct dnsio_query	*q;

	if ((q = dnsio_new(base, sa, salen, query, opts, err, errlen)) == NULL)
		return (NULL);
	q->kind = DNSIO_KIND_QUERY;
	q->cb = cb;
	q->arg = arg;
	if (dnsio_start(q, err, errlen) == -1) {
		dnsio_free(q);
		return (NULL);
	}
	return (q);
}

struct dnsio_query *
dnsio_query_name(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *name, uint16_t type, uint16_t class,
    uint16_t flags, const struct dnsio_opts *opts, dnsio_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct dnsio_query	*q;
	ldns_rdf		*qname = NULL;
	ldns_pkt		*p;

	if (ldns_str2rdf_dname(&qname, name) != LDNS_STATUS_OK ||
	    qname == NULL) {
		snprintf(err, errlen, "bad query name '%.255s'", name);
		return (NULL);
	}
	p = ldns_pkt_query_new(qname, type, class, flags);
	if (p == NULL)
		fatalx("dnsio", "ldns_pkt_query_new");
	ldns_pkt_set_edns_udp_size(p, DNSIO_EDNS_BUFSIZE);
	q = dnsio_query(base, sa, salen, p, opts, cb, arg, err, errlen);
	ldns_pkt_free(p);
	return (q);
}

struct dnsio_query *
dnsio_axfr(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *origin, const struct dnsio_opts *opts,
    dnsio_axfr_cb cb, void *arg, char *err, size_t errlen)
{
	struct dnsio_query	*q;
	struct dnsio_opts	 o;
	struct timeval		 tv;
	ldns_rdf		*qname = NULL;
	ldns_pkt		*p;

	if (ldns_str2rdf_dname(&qname, origin) != LDNS_STATUS_OK ||
	    qname == NULL) {
		snprintf(err, errlen, "bad zone name '%.255s'", origin);
		return (NULL);
	}
	p = ldns_pkt_query_new(qname, LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0);
	if (p == NULL)
		fatalx("dnsio", "ldns_pkt_query_new");
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	o.tcp = 1;
	q = dnsio_new(base, sa, salen, p, &o, err, errlen);
	ldns_pkt_free(p);
	if (q == NULL)
		return (NULL);
	q->kind = DNSIO_KIND_AXFR;
	q->acb = cb;
	q->arg = arg;
	if ((q->zone = zone_new(origin)) == NULL) {
		snprintf(err, errlen, "bad zone name '%.255s'", origin);
		dnsio_free(q);
		return (NULL);
	}
	q->ev_deadline = evtimer_new(base, dnsio_deadline_cb, q);
	if (q->ev_deadline == NULL)
		fatalx("dnsio", "evtimer_new");
	dnsio_timeval(&tv, q->total_ms);
	evtimer_add(q->ev_deadline, &tv);
	if (dnsio_start(q, err, errlen) == -1) {
		dnsio_free(q);
		return (NULL);
	}
	return (q);
}
