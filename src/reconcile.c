/*
 * reconcile.c: make every provider of a zone hold the desired zone.
 *
 * One run per zone: first ask every provider of the zone for its
 * nameservers (the desired apex NS is their union), then, for each
 * (zone, provider) pair independently: fetch -> diff -> record drift ->
 * safety gate -> apply (mode = enforce, or an operator's sync) -> audit.
 * A pair that fails never stops the others, and a failed or short fetch
 * is an error for that pair, never an empty zone.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <ldns/ldns.h>

#include "alert.h"
#include "daemon.h"
#include "db.h"
#include "diff.h"
#include "log.h"
#include "provider.h"
#include "reconcile.h"
#include "xmalloc.h"

#define APEX_NS_TTL_DEFAULT	86400

struct reconcile;

/* One (zone, provider) pair within a run. */
struct pair_run {
	struct reconcile	*run;
	struct daemon_pair	*pair;
	struct provider		*backend;
	int			 active;	/* takes part in this run */
	int			 pending;	/* an operation is in flight */
	char			**ns;		/* nameservers it reported */
	size_t			 nns;
	int			 ns_failed;
	struct zone		*actual;
	struct changeset	 cs;
	int			 have_cs;
	const char		*status;	/* for the report */
	char			 error[DAEMON_ERR_MAX];
	cJSON			*changes;	/* for the report */
};

struct reconcile {
	struct reconcile	*next;
	struct daemon		*d;
	struct daemon_zone	*z;
	unsigned		 flags;
	reconcile_done_cb	 cb;
	void			*cb_arg;
	struct zone		*desired;	/* a reference */
	struct store_version	 version;
	struct zone		*ns_zone;	/* holds the computed apex NS */
	const struct rrset	*apex_ns;
	char			 apex_ns_note[DAEMON_ERR_MAX];
	struct pair_run		*pairs;
	size_t			 npairs;
	size_t			 pending;	/* pairs not finished */
	int			 phase_ns;	/* gathering nameservers */
};

static struct reconcile *reconcile_runs;

static void	reconcile_fetch_phase(struct reconcile *);
static void	pair_finish(struct pair_run *, enum pair_state);
static void	reconcile_maybe_done(struct reconcile *);
static uint64_t	changeset_hash(const struct changeset *);

static int64_t
reconcile_now(void)
{
	return (daemon_now());
}

/* "300 192.0.2.1 | 192.0.2.2": an RRset as one line for the audit log. */
static char *
rrset_value(const struct rrset *rs)
{
	size_t	 i, len = 16;
	char	*s, *p;

	if (rs == NULL)
		return (NULL);
	for (i = 0; i < rs->nrdata; i++)
		len += strlen(rs->rdata[i].text) + 3;
	s = p = xmalloc(len);
	p += snprintf(p, len, "%u ", rs->ttl);
	for (i = 0; i < rs->nrdata; i++) {
		p += snprintf(p, len - (size_t)(p - s), "%s%s",
		    i > 0 ? " | " : "", rs->rdata[i].text);
	}
	return (s);
}

static cJSON *
rrset_json(const struct rrset *rs)
{
	cJSON	*o, *a;
	size_t	 i;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ttl", rs->ttl);
	a = cJSON_AddArrayToObject(o, "rdata");
	for (i = 0; i < rs->nrdata; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(rs->rdata[i].text));
	return (o);
}

static cJSON *
change_json(const struct change *c)
{
	const struct rrset	*rs = c->new != NULL ? c->new : c->old;
	char			 tbuf[32];
	cJSON			*o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "op", change_op_name(c->op));
	cJSON_AddStringToObject(o, "owner", rs->owner);
	cJSON_AddStringToObject(o, "type",
	    zone_type_name(rs->type, tbuf, sizeof(tbuf)));
	if (c->old != NULL)
		cJSON_AddItemToObject(o, "old", rrset_json(c->old));
	if (c->new != NULL)
		cJSON_AddItemToObject(o, "new", rrset_json(c->new));
	return (o);
}

