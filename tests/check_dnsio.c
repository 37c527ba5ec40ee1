/*
 * check_dnsio.c: dnsio against a scripted DNS responder on 127.0.0.1,
 * driven by the same event loop.  The responder uses ldns's own TSIG code,
 * so signing and verifying are checked against an independent
 * implementation.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsio.h"
#include "log.h"
#include "xmalloc.h"
#include "zone.h"

#define KEY_NAME	"test-key."
#define KEY_SECRET	"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define KEY_OTHER	"b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI="

enum mode {
	MODE_NORMAL,
	MODE_WRONG_ID_FIRST,
	MODE_WRONG_QNAME_FIRST,
	MODE_OTHER_PORT_FIRST,
	MODE_TC,
	MODE_SILENT,
	MODE_TSIG_OK,
	MODE_TSIG_WRONG_KEY,
	MODE_TSIG_UNSIGNED,
	MODE_AXFR,
	MODE_AXFR_NO_END,
	MODE_AXFR_REFUSED,
	MODE_AXFR_UNSIGNED_LAST,
	MODE_AXFR_WRONG_KEY_LATER,
};

struct responder {
	int			 udp, udp2, tcp;
	struct sockaddr_in	 sin;
	struct event		*ev_udp, *ev_tcp;
	struct event		*ev_conn;
	int			 conn;
	enum mode		 mode;
	int			 nudp, ntcp;
	int			 query_tsig_ok;	/* ldns verified our query */
	int			 axfr_msgs;	/* messages in the transfer */
	int			 axfr_per_msg;	/* names per message */
};

static struct event_base	*base;
static struct responder		 R;

struct result {
	int			 called;
	int			 status;
	ldns_pkt		*answer;
	struct zone		*zone;
	struct dnsio_stats	 st;
	uint64_t		 at_ms;
};

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* --- the responder ---------------------------------------------------- */

static ldns_pkt *
answer_new(const ldns_pkt *query, int nrr)
{
	ldns_pkt	*a;
	ldns_rr		*qrr, *rr;
	char		 buf[128], *name;
	int		 i;

	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(query));
	ldns_pkt_set_qr(a, 1);
	ldns_pkt_set_aa(a, 1);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(query));
	qrr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query), 0));
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, qrr);
	name = ldns_rdf2str(ldns_rr_owner(qrr));
	for (i = 0; i < nrr; i++) {
		snprintf(buf, sizeof(buf), "%s 300 IN A 192.0.2.%d", name,
		    i % 250 + 1);
		if (i >= 250)
			snprintf(buf, sizeof(buf), "%s 300 IN A 198.51.%d.%d",
			    name, i / 250, i % 250);
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, buf, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	}
	free(name);
	return (a);
}

static void
send_pkt_udp(int fd, ldns_pkt *p, const struct sockaddr *to, socklen_t tolen)
{
	uint8_t	*wire;
	size_t	 len;

	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ck_assert_int_eq(sendto(fd, wire, len, 0, to, tolen), (ssize_t)len);
	free(wire);
}

static void
send_pkt_tcp(int fd, ldns_pkt *p)
{
	uint8_t	*wire, hdr[2];
	size_t	 len;

	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	hdr[0] = len >> 8;
	hdr[1] = len & 0xff;
	ck_assert_int_eq(send(fd, hdr, 2, 0), 2);
	ck_assert_int_eq(send(fd, wire, len, 0), (ssize_t)len);
	free(wire);
}

/* Verify a signed query with ldns; return its MAC rdf (borrowed). */
static ldns_rdf *
check_query_tsig(ldns_pkt *q, const uint8_t *wire, size_t len)
{
	if (ldns_pkt_tsig(q) == NULL)
		return (NULL);
	if (ldns_pkt_tsig_verify(q, wire, len, KEY_NAME, KEY_SECRET, NULL))
		R.query_tsig_ok++;
	return (ldns_rr_rdf(ldns_pkt_tsig(q), 3));
}

static void
sign(ldns_pkt *a, const char *secret, const ldns_rdf *mac, int next)
{
	ldns_status	st;

	if (next)
		st = ldns_pkt_tsig_sign_next(a, KEY_NAME, secret, 300,
		    "hmac-sha256.", mac, 1);
	else
		st = ldns_pkt_tsig_sign(a, KEY_NAME, secret, 300,
		    "hmac-sha256.", mac);
	ck_assert_int_eq(st, LDNS_STATUS_OK);
}

