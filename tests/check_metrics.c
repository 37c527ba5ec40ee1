/*
 * check_metrics.c: the Prometheus exposition rendered from a daemon state
 * built by hand (providers, a zone, a prober with poked health and
 * latency, a state database with drift, audit rows and an outbox, an HTTP
 * pool that made one failing request), read back by a strict parser of
 * the text format 0.0.4 written here: names, labels, escapes, HELP and
 * TYPE before a family's samples, families contiguous, no duplicate
 * series, histogram buckets ascending and cumulative with +Inf equal to
 * _count.  The parser is itself checked against broken inputs.
 */
#include "autoconf.h"

#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon.h"
#include "db.h"
#include "health.h"
#include "metrics.h"
#include "probe.h"
#include "xmalloc.h"

#define MAXS	1024
#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* --- a strict parser --------------------------------------------------- */

struct sample {
	char	 series[512];	/* name{labels} as written, "" labels none */
	char	 name[128];
	char	 le[32];	/* the le label's value, if any */
	char	 rest[480];	/* labels other than le, as written */
	double	 value;
};

struct family {
	char	 name[128];
	char	 type[16];
	int	 help, closed;
};

struct parsed {
	struct sample	 s[MAXS];
	size_t		 n;
	struct family	 f[64];
	size_t		 nf;
	char		 err[256];
};

static int
perr(struct parsed *p, int line, const char *msg)
{
	snprintf(p->err, sizeof(p->err), "line %d: %s", line, msg);
	return (-1);
}

static int
name_ok(const char *s, size_t len, int colon)
{
	size_t	i;

	if (len == 0 || isdigit((unsigned char)s[0]))
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    !(colon && s[i] == ':'))
			return (0);
	}
	return (1);
}

static int
value_ok(const char *s, double *v)
{
	char	*end;

	if (strcmp(s, "+Inf") == 0) {
		*v = INFINITY;
		return (1);
	}
	if (strcmp(s, "-Inf") == 0) {
		*v = -INFINITY;
		return (1);
	}
	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
		return (1);
	}
	if (*s == '\0' || isspace((unsigned char)*s))
		return (0);
	*v = strtod(s, &end);
	return (*end == '\0');
}

static struct family *
family_of(struct parsed *p, const char *sname)
{
	size_t	i, l;

	for (i = 0; i < p->nf; i++) {
		l = strlen(p->f[i].name);
		if (strcmp(sname, p->f[i].name) == 0)
			return (&p->f[i]);
		if (strcmp(p->f[i].type, "histogram") == 0 &&
		    strncmp(sname, p->f[i].name, l) == 0 &&
		    (strcmp(sname + l, "_bucket") == 0 ||
		    strcmp(sname + l, "_sum") == 0 ||
		    strcmp(sname + l, "_count") == 0))
			return (&p->f[i]);
	}
	return (NULL);
}

static int
parse_labels(struct parsed *p, int line, const char **sp, struct sample *s)
{
	const char	*q = *sp, *ns;
	char		 lname[128], val[256], seen[16][128];
	size_t		 nl, vl, nseen = 0, i;
	char		*rest = s->rest;
	size_t		 restlen = 0;

	q++;	/* '{' */
	while (*q != '}') {
		ns = q;
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		nl = (size_t)(q - ns);
		if (!name_ok(ns, nl, 0) || nl >= sizeof(lname))
			return (perr(p, line, "bad label name"));
		memcpy(lname, ns, nl);
		lname[nl] = '\0';
		if (strncmp(lname, "__", 2) == 0)
			return (perr(p, line, "reserved label name"));
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], lname) == 0)
				return (perr(p, line, "label twice"));
		if (nseen == 16)
			return (perr(p, line, "too many labels"));
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", lname);
		if (*q++ != '=' || *q++ != '"')
			return (perr(p, line, "expected =\""));
		vl = 0;
		for (; *q != '"'; q++) {
			if (*q == '\0' || *q == '\n')
				return (perr(p, line, "unterminated value"));
			if (*q == '\\') {
				q++;
				if (*q == 'n')
					val[vl] = '\n';
				else if (*q == '\\' || *q == '"')
					val[vl] = *q;
				else
					return (perr(p, line, "bad escape"));
			} else
				val[vl] = *q;
			if (++vl >= sizeof(val))
				return (perr(p, line, "value too long"));
		}
		val[vl] = '\0';
		q++;
		if (strcmp(lname, "le") == 0) {
			if (vl >= sizeof(s->le))
				return (perr(p, line, "le too long"));
			memcpy(s->le, val, vl + 1);
		} else {
			restlen += (size_t)snprintf(rest + restlen,
			    sizeof(s->rest) - restlen, "%s%s=%s",
			    restlen ? "," : "", lname, val);
			if (restlen >= sizeof(s->rest))
				return (perr(p, line, "labels too long"));
		}
		if (*q == ',')
			q++;
		else if (*q != '}')
			return (perr(p, line, "expected , or }"));
	}
	*sp = q + 1;
	return (0);
}