static void
reconcile_free(struct reconcile *run)
{
	struct reconcile	**pp;
	size_t			  i, j;

	for (pp = &reconcile_runs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	}
	for (i = 0; i < run->npairs; i++) {
		struct pair_run	*pr = &run->pairs[i];

		if (pr->pair != NULL && pr->pair->rc == run)
			pr->pair->rc = NULL;
		for (j = 0; j < pr->nns; j++)
			free(pr->ns[j]);
		free(pr->ns);
		if (pr->have_cs)
			changeset_free(&pr->cs);
		zone_free(pr->actual);
		cJSON_Delete(pr->changes);
	}
	free(run->pairs);
	zone_free(run->ns_zone);
	zone_free(run->desired);
	store_version_clear(&run->version);
	free(run);
}

/* The report handed to the callback. */
static cJSON *
reconcile_report(struct reconcile *run, int cancelled)
{
	cJSON	*r, *arr, *o;
	size_t	 i;
	int	 attention = 0;

	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "zone", run->z->name);
	cJSON_AddStringToObject(r, "version", run->version.id);
	if (run->version.author != NULL)
		cJSON_AddStringToObject(r, "author", run->version.author);
	cJSON_AddBoolToObject(r, "dry_run", (run->flags & RECONCILE_DRYRUN) != 0);
	if (cancelled)
		cJSON_AddBoolToObject(r, "cancelled", 1);
	if (run->apex_ns_note[0] != '\0')
		cJSON_AddStringToObject(r, "apex_ns", run->apex_ns_note);
	arr = cJSON_AddArrayToObject(r, "providers");
	for (i = 0; i < run->npairs; i++) {
		struct pair_run	*pr = &run->pairs[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name",
		    pr->pair->provider->name);
		cJSON_AddStringToObject(o, "status",
		    cancelled && pr->pending ? "cancelled" :
		    pr->status != NULL ? pr->status : "skipped");
		if (pr->have_cs) {
			cJSON_AddNumberToObject(o, "create", (double)pr->cs.ncreate);
			cJSON_AddNumberToObject(o, "update", (double)pr->cs.nupdate);
			cJSON_AddNumberToObject(o, "delete", (double)pr->cs.ndelete);
		}
		if (pr->error[0] != '\0') {
			cJSON_AddStringToObject(o, "error", pr->error);
			attention = 1;
		}
		if (pr->changes != NULL) {
			cJSON_AddItemToObject(o, "changes", pr->changes);
			pr->changes = NULL;
		}
		if (pr->status != NULL && (strcmp(pr->status, "drift") == 0 ||
		    strcmp(pr->status, "refused") == 0 ||
		    strcmp(pr->status, "error") == 0))
			attention = 1;
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddBoolToObject(r, "attention", attention);
	return (r);
}

static void
reconcile_maybe_done(struct reconcile *run)
{
	cJSON	*report;

	if (run->pending > 0)
		return;
	report = reconcile_report(run, 0);
	if (run->cb != NULL)
		run->cb(run->d, run->z, report, run->cb_arg);
	cJSON_Delete(report);
	reconcile_free(run);
}

static void
pair_error(struct pair_run *pr, const char *what, const char *msg)
{
	struct daemon_provider	*dp = pr->pair->provider;

	snprintf(pr->error, sizeof(pr->error), "%s: %s", what, msg);
	snprintf(pr->pair->last_error, sizeof(pr->pair->last_error), "%s",
	    pr->error);
	dp->consecutive_errors++;
	dp->last_error_time = reconcile_now();
	snprintf(dp->last_error, sizeof(dp->last_error), "%s", pr->error);
	log_warnx("reconcile", "zone %s provider %s: %s", pr->run->z->name,
	    dp->name, pr->error);
	pr->status = "error";
}