static void
udp_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 buf[4096];
	ssize_t			 n;
	ldns_pkt		*q = NULL, *a, *bad;
	ldns_rdf		*mac, *other = NULL;
	ldns_rr			*qrr;

	(void)ev;
	(void)arg;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ldns_wire2pkt(&q, buf, (size_t)n), LDNS_STATUS_OK);
	R.nudp++;
	mac = check_query_tsig(q, buf, (size_t)n);
	a = answer_new(q, R.mode == MODE_TC ? 0 : 1);
	switch (R.mode) {
	case MODE_SILENT:
		ldns_pkt_free(a);
		ldns_pkt_free(q);
		return;
	case MODE_WRONG_ID_FIRST:
		bad = answer_new(q, 1);
		ldns_pkt_set_id(bad, ldns_pkt_id(q) ^ 0x5a5a);
		send_pkt_udp(fd, bad, (struct sockaddr *)&from, fromlen);
		ldns_pkt_free(bad);
		break;
	case MODE_WRONG_QNAME_FIRST:
		bad = answer_new(q, 1);
		qrr = ldns_rr_list_rr(ldns_pkt_question(bad), 0);
		ck_assert_int_eq(ldns_str2rdf_dname(&other, "evil.example."),
		    LDNS_STATUS_OK);
		ldns_rdf_deep_free(ldns_rr_owner(qrr));
		ldns_rr_set_owner(qrr, other);
		send_pkt_udp(fd, bad, (struct sockaddr *)&from, fromlen);
		ldns_pkt_free(bad);
		break;
	case MODE_OTHER_PORT_FIRST:
		bad = answer_new(q, 2);
		send_pkt_udp(R.udp2, bad, (struct sockaddr *)&from, fromlen);
		ldns_pkt_free(bad);
		break;
	case MODE_TC:
		ldns_pkt_set_tc(a, 1);
		break;
	case MODE_TSIG_OK:
		sign(a, KEY_SECRET, mac, 0);
		break;
	case MODE_TSIG_WRONG_KEY:
		sign(a, KEY_OTHER, mac, 0);
		break;
	default:
		break;
	}
	send_pkt_udp(fd, a, (struct sockaddr *)&from, fromlen);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

static ldns_pkt *
axfr_msg(const ldns_pkt *q, int first)
{
	ldns_pkt	*a;

	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, 1);
	ldns_pkt_set_aa(a, 1);
	if (first)
		ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(
		    ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	return (a);
}

static void
push(ldns_pkt *a, const char *text)
{
	ldns_rr	*rr;

	ck_assert_msg(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) ==
	    LDNS_STATUS_OK, "%s", text);
	ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
}

#define SOA_TEXT "example.org. 3600 IN SOA ns1.example.org. " \
	"hostmaster.example.org. 7 3600 600 86400 300"

static void
axfr_answer(int fd, ldns_pkt *q, ldns_rdf *qmac)
{
	ldns_pkt	*a;
	ldns_rdf	*mac = qmac;
	ldns_rr		*tsig;
	char		 buf[256];
	int		 m, i, k = 0, signit;

	if (R.mode == MODE_AXFR_REFUSED) {
		a = axfr_msg(q, 1);
		ldns_pkt_set_rcode(a, LDNS_RCODE_REFUSED);
		if (qmac != NULL)
			sign(a, KEY_SECRET, qmac, 0);
		send_pkt_tcp(fd, a);
		ldns_pkt_free(a);
		return;
	}
	for (m = 0; m < R.axfr_msgs; m++) {
		a = axfr_msg(q, m == 0);
		if (m == 0) {
			push(a, SOA_TEXT);
			push(a, "example.org. 3600 IN NS ns1.example.org.");
			push(a, "ns1.example.org. 3600 IN A 192.0.2.53");
		}
		for (i = 0; i < R.axfr_per_msg; i++, k++) {
			snprintf(buf, sizeof(buf), "h%d.example.org. 300 IN "
			    "TXT \"host %d\" \"a\\\"b\"", k, k);
			push(a, buf);
		}
		if (m == R.axfr_msgs - 1 && R.mode != MODE_AXFR_NO_END)
			push(a, SOA_TEXT);
		signit = qmac != NULL;
		if (R.mode == MODE_AXFR_UNSIGNED_LAST &&
		    m == R.axfr_msgs - 1)
			signit = 0;
		if (signit) {
			sign(a, R.mode == MODE_AXFR_WRONG_KEY_LATER && m == 2 ?
			    KEY_OTHER : KEY_SECRET, mac, m > 0);
			tsig = ldns_pkt_tsig(a);
			if (mac != qmac)
				ldns_rdf_deep_free(mac);
			mac = ldns_rdf_clone(ldns_rr_rdf(tsig, 3));
		}
		send_pkt_tcp(fd, a);
		ldns_pkt_free(a);
	}
	if (mac != qmac)
		ldns_rdf_deep_free(mac);
}