static int
parse(const char *text, struct parsed *p)
{
	const char	*q = text, *eol, *ns;
	char		 buf[1024], *w[4], *tok;
	struct family	*f, *cur = NULL;
	struct sample	*s;
	int		 line = 0;
	size_t		 l, i, j;

	memset(p, 0, sizeof(*p));
	if (*text == '\0')
		return (perr(p, 0, "empty"));
	while (*q != '\0') {
		line++;
		if ((eol = strchr(q, '\n')) == NULL)
			return (perr(p, line, "no final newline"));
		l = (size_t)(eol - q);
		if (l == 0 || l >= sizeof(buf))
			return (perr(p, line, "empty or long line"));
		memcpy(buf, q, l);
		buf[l] = '\0';
		q = eol + 1;
		if (buf[0] == '#') {
			/* "# HELP name text" or "# TYPE name type". */
			if (strncmp(buf, "# ", 2) != 0)
				return (perr(p, line, "bad comment"));
			w[0] = buf;
			w[1] = buf + 2;
			if ((w[2] = strchr(w[1], ' ')) == NULL)
				return (perr(p, line, "bad comment"));
			*w[2]++ = '\0';
			if ((w[3] = strchr(w[2], ' ')) == NULL)
				return (perr(p, line, "bad comment"));
			*w[3]++ = '\0';
			if (!name_ok(w[2], strlen(w[2]), 1) ||
			    strlen(w[2]) >= sizeof(p->f[0].name))
				return (perr(p, line, "bad name in comment"));
			for (i = 0; i < p->nf; i++)
				if (strcmp(p->f[i].name, w[2]) == 0)
					break;
			f = i < p->nf ? &p->f[i] : NULL;
			if (f != NULL && (f->closed || f != cur))
				return (perr(p, line, "family not contiguous"));
			if (f == NULL) {
				if (cur != NULL)
					cur->closed = 1;
				if (p->nf == nitems(p->f))
					return (perr(p, line, "too many"));
				f = cur = &p->f[p->nf++];
				memcpy(f->name, w[2], strlen(w[2]) + 1);
			}
			if (strcmp(w[1], "HELP") == 0) {
				if (f->help++)
					return (perr(p, line, "HELP twice"));
			} else if (strcmp(w[1], "TYPE") == 0) {
				if (f->type[0] != '\0')
					return (perr(p, line, "TYPE twice"));
				if (strcmp(w[3], "counter") != 0 &&
				    strcmp(w[3], "gauge") != 0 &&
				    strcmp(w[3], "histogram") != 0 &&
				    strcmp(w[3], "summary") != 0 &&
				    strcmp(w[3], "untyped") != 0)
					return (perr(p, line, "bad type"));
				/* TYPE comes before the family's samples. */
				for (j = 0; j < p->n; j++)
					if (family_of(p, p->s[j].name) == f)
						return (perr(p, line,
						    "TYPE after samples"));
				snprintf(f->type, sizeof(f->type), "%s", w[3]);
			} else
				return (perr(p, line, "unknown comment"));
			continue;
		}
		if (p->n == MAXS)
			return (perr(p, line, "too many samples"));
		s = &p->s[p->n];
		memset(s, 0, sizeof(*s));
		ns = buf;
		for (i = 0; buf[i] != '\0' && buf[i] != '{' && buf[i] != ' ';
		    i++)
			;
		if (!name_ok(ns, i, 1) || i >= sizeof(s->name))
			return (perr(p, line, "bad metric name"));
		memcpy(s->name, ns, i);
		s->name[i] = '\0';
		ns = buf + i;
		if (*ns == '{' && parse_labels(p, line, &ns, s) == -1)
			return (-1);
		if (*ns++ != ' ')
			return (perr(p, line, "expected a space"));
		l = (size_t)(ns - 1 - buf);
		if (l >= sizeof(s->series))
			return (perr(p, line, "series too long"));
		memcpy(s->series, buf, l);
		s->series[l] = '\0';
		/* The value, and an optional integer timestamp. */
		if ((tok = strchr(ns, ' ')) != NULL) {
			*tok++ = '\0';
			for (i = 0; tok[i] != '\0'; i++)
				if (!isdigit((unsigned char)tok[i]) &&
				    !(i == 0 && tok[i] == '-'))
					return (perr(p, line, "bad timestamp"));
			if (i == 0)
				return (perr(p, line, "bad timestamp"));
		}
		if (!value_ok(ns, &s->value))
			return (perr(p, line, "bad value"));
		if ((f = family_of(p, s->name)) == NULL || f->type[0] == '\0')
			return (perr(p, line, "sample without TYPE"));
		if (f != cur || f->closed)
			return (perr(p, line, "family not contiguous"));
		if (strcmp(f->type, "counter") == 0 &&
		    ((l = strlen(s->name)) <= 6 ||
		    strcmp(s->name + l - 6, "_total") != 0))
			return (perr(p, line, "counter not named _total"));
		if ((strcmp(f->type, "counter") == 0 ||
		    strcmp(f->type, "histogram") == 0) &&
		    (isnan(s->value) || s->value < 0))
			return (perr(p, line, "negative counter"));
		if (strstr(s->name, "_bucket") != NULL &&
		    strcmp(f->type, "histogram") == 0 && s->le[0] == '\0')
			return (perr(p, line, "bucket without le"));
		for (j = 0; j < p->n; j++)
			if (strcmp(p->s[j].series, s->series) == 0)
				return (perr(p, line, "duplicate series"));
		p->n++;
	}
	return (0);
}