static void
pair_finish(struct pair_run *pr, enum pair_state state)
{
	struct reconcile	*run = pr->run;
	int64_t			 now = reconcile_now();

	pr->pair->state = state;
	pr->pair->last_run = now;
	if (state == PAIR_STATE_IN_SYNC) {
		pr->pair->last_ok = now;
		pr->pair->last_error[0] = '\0';
	}
	if (pr->pair->rc == run)
		pr->pair->rc = NULL;
	pr->pending = 0;
	run->pending--;
	reconcile_maybe_done(run);
}

/* Record what the diff found as drift items (not on a dry run). */
static void
pair_record_drift(struct pair_run *pr)
{
	struct reconcile	*run = pr->run;
	struct db		*db = run->d->db;
	const char		*provider = pr->pair->provider->name;
	int64_t			 now = reconcile_now();
	size_t			 i;
	char			 tbuf[32], *desired, *actual, key[32];
	enum db_drift_kind	 kind;
	size_t			 opened = 0;
	int			 rv, resolved;

	if (db == NULL || (run->flags & RECONCILE_DRYRUN))
		return;
	/*
	 * Drift times are in seconds and an item is resolved when a pass
	 * does not see it (last_seen < the pass's time), so two passes of
	 * one pair in the same second get distinct times.
	 */
	if (now <= pr->pair->drift_pass)
		now = pr->pair->drift_pass + 1;
	pr->pair->drift_pass = now;
	if (db_begin(db) == -1)
		goto fail;
	for (i = 0; i < pr->cs.nchanges; i++) {
		const struct change	*c = &pr->cs.changes[i];
		const struct rrset	*rs = c->new != NULL ? c->new : c->old;

		kind = c->op == CHANGE_CREATE ? DB_DRIFT_MISSING :
		    c->op == CHANGE_DELETE ? DB_DRIFT_EXTRA : DB_DRIFT_CHANGED;
		desired = rrset_value(c->new);
		actual = rrset_value(c->old);
		if ((rv = db_drift_upsert(db, run->z->name, provider,
		    rs->owner, zone_type_name(rs->type, tbuf, sizeof(tbuf)),
		    kind, desired, actual, now)) == -1) {
			free(desired);
			free(actual);
			db_rollback(db);
			goto fail;
		}
		if (rv == 1)
			opened++;
		free(desired);
		free(actual);
	}
	if ((resolved = db_drift_resolve_unseen(db, run->z->name, provider,
	    now)) == -1) {
		db_rollback(db);
		goto fail;
	}
	/* Raised inside the transaction: as durable as the drift rows. */
	if (opened > 0) {
		snprintf(key, sizeof(key), "%016llx",
		    (unsigned long long)changeset_hash(&pr->cs));
		(void)alert_raisef(run->d->alerts, ALERT_DRIFT_FOUND,
		    run->z->name, provider, key, pr->cs.nchanges <= 20 ?
		    pr->changes : NULL, "zone %s provider %s: %zu new "
		    "differences (%zu in all)", run->z->name, provider, opened,
		    pr->cs.nchanges);
	}
	if (resolved > 0 && pr->cs.nchanges == 0) {
		snprintf(key, sizeof(key), "%lld", (long long)now);
		(void)alert_raisef(run->d->alerts, ALERT_DRIFT_RESOLVED,
		    run->z->name, provider, key, NULL, "zone %s provider %s: "
		    "in sync again (%d differences resolved)", run->z->name,
		    provider, resolved);
	}
	if (db_commit(db) == -1) {
		db_rollback(db);
		goto fail;
	}
	return;
fail:
	log_warnx("reconcile", "zone %s provider %s: recording drift: %s",
	    run->z->name, provider, db_errmsg(db));
}

