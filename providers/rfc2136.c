/*
 * rfc2136.c: a provider that is a DNS primary edited by RFC 2136 UPDATE
 * and read by AXFR, both signed with TSIG (BIND 9, Knot DNS, ...).
 *
 * Config keys: server (IP[:port] of the primary; UPDATE goes there),
 * axfr-server (default: server), tsig-key-name, tsig-algorithm (default
 * hmac-sha256), tsig-secret-file (base64 secret), nameservers (the apex NS
 * names to report; default: the zone's apex NS as the server serves it).
 *
 * fetch: AXFR over TCP, every signed message verified (dnsio.c); any
 * failure is an error, never a partial zone.
 *
 * apply: UPDATE messages over TCP, as few as fit in 64 KiB each (each
 * message is atomic, RFC 2136 section 3.7; several messages are not).
 * No prerequisites are used; instead every change states the whole
 * RRset, so a change applies the same way whatever the server holds now
 * and a repeated apply (after a crash) converges:
 *   CREATE, UPDATE: delete the RRset (class ANY, type T), then add every
 *                   record of the new RRset, in the same message;
 *   DELETE:         delete the RRset (class ANY, type T).
 * The apex NS RRset is the exception: servers ignore a request to delete
 * it (RFC 2136 section 3.4.2.3), so its new records are added first, then
 * (when the TTL changes) each record in both sets is deleted and added
 * again with the new TTL (Knot ignores a duplicate add even when its TTL
 * differs), and last the old records that are not in the new set are
 * deleted one by one (class NONE); the server keeps the last one in any
 * case.  Known limit: a TTL-only change of an apex NS RRset of a single
 * record cannot be expressed (the delete is ignored, the add too).
 * The answer's RCODE decides for every change of that message; after a
 * failed message the later ones are not sent (CHANGE_RESULT_NOT_TRIED).
 *
 * nameservers: the configured names, else the apex NS RRset asked from the
 * server (TCP, signed).
 */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsio.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define RFC2136_DEFAULT_TIMEOUT	10		/* seconds */
#define RFC2136_MSG_LIMIT	(65535 - 1024)	/* room for TSIG */

enum rfc2136_kind {
	RFC2136_FETCH,
	RFC2136_APPLY,
	RFC2136_NS,
};

struct rfc2136_op {
	TAILQ_ENTRY(rfc2136_op)	 entry;
	struct provider		*p;
	enum rfc2136_kind	 kind;
	struct dnsio_query	*q;
	struct event		*ev_later;	/* completion without I/O */
	char			*origin;
	provider_fetch_cb	 fcb;
	provider_apply_cb	 acb;
	provider_ns_cb		 ncb;
	void			*arg;

	/* apply */
	const struct changeset	*cs;
	struct apply_result	 res;
	size_t			*bstart;	/* batch i: [bstart[i], bstart[i+1]) */
	size_t			 nbatches;
	size_t			 cur;
};

struct rfc2136 {
	struct sockaddr_storage	 server;
	socklen_t		 server_len;
	struct sockaddr_storage	 axfr;
	socklen_t		 axfr_len;
	struct dnsio_tsig	*tsig;
	char			**ns;
	size_t			 nns;
	unsigned		 timeout_ms;
	TAILQ_HEAD(, rfc2136_op) ops;
};

static void	rfc2136_batch_send(struct rfc2136_op *);