/* Every histogram: ascending le, cumulative counts, +Inf == _count. */
static int
check_histograms(struct parsed *p)
{
	struct sample	*s, *b;
	char		 cnt[160], sum[160];
	double		 prev_le, prev_v, le, count;
	size_t		 i, j, k, fl;
	int		 inf, have_count, have_sum;

	for (i = 0; i < p->nf; i++) {
		if (strcmp(p->f[i].type, "histogram") != 0)
			continue;
		fl = strlen(p->f[i].name);
		snprintf(cnt, sizeof(cnt), "%s_count", p->f[i].name);
		snprintf(sum, sizeof(sum), "%s_sum", p->f[i].name);
		for (j = 0; j < p->n; j++) {
			s = &p->s[j];
			if (strcmp(s->name, cnt) != 0)
				continue;
			prev_le = -INFINITY;
			prev_v = 0;
			inf = have_sum = 0;
			count = s->value;
			for (k = 0; k < p->n; k++) {
				b = &p->s[k];
				if (strcmp(b->rest, s->rest) != 0 ||
				    strncmp(b->name, p->f[i].name, fl) != 0)
					continue;
				if (strcmp(b->name, sum) == 0)
					have_sum = 1;
				if (strcmp(b->name + fl, "_bucket") != 0)
					continue;
				if (inf) {
					snprintf(p->err, sizeof(p->err),
					    "%s: bucket after +Inf", b->series);
					return (-1);
				}
				if (!value_ok(b->le, &le) || isnan(le) ||
				    le <= prev_le || b->value < prev_v) {
					snprintf(p->err, sizeof(p->err),
					    "%s: not ascending/cumulative",
					    b->series);
					return (-1);
				}
				prev_le = le;
				prev_v = b->value;
				if (isinf(le)) {
					inf = 1;
					if (b->value != count) {
						snprintf(p->err, sizeof(p->err),
						    "%s: +Inf != _count",
						    b->series);
						return (-1);
					}
				}
			}
			if (!inf || !have_sum) {
				snprintf(p->err, sizeof(p->err), "%s: no +Inf "
				    "bucket or no _sum", s->series);
				return (-1);
			}
		}
		/* And no bucket set without its _count. */
		for (k = 0; k < p->n; k++) {
			b = &p->s[k];
			if (strncmp(b->name, p->f[i].name, fl) != 0)
				continue;
			have_count = 0;
			for (j = 0; j < p->n; j++)
				if (strcmp(p->s[j].name, cnt) == 0 &&
				    strcmp(p->s[j].rest, b->rest) == 0)
					have_count = 1;
			if (!have_count) {
				snprintf(p->err, sizeof(p->err), "%s: no _count",
				    b->series);
				return (-1);
			}
		}
	}
	return (0);
}