/* Resolve every open drift item of the pair after a complete apply. */
static void
pair_resolve_drift(struct pair_run *pr)
{
	struct reconcile	*run = pr->run;
	struct db		*db = run->d->db;
	int64_t			 now = reconcile_now();
	char			 key[32];
	int			 resolved;

	if (db == NULL)
		return;
	if (now <= pr->pair->drift_pass)
		now = pr->pair->drift_pass + 1;
	pr->pair->drift_pass = now;
	if ((resolved = db_drift_resolve_unseen(db, run->z->name,
	    pr->pair->provider->name, now)) == -1) {
		log_warnx("reconcile", "zone %s provider %s: resolving drift: "
		    "%s", run->z->name, pr->pair->provider->name,
		    db_errmsg(db));
		return;
	}
	if (resolved > 0) {
		snprintf(key, sizeof(key), "%lld", (long long)now);
		(void)alert_raisef(run->d->alerts, ALERT_DRIFT_RESOLVED,
		    run->z->name, pr->pair->provider->name, key, NULL,
		    "zone %s provider %s: in sync again (%d differences "
		    "repaired)", run->z->name, pr->pair->provider->name,
		    resolved);
	}
}

/* One audit row per change, all in one transaction. */
static void
pair_record_changes(struct pair_run *pr, const struct apply_result *res,
    enum db_change_result forced)
{
	struct reconcile	*run = pr->run;
	struct db		*db = run->d->db;
	struct db_change	 row;
	int64_t			 now = reconcile_now();
	size_t			 i;
	char			 tbuf[32], *oldv, *newv;
	int			 failed = 0;

	if (db == NULL)
		return;
	if (db_begin(db) == -1)
		goto fail;
	for (i = 0; i < pr->cs.nchanges; i++) {
		const struct change	*c = &pr->cs.changes[i];
		const struct rrset	*rs = c->new != NULL ? c->new : c->old;

		memset(&row, 0, sizeof(row));
		row.time = now;
		row.zone = run->z->name;
		row.provider = pr->pair->provider->name;
		row.version = run->version.id;
		row.author = run->version.author;
		row.op = c->op;
		row.owner = rs->owner;
		row.type = zone_type_name(rs->type, tbuf, sizeof(tbuf));
		oldv = rrset_value(c->old);
		newv = rrset_value(c->new);
		row.old_value = oldv;
		row.new_value = newv;
		if (res == NULL) {
			row.result = forced;
			row.error = "refused by the safety gate";
		} else if (res->results[i] == CHANGE_RESULT_OK) {
			row.result = DB_CHANGE_OK;
		} else {
			row.result = DB_CHANGE_FAILED;
			row.error = res->errors[i] != NULL ? res->errors[i] :
			    change_result_name(res->results[i]);
		}
		if (db_change_record(db, &row) == -1)
			failed = 1;
		free(oldv);
		free(newv);
		if (failed) {
			db_rollback(db);
			goto fail;
		}
	}
	if (db_commit(db) == -1) {
		db_rollback(db);
		goto fail;
	}
	return;
fail:
	log_warnx("reconcile", "zone %s provider %s: recording the audit "
	    "trail: %s", run->z->name, pr->pair->provider->name,
	    db_errmsg(db));
}

