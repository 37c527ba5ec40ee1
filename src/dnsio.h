/*
 * dnsio.h: asynchronous DNS exchanges with ldns packets on libevent.
 *
 * One struct dnsio_query per exchange: a query over UDP (EDNS0, 1232-byte
 * buffer, bounded retries, TCP on TC=1) or TCP (2-byte length framing,
 * non-blocking connect), or a zone transfer (AXFR over TCP).  Nothing
 * blocks: every step runs from the event loop.
 *
 * Rules the callers can rely on:
 * - dnsio_query*() and dnsio_axfr() either fail at once (return NULL with
 *   a message in err; the callback is never called) or return a handle and
 *   call the callback exactly once, always from the event loop and never
 *   from inside the start function, unless dnsio_cancel() is called first.
 * - The handle is valid until the callback returns or dnsio_cancel().
 *   dnsio_cancel() on the query whose callback is running does nothing.
 * - UDP: a fresh socket per query, connect()ed to the server, so the
 *   kernel picks a random ephemeral source port and drops datagrams from
 *   other sources; the source of every datagram is still checked.  The
 *   query id is random (getrandom()).  An answer is accepted only when it
 *   comes from the server's address and port and matches the id, opcode,
 *   qname (case-insensitive), qtype and qclass (an error answer without a
 *   question section is accepted on id and opcode).  Anything else is
 *   counted in the per-query stats and in dnsio_mismatches(), and ignored:
 *   the query keeps waiting.  ICMP errors are ignored (they can be forged);
 *   the query times out instead.
 * - With a TSIG key the query is signed and the answer must carry a valid
 *   TSIG with the same key and algorithm, within the fudge window; an
 *   unsigned or badly signed answer is DNSIO_ERR_TSIG ("TSIG verification
 *   failed").  TSIG is checked with our own HMAC code (OpenSSL), which
 *   covers the multi-message rules of RFC 8945 section 5.3.1 for AXFR:
 *   the first and the last message must be signed, at most 99 unsigned
 *   messages may come in a row, and each signed message's MAC covers the
 *   unsigned ones before it.
 * - AXFR: messages until the closing SOA; the first record must be the
 *   zone's SOA.  The records become a finished struct zone (the closing
 *   SOA is not added twice).  Any error -- refused, not ending with the
 *   SOA, a TSIG failure, a cap exceeded, a timeout -- is an error and never
 *   a partial zone.
 */
#ifndef MULTIDNS_DNSIO_H
#define MULTIDNS_DNSIO_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct event_base;
struct zone;
struct dnsio_query;

#define DNSIO_EDNS_BUFSIZE	1232		/* our advertised UDP size */
#define DNSIO_TIMEOUT_MS	2000		/* default per attempt */
#define DNSIO_RETRIES		2		/* default UDP retries */
#define DNSIO_AXFR_TOTAL_MS	(600 * 1000)	/* default AXFR deadline */
#define DNSIO_AXFR_MAX_BYTES	(512UL << 20)	/* default AXFR size cap */
#define DNSIO_AXFR_MAX_RRS	5000000		/* default AXFR record cap */
#define DNSIO_TSIG_FUDGE	300		/* seconds */
#define DNSIO_TSIG_MAX_UNSIGNED	99		/* AXFR messages in a row */

enum dnsio_status {
	DNSIO_OK = 0,
	DNSIO_ERR_TIMEOUT,	/* no (acceptable) answer in time */
	DNSIO_ERR_NETWORK,	/* connect/send/recv failed, connection closed */
	DNSIO_ERR_MALFORMED,	/* an answer we cannot parse (TCP, AXFR) */
	DNSIO_ERR_TSIG,		/* TSIG verification failed */
	DNSIO_ERR_TOO_LARGE,	/* a size or record cap was exceeded */
	DNSIO_ERR_RCODE,	/* AXFR: the server answered an error */
	DNSIO_ERR_AXFR,		/* AXFR: bad stream (no SOA, not in zone, ...) */
};

/* A TSIG key.  The secret is kept decoded and wiped on free; never logged. */
struct dnsio_tsig;