static int
strict(const char *text, struct parsed *p)
{
	if (parse(text, p) == -1)
		return (-1);
	return (check_histograms(p));
}

/* The value of one series as written, or NAN when it is not there. */
static double
get(const struct parsed *p, const char *series)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->s[i].series, series) == 0)
			return (p->s[i].value);
	return (NAN);
}

static struct parsed	P;

START_TEST(test_parser_rejects)
{
	static const char *const bad[] = {
		"",
		"x 1\n",					/* no TYPE */
		"# TYPE x gauge\nx 1",				/* no \n */
		"# TYPE x gauge\nx{a=\"b} 1\n",			/* open */
		"# TYPE x gauge\nx{a=\"\\t\"} 1\n",		/* escape */
		"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",
		"# TYPE x gauge\nx{1a=\"1\"} 1\n",
		"# TYPE x gauge\n1x 1\n",
		"# TYPE x gauge\nx one\n",
		"# TYPE x gauge\nx 1\nx 2\n",			/* dup */
		"# TYPE x wobble\nx 1\n",
		"# TYPE x gauge\n# TYPE x gauge\nx 1\n",
		"# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a=\"1\"} 1\n",
		"# TYPE x_total counter\nx_total -1\n",
		"# TYPE x counter\nx 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
		    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
		    "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
		"# TYPE h histogram\nh_bucket{le=\"2\"} 1\n"
		    "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
		    "h_count 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\n"
		    "h_count 1\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
		"# FOO x gauge\nx 1\n",
	};
	size_t	i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(strict(bad[i], &P) == -1, "accepted bad[%zu]",
		    i);
	ck_assert_int_eq(strict("# HELP x a \"b\" c\n# TYPE x gauge\n"
	    "x{a=\"q\\\"\\\\\\n\"} 1.5 1700000000\n# TYPE h histogram\n"
	    "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\n"
	    "h_count 2\n", &P), 0);
}
END_TEST

/* --- the daemon state -------------------------------------------------- */

#define WEIRD	"we\"ird\\name\nx"	/* a provider name to escape */
#define WEIRD_L	"we\\\"ird\\\\name\\nx"	/* as a label value */
#define T0	1700000000

static void
done_cb(const struct http_response *r, void *arg)
{
	int	*done = arg;

	(void)r;
	*done = 1;
}

static void
timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	event_base_loopbreak(arg);
}