static void
rfc2136_free_names(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
rfc2136_free(struct provider *p)
{
	struct rfc2136	*r = p->priv;

	if (r == NULL)
		return;
	dnsio_tsig_free(r->tsig);
	rfc2136_free_names(r->ns, r->nns);
	free(r);
	p->priv = NULL;
}

static int
rfc2136_init(struct provider *p, char *err, size_t errlen)
{
	struct rfc2136	*r;
	const char	*server, *axfr, *kname, *alg, *file, *ns;
	char		*secret, *copy, *word, *last, *name, why[256];

	r = xcalloc(1, sizeof(*r));
	TAILQ_INIT(&r->ops);
	p->priv = r;
	server = provider_conf_get(p->conf, "server");
	if (server == NULL) {
		snprintf(err, errlen, "provider %s: server is required",
		    p->name);
		goto fail;
	}
	if (dnsio_addr_parse(server, 53, &r->server, &r->server_len) != 0) {
		snprintf(err, errlen, "provider %s: server must be an IP "
		    "address (with an optional port), not '%.255s'", p->name,
		    server);
		goto fail;
	}
	if ((axfr = provider_conf_get(p->conf, "axfr-server")) == NULL) {
		r->axfr = r->server;
		r->axfr_len = r->server_len;
	} else if (dnsio_addr_parse(axfr, 53, &r->axfr, &r->axfr_len) != 0) {
		snprintf(err, errlen, "provider %s: axfr-server must be an IP "
		    "address (with an optional port), not '%.255s'", p->name,
		    axfr);
		goto fail;
	}
	kname = provider_conf_get(p->conf, "tsig-key-name");
	file = provider_conf_get(p->conf, "tsig-secret-file");
	if ((alg = provider_conf_get(p->conf, "tsig-algorithm")) == NULL)
		alg = "hmac-sha256";
	if ((kname == NULL) != (file == NULL)) {
		snprintf(err, errlen, "provider %s: tsig-key-name and "
		    "tsig-secret-file go together", p->name);
		goto fail;
	}
	if (kname != NULL) {
		if ((secret = provider_read_secret(file, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "provider %s: %s", p->name, why);
			goto fail;
		}
		if (kname[0] != '\0' && kname[strlen(kname) - 1] != '.')
			xasprintf(&name, "%s.", kname);
		else
			name = xstrdup(kname);
		r->tsig = dnsio_tsig_new(name, alg, secret, why, sizeof(why));
		explicit_bzero(secret, strlen(secret));
		free(secret);
		free(name);
		if (r->tsig == NULL) {
			snprintf(err, errlen, "provider %s: %s", p->name, why);
			goto fail;
		}
	}
	if ((ns = provider_conf_get(p->conf, "nameservers")) != NULL) {
		copy = xstrdup(ns);
		for (word = strtok_r(copy, " \t,", &last); word != NULL;
		    word = strtok_r(NULL, " \t,", &last)) {
			r->ns = xreallocarray(r->ns, r->nns + 1,
			    sizeof(*r->ns));
			if (word[strlen(word) - 1] != '.')
				xasprintf(&r->ns[r->nns++], "%s.", word);
			else
				r->ns[r->nns++] = xstrdup(word);
		}
		free(copy);
	}
	r->timeout_ms = (p->conf->timeout != 0 ? p->conf->timeout :
	    RFC2136_DEFAULT_TIMEOUT) * 1000;
	p->caps.flags = PROVIDER_CAP_APEX_NS | PROVIDER_CAP_ATOMIC |
	    PROVIDER_CAP_AXFR;
	p->caps.max_batch = 0;	/* split by size into atomic messages */
	p->caps.min_ttl = 0;
	p->caps.types = NULL;
	p->caps.ntypes = 0;
	return (0);
fail:
	rfc2136_free(p);
	return (-1);
}

static struct rfc2136_op *
rfc2136_op_new(struct provider *p, enum rfc2136_kind kind, const char *origin,
    void *arg)
{
	struct rfc2136		*r = p->priv;
	struct rfc2136_op	*op;

	op = xcalloc(1, sizeof(*op));
	op->p = p;
	op->kind = kind;
	op->origin = xstrdup(origin);
	op->arg = arg;
	TAILQ_INSERT_TAIL(&r->ops, op, entry);
	return (op);
}

static void
rfc2136_op_free(struct rfc2136_op *op)
{
	struct rfc2136	*r = op->p->priv;

	TAILQ_REMOVE(&r->ops, op, entry);
	dnsio_cancel(op->q);
	if (op->ev_later != NULL)
		event_free(op->ev_later);
	apply_result_clear(&op->res);
	free(op->bstart);
	free(op->origin);
	free(op);
}

static void
rfc2136_cancel(struct provider *p)
{
	struct rfc2136		*r = p->priv;
	struct rfc2136_op	*op;

	if (r == NULL)
		return;
	while ((op = TAILQ_FIRST(&r->ops)) != NULL)
		rfc2136_op_free(op);
}

static void
rfc2136_dnsio_opts(struct rfc2136 *r, struct dnsio_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = r->timeout_ms;
	o->tcp = 1;
	o->tsig = r->tsig;
}

/* --- fetch ------------------------------------------------------------ */

static void
rfc2136_axfr_cb(int status, struct zone *z, const struct dnsio_stats *st,
    void *arg)
{
	struct rfc2136_op	*op = arg;
	struct provider		*p = op->p;
	provider_fetch_cb	 cb = op->fcb;
	void			*cbarg = op->arg;
	char			 err[400];

	op->q = NULL;		/* finished: not to be cancelled */
	if (status == DNSIO_OK) {
		log_debug("rfc2136", "provider %s: zone %s: AXFR of %zu "
		    "records in %zu messages (%zu unsigned), %zu bytes, "
		    "%llu ms", p->name, op->origin, st->rrs, st->messages,
		    st->unsigned_messages, st->bytes,
		    (unsigned long long)(st->rtt_usec / 1000));
		err[0] = '\0';
	} else
		snprintf(err, sizeof(err), "AXFR of %s: %s", op->origin,
		    st->error);
	rfc2136_op_free(op);
	cb(p, status == DNSIO_OK ? 0 : -1, status == DNSIO_OK ? NULL : err,
	    z, cbarg);
}

static int
rfc2136_fetch(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct rfc2136		*r = p->priv;
	struct rfc2136_op	*op;
	struct dnsio_opts	 o;

	op = rfc2136_op_new(p, RFC2136_FETCH, origin, arg);
	op->fcb = cb;
	rfc2136_dnsio_opts(r, &o);
	op->q = dnsio_axfr(p->base, (struct sockaddr *)&r->axfr, r->axfr_len,
	    origin, &o, rfc2136_axfr_cb, op, err, errlen);
	if (op->q == NULL) {
		rfc2136_op_free(op);
		return (-1);
	}
	return (0);
}

/* --- apply ------------------------------------------------------------ */

static int
rfc2136_is_apex_ns(const char *origin, const struct rrset *rs)
{
	return (rs->type == LDNS_RR_TYPE_NS &&
	    strcasecmp(rs->owner, origin) == 0);
}

/* An upper bound of the change's size in an UPDATE message. */
static size_t
rfc2136_change_size(const struct change *c)
{
	const struct rrset	*rs = c->new != NULL ? c->new : c->old;
	size_t			 own = strlen(rs->owner) + 1, n = 0, i;

	n += own + 10;				/* the RRset delete */
	if (c->new != NULL)
		for (i = 0; i < c->new->nrdata; i++)
			n += own + 10 + c->new->rdata[i].len;
	if (c->old != NULL)			/* apex NS: one by one */
		for (i = 0; i < c->old->nrdata; i++)
			n += own + 10 + c->old->rdata[i].len;
	return (n);
}

static ldns_rr *
rfc2136_rr(const ldns_rdf *owner, uint16_t type, uint16_t class,
    uint32_t ttl, const struct rdata *rd)
{
	ldns_rr		*rr;
	uint8_t		*buf;
	size_t		 pos = 0;

	if ((rr = ldns_rr_new()) == NULL)
		fatalx("rfc2136", "ldns_rr_new");
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, class);
	ldns_rr_set_ttl(rr, ttl);
	if (rd == NULL)
		return (rr);
	buf = xmalloc((size_t)rd->len + 2);
	buf[0] = rd->len >> 8;
	buf[1] = rd->len & 0xff;
	memcpy(buf + 2, rd->wire, rd->len);
	if (ldns_wire2rdf(rr, buf, (size_t)rd->len + 2, &pos) !=
	    LDNS_STATUS_OK) {
		free(buf);
		ldns_rr_free(rr);
		return (NULL);
	}
	free(buf);
	return (rr);
}

static int
rfc2136_has_rdata(const struct rrset *rs, const struct rdata *rd)
{
	size_t	i;

	for (i = 0; rs != NULL && i < rs->nrdata; i++)
		if (rs->rdata[i].len == rd->len &&
		    memcmp(rs->rdata[i].wire, rd->wire, rd->len) == 0)
			return (1);
	return (0);
}

static int
rfc2136_push(ldns_pkt *pkt, ldns_rr *rr)
{
	if (rr == NULL)
		return (-1);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
	return (0);
}

/* Add one change's update RRs; 0 or -1 (rdata ldns cannot read). */
static int
rfc2136_add_change(ldns_pkt *pkt, const char *origin, const struct change *c)
{
	const struct rrset	*rs = c->new != NULL ? c->new : c->old;
	ldns_rdf		*owner = NULL;
	size_t			 i;
	int			 rv = 0;

	if (ldns_str2rdf_dname(&owner, rs->owner) != LDNS_STATUS_OK)
		return (-1);
	if (rfc2136_is_apex_ns(origin, rs)) {
		/* new names first, so that the RRset never runs empty */
		for (i = 0; c->new != NULL && i < c->new->nrdata; i++)
			if (!rfc2136_has_rdata(c->old, &c->new->rdata[i]))
				rv |= rfc2136_push(pkt, rfc2136_rr(owner,
				    rs->type, LDNS_RR_CLASS_IN, c->new->ttl,
				    &c->new->rdata[i]));
		/* a duplicate add is ignored: delete and re-add to set TTL */
		for (i = 0; c->new != NULL && c->old != NULL &&
		    c->old->ttl != c->new->ttl && i < c->new->nrdata; i++) {
			if (!rfc2136_has_rdata(c->old, &c->new->rdata[i]))
				continue;
			rv |= rfc2136_push(pkt, rfc2136_rr(owner, rs->type,
			    LDNS_RR_CLASS_NONE, 0, &c->new->rdata[i]));
			rv |= rfc2136_push(pkt, rfc2136_rr(owner, rs->type,
			    LDNS_RR_CLASS_IN, c->new->ttl, &c->new->rdata[i]));
		}
		for (i = 0; c->old != NULL && i < c->old->nrdata; i++)
			if (!rfc2136_has_rdata(c->new, &c->old->rdata[i]))
				rv |= rfc2136_push(pkt, rfc2136_rr(owner,
				    rs->type, LDNS_RR_CLASS_NONE, 0,
				    &c->old->rdata[i]));
	} else {
		rv |= rfc2136_push(pkt, rfc2136_rr(owner, rs->type,
		    LDNS_RR_CLASS_ANY, 0, NULL));
		for (i = 0; c->new != NULL && i < c->new->nrdata; i++)
			rv |= rfc2136_push(pkt, rfc2136_rr(owner, rs->type,
			    LDNS_RR_CLASS_IN, c->new->ttl, &c->new->rdata[i]));
	}
	ldns_rdf_deep_free(owner);
	return (rv);
}

static void
rfc2136_mark(struct rfc2136_op *op, size_t from, size_t to,
    enum change_result res, const char *error)
{
	size_t	i;

	for (i = from; i < to; i++) {
		op->res.results[i] = res;
		free(op->res.errors[i]);
		op->res.errors[i] = error != NULL ? xstrdup(error) : NULL;
	}
}

static void
rfc2136_apply_done(struct rfc2136_op *op)
{
	struct provider		*p = op->p;
	struct apply_result	 res = op->res;
	provider_apply_cb	 cb = op->acb;
	void			*arg = op->arg;

	memset(&op->res, 0, sizeof(op->res));
	rfc2136_op_free(op);
	cb(p, &res, arg);
	apply_result_clear(&res);
}

static void
rfc2136_later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rfc2136_op	*op = arg;
	struct provider		*p = op->p;
	struct rfc2136		*r = p->priv;
	provider_ns_cb		 cb;
	void			*cbarg;

	(void)fd;
	(void)ev;
	if (op->kind == RFC2136_APPLY) {
		rfc2136_apply_done(op);
		return;
	}
	cb = op->ncb;
	cbarg = op->arg;
	rfc2136_op_free(op);
	cb(p, 0, NULL, r->ns, r->nns, cbarg);
}