static void
pair_apply_cb(struct provider *p, const struct apply_result *res, void *arg)
{
	struct pair_run		*pr = arg;
	struct reconcile	*run = pr->run;
	size_t			 i, ok = 0, failed = 0;
	const char		*first = NULL;

	(void)p;
	pair_record_changes(pr, res, DB_CHANGE_OK);
	for (i = 0; i < res->nchanges && i < pr->cs.nchanges; i++) {
		if (res->results[i] == CHANGE_RESULT_OK)
			ok++;
		else {
			failed++;
			if (first == NULL && res->errors[i] != NULL)
				first = res->errors[i];
		}
	}
	log_info("reconcile", "zone %s provider %s: applied %zu of %zu "
	    "changes (version %.12s)%s%s", run->z->name,
	    pr->pair->provider->name, ok, pr->cs.nchanges, run->version.id,
	    failed ? ", first error: " : "", failed && first ? first : "");
	pr->pair->pending = failed;
	if (failed) {
		char	msg[DAEMON_ERR_MAX];

		snprintf(msg, sizeof(msg), "%zu of %zu changes failed%s%s",
		    failed, pr->cs.nchanges, first ? ": " : "",
		    first ? first : "");
		pair_error(pr, "apply", msg);
		(void)alert_raisef(run->d->alerts, ALERT_APPLY_FAILED,
		    run->z->name, pr->pair->provider->name, run->version.id,
		    NULL, "zone %s provider %s: %s (version %.12s)",
		    run->z->name, pr->pair->provider->name, msg,
		    run->version.id);
		pair_finish(pr, PAIR_STATE_ERROR);
		return;
	}
	pr->status = "applied";
	/* What the provider now holds is the desired zone: the drift this
	 * pass recorded is repaired, so resolve it now, not a cycle later. */
	pair_resolve_drift(pr);
	pr->pair->provider->consecutive_errors = 0;
	pr->pair->provider->last_ok = reconcile_now();
	pr->pair->drift = 0;
	snprintf(pr->pair->applied_version, sizeof(pr->pair->applied_version),
	    "%s", run->version.id);
	if (run->d->db != NULL && db_applied_set(run->d->db, run->z->name,
	    pr->pair->provider->name, run->version.id, reconcile_now()) == -1)
		log_warnx("reconcile", "zone %s: recording the applied "
		    "version: %s", run->z->name, db_errmsg(run->d->db));
	pair_finish(pr, PAIR_STATE_IN_SYNC);
}

/* Identifies a changeset, so that one refused again is audited once. */
static uint64_t
changeset_hash(const struct changeset *cs)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		i;

	for (i = 0; i < cs->nchanges; i++) {
		const struct change *c = &cs->changes[i];

		h = (h ^ (uint64_t)c->op) * 1099511628211ULL;
		h = (h ^ (c->old != NULL ? c->old->hash : 0)) * 1099511628211ULL;
		h = (h ^ (c->new != NULL ? c->new->hash : 0)) * 1099511628211ULL;
	}
	return (h);
}

/* The safety gate: 1 when the changeset may go through. */
static int
pair_gate(struct pair_run *pr, char *why, size_t whylen)
{
	const struct zone_conf	*zc = pr->run->z->conf;
	size_t			 n = pr->actual->nrrsets;

	if (pr->run->flags & RECONCILE_FORCE)
		return (1);
	if (n < zc->safety_min_rrsets || n == 0)
		return (1);
	if (pr->cs.nupdate * 100 > (size_t)zc->max_update_pct * n) {
		snprintf(why, whylen, "would update %zu of %zu RRsets (more "
		    "than max-update-percent = %u%%); `dnsctl sync %s "
		    "--force` lets it through once", pr->cs.nupdate, n,
		    zc->max_update_pct, pr->run->z->name);
		return (0);
	}
	if (pr->cs.ndelete * 100 > (size_t)zc->max_delete_pct * n) {
		snprintf(why, whylen, "would delete %zu of %zu RRsets (more "
		    "than max-delete-percent = %u%%); `dnsctl sync %s "
		    "--force` lets it through once", pr->cs.ndelete, n,
		    zc->max_delete_pct, pr->run->z->name);
		return (0);
	}
	return (1);
}

static void
pair_fetch_cb(struct provider *p, int status, const char *error,
    struct zone *zone, void *arg)
{
	struct pair_run		*pr = arg;
	struct reconcile	*run = pr->run;
	struct diff_opts	 opts;
	char			 err[DAEMON_ERR_MAX], why[DAEMON_ERR_MAX];
	size_t			 i;
	int			 apply;

	if (status != 0 || zone == NULL) {
		zone_free(zone);
		pair_error(pr, "fetch", error != NULL ? error : "failed");
		pair_finish(pr, PAIR_STATE_ERROR);
		return;
	}
	pr->actual = zone;