START_TEST(test_render)
{
	static const struct probe_ops	 ops = { NULL, NULL };
	struct probe_opts		 po;
	struct daemon			 d;
	struct daemon_provider		 provs[2];
	struct daemon_zone		 zone;
	struct daemon_pair		 pairs[2];
	struct metrics			*m;
	struct probe_provider		*pp;
	struct http_pool_config		 pc;
	struct http_pool		*pool;
	struct http_request_params	 rp;
	struct db_change		 ch;
	struct db_event			 ev;
	struct evbuffer			*buf;
	struct event			*tmo;
	struct timeval			 tv = { 10, 0 };
	const char			*hooks[] = { "w" };
	char				 dir[] = "/tmp/check_metrics.XXXXXX",
					 path[128], err[256], *text;
	size_t				 len, i;
	int				 done = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	memset(&d, 0, sizeof(d));
	ck_assert_ptr_nonnull(d.base = event_base_new());
	d.db = db_open(path, err, sizeof(err));
	ck_assert_msg(d.db != NULL, "%s", err);
	d.http = http_new(d.base);

	memset(provs, 0, sizeof(provs));
	provs[0].name = xstrdup("pdns");
	provs[1].name = xstrdup(WEIRD);
	health_node_init(&provs[0].api_health);
	health_node_init(&provs[1].api_health);
	provs[1].api_health.state = HEALTH_DOWN;
	d.providers = provs;
	d.nproviders = 2;
	memset(&zone, 0, sizeof(zone));
	memset(pairs, 0, sizeof(pairs));
	zone.daemon = &d;
	zone.name = xstrdup("example.com.");
	zone.pairs = pairs;
	zone.npairs = 2;
	pairs[0].zone = pairs[1].zone = &zone;
	pairs[0].provider = &provs[0];
	pairs[1].provider = &provs[1];
	pairs[0].last_run = T0 + 10;
	pairs[0].last_ok = T0 + 10;
	pairs[1].last_run = T0 + 20;
	d.zones = &zone;
	d.nzones = 1;

	/* The prober: pdns healthy with one of two addresses down. */
	memset(&po, 0, sizeof(po));
	health_conf_default(&po.health);
	d.probe = probe_new(d.base, &ops, &po);
	ck_assert_int_eq(probe_add_provider(d.probe, "pdns",
	    "127.0.0.1:5301 [::1]:5302", err, sizeof(err)), 0);
	ck_assert_int_eq(probe_add_provider(d.probe, WEIRD, "127.0.0.2",
	    err, sizeof(err)), 1);
	pp = (struct probe_provider *)probe_provider(d.probe, 0);
	pp->node.state = HEALTH_HEALTHY;
	pp->targets[0].node.state = HEALTH_HEALTHY;
	pp->targets[1].node.state = HEALTH_DOWN;
	/* Older samples stay out: only the cycle's 4 answers count. */
	latency_add(&pp->targets[0].lat, 900);
	latency_add(&pp->targets[0].lat, 0);	/* <= 1 ms */
	latency_add(&pp->targets[0].lat, 7);	/* <= 10 ms */
	latency_add(&pp->targets[0].lat, 300);	/* <= 500 ms */
	latency_add(&pp->targets[0].lat, 7000);	/* +Inf only */
	pp->targets[0].cyc_soa = 5;
	pp->targets[0].cyc_fail = 1;
	pp->targets[1].cyc_soa = 3;
	pp->targets[1].cyc_fail = 3;
	pp = (struct probe_provider *)probe_provider(d.probe, 1);
	pp->node.state = HEALTH_DOWN;

	/* The database: 2 open drift items and 1 resolved, audit rows. */
	ck_assert_int_eq(db_zone_upsert(d.db, "example.com.", T0), 0);
	ck_assert_int_eq(db_provider_upsert(d.db, "pdns", "powerdns", T0), 0);
	ck_assert_int_eq(db_provider_upsert(d.db, WEIRD, "rfc2136", T0), 0);
	ck_assert_int_eq(db_drift_upsert(d.db, "example.com.", "pdns",
	    "a.example.com.", "A", DB_DRIFT_MISSING, "300 192.0.2.1", NULL,
	    T0), 1);
	ck_assert_int_eq(db_drift_upsert(d.db, "example.com.", "pdns",
	    "b.example.com.", "A", DB_DRIFT_CHANGED, "300 192.0.2.2",
	    "300 192.0.2.3", T0), 1);
	ck_assert_int_eq(db_drift_upsert(d.db, "example.com.", WEIRD,
	    "c.example.com.", "A", DB_DRIFT_EXTRA, NULL, "300 192.0.2.4",
	    T0), 1);
	ck_assert_int_eq(db_drift_resolve_unseen(d.db, "example.com.", WEIRD,
	    T0 + 1), 1);
	memset(&ch, 0, sizeof(ch));
	ch.time = T0;
	ch.zone = "example.com.";
	ch.provider = "pdns";
	ch.op = CHANGE_CREATE;
	ch.owner = "a.example.com.";
	ch.type = "A";
	ch.new_value = "300 192.0.2.1";
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(db_change_record(d.db, &ch), 0);
	ch.result = DB_CHANGE_FAILED;
	ch.error = "boom";
	ck_assert_int_eq(db_change_record(d.db, &ch), 0);
	memset(&ev, 0, sizeof(ev));
	ev.id = "e1";
	ev.time = T0 - 60;
	ev.type = "drift_found";
	ev.summary = "drift";
	ck_assert_int_eq(db_event_add(d.db, &ev, hooks, 1, T0), 1);

	/* One HTTP request of pdns's pool, to a closed port: an error. */
	http_pool_config_init(&pc);
	pc.name = "pdns";
	pool = http_pool_new(d.http, &pc);
	memset(&rp, 0, sizeof(rp));
	rp.url = "http://127.0.0.1:9/";
	rp.flags = HTTP_REQ_NO_RETRY;
	rp.cb = done_cb;
	rp.arg = &done;
	ck_assert_ptr_nonnull(http_request_start(pool, &rp));
	tmo = evtimer_new(d.base, timeout_cb, d.base);
	evtimer_add(tmo, &tv);
	while (!done && event_base_loop(d.base, EVLOOP_ONCE) == 0)
		;
	ck_assert_int_eq(done, 1);

	m = metrics_new(&d);
	metrics_probe_done(m, d.probe);
	buf = evbuffer_new();
	ck_assert_int_eq(metrics_render(m, buf, T0), 0);
	len = evbuffer_get_length(buf);
	text = xmalloc(len + 1);
	evbuffer_remove(buf, text, len);
	text[len] = '\0';

	if (strict(text, &P) == -1 || getenv("SHOW") != NULL)
		fprintf(stderr, "%s", text);
	ck_assert_msg(P.err[0] == '\0', "%s", P.err);
	ck_assert(get(&P, "multidns_build_info{version=\"" PACKAGE_VERSION
	    "\"}") == 1);
	ck_assert(get(&P, "multidns_provider_up{provider=\"pdns\"}") == 1);
	ck_assert(get(&P, "multidns_provider_up{provider=\"" WEIRD_L
	    "\"}") == 0);
	ck_assert(get(&P, "multidns_provider_state{provider=\"pdns\","
	    "kind=\"dns\",state=\"healthy\"}") == 1);
	ck_assert(get(&P, "multidns_provider_state{provider=\"pdns\","
	    "kind=\"dns\",state=\"down\"}") == 0);
	ck_assert(get(&P, "multidns_provider_state{provider=\"" WEIRD_L "\","
	    "kind=\"api\",state=\"down\"}") == 1);
	ck_assert(get(&P, "multidns_nameserver_state{provider=\"pdns\","
	    "address=\"[::1]:5302\",state=\"down\"}") == 1);
	ck_assert(get(&P, "multidns_nameserver_state{provider=\"pdns\","
	    "address=\"127.0.0.1:5301\",state=\"healthy\"}") == 1);
	/* 0, 7, 300 and 7000 ms; 900 ms was before the cycle. */
	ck_assert(get(&P, "multidns_probe_latency_seconds_bucket{"
	    "provider=\"pdns\",le=\"0.001\"}") == 1);
	ck_assert(get(&P, "multidns_probe_latency_seconds_bucket{"
	    "provider=\"pdns\",le=\"0.01\"}") == 2);
	ck_assert(get(&P, "multidns_probe_latency_seconds_bucket{"
	    "provider=\"pdns\",le=\"0.5\"}") == 3);
	ck_assert(get(&P, "multidns_probe_latency_seconds_bucket{"
	    "provider=\"pdns\",le=\"5\"}") == 3);
	ck_assert(get(&P, "multidns_probe_latency_seconds_count{"
	    "provider=\"pdns\"}") == 4);
	ck_assert(fabs(get(&P, "multidns_probe_latency_seconds_sum{"
	    "provider=\"pdns\"}") - 7.307) < 1e-9);
	ck_assert(get(&P, "multidns_probe_latency_seconds_count{"
	    "provider=\"" WEIRD_L "\"}") == 0);
	ck_assert(get(&P, "multidns_drift_items{zone=\"example.com.\","
	    "provider=\"pdns\"}") == 2);
	ck_assert(get(&P, "multidns_drift_items{zone=\"example.com.\","
	    "provider=\"" WEIRD_L "\"}") == 0);
	ck_assert(get(&P, "multidns_changes_total{zone=\"example.com.\","
	    "provider=\"pdns\",result=\"ok\"}") == 3);
	ck_assert(get(&P, "multidns_changes_total{zone=\"example.com.\","
	    "provider=\"pdns\",result=\"failed\"}") == 1);
	ck_assert(get(&P, "multidns_changes_total{zone=\"example.com.\","
	    "provider=\"pdns\",result=\"refused\"}") == 0);
	ck_assert(get(&P, "multidns_last_reconcile_success_timestamp_seconds"
	    "{zone=\"example.com.\",provider=\"pdns\"}") == T0 + 10);
	ck_assert(get(&P, "multidns_last_reconcile_success_timestamp_seconds"
	    "{zone=\"example.com.\",provider=\"" WEIRD_L "\"}") == 0);
	ck_assert(get(&P, "multidns_last_reconcile_timestamp_seconds"
	    "{zone=\"example.com.\",provider=\"" WEIRD_L "\"}") == T0 + 20);
	ck_assert(get(&P, "multidns_outbox_pending") == 1);
	ck_assert(get(&P, "multidns_outbox_oldest_pending_seconds") == 60);
	ck_assert(get(&P, "multidns_api_requests_total{provider=\"pdns\"}")
	    == 1);
	ck_assert(get(&P, "multidns_api_errors_total{provider=\"pdns\"}")
	    == 1);
	/* No HTTP pool, no API counters. */
	ck_assert(isnan(get(&P, "multidns_api_requests_total{provider=\""
	    WEIRD_L "\"}")));

	/* A second cycle with no answers adds nothing. */
	pp = (struct probe_provider *)probe_provider(d.probe, 0);
	pp->targets[0].cyc_soa = pp->targets[0].cyc_fail = 0;
	metrics_probe_done(m, d.probe);
	free(text);
	ck_assert_int_eq(metrics_render(m, buf, T0), 0);
	len = evbuffer_get_length(buf);
	text = xmalloc(len + 1);
	evbuffer_remove(buf, text, len);
	text[len] = '\0';
	ck_assert_msg(strict(text, &P) == 0, "%s", P.err);
	ck_assert(get(&P, "multidns_probe_latency_seconds_count{"
	    "provider=\"pdns\"}") == 4);

	free(text);
	evbuffer_free(buf);
	metrics_free(m);
	event_free(tmo);
	probe_free(d.probe);
	http_free(d.http);
	db_close(d.db);
	event_base_free(d.base);
	free(provs[0].name);
	free(provs[1].name);
	free(zone.name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_addr_parse)
{
	static const char *const good[] = {
		"127.0.0.1:9153", "[::1]:9153", "0.0.0.0:1", "[::]:65535",
	};
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"localhost:9153", "::1:9153", "[::1]9153", "[::1]:", "1.2.3:80",
		"127.0.0.1:+80", "127.0.0.1:080", "", ":9153",
		"[127.0.0.1]:9153",
	};
	char		 host[METRICS_ADDR_MAX], err[256];
	uint16_t	 port;
	size_t		 i;

	for (i = 0; i < nitems(good); i++)
		ck_assert_msg(metrics_addr_parse(good[i], host, sizeof(host),
		    &port, err, sizeof(err)) == 0, "%s", good[i]);
	ck_assert_int_eq(metrics_addr_parse("[::1]:9153", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(port, 9153);
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(metrics_addr_parse(bad[i], host, sizeof(host),
		    &port, err, sizeof(err)) == -1, "accepted %s", bad[i]);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parser_rejects);
	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	return (s);
}

/* check_metrics FILE: check a scrape strictly (for tests/metrics-lab.sh). */
static int
check_file(const char *path)
{
	static char	 text[1024 * 1024];
	FILE		*fp;
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return (EXIT_FAILURE);
	}
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	if (n == sizeof(text) - 1 || strlen(text) != n) {
		fprintf(stderr, "%s: too long or not text\n", path);
		return (EXIT_FAILURE);
	}
	if (strict(text, &P) == -1) {
		fprintf(stderr, "%s: %s\n", path, P.err);
		return (EXIT_FAILURE);
	}
	printf("%s: %zu families, %zu samples\n", path, P.nf, P.n);
	return (EXIT_SUCCESS);
}

int
main(int argc, char **argv)
{
	SRunner	*sr;
	int	 failed;

	if (argc == 2)
		return (check_file(argv[1]));
	sr = srunner_create(metrics_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