static void
conn_cb(evutil_socket_t fd, short ev, void *arg)
{
	uint8_t		 hdr[2], buf[65536];
	ssize_t		 n;
	size_t		 len;
	ldns_pkt	*q = NULL, *a;
	ldns_rdf	*mac;

	(void)ev;
	(void)arg;
	n = recv(fd, hdr, 2, MSG_WAITALL);
	if (n <= 0) {
		event_del(R.ev_conn);
		return;
	}
	ck_assert_int_eq(n, 2);
	len = (size_t)hdr[0] << 8 | hdr[1];
	ck_assert_int_eq(recv(fd, buf, len, MSG_WAITALL), (ssize_t)len);
	ck_assert_int_eq(ldns_wire2pkt(&q, buf, len), LDNS_STATUS_OK);
	R.ntcp++;
	mac = check_query_tsig(q, buf, len);
	if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(q), 0)) ==
	    LDNS_RR_TYPE_AXFR) {
		axfr_answer(fd, q, mac);
		if (R.mode == MODE_AXFR_NO_END)
			shutdown(fd, SHUT_WR);
	} else if (R.mode != MODE_SILENT) {
		a = answer_new(q, R.mode == MODE_TC ? 300 : 1);
		if (mac != NULL)
			sign(a, KEY_SECRET, mac, 0);
		send_pkt_tcp(fd, a);
		ldns_pkt_free(a);
	}
	ldns_pkt_free(q);
}

static void
accept_cb(evutil_socket_t fd, short ev, void *arg)
{
	int	c;

	(void)ev;
	(void)arg;
	c = accept(fd, NULL, NULL);
	ck_assert_int_ge(c, 0);
	if (R.ev_conn != NULL) {
		event_free(R.ev_conn);
		close(R.conn);
	}
	R.conn = c;
	R.ev_conn = event_new(base, c, EV_READ | EV_PERSIST, conn_cb, NULL);
	event_add(R.ev_conn, NULL);
}