struct dnsio_stats {
	uint64_t	 rtt_usec;	/* query: send of the answered attempt to
					   the answer; AXFR: whole transfer */
	unsigned	 attempts;	/* UDP datagrams sent + TCP connections */
	int		 tcp;		/* the answer came over TCP */
	int		 rcode;		/* of the (first) answer, -1 = none */
	int		 tsig_error;	/* TSIG error field of the answer, 0 */
	int		 tsig_verified;	/* every signed message verified */
	/* Answers ignored, by reason (their sum is `mismatches'). */
	unsigned	 mismatches;
	unsigned	 bad_source;	/* wrong address or port */
	unsigned	 bad_id;
	unsigned	 bad_question;	/* qname, qtype, qclass, opcode, QR */
	unsigned	 malformed;	/* UDP datagrams that do not parse */
	/* AXFR */
	size_t		 messages;
	size_t		 unsigned_messages;	/* without TSIG (covered) */
	size_t		 bytes;
	size_t		 rrs;		/* records added to the zone */
	char		 error[256];	/* why, when status != DNSIO_OK */
};

struct dnsio_opts {
	unsigned		 timeout_ms;	/* per UDP attempt; TCP: idle
						   time allowed between reads;
						   0 = DNSIO_TIMEOUT_MS */
	unsigned		 retries;	/* UDP retries after the first */
	int			 tcp;		/* TCP only */
	unsigned		 total_ms;	/* AXFR deadline, 0 = default */
	size_t			 max_bytes;	/* AXFR, 0 = default */
	size_t			 max_rrs;	/* AXFR, 0 = default */
	const struct dnsio_tsig	*tsig;		/* NULL = unsigned; must
						   outlive the query */
};

/*
 * answer: the accepted answer, or NULL when status != DNSIO_OK (also for
 * TSIG failures).  It belongs to dnsio and is freed when the callback
 * returns: ldns_pkt_clone() it to keep it.
 */
typedef void (*dnsio_cb)(int status, ldns_pkt *answer,
    const struct dnsio_stats *, void *arg);
/* zone: a finished zone owned by the callback, or NULL on error. */
typedef void (*dnsio_axfr_cb)(int status, struct zone *zone,
    const struct dnsio_stats *, void *arg);

/*
 * Send `query` (its id is replaced by a random one; it is signed when
 * opts->tsig is set).  The packet stays the caller's.  opts may be NULL
 * (UDP, defaults).
 */
struct dnsio_query *dnsio_query(struct event_base *, const struct sockaddr *,
		    socklen_t, const ldns_pkt *query, const struct dnsio_opts *,
		    dnsio_cb, void *arg, char *err, size_t errlen);
/* Build and send a query: name, type, class, flags (LDNS_RD, ...). */
struct dnsio_query *dnsio_query_name(struct event_base *,
		    const struct sockaddr *, socklen_t, const char *name,
		    uint16_t type, uint16_t class, uint16_t flags,
		    const struct dnsio_opts *, dnsio_cb, void *arg, char *err,
		    size_t errlen);
/* Transfer zone `origin` (always TCP). */
struct dnsio_query *dnsio_axfr(struct event_base *, const struct sockaddr *,
		    socklen_t, const char *origin, const struct dnsio_opts *,
		    dnsio_axfr_cb, void *arg, char *err, size_t errlen);
/* Abandon a query: its callback is never called.  NULL is fine. */
void		 dnsio_cancel(struct dnsio_query *);

const char	*dnsio_strerror(int status);
/* Answers ignored by every query since start (wrong source/id/question). */
uint64_t	 dnsio_mismatches(void);

/*
 * A key: name (a domain name), algorithm (hmac-md5, hmac-sha1,
 * hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512) and the base64
 * secret.  NULL with a message (which never contains the secret).
 */
struct dnsio_tsig *dnsio_tsig_new(const char *name, const char *algorithm,
		    const char *secret_b64, char *err, size_t errlen);
void		 dnsio_tsig_free(struct dnsio_tsig *);
/* Sign a packet (adds the TSIG RR); 0 or -1.  For tests and UPDATE. */
int		 dnsio_tsig_sign(const struct dnsio_tsig *, ldns_pkt *);

/*
 * Parse an IP literal with an optional port: "192.0.2.1", "192.0.2.1:53",
 * "2001:db8::1", "[2001:db8::1]:53".  Host names are refused.  0 or -1.
 */
int		 dnsio_addr_parse(const char *, uint16_t defport,
		    struct sockaddr_storage *, socklen_t *);
/* "192.0.2.1:53" / "[2001:db8::1]:53" */
const char	*dnsio_addr_str(const struct sockaddr *, char *, size_t);

#endif