static void
rfc2136_later(struct rfc2136_op *op)
{
	struct timeval	tv = { 0, 0 };

	op->ev_later = evtimer_new(op->p->base, rfc2136_later_cb, op);
	if (op->ev_later == NULL)
		fatalx("rfc2136", "evtimer_new");
	evtimer_add(op->ev_later, &tv);
}

static void
rfc2136_update_cb(int status, ldns_pkt *answer, const struct dnsio_stats *st,
    void *arg)
{
	struct rfc2136_op	*op = arg;
	size_t			 from = op->bstart[op->cur];
	size_t			 to = op->bstart[op->cur + 1];
	const char		*rname;
	char			 err[400], rb[16];
	int			 rcode;

	op->q = NULL;
	if (status != DNSIO_OK) {
		snprintf(err, sizeof(err), "UPDATE: %s", st->error);
		rfc2136_mark(op, from, to, CHANGE_RESULT_FAILED, err);
		log_warnx("rfc2136", "provider %s: zone %s: %s", op->p->name,
		    op->origin, err);
		rfc2136_apply_done(op);
		return;
	}
	rcode = ldns_pkt_get_rcode(answer);
	if (rcode != LDNS_RCODE_NOERROR) {
		const ldns_lookup_table *lt;

		lt = ldns_lookup_by_id(ldns_rcodes, rcode);
		if (lt != NULL)
			rname = lt->name;
		else {
			snprintf(rb, sizeof(rb), "RCODE%d", rcode);
			rname = rb;
		}
		snprintf(err, sizeof(err), "UPDATE refused: %s", rname);
		rfc2136_mark(op, from, to, CHANGE_RESULT_FAILED, err);
		log_warnx("rfc2136", "provider %s: zone %s: %s (%zu changes "
		    "in message %zu)", op->p->name, op->origin, err, to - from,
		    op->cur + 1);
		rfc2136_apply_done(op);
		return;
	}
	rfc2136_mark(op, from, to, CHANGE_RESULT_OK, NULL);
	op->cur++;
	if (op->cur == op->nbatches) {
		rfc2136_apply_done(op);
		return;
	}
	rfc2136_batch_send(op);
}