static void
setup(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			one = 1;

	log_init(LOG_LEVEL_WARN, "check_dnsio");
	base = event_base_new();
	memset(&R, 0, sizeof(R));
	R.conn = -1;
	R.axfr_msgs = 3;
	R.axfr_per_msg = 5;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	R.udp = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(R.udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(R.udp, (struct sockaddr *)&R.sin, &len),
	    0);
	R.udp2 = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(R.udp2, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	/* TCP on the same port as UDP */
	R.tcp = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(R.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(R.tcp, (struct sockaddr *)&R.sin,
	    sizeof(R.sin)), 0);
	ck_assert_int_eq(listen(R.tcp, 8), 0);
	R.ev_udp = event_new(base, R.udp, EV_READ | EV_PERSIST, udp_cb, NULL);
	R.ev_tcp = event_new(base, R.tcp, EV_READ | EV_PERSIST, accept_cb,
	    NULL);
	event_add(R.ev_udp, NULL);
	event_add(R.ev_tcp, NULL);
}

static void
teardown(void)
{
	if (R.ev_conn != NULL) {
		event_free(R.ev_conn);
		close(R.conn);
	}
	event_free(R.ev_udp);
	event_free(R.ev_tcp);
	close(R.udp);
	close(R.udp2);
	close(R.tcp);
	event_base_free(base);
	base = NULL;
}

/* --- the client side -------------------------------------------------- */

static void
query_cb(int status, ldns_pkt *answer, const struct dnsio_stats *st,
    void *arg)
{
	struct result	*r = arg;

	r->called++;
	r->status = status;
	r->st = *st;
	r->at_ms = now_ms();
	if (answer != NULL)
		r->answer = ldns_pkt_clone(answer);
	event_base_loopbreak(base);
}

static void
axfr_cb(int status, struct zone *z, const struct dnsio_stats *st, void *arg)
{
	struct result	*r = arg;

	r->called++;
	r->status = status;
	r->st = *st;
	r->zone = z;
	event_base_loopbreak(base);
}

static void
stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until the callback or `ms' passes. */
static void
run(unsigned ms)
{
	struct event	*t;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	t = evtimer_new(base, stop_cb, NULL);
	evtimer_add(t, &tv);
	event_base_dispatch(base);
	event_free(t);
}

static struct dnsio_query *
ask(struct result *r, const struct dnsio_opts *o, const char *name)
{
	struct dnsio_query	*q;
	char			 err[256];

	memset(r, 0, sizeof(*r));
	q = dnsio_query_name(base, (struct sockaddr *)&R.sin, sizeof(R.sin),
	    name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD, o, query_cb, r,
	    err, sizeof(err));
	ck_assert_msg(q != NULL, "%s", err);
	ck_assert_int_eq(r->called, 0);	/* never from inside the call */
	return (q);
}

static void
result_clear(struct result *r)
{
	ldns_pkt_free(r->answer);
	zone_free(r->zone);
	memset(r, 0, sizeof(*r));
}

static int
answer_count(const struct result *r)
{
	return ((int)ldns_pkt_ancount(r->answer));
}

static char *
answer_first(const struct result *r)
{
	return (ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(
	    ldns_pkt_answer(r->answer), 0), 0)));
}

START_TEST(test_normal)
{
	struct result	r;
	char		*s;

	R.mode = MODE_NORMAL;
	ask(&r, NULL, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(answer_count(&r), 1);
	s = answer_first(&r);
	ck_assert_str_eq(s, "192.0.2.1");
	free(s);
	ck_assert_int_eq(r.st.attempts, 1);
	ck_assert_int_eq(r.st.mismatches, 0);
	ck_assert_int_eq(r.st.tcp, 0);
	ck_assert_int_eq(r.st.rcode, LDNS_RCODE_NOERROR);
	ck_assert(r.st.rtt_usec > 0 && r.st.rtt_usec < 1000000);
	ck_assert_int_eq(R.nudp, 1);
	result_clear(&r);
}
END_TEST

START_TEST(test_case_insensitive_qname)
{
	struct result	r;

	R.mode = MODE_NORMAL;
	ask(&r, NULL, "WwW.ExAmPlE.oRg.");
	run(5000);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.mismatches, 0);
	result_clear(&r);
}
END_TEST

START_TEST(test_wrong_id_first)
{
	struct result	r;
	uint64_t	before = dnsio_mismatches();

	R.mode = MODE_WRONG_ID_FIRST;
	ask(&r, NULL, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.bad_id, 1);
	ck_assert_int_eq(r.st.mismatches, 1);
	ck_assert_int_eq(r.st.attempts, 1);
	ck_assert_uint_eq(dnsio_mismatches(), before + 1);
	result_clear(&r);
}
END_TEST

START_TEST(test_wrong_qname_first)
{
	struct result	r;

	R.mode = MODE_WRONG_QNAME_FIRST;
	ask(&r, NULL, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.bad_question, 1);
	ck_assert_int_eq(r.st.bad_id, 0);
	ck_assert_int_eq(r.st.mismatches, 1);
	ck_assert_int_eq(answer_count(&r), 1);
	result_clear(&r);
}
END_TEST

START_TEST(test_other_port_first)
{
	struct result	r;
	char		*s;

	/*
	 * The forged answer (two records) comes from another port first.
	 * The connected socket makes the kernel drop it, so it is not even
	 * seen (bad_source stays 0); the real answer is the one taken.
	 */
	R.mode = MODE_OTHER_PORT_FIRST;
	ask(&r, NULL, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(answer_count(&r), 1);
	s = answer_first(&r);
	ck_assert_str_eq(s, "192.0.2.1");
	free(s);
	ck_assert_int_eq(r.st.bad_source, 0);
	ck_assert_int_eq(r.st.mismatches, 0);
	result_clear(&r);
}
END_TEST

START_TEST(test_tc_falls_back_to_tcp)
{
	struct result	r;

	R.mode = MODE_TC;
	ask(&r, NULL, "big.example.org.");
	run(5000);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.tcp, 1);
	ck_assert_int_eq(r.st.attempts, 2);
	ck_assert_int_eq(answer_count(&r), 300);
	ck_assert_int_eq(R.nudp, 1);
	ck_assert_int_eq(R.ntcp, 1);
	result_clear(&r);
}
END_TEST

START_TEST(test_timeout_after_retries)
{
	struct result		r;
	struct dnsio_opts	o;
	uint64_t		t0, el;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 200;
	o.retries = 2;
	R.mode = MODE_SILENT;
	t0 = now_ms();
	ask(&r, &o, "www.example.org.");
	run(5000);
	el = r.at_ms - t0;
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNSIO_ERR_TIMEOUT);
	ck_assert_ptr_null(r.answer);
	ck_assert_int_eq(r.st.attempts, 3);
	ck_assert_int_eq(R.nudp, 3);
	ck_assert_msg(el >= 600 && el < 800, "elapsed %llu ms",
	    (unsigned long long)el);
	ck_assert_str_eq(r.st.error, "no answer after 3 attempts (200 ms "
	    "each)");
	/* exactly once: nothing more arrives */
	run(300);
	ck_assert_int_eq(r.called, 1);
	result_clear(&r);
}
END_TEST

START_TEST(test_tcp_timeout)
{
	struct result		r;
	struct dnsio_opts	o;
	uint64_t		t0, el;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 300;
	o.tcp = 1;
	R.mode = MODE_SILENT;
	t0 = now_ms();
	ask(&r, &o, "www.example.org.");
	run(5000);
	el = r.at_ms - t0;
	ck_assert_int_eq(r.status, DNSIO_ERR_TIMEOUT);
	ck_assert_int_eq(R.ntcp, 1);
	ck_assert_msg(el >= 300 && el < 500, "elapsed %llu",
	    (unsigned long long)el);
	result_clear(&r);
}
END_TEST

START_TEST(test_tcp_refused)
{
	struct result		r;
	struct dnsio_opts	o;
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			err[256];
	int			fd;

	/* a port nobody listens on */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	memset(&o, 0, sizeof(o));
	o.tcp = 1;
	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(dnsio_query_name(base, (struct sockaddr *)&sin,
	    sizeof(sin), "www.example.org.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    0, &o, query_cb, &r, err, sizeof(err)));
	run(5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNSIO_ERR_NETWORK);
	ck_assert_str_eq(r.st.error, "connect: Connection refused");
	result_clear(&r);
}
END_TEST

static struct dnsio_tsig *
key(const char *secret)
{
	struct dnsio_tsig	*t;
	char			 err[256];

	t = dnsio_tsig_new(KEY_NAME, "hmac-sha256", secret, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	return (t);
}

START_TEST(test_tsig_ok)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_TSIG_OK;
	ask(&r, &o, "www.example.org.");
	run(5000);
	ck_assert_int_eq(R.query_tsig_ok, 1);	/* ldns accepts our MAC */
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.tsig_verified, 1);
	ck_assert_int_eq(answer_count(&r), 1);
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_tsig_over_tcp)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	o.tcp = 1;
	R.mode = MODE_TSIG_OK;
	ask(&r, &o, "www.example.org.");
	run(5000);
	ck_assert_int_eq(R.query_tsig_ok, 1);
	ck_assert_int_eq(r.status, DNSIO_OK);
	ck_assert_int_eq(r.st.tsig_verified, 1);
	ck_assert_int_eq(r.st.tcp, 1);
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_tsig_wrong_key)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_TSIG_WRONG_KEY;
	ask(&r, &o, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNSIO_ERR_TSIG);
	ck_assert_ptr_null(r.answer);
	ck_assert_str_eq(r.st.error, "TSIG verification failed: bad MAC "
	    "(rcode NOERROR)");
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_tsig_unsigned_answer)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_TSIG_UNSIGNED;
	ask(&r, &o, "www.example.org.");
	run(5000);
	ck_assert_int_eq(r.status, DNSIO_ERR_TSIG);
	ck_assert_str_eq(r.st.error, "TSIG verification failed: answer not "
	    "signed (rcode NOERROR)");
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_tsig_key_errors)
{
	char	err[256];

	ck_assert_ptr_null(dnsio_tsig_new("k.", "hmac-sha3", KEY_SECRET, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "unknown TSIG algorithm 'hmac-sha3'");
	ck_assert_ptr_null(dnsio_tsig_new("k.", "hmac-sha256", "not*base64",
	    err, sizeof(err)));
	ck_assert_str_eq(err, "TSIG key k.: secret is not valid base64");
	ck_assert_ptr_null(strstr(err, "not*base64"));
}
END_TEST

START_TEST(test_cancel_in_flight)
{
	struct result		r;
	struct dnsio_query	*q;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 100;
	o.retries = 1;
	R.mode = MODE_SILENT;
	q = ask(&r, &o, "www.example.org.");
	run(50);
	dnsio_cancel(q);
	run(400);
	ck_assert_int_eq(r.called, 0);
	ck_assert_int_eq(R.nudp, 1);
	/* TCP, during connect */
	o.tcp = 1;
	q = ask(&r, &o, "www.example.org.");
	dnsio_cancel(q);
	run(300);
	ck_assert_int_eq(r.called, 0);
}
END_TEST

START_TEST(test_addr_parse)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			buf[64];

	ck_assert_int_eq(dnsio_addr_parse("127.0.0.1:5353", 53, &ss, &len),
	    0);
	ck_assert_str_eq(dnsio_addr_str((struct sockaddr *)&ss, buf,
	    sizeof(buf)), "127.0.0.1:5353");
	ck_assert_int_eq(dnsio_addr_parse("192.0.2.1", 53, &ss, &len), 0);
	ck_assert_str_eq(dnsio_addr_str((struct sockaddr *)&ss, buf,
	    sizeof(buf)), "192.0.2.1:53");
	ck_assert_int_eq(dnsio_addr_parse("[::1]:54", 53, &ss, &len), 0);
	ck_assert_str_eq(dnsio_addr_str((struct sockaddr *)&ss, buf,
	    sizeof(buf)), "[::1]:54");
	ck_assert_int_eq(dnsio_addr_parse("2001:db8::1", 53, &ss, &len), 0);
	ck_assert_str_eq(dnsio_addr_str((struct sockaddr *)&ss, buf,
	    sizeof(buf)), "[2001:db8::1]:53");
	ck_assert_int_eq(dnsio_addr_parse("ns1.example.com:53", 53, &ss,
	    &len), -1);
	ck_assert_int_eq(dnsio_addr_parse("127.0.0.1:0", 53, &ss, &len), -1);
	ck_assert_int_eq(dnsio_addr_parse("127.0.0.1:65536", 53, &ss, &len),
	    -1);
}
END_TEST

/* --- AXFR ------------------------------------------------------------- */

static void
axfr(struct result *r, const struct dnsio_opts *o)
{
	char	err[256];

	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(dnsio_axfr(base, (struct sockaddr *)&R.sin,
	    sizeof(R.sin), "example.org", o, axfr_cb, r, err, sizeof(err)));
	run(5000);
	ck_assert_int_eq(r->called, 1);
}

START_TEST(test_axfr_unsigned)
{
	struct result		 r;
	const struct rrset	*rs;

	R.mode = MODE_AXFR;
	axfr(&r, NULL);
	ck_assert_msg(r.status == DNSIO_OK, "%s", r.st.error);
	ck_assert_ptr_nonnull(r.zone);
	/* SOA, NS, A, 15 TXT; the closing SOA is not a second record */
	ck_assert_uint_eq(r.zone->nrrsets, 18);
	ck_assert_uint_eq(zone_count_rrs(r.zone), 18);
	ck_assert_uint_eq(r.st.messages, 3);
	ck_assert_uint_eq(r.st.rrs, 18);
	rs = zone_find(r.zone, "h7.example.org.", LDNS_RR_TYPE_TXT);
	ck_assert_ptr_nonnull(rs);
	ck_assert_str_eq(rs->rdata[0].text, "\"host 7\" \"a\\\"b\"");
	ck_assert_ptr_nonnull(zone_find(r.zone, "example.org.",
	    LDNS_RR_TYPE_SOA));
	result_clear(&r);
}
END_TEST

START_TEST(test_axfr_signed)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_AXFR;
	R.axfr_msgs = 5;
	axfr(&r, &o);
	ck_assert_msg(r.status == DNSIO_OK, "%s", r.st.error);
	ck_assert_int_eq(R.query_tsig_ok, 1);
	ck_assert_int_eq(r.st.tsig_verified, 1);
	ck_assert_uint_eq(r.st.messages, 5);
	ck_assert_uint_eq(r.st.unsigned_messages, 0);
	ck_assert_uint_eq(zone_count_rrs(r.zone), 28);
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_axfr_bad_later_mac)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_AXFR_WRONG_KEY_LATER;
	R.axfr_msgs = 4;
	axfr(&r, &o);
	ck_assert_int_eq(r.status, DNSIO_ERR_TSIG);
	ck_assert_ptr_null(r.zone);
	ck_assert_str_eq(r.st.error, "TSIG verification failed: bad MAC "
	    "(message 3, rcode NOERROR)");
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_axfr_unsigned_last)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.tsig = key(KEY_SECRET);
	R.mode = MODE_AXFR_UNSIGNED_LAST;
	axfr(&r, &o);
	ck_assert_int_eq(r.status, DNSIO_ERR_TSIG);
	ck_assert_ptr_null(r.zone);
	ck_assert_uint_eq(r.st.unsigned_messages, 1);
	ck_assert_str_eq(r.st.error, "TSIG verification failed: the last "
	    "message of the transfer is not signed");
	result_clear(&r);
	dnsio_tsig_free((struct dnsio_tsig *)o.tsig);
}
END_TEST

START_TEST(test_axfr_no_end)
{
	struct result	r;

	R.mode = MODE_AXFR_NO_END;
	axfr(&r, NULL);
	ck_assert_int_eq(r.status, DNSIO_ERR_NETWORK);
	ck_assert_ptr_null(r.zone);
	ck_assert_str_eq(r.st.error, "connection closed by the server before "
	    "the end of the transfer");
	result_clear(&r);
}
END_TEST

START_TEST(test_axfr_refused)
{
	struct result	r;

	R.mode = MODE_AXFR_REFUSED;
	axfr(&r, NULL);
	ck_assert_int_eq(r.status, DNSIO_ERR_RCODE);
	ck_assert_int_eq(r.st.rcode, LDNS_RCODE_REFUSED);
	ck_assert_str_eq(r.st.error, "zone transfer refused: REFUSED");
	result_clear(&r);
}
END_TEST

START_TEST(test_axfr_caps)
{
	struct result		r;
	struct dnsio_opts	o;

	memset(&o, 0, sizeof(o));
	o.max_rrs = 10;
	R.mode = MODE_AXFR;
	axfr(&r, &o);
	ck_assert_int_eq(r.status, DNSIO_ERR_TOO_LARGE);
	ck_assert_str_eq(r.st.error, "more than 10 records in the transfer");
	result_clear(&r);
	o.max_rrs = 0;
	o.max_bytes = 200;
	axfr(&r, &o);
	ck_assert_int_eq(r.status, DNSIO_ERR_TOO_LARGE);
	ck_assert_str_eq(r.st.error, "zone transfer larger than 200 bytes");
	result_clear(&r);
}
END_TEST

static Suite *
dnsio_suite(void)
{
	Suite	*s = suite_create("dnsio");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_normal);
	tcase_add_test(tc, test_case_insensitive_qname);
	tcase_add_test(tc, test_wrong_id_first);
	tcase_add_test(tc, test_wrong_qname_first);
	tcase_add_test(tc, test_other_port_first);
	tcase_add_test(tc, test_tc_falls_back_to_tcp);
	tcase_add_test(tc, test_timeout_after_retries);
	tcase_add_test(tc, test_tcp_timeout);
	tcase_add_test(tc, test_tcp_refused);
	tcase_add_test(tc, test_tsig_ok);
	tcase_add_test(tc, test_tsig_over_tcp);
	tcase_add_test(tc, test_tsig_wrong_key);
	tcase_add_test(tc, test_tsig_unsigned_answer);
	tcase_add_test(tc, test_tsig_key_errors);
	tcase_add_test(tc, test_cancel_in_flight);
	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_axfr_unsigned);
	tcase_add_test(tc, test_axfr_signed);
	tcase_add_test(tc, test_axfr_bad_later_mac);
	tcase_add_test(tc, test_axfr_unsigned_last);
	tcase_add_test(tc, test_axfr_no_end);
	tcase_add_test(tc, test_axfr_refused);
	tcase_add_test(tc, test_axfr_caps);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(dnsio_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