	memset(&opts, 0, sizeof(opts));
	if (p->caps.flags & PROVIDER_CAP_APEX_NS)
		opts.apex_ns = run->apex_ns;
	opts.ignores = run->z->conf->ignores;
	opts.nignores = run->z->conf->nignores;
	if (diff_zones(run->desired, zone, &opts, &pr->cs) == -1) {
		pair_error(pr, "diff", "the provider's zone has another origin");
		pair_finish(pr, PAIR_STATE_ERROR);
		return;
	}
	pr->have_cs = 1;
	pr->pair->drift = pr->cs.nchanges;
	pr->pair->pending = pr->cs.nchanges;
	pr->changes = cJSON_CreateArray();
	for (i = 0; i < pr->cs.nchanges; i++)
		cJSON_AddItemToArray(pr->changes,
		    change_json(&pr->cs.changes[i]));
	pair_record_drift(pr);

	if (pr->cs.nchanges == 0) {
		pr->status = "in-sync";
		pr->pair->provider->consecutive_errors = 0;
		pr->pair->provider->last_ok = reconcile_now();
		snprintf(pr->pair->applied_version,
		    sizeof(pr->pair->applied_version), "%s", run->version.id);
		if (run->d->db != NULL && !(run->flags & RECONCILE_DRYRUN))
			(void)db_applied_set(run->d->db, run->z->name,
			    pr->pair->provider->name, run->version.id,
			    reconcile_now());
		pair_finish(pr, PAIR_STATE_IN_SYNC);
		return;
	}

	apply = !(run->flags & RECONCILE_DRYRUN) &&
	    (run->z->conf->mode == ZONE_MODE_ENFORCE ||
	    (run->flags & RECONCILE_MANUAL));
	if (!apply) {
		pr->status = (run->flags & RECONCILE_DRYRUN) ? "planned" :
		    "drift";
		if (!(run->flags & RECONCILE_DRYRUN))
			log_info("reconcile", "zone %s provider %s: %zu "
			    "differences (mode alert: not repaired)",
			    run->z->name, p->name, pr->cs.nchanges);
		pair_finish(pr, PAIR_STATE_DRIFT);
		return;
	}
	if (!pair_gate(pr, why, sizeof(why))) {
		pr->status = "refused";
		snprintf(pr->error, sizeof(pr->error), "safety gate: %.480s", why);
		snprintf(pr->pair->last_error, sizeof(pr->pair->last_error),
		    "%s", pr->error);
		/* Audit and log a refusal once, not on every cycle. */
		if (pr->pair->refused_hash != changeset_hash(&pr->cs)) {
			char	key[32];

			pr->pair->refused_hash = changeset_hash(&pr->cs);
			log_warnx("reconcile", "zone %s provider %s: refused: "
			    "%s", run->z->name, p->name, why);
			snprintf(key, sizeof(key), "%016llx",
			    (unsigned long long)pr->pair->refused_hash);
			(void)alert_raisef(run->d->alerts, ALERT_CHANGE_REFUSED,
			    run->z->name, p->name, key, NULL, "zone %s provider "
			    "%s: changeset refused by the safety gate: %s",
			    run->z->name, p->name, why);
			pair_record_changes(pr, NULL, DB_CHANGE_REFUSED);
		}
		pair_finish(pr, PAIR_STATE_REFUSED);
		return;
	}
	if (p->ops->apply == NULL) {
		pair_error(pr, "apply", "this provider cannot apply changes");
		pair_finish(pr, PAIR_STATE_ERROR);
		return;
	}
	if (p->ops->apply(p, run->z->name, &pr->cs, pair_apply_cb, pr, err,
	    sizeof(err)) == -1) {
		pair_error(pr, "apply", err);
		(void)alert_raisef(run->d->alerts, ALERT_APPLY_FAILED,
		    run->z->name, p->name, run->version.id, NULL,
		    "zone %s provider %s: %s (version %.12s)", run->z->name,
		    p->name, err, run->version.id);
		pair_finish(pr, PAIR_STATE_ERROR);
		return;
	}
}