/* Send batch op->cur; on a local failure finish the apply. */
static void
rfc2136_batch_send(struct rfc2136_op *op)
{
	struct rfc2136		*r = op->p->priv;
	struct dnsio_opts	 o;
	ldns_pkt		*pkt;
	ldns_rr			*zrr;
	ldns_rdf		*zname = NULL;
	size_t			 from = op->bstart[op->cur];
	size_t			 to = op->bstart[op->cur + 1], i;
	char			 err[300];

	if (to - from == 1 && rfc2136_change_size(&op->cs->changes[from]) >
	    RFC2136_MSG_LIMIT) {
		rfc2136_mark(op, from, to, CHANGE_RESULT_FAILED, "RRset too "
		    "large for one UPDATE message");
		rfc2136_later(op);
		return;
	}
	if (ldns_str2rdf_dname(&zname, op->origin) != LDNS_STATUS_OK)
		fatalx("rfc2136", "zone name");
	pkt = ldns_pkt_new();
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_UPDATE);
	zrr = ldns_rr_new();
	ldns_rr_set_owner(zrr, zname);
	ldns_rr_set_type(zrr, LDNS_RR_TYPE_SOA);
	ldns_rr_set_class(zrr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(zrr, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, zrr);
	for (i = from; i < to; i++) {
		if (rfc2136_add_change(pkt, op->origin,
		    &op->cs->changes[i]) == -1) {
			ldns_pkt_free(pkt);
			rfc2136_mark(op, i, i + 1, CHANGE_RESULT_FAILED,
			    "cannot encode the record data");
			rfc2136_later(op);
			return;
		}
	}
	rfc2136_dnsio_opts(r, &o);
	op->res.api_calls++;
	op->q = dnsio_query(op->p->base, (struct sockaddr *)&r->server,
	    r->server_len, pkt, &o, rfc2136_update_cb, op, err, sizeof(err));
	ldns_pkt_free(pkt);
	if (op->q == NULL) {
		rfc2136_mark(op, from, to, CHANGE_RESULT_FAILED, err);
		rfc2136_later(op);
	}
}