static void
reconcile_fetch_phase(struct reconcile *run)
{
	struct pair_run	*pr;
	char		 err[DAEMON_ERR_MAX];
	size_t		 i;

	run->phase_ns = 0;
	/* Count first: a fetch may fail at once and finish its pair. */
	run->pending++;
	for (i = 0; i < run->npairs; i++) {
		pr = &run->pairs[i];
		if (!pr->active)
			continue;
		pr->pending = 1;
		run->pending++;
		if (pr->backend->ops->fetch == NULL) {
			pair_error(pr, "fetch", "this provider cannot read zones");
			pair_finish(pr, PAIR_STATE_ERROR);
			continue;
		}
		if (pr->backend->ops->fetch(pr->backend, run->z->name,
		    pair_fetch_cb, pr, err, sizeof(err)) == -1) {
			pair_error(pr, "fetch", err);
			pair_finish(pr, PAIR_STATE_ERROR);
		}
	}
	run->pending--;
	reconcile_maybe_done(run);
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The desired apex NS: the union of the nameservers of every provider not
 * withdrawn (remediate.h), with the
 * TTL of the zone file's apex NS (or a day).  Left unmanaged, with a note,
 * when a provider could not say what its nameservers are.
 */
static void
reconcile_apex_ns(struct reconcile *run)
{
	const struct rrset	*file_ns;
	struct zone_error	 zerr;
	char			**names = NULL;
	size_t			 nnames = 0, i, j;
	uint32_t		 ttl = APEX_NS_TTL_DEFAULT;

	for (i = 0; i < run->npairs; i++) {
		struct pair_run	*pr = &run->pairs[i];

		/* A withdrawn provider (remediate.h) is not in the union. */
		if (pr->pair->provider->rem.withdrawn)
			continue;
		if (pr->backend == NULL || pr->ns_failed) {
			snprintf(run->apex_ns_note, sizeof(run->apex_ns_note),
			    "left as it is: provider %s did not report its "
			    "nameservers", pr->pair->provider->name);
			free(names);
			return;
		}
		for (j = 0; j < pr->nns; j++) {
			names = xreallocarray(names, nnames + 1, sizeof(*names));
			names[nnames++] = pr->ns[j];
		}
	}
	if (nnames == 0) {
		snprintf(run->apex_ns_note, sizeof(run->apex_ns_note),
		    "left as it is: no provider reported nameservers");
		free(names);
		return;
	}
	qsort(names, nnames, sizeof(*names), name_cmp);
	file_ns = zone_find(run->desired, run->desired->origin,
	    LDNS_RR_TYPE_NS);
	if (file_ns != NULL)
		ttl = file_ns->ttl;
	run->ns_zone = zone_new(run->desired->origin);
	for (i = 0; i < nnames; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (zone_add_rr_text(run->ns_zone, run->desired->origin,
		    LDNS_RR_TYPE_NS, ttl, names[i], &zerr) == -1)
			break;
	}
	free(names);
	if (i < nnames || zone_finish(run->ns_zone, &zerr) == -1) {
		snprintf(run->apex_ns_note, sizeof(run->apex_ns_note),
		    "left as it is: bad nameserver name: %.400s", zerr.msg);
		zone_free(run->ns_zone);
		run->ns_zone = NULL;
		return;
	}
	run->apex_ns = zone_find(run->ns_zone, run->desired->origin,
	    LDNS_RR_TYPE_NS);
}

static void
pair_ns_cb(struct provider *p, int status, const char *error, char **names,
    size_t nnames, void *arg)
{
	struct pair_run		*pr = arg;
	struct reconcile	*run = pr->run;
	size_t			 i;

	if (status != 0) {
		pr->ns_failed = 1;
		log_warnx("reconcile", "zone %s provider %s: nameservers: %s",
		    run->z->name, p->name, error != NULL ? error : "failed");
	} else {
		pr->ns = xcalloc(nnames, sizeof(*pr->ns));
		for (i = 0; i < nnames; i++)
			pr->ns[i] = xstrdup(names[i]);
		pr->nns = nnames;
	}
	pr->pending = 0;
	if (--run->pending == 0) {
		reconcile_apex_ns(run);
		reconcile_fetch_phase(run);
	}
}

int
reconcile_zone(struct daemon *d, struct daemon_zone *z, unsigned flags,
    reconcile_done_cb cb, void *arg, char *err, size_t errlen)
{
	struct reconcile	*run;
	struct pair_run		*pr;
	size_t			 i;

	if (z->sz == NULL || z->sz->zone == NULL) {
		snprintf(err, errlen, "zone %s has no loaded version%s%s",
		    z->name, z->sz != NULL && z->sz->failed ? ": " : "",
		    z->sz != NULL && z->sz->failed ? z->sz->error.msg : "");
		return (-1);
	}
	run = xcalloc(1, sizeof(*run));
	run->d = d;
	run->z = z;
	run->flags = flags;
	run->cb = cb;
	run->cb_arg = arg;
	run->desired = zone_ref(z->sz->zone);
	store_version_copy(&run->version, &z->sz->version);
	run->npairs = z->npairs;
	run->pairs = xcalloc(z->npairs, sizeof(*run->pairs));
	run->next = reconcile_runs;
	reconcile_runs = run;

	for (i = 0; i < z->npairs; i++) {
		pr = &run->pairs[i];
		pr->run = run;
		pr->pair = &z->pairs[i];
		pr->backend = z->pairs[i].provider->backend;
		if (pr->pair->rc != NULL) {
			pr->status = "busy";
			continue;
		}
		if (pr->backend == NULL) {
			pr->status = "error";
			snprintf(pr->error, sizeof(pr->error), "provider type "
			    "'%s' is not available in this build",
			    pr->pair->provider->conf->type);
			continue;
		}
		pr->active = 1;
		pr->pair->rc = run;
		if (!(flags & RECONCILE_DRYRUN))
			pr->pair->state = PAIR_STATE_BUSY;
	}

	/* Phase one: every provider's nameservers, for the apex NS. */
	run->phase_ns = 1;
	run->pending = 1;
	for (i = 0; i < run->npairs; i++) {
		char	 nerr[DAEMON_ERR_MAX];

		pr = &run->pairs[i];
		/* Withdrawn: not in the union, so not waited for. */
		if (pr->backend == NULL || pr->pair->provider->rem.withdrawn)
			continue;
		if (pr->backend->ops->nameservers == NULL) {
			pr->ns_failed = 1;
			continue;
		}
		pr->pending = 1;
		run->pending++;
		if (pr->backend->ops->nameservers(pr->backend, z->name,
		    pair_ns_cb, pr, nerr, sizeof(nerr)) == -1) {
			pr->pending = 0;
			pr->ns_failed = 1;
			run->pending--;
			log_warnx("reconcile", "zone %s provider %s: "
			    "nameservers: %s", z->name, pr->pair->provider->name,
			    nerr);
		}
	}
	if (--run->pending == 0) {
		reconcile_apex_ns(run);
		reconcile_fetch_phase(run);
	}
	return (0);
}

int
reconcile_busy(const struct daemon_zone *z)
{
	size_t	i;

	for (i = 0; i < z->npairs; i++) {
		if (z->pairs[i].rc != NULL)
			return (1);
	}
	return (0);
}

void
reconcile_cancel(struct daemon *d, struct daemon_zone *z)
{
	struct reconcile	*run;
	cJSON			*report;
	size_t			 i;

	(void)z;
	if (reconcile_runs == NULL)
		return;
	for (i = 0; i < d->nproviders; i++)
		provider_cancel(d->providers[i].backend);
	while ((run = reconcile_runs) != NULL) {
		reconcile_runs = run->next;
		run->next = NULL;
		for (i = 0; i < run->npairs; i++) {
			if (run->pairs[i].pending &&
			    run->pairs[i].pair->state == PAIR_STATE_BUSY)
				run->pairs[i].pair->state = PAIR_STATE_NEW;
		}
		report = reconcile_report(run, 1);
		if (run->cb != NULL)
			run->cb(run->d, run->z, report, run->cb_arg);
		cJSON_Delete(report);
		reconcile_free(run);
	}
}