static int
rfc2136_apply(struct provider *p, const char *origin,
    const struct changeset *cs, provider_apply_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct rfc2136_op	*op;
	size_t			 i, size, used = 0;

	(void)err;
	(void)errlen;
	op = rfc2136_op_new(p, RFC2136_APPLY, origin, arg);
	op->acb = cb;
	op->cs = cs;
	apply_result_init(&op->res, cs->nchanges);
	op->bstart = xcalloc(cs->nchanges + 1, sizeof(*op->bstart));
	for (i = 0; i < cs->nchanges; i++) {
		size = rfc2136_change_size(&cs->changes[i]);
		if (i == 0 || used + size > RFC2136_MSG_LIMIT) {
			op->bstart[op->nbatches++] = i;
			used = 0;
		}
		used += size;
	}
	op->bstart[op->nbatches] = cs->nchanges;
	if (op->nbatches == 0) {
		rfc2136_later(op);
		return (0);
	}
	log_debug("rfc2136", "provider %s: zone %s: %zu changes in %zu "
	    "UPDATE messages", p->name, origin, cs->nchanges, op->nbatches);
	rfc2136_batch_send(op);
	return (0);
}

/* --- nameservers ------------------------------------------------------ */

static void
rfc2136_ns_cb(int status, ldns_pkt *answer, const struct dnsio_stats *st,
    void *arg)
{
	struct rfc2136_op	*op = arg;
	struct provider		*p = op->p;
	provider_ns_cb		 cb = op->ncb;
	void			*cbarg = op->arg;
	ldns_rr_list		*an;
	ldns_rr			*rr;
	char			**names = NULL, err[400], *s;
	size_t			 n = 0, i;

	op->q = NULL;
	err[0] = '\0';
	if (status != DNSIO_OK)
		snprintf(err, sizeof(err), "NS query: %s", st->error);
	else if (ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR)
		snprintf(err, sizeof(err), "NS query: rcode %d",
		    ldns_pkt_get_rcode(answer));
	else {
		an = ldns_pkt_answer(answer);
		for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
			rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
			    ldns_rr_rd_count(rr) != 1)
				continue;
			ldns_dname2canonical(ldns_rr_rdf(rr, 0));
			if ((s = ldns_rdf2str(ldns_rr_rdf(rr, 0))) == NULL)
				fatalx("rfc2136", "ldns_rdf2str");
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(s);
			free(s);
		}
		if (n == 0)
			snprintf(err, sizeof(err), "NS query: no apex NS "
			    "records for %s", op->origin);
	}
	rfc2136_op_free(op);
	if (err[0] != '\0')
		cb(p, -1, err, NULL, 0, cbarg);
	else
		cb(p, 0, NULL, names, n, cbarg);
	rfc2136_free_names(names, n);
}

static int
rfc2136_nameservers(struct provider *p, const char *origin, provider_ns_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct rfc2136		*r = p->priv;
	struct rfc2136_op	*op;
	struct dnsio_opts	 o;

	op = rfc2136_op_new(p, RFC2136_NS, origin, arg);
	op->ncb = cb;
	if (r->nns > 0) {
		rfc2136_later(op);
		return (0);
	}
	rfc2136_dnsio_opts(r, &o);
	op->q = dnsio_query_name(p->base, (struct sockaddr *)&r->server,
	    r->server_len, origin, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, 0, &o,
	    rfc2136_ns_cb, op, err, errlen);
	if (op->q == NULL) {
		rfc2136_op_free(op);
		return (-1);
	}
	return (0);
}

const struct provider_ops rfc2136_ops = {
	.type = "rfc2136",
	.init = rfc2136_init,
	.free = rfc2136_free,
	.fetch = rfc2136_fetch,
	.apply = rfc2136_apply,
	.nameservers = rfc2136_nameservers,
	.create = NULL,
	.cancel = rfc2136_cancel,
};
