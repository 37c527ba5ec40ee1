/* check_config.c: the configuration file. */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diff.h"
#include "log.h"
#include "xmalloc.h"

#define STORE	"[store]\ntype = directory\npath = zones\n"
#define PROV	"[provider \"p\"]\ntype = rfc2136\nserver = 127.0.0.1\n"
#define ZONE	"[zone \"example.com\"]\nproviders = p\n"
#define MINIMAL	STORE PROV ZONE

static char	 tmpdir[PATH_MAX];	/* realpath of a fresh directory */
static char	 conf_path[PATH_MAX + 16];
static char	 err[1024];

static void
setup(void)
{
	char	 tmpl[] = "/tmp/check_config.XXXXXX";
	char	*real;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	ck_assert_ptr_nonnull(real);
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", tmpdir);
}

static void
teardown(void)
{
	unlink(conf_path);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE	*fp;

	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
write_str(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* Load text as t.conf in the temporary directory. */
static struct config *
load(const char *text)
{
	write_file(conf_path, text, strlen(text));
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	return (config_load(conf_path, err, sizeof(err)));
}

/* The error of loading text, with the temporary directory cut off. */
static const char *
load_error(const char *text)
{
	struct config	*conf;
	size_t		 n = strlen(tmpdir);

	conf = load(text);
	ck_assert_msg(conf == NULL, "loaded: %s", text);
	ck_assert_msg(strncmp(err, tmpdir, n) == 0 && err[n] == '/',
	    "error without the file: %s", err);
	return (err + n + 1);
}

static const struct {
	const char	*text;
	const char	*err;
} bad_cases[] = {
	/* sections */
	{ "[foo]\n" MINIMAL, "t.conf:1: unknown section [foo]" },
	{ "[provider]\n" MINIMAL,
	  "t.conf:1: section [provider] needs a name: [provider \"NAME\"]" },
	{ "[zone]\n" MINIMAL,
	  "t.conf:1: section [zone] needs a name: [zone \"NAME\"]" },
	{ "[daemon \"x\"]\n" MINIMAL, "t.conf:1: section [daemon] takes no name" },
	{ "[store \"x\"]\n", "t.conf:1: section [store] takes no name" },
	{ "[provider \"a b\"]\n" MINIMAL, "t.conf:1: invalid provider name 'a b': "
	  "use letters, digits, '-' and '_'" },
	{ "[provider \"\"]\n" MINIMAL, "t.conf:1: invalid provider name '': "
	  "use letters, digits, '-' and '_'" },
	{ "[zone \"a..b\"]\n" MINIMAL,
	  "t.conf:1: invalid zone name 'a..b': empty label" },
	{ "[zone \"a b\"]\n" MINIMAL,
	  "t.conf:1: invalid zone name 'a b': invalid character ' '" },
	{ "[zone \"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".com\"]\n", "t.conf:1: invalid zone name '"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".com': label longer than 63 characters" },
	{ "[daemon]\n[daemon]\n", "t.conf:2: duplicate section [daemon] "
	  "(first at line 1)" },
	{ MINIMAL "[store]\n", "t.conf:9: duplicate section [store] "
	  "(first at line 1)" },
	{ MINIMAL PROV, "t.conf:9: duplicate section [provider \"p\"] "
	  "(first at line 4)" },
	{ MINIMAL "[zone \"EXAMPLE.com.\"]\n", "t.conf:9: duplicate section "
	  "[zone \"example.com.\"] (first at line 7)" },
	{ "[daemon\n", "t.conf:1: bad section header: expected [KIND] or "
	  "[KIND \"NAME\"]" },
	{ "[zone \"x]\n", "t.conf:1: bad section header: expected [KIND] or "
	  "[KIND \"NAME\"]" },
	{ "[daemon] junk\n", "t.conf:1: bad section header: expected [KIND] or "
	  "[KIND \"NAME\"]" },
	{ "[]\n", "t.conf:1: bad section header: expected [KIND] or "
	  "[KIND \"NAME\"]" },
	{ "interval = 5\n" MINIMAL, "t.conf:1: key 'interval' outside of a "
	  "section" },
	{ "[daemon]\njust words\n" MINIMAL, "t.conf:2: syntax error: expected "
	  "'key = value', '[section]' or a comment" },
	/* [daemon] */
	{ "[daemon]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [daemon]" },
	{ "[daemon]\ninterval = 60\ninterval = 70\n",
	  "t.conf:3: duplicate key 'interval' (first at line 2)" },
	{ "[daemon]\ninterval = x\n", "t.conf:2: interval: expected a number "
	  "of seconds from 5 to 86400, got 'x'" },
	{ "[daemon]\ninterval = 4\n", "t.conf:2: interval: expected a number "
	  "of seconds from 5 to 86400, got '4'" },
	{ "[daemon]\ninterval = -5\n", "t.conf:2: interval: expected a number "
	  "of seconds from 5 to 86400, got '-5'" },
	{ "[daemon]\ninterval = 99999999999\n", "t.conf:2: interval: expected "
	  "a number of seconds from 5 to 86400, got '99999999999'" },
	{ "[daemon]\njitter = 51\n", "t.conf:2: jitter: expected a percentage "
	  "from 0 to 50, got '51'" },
	{ "[daemon]\nlog-level = loud\n", "t.conf:2: log-level: expected "
	  "error|warning|info|debug, got 'loud'" },
	{ "[daemon]\nuser = -x\n", "t.conf:2: user: expected a user name, "
	  "got '-x'" },
	{ "[daemon]\nuser = a b\n", "t.conf:2: user: expected a user name, "
	  "got 'a b'" },
	{ "[daemon]\nstate =\n", "t.conf:2: state: expected a path, got an "
	  "empty value" },
	/* [store] */
	{ "[store]\ntype = svn\n", "t.conf:2: type: expected git|directory, "
	  "got 'svn'" },
	{ "[store]\npath = z\n" PROV ZONE, "t.conf:1: missing required key "
	  "'type' in [store]" },
	{ "[store]\ntype = git\n" PROV ZONE, "t.conf:1: missing required key "
	  "'path' in [store]" },
	{ "[store]\nref = main\ntype = directory\npath = z\n" PROV ZONE,
	  "t.conf:2: ref: only valid for store type 'git'" },
	{ STORE "poll = 0\n", "t.conf:4: poll: expected a number of seconds "
	  "from 1 to 86400, got '0'" },
	{ STORE "bar = 1\n", "t.conf:4: unknown key 'bar' in [store]" },
	{ STORE "path = y\n", "t.conf:4: duplicate key 'path' (first at "
	  "line 3)" },
	{ PROV ZONE, "t.conf: missing section [store]" },
	/* [provider] */
	{ STORE "[provider \"p\"]\nserver = 127.0.0.1\n" ZONE,
	  "t.conf:4: missing required key 'type' in [provider \"p\"]" },
	{ STORE "[provider \"p\"]\ntype = bind\n", "t.conf:5: type: expected "
	  "powerdns|rfc2136|cloudflare|route53|gcloud, got 'bind'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\nurl = http://x\n" ZONE,
	  "t.conf:4: missing required key 'api-key-file' in [provider \"p\"]" },
	{ STORE "[provider \"p\"]\nfoo = 1\ntype = powerdns\n" ZONE,
	  "t.conf:5: unknown key 'foo' for provider type 'powerdns'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\nurl = http://x\n"
	  "api-key-file = k\nserver = 127.0.0.1\n" ZONE,
	  "t.conf:8: unknown key 'server' for provider type 'powerdns'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\napi-key = s3cr3t\n" ZONE,
	  "t.conf:6: unknown key 'api-key' for provider type 'powerdns' "
	  "(secrets go in a file: use 'api-key-file')" },
	{ STORE PROV "timeout = 0\n", "t.conf:7: timeout: expected a number "
	  "of seconds from 1 to 3600, got '0'" },
	{ STORE PROV "max-concurrency = 65\n", "t.conf:7: max-concurrency: "
	  "expected a number from 1 to 64, got '65'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\nurl = ftp://x\n"
	  "api-key-file = k\n" ZONE, "t.conf:6: url: expected an http:// or "
	  "https:// URL, got 'ftp://x'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\nurl = https://\n"
	  "api-key-file = k\n" ZONE, "t.conf:6: url: expected an http:// or "
	  "https:// URL, got 'https://'" },
	{ STORE "[provider \"p\"]\ntype = rfc2136\nserver = ns:99999\n" ZONE,
	  "t.conf:6: server: expected HOST or HOST:PORT, got 'ns:99999'" },
	{ STORE "[provider \"p\"]\ntype = rfc2136\nserver = [1.2.3.4]:53\n"
	  ZONE, "t.conf:6: server: expected HOST or HOST:PORT, got "
	  "'[1.2.3.4]:53'" },
	{ STORE "[provider \"p\"]\ntype = rfc2136\nserver = a b\n" ZONE,
	  "t.conf:6: server: expected HOST or HOST:PORT, got 'a b'" },
	{ STORE "[provider \"p\"]\ntype = powerdns\nurl = http://x\n"
	  "api-key-file = k\ncreate-zone = maybe\n" ZONE, "t.conf:8: "
	  "create-zone: expected yes or no, got 'maybe'" },
	{ STORE "[provider \"p\"]\ntype = cloudflare\napi-token-file = t\n"
	  "proxied = yes\n" ZONE, "t.conf:7: proxied: expected leave|manage, "
	  "got 'yes'" },
	{ STORE PROV "tsig-algorithm = hmac-sha3\n", "t.conf:7: tsig-algorithm: "
	  "expected hmac-md5|hmac-sha1|hmac-sha224|hmac-sha256|hmac-sha384|"
	  "hmac-sha512, got 'hmac-sha3'" },
	{ STORE PROV "tsig-key-name = k\n" ZONE, "t.conf:4: 'tsig-key-name' and "
	  "'tsig-secret-file' go together in [provider \"p\"]" },
	{ STORE "[provider \"p\"]\ntype = route53\nsecret-access-key-file = s\n"
	  ZONE, "t.conf:4: 'access-key-id' and 'secret-access-key-file' go "
	  "together in [provider \"p\"]" },
	{ STORE "[provider \"p\"]\ntype = gcloud\nservice-account-file = s\n"
	  ZONE, "t.conf:4: missing required key 'project' in "
	  "[provider \"p\"]" },
	{ STORE PROV "nameservers = ns1.x, ns..y\n", "t.conf:7: nameservers: "
	  "invalid host name 'ns..y': empty label" },
	{ STORE PROV "nameservers = ,\n", "t.conf:7: nameservers: expected one "
	  "or more host names" },
	{ STORE PROV "tsig-key-name = k\ntsig-secret-file = credential:\n" ZONE,
	  "t.conf:8: tsig-secret-file: expected credential:NAME with a NAME "
	  "and no '/'" },
	{ STORE PROV "tsig-key-name = k\ntsig-secret-file = credential:a/b\n"
	  ZONE, "t.conf:8: tsig-secret-file: expected credential:NAME with a "
	  "NAME and no '/'" },
	{ STORE PROV "axfr-server = x:\n", "t.conf:7: axfr-server: expected "
	  "HOST or HOST:PORT, got 'x:'" },
	{ STORE "[provider \"p\"]\ntype = cloudflare\napi-token-file =\n" ZONE,
	  "t.conf:6: api-token-file: expected a path, got an empty value" },
	{ STORE "[provider \"p\"]\ntype = route53\nregion = a b\n" ZONE,
	  "t.conf:6: region: expected one word, got 'a b'" },
	/* [zone] */
	{ STORE PROV "[zone \"example.com\"]\nmode = alert\n",
	  "t.conf:7: missing required key 'providers' in "
	  "[zone \"example.com.\"]" },
	{ STORE PROV "[zone \"example.com\"]\nproviders = ,\n",
	  "t.conf:8: providers: expected at least one provider name" },
	{ STORE PROV "[zone \"example.com\"]\nproviders = p, q, p\n",
	  "t.conf:8: providers: 'p' is listed twice" },
	{ STORE PROV "[zone \"example.com\"]\nproviders = p q!\n",
	  "t.conf:8: providers: invalid provider name 'q!'" },
	{ STORE PROV "[zone \"example.com\"]\nproviders = p, nope\n",
	  "t.conf:8: providers: no section [provider \"nope\"]" },
	{ MINIMAL "mode = repair\n", "t.conf:9: mode: expected enforce|alert, "
	  "got 'repair'" },
	{ MINIMAL "ignore = www FOO\n", "t.conf:9: ignore: unknown type 'FOO'" },
	{ MINIMAL "ignore =\n", "t.conf:9: ignore: empty pattern" },
	{ MINIMAL "max-update-percent = 101\n", "t.conf:9: max-update-percent: "
	  "expected a percentage from 0 to 100, got '101'" },
	{ MINIMAL "max-delete-percent = 1.5\n", "t.conf:9: max-delete-percent: "
	  "expected a percentage from 0 to 100, got '1.5'" },
	{ MINIMAL "safety-min-rrsets = x\n", "t.conf:9: safety-min-rrsets: "
	  "expected a number from 0 to 1000000, got 'x'" },
	{ MINIMAL "file = /etc/passwd\n", "t.conf:9: file: expected a path "
	  "inside the store, got '/etc/passwd'" },
	{ MINIMAL "file = a/../../x\n", "t.conf:9: file: expected a path inside "
	  "the store, got 'a/../../x'" },
	{ MINIMAL "file = ..\n", "t.conf:9: file: expected a path inside the "
	  "store, got '..'" },
	{ MINIMAL "file =\n", "t.conf:9: file: expected a path inside the "
	  "store, got ''" },
	{ MINIMAL "foo = bar\n", "t.conf:9: unknown key 'foo' in "
	  "[zone \"example.com.\"]" },
	{ MINIMAL "mode = alert\nmode = enforce\n", "t.conf:10: duplicate key "
	  "'mode' (first at line 9)" },
	{ STORE PROV, "t.conf: no [zone \"NAME\"] section" },
	{ "", "t.conf: missing section [store]" },
};

START_TEST(test_bad)
{
	ck_assert_str_eq(load_error(bad_cases[_i].text), bad_cases[_i].err);
}
END_TEST

START_TEST(test_defaults)
{
	struct config			*conf;
	const struct provider_conf	*pc;
	const struct zone_conf		*zc;
	char				 want[PATH_MAX + 32];

	conf = load(MINIMAL);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->path, conf_path);
	ck_assert_str_eq(conf->state_path, "/var/lib/multidns/state.db");
	ck_assert_str_eq(conf->socket_path, "/run/multidns/control.sock");
	ck_assert_ptr_null(conf->user);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(conf->interval, 60);
	ck_assert_uint_eq(conf->jitter_pct, 10);
	ck_assert_int_eq(conf->store_kind, STORE_KIND_DIR);
	snprintf(want, sizeof(want), "%s/zones", tmpdir);
	ck_assert_str_eq(conf->store_path, want);
	ck_assert_ptr_null(conf->store_ref);
	ck_assert_uint_eq(conf->store_poll, 5);

	ck_assert_uint_eq(conf->nproviders, 1);
	pc = config_find_provider(conf, "p");
	ck_assert_ptr_eq(pc, &conf->providers[0]);
	ck_assert_str_eq(pc->type, "rfc2136");
	ck_assert_uint_eq(pc->timeout, 30);
	ck_assert_uint_eq(pc->max_concurrency, 4);
	ck_assert_uint_eq(pc->line, 4);
	ck_assert_str_eq(provider_conf_get(pc, "server"), "127.0.0.1");
	ck_assert_str_eq(provider_conf_get(pc, "tsig-algorithm"), "hmac-sha256");
	ck_assert_ptr_null(provider_conf_get(pc, "tsig-key-name"));
	ck_assert_ptr_null(provider_conf_get(pc, "nameservers"));
	ck_assert_uint_eq(pc->nopts, 2);

	ck_assert_uint_eq(conf->nzones, 1);
	zc = config_find_zone(conf, "example.com.");
	ck_assert_ptr_eq(zc, &conf->zones[0]);
	ck_assert_ptr_eq(config_find_zone(conf, "EXAMPLE.com."), zc);
	ck_assert_ptr_null(config_find_zone(conf, "example.com"));
	ck_assert_ptr_null(config_find_provider(conf, "q"));
	ck_assert_str_eq(zc->name, "example.com.");
	ck_assert_str_eq(zc->file, "example.com.zone");
	ck_assert_uint_eq(zc->nproviders, 1);
	ck_assert_str_eq(zc->providers[0], "p");
	ck_assert_int_eq(zc->mode, ZONE_MODE_ALERT);
	ck_assert_uint_eq(zc->nignores, 0);
	ck_assert_uint_eq(zc->max_update_pct, 30);
	ck_assert_uint_eq(zc->max_delete_pct, 30);
	ck_assert_uint_eq(zc->safety_min_rrsets, 10);
	ck_assert_uint_eq(zc->line, 7);
	ck_assert_uint_eq(zc->providers_line, 8);
	config_free(conf);
}
END_TEST

START_TEST(test_every_key)
{
	struct config			*conf;
	const struct provider_conf	*pc;
	const struct zone_conf		*zc;
	char				 want[PATH_MAX + 64];

	conf = load(
	    "# comment\n"
	    "; another\n"
	    "[daemon]\n"
	    "\tstate = /srv/state.db\n"
	    "  socket = run/ctl.sock ; inline comment\n"
	    "user = multidns\n"
	    "log-level = debug\n"
	    "interval = 5\n"
	    "jitter = 0\n"
	    "[store]\n"
	    "type = git\n"
	    "path = /srv/zones.git\n"
	    "ref = refs/heads/main\n"
	    "poll = 1\n"
	    "[provider \"pd-1\"]\n"
	    "type = powerdns\n"
	    "timeout = 3600\n"
	    "max-concurrency = 64\n"
	    "url = https://pdns.example:8081/api\n"
	    "api-key-file = ./secrets//pdns.key\n"
	    "server-id = main\n"
	    "create-zone = ON\n"
	    "nameservers = NS1.Example.NET, ns2.example.net.  ns3.example.net\n"
	    "[provider \"r53\"]\n"
	    "type = route53\n"
	    "access-key-id = AKIAEXAMPLE\n"
	    "secret-access-key-file = credential:aws.secret\n"
	    "credentials-file = aws/credentials\n"
	    "profile = dns\n"
	    "hosted-zone-id = Z123\n"
	    "api-url = http://127.0.0.1:9000\n"
	    "region = eu-west-1\n"
	    "[zone \"Example.ORG.\"]\n"
	    "file = sub/org.zone\n"
	    "providers = r53,pd-1\n"
	    "mode = enforce\n"
	    "ignore = _acme-challenge TXT\n"
	    "ignore = *.dyn\n"
	    "ignore = @ MX\n"
	    "max-update-percent = 0\n"
	    "max-delete-percent = 100\n"
	    "safety-min-rrsets = 0\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->state_path, "/srv/state.db");
	snprintf(want, sizeof(want), "%s/run/ctl.sock", tmpdir);
	ck_assert_str_eq(conf->socket_path, want);
	ck_assert_str_eq(conf->user, "multidns");
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(conf->interval, 5);
	ck_assert_uint_eq(conf->jitter_pct, 0);
	ck_assert_int_eq(conf->store_kind, STORE_KIND_GIT);
	ck_assert_str_eq(conf->store_path, "/srv/zones.git");
	ck_assert_str_eq(conf->store_ref, "refs/heads/main");
	ck_assert_uint_eq(conf->store_poll, 1);

	ck_assert_uint_eq(conf->nproviders, 2);
	pc = &conf->providers[0];		/* sorted by name */
	ck_assert_str_eq(pc->name, "pd-1");
	ck_assert_uint_eq(pc->timeout, 3600);
	ck_assert_uint_eq(pc->max_concurrency, 64);
	ck_assert_str_eq(provider_conf_get(pc, "url"),
	    "https://pdns.example:8081/api");
	snprintf(want, sizeof(want), "%s/secrets/pdns.key", tmpdir);
	ck_assert_str_eq(provider_conf_get(pc, "api-key-file"), want);
	ck_assert_str_eq(provider_conf_get(pc, "server-id"), "main");
	ck_assert_str_eq(provider_conf_get(pc, "create-zone"), "yes");
	ck_assert_str_eq(provider_conf_get(pc, "nameservers"),
	    "ns1.example.net. ns2.example.net. ns3.example.net.");
	ck_assert_uint_eq(pc->opts[0].line, 19);
	pc = &conf->providers[1];
	ck_assert_str_eq(pc->name, "r53");
	ck_assert_str_eq(pc->type, "route53");
	ck_assert_str_eq(provider_conf_get(pc, "access-key-id"), "AKIAEXAMPLE");
	snprintf(want, sizeof(want), "%s/aws/credentials", tmpdir);
	ck_assert_str_eq(provider_conf_get(pc, "credentials-file"), want);
	/* A systemd credential is kept as written, not made a path. */
	ck_assert_str_eq(provider_conf_get(pc, "secret-access-key-file"),
	    "credential:aws.secret");
	ck_assert_str_eq(provider_conf_get(pc, "profile"), "dns");
	ck_assert_str_eq(provider_conf_get(pc, "hosted-zone-id"), "Z123");
	ck_assert_str_eq(provider_conf_get(pc, "api-url"),
	    "http://127.0.0.1:9000");
	ck_assert_str_eq(provider_conf_get(pc, "region"), "eu-west-1");

	ck_assert_uint_eq(conf->nzones, 1);
	zc = &conf->zones[0];
	ck_assert_str_eq(zc->name, "example.org.");
	ck_assert_str_eq(zc->file, "sub/org.zone");
	ck_assert_uint_eq(zc->nproviders, 2);
	ck_assert_str_eq(zc->providers[0], "r53");
	ck_assert_str_eq(zc->providers[1], "pd-1");
	ck_assert_int_eq(zc->mode, ZONE_MODE_ENFORCE);
	ck_assert_uint_eq(zc->nignores, 3);
	ck_assert_str_eq(zc->ignores[0].glob, "_acme-challenge.example.org.");
	ck_assert_uint_eq(zc->ignores[0].type, 16);
	ck_assert_str_eq(zc->ignores[1].glob, "*.dyn.example.org.");
	ck_assert_uint_eq(zc->ignores[1].type, 0);
	ck_assert_str_eq(zc->ignores[2].glob, "example.org.");
	ck_assert_uint_eq(zc->ignores[2].type, 15);
	ck_assert_int_eq(ignore_match(zc->ignores, zc->nignores,
	    "a.b.dyn.example.org.", 1), 1);
	ck_assert_int_eq(ignore_match(zc->ignores, zc->nignores,
	    "_acme-challenge.example.org.", 1), 0);
	ck_assert_uint_eq(zc->max_update_pct, 0);
	ck_assert_uint_eq(zc->max_delete_pct, 100);
	ck_assert_uint_eq(zc->safety_min_rrsets, 0);
	config_free(conf);
}
END_TEST

START_TEST(test_other_types)
{
	struct config			*conf;
	const struct provider_conf	*pc;

	conf = load(STORE
	    "[provider \"cf\"]\ntype = cloudflare\napi-token-file = /t\n"
	    "zone-id = abc\napi-url = http://127.0.0.1:1\n"
	    "[provider \"gc\"]\ntype = gcloud\nservice-account-file = sa.json\n"
	    "project = proj\nmanaged-zone = mz\napi-url = http://h\n"
	    "token-url = https://h/token\n"
	    "[provider \"k\"]\ntype = rfc2136\nserver = 2001:db8::1\n"
	    "axfr-server = [2001:db8::2]:5353\ntsig-key-name = key.\n"
	    "tsig-secret-file = k.tsig\ntsig-algorithm = hmac-sha512\n"
	    "nameservers = ns.example.\n"
	    "[zone \".\"]\nproviders = cf gc k\n"
	    "[zone \"a\"]\nproviders = k\n");
	ck_assert_msg(conf != NULL, "%s", err);
	pc = config_find_provider(conf, "cf");
	ck_assert_str_eq(provider_conf_get(pc, "zone-id"), "abc");
	ck_assert_str_eq(provider_conf_get(pc, "proxied"), "leave");
	pc = config_find_provider(conf, "gc");
	ck_assert_str_eq(provider_conf_get(pc, "project"), "proj");
	ck_assert_str_eq(provider_conf_get(pc, "token-url"), "https://h/token");
	pc = config_find_provider(conf, "k");
	ck_assert_str_eq(provider_conf_get(pc, "server"), "2001:db8::1");
	ck_assert_str_eq(provider_conf_get(pc, "axfr-server"),
	    "[2001:db8::2]:5353");
	ck_assert_str_eq(provider_conf_get(pc, "tsig-algorithm"),
	    "hmac-sha512");
	ck_assert_str_eq(provider_conf_get(pc, "nameservers"), "ns.example.");
	ck_assert_uint_eq(conf->nzones, 2);
	ck_assert_str_eq(conf->zones[0].name, ".");
	ck_assert_str_eq(conf->zones[0].file, "root.zone");
	ck_assert_str_eq(conf->zones[1].name, "a.");
	ck_assert_str_eq(conf->zones[1].file, "a.zone");
	config_free(conf);
}
END_TEST

START_TEST(test_booleans)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	struct config	*conf;
	char		 text[512];
	size_t		 i;

	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), STORE "[provider \"p\"]\n"
		    "type = powerdns\nurl = http://x\napi-key-file = k\n"
		    "create-zone = %s\n" ZONE, i < 5 ? yes[i] : no[i - 5]);
		conf = load(text);
		ck_assert_msg(conf != NULL, "%s", err);
		ck_assert_str_eq(provider_conf_get(&conf->providers[0],
		    "create-zone"), i < 5 ? "yes" : "no");
		config_free(conf);
	}
}
END_TEST

START_TEST(test_relative_paths)
{
	struct config	*conf;
	char		 cwd[PATH_MAX], want[PATH_MAX + 64];
	char		 sub[PATH_MAX + 16], path[PATH_MAX + 32];
	const char	*text = "[daemon]\nstate = ./a/./b//c/\n"
			    "socket = ../up.sock\n" MINIMAL;

	/* Relative to the file's directory, not to the current one. */
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/t.conf", sub);
	write_file(path, text, strlen(text));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmpdir), 0);
	conf = config_load("sub/t.conf", err, sizeof(err));
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->path, "sub/t.conf");
	snprintf(want, sizeof(want), "%s/sub/a/b/c", tmpdir);
	ck_assert_str_eq(conf->state_path, want);
	snprintf(want, sizeof(want), "%s/sub/../up.sock", tmpdir);
	ck_assert_str_eq(conf->socket_path, want);
	snprintf(want, sizeof(want), "%s/sub/zones", tmpdir);
	ck_assert_str_eq(conf->store_path, want);
	config_free(conf);

	/* A bare file name is in the current directory. */
	ck_assert_int_eq(chdir(sub), 0);
	conf = config_load("t.conf", err, sizeof(err));
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(conf != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s/sub/zones", tmpdir);
	ck_assert_str_eq(conf->store_path, want);
	config_free(conf);

	/* Errors name the file as it was given. */
	ck_assert_int_eq(chdir(tmpdir), 0);
	write_str(path, "[daemon]\njitter = 99\n");
	conf = config_load("sub/t.conf", err, sizeof(err));
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err, "sub/t.conf:2: jitter: expected a percentage "
	    "from 0 to 50, got '99'");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(sub), 0);
}
END_TEST

START_TEST(test_file_errors)
{
	struct config	*conf;
	char		*big, want[PATH_MAX + 128], *line;
	size_t		 n;

	conf = config_load("/nonexistent/multidns.conf", err, sizeof(err));
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err, "/nonexistent/multidns.conf: No such file or "
	    "directory");

	conf = config_load(tmpdir, err, sizeof(err));
	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	ck_assert_str_eq(err, want);

	/* Over the size cap, even when made of comments only. */
	n = CONFIG_SIZE_MAX + 1;
	big = xmalloc(n);
	memset(big, '#', n);
	big[n - 1] = '\n';
	write_file(conf_path, big, n);
	conf = config_load(conf_path, err, sizeof(err));
	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes",
	    conf_path);
	ck_assert_str_eq(err, want);
	/* Exactly the cap is fine as far as size goes. */
	write_file(conf_path, big, n - 1);
	conf = config_load(conf_path, err, sizeof(err));
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err + strlen(tmpdir) + 1, "t.conf:1: line too long "
	    "(more than 198 characters)");
	free(big);

	/* A NUL byte in a line. */
	write_file(conf_path, "[daemon]\ninterval = 6\0000\n", 24);
	conf = config_load(conf_path, err, sizeof(err));
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err + strlen(tmpdir) + 1, "t.conf:2: NUL byte in "
	    "line");

	/* The longest line that fits, and one more. */
	line = xmalloc(512);
	snprintf(line, 512, "[daemon]\n# %0196d\n" MINIMAL, 0);
	ck_assert_uint_eq(strchr(line + 9, '\n') - (line + 9), 198);
	conf = load(line);
	ck_assert_msg(conf != NULL, "%s", err);
	config_free(conf);
	snprintf(line, 512, "[daemon]\n# %0197d\n" MINIMAL, 0);
	ck_assert_str_eq(load_error(line), "t.conf:2: line too long (more "
	    "than 198 characters)");
	free(line);
}
END_TEST

START_TEST(test_syntax)
{
	struct config	*conf;

	/* CRLF line ends, a BOM, indented section headers, ':' as '='. */
	conf = load("\xef\xbb\xbf[daemon]\r\n  interval: 7\r\n"
	    "\t[store]\r\ntype = directory\r\npath = z\r\n"
	    PROV "[ zone  \"example.com\" ] ; trailing\n" "providers = p\n"
	    "[daemon2]\n");
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err + strlen(tmpdir) + 1, "t.conf:11: unknown "
	    "section [daemon2]");
	conf = load("\xef\xbb\xbf[daemon]\r\n  interval: 7\r\n"
	    "\t[store]\r\ntype = directory\r\npath = z\r\n"
	    PROV "[ zone  \"example.com\" ] ; trailing\n" "providers = p\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->interval, 7);
	ck_assert_str_eq(conf->zones[0].name, "example.com.");
	ck_assert_uint_eq(conf->zones[0].line, 9);
	config_free(conf);

	/* An indented line is a key of its own, not a continuation. */
	ck_assert_str_eq(load_error("[daemon]\ninterval = 6\n   interval = 7\n"),
	    "t.conf:3: duplicate key 'interval' (first at line 2)");
	/* Empty sections are fine; the first error wins. */
	conf = load("[daemon]\n" MINIMAL "[provider \"x\"]\ntype = rfc2136\n"
	    "server = h\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->nproviders, 2);
	config_free(conf);
	ck_assert_str_eq(load_error("[daemon]\njitter = 70\ninterval = 1\n"),
	    "t.conf:2: jitter: expected a percentage from 0 to 50, got '70'");
}
END_TEST

START_TEST(test_print)
{
	struct config	*conf, *again;
	char		*out = NULL, *out2 = NULL, *want;
	size_t		 len = 0, len2 = 0;
	FILE		*fp;

	conf = load("[store]\ntype = git\npath = /r\n"
	    "[provider \"z\"]\ntype = cloudflare\napi-token-file = /t\n"
	    PROV "nameservers = B.example., a.example\n"
	    "[zone \"b.example\"]\nproviders = p z\nignore = *.x A\n"
	    "[zone \"a.example\"]\nproviders = p\nmode = enforce\n");
	ck_assert_msg(conf != NULL, "%s", err);
	fp = open_memstream(&out, &len);
	config_print(conf, fp);
	fclose(fp);
	xasprintf(&want,
	    "[daemon]\n"
	    "\tstate = /var/lib/multidns/state.db\n"
	    "\tsocket = /run/multidns/control.sock\n"
	    "\tlog-level = info\n"
	    "\tinterval = 60\n"
	    "\tjitter = 10\n"
	    "\n[store]\n"
	    "\ttype = git\n"
	    "\tpath = /r\n"
	    "\tref = HEAD\n"
	    "\tpoll = 5\n"
	    "\n[provider \"p\"]\n"
	    "\ttype = rfc2136\n"
	    "\ttimeout = 30\n"
	    "\tmax-concurrency = 4\n"
	    "\tserver = 127.0.0.1\n"
	    "\ttsig-algorithm = hmac-sha256\n"
	    "\tnameservers = b.example. a.example.\n"
	    "\n[provider \"z\"]\n"
	    "\ttype = cloudflare\n"
	    "\ttimeout = 30\n"
	    "\tmax-concurrency = 4\n"
	    "\tapi-token-file = /t\n"
	    "\tproxied = leave\n"
	    "\n[zone \"a.example.\"]\n"
	    "\tfile = a.example.zone\n"
	    "\tproviders = p\n"
	    "\tmode = enforce\n"
	    "\tmax-update-percent = 30\n"
	    "\tmax-delete-percent = 30\n"
	    "\tsafety-min-rrsets = 10\n"
	    "\n[zone \"b.example.\"]\n"
	    "\tfile = b.example.zone\n"
	    "\tproviders = p, z\n"
	    "\tmode = alert\n"
	    "\tignore = *.x.b.example. A\n"
	    "\tmax-update-percent = 30\n"
	    "\tmax-delete-percent = 30\n"
	    "\tsafety-min-rrsets = 10\n");
	ck_assert_str_eq(out, want);
	free(want);

	/* The printed form loads back to the same config. */
	again = load(out);
	ck_assert_msg(again != NULL, "%s", err);
	fp = open_memstream(&out2, &len2);
	config_print(again, fp);
	fclose(fp);
	ck_assert_str_eq(out2, out);
	free(out);
	free(out2);
	config_free(again);
	config_free(conf);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(zone_mode_name(ZONE_MODE_ENFORCE), "enforce");
	ck_assert_str_eq(zone_mode_name(ZONE_MODE_ALERT), "alert");
	ck_assert_str_eq(zone_mode_name((enum zone_mode)7), "unknown");
	ck_assert_str_eq(store_kind_name(STORE_KIND_GIT), "git");
	ck_assert_str_eq(store_kind_name(STORE_KIND_DIR), "directory");
	ck_assert_str_eq(store_kind_name((enum store_kind)9), "unknown");
	config_free(NULL);
}
END_TEST

/* config_check_file() over the example config and its zones. */
START_TEST(test_check_example)
{
	char	*out = NULL, *errs = NULL;
	size_t	 olen = 0, elen = 0;
	FILE	*ofp, *efp;
	int	 rv;

	ofp = open_memstream(&out, &olen);
	efp = open_memstream(&errs, &elen);
	rv = config_check_file(TESTDATA "/../../etc/multidns.conf", 0, ofp,
	    efp);
	fclose(ofp);
	fclose(efp);
	ck_assert_msg(rv == 0, "%s", errs);
	ck_assert_str_eq(errs, "");
	ck_assert_str_eq(out, "configuration OK: 2 zones, 3 providers\n");
	free(out);
	free(errs);
}
END_TEST

/* A zone that does not load: one "file:line: message" line. */
START_TEST(test_check_bad_zone)
{
	char	*out = NULL, *errs = NULL, text[1024], zdir[PATH_MAX + 8];
	char	 zfile[PATH_MAX + 32], gfile[PATH_MAX + 32];
	size_t	 olen = 0, elen = 0;
	FILE	*ofp, *efp;
	int	 rv;

	snprintf(zdir, sizeof(zdir), "%s/zones", tmpdir);
	ck_assert_int_eq(mkdir(zdir, 0700), 0);
	snprintf(zfile, sizeof(zfile), "%s/bad.zone", zdir);
	write_str(zfile, "$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.\n"
	    "www A 192.0.2.300\n");
	snprintf(gfile, sizeof(gfile), "%s/good.example.zone", zdir);
	write_str(gfile, "$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.\n"
	    "www A 192.0.2.3\n");
	snprintf(text, sizeof(text), STORE PROV ZONE "file = bad.zone\n"
	    "[zone \"good.example\"]\nproviders = p\n");
	write_file(conf_path, text, strlen(text));

	ofp = open_memstream(&out, &olen);
	efp = open_memstream(&errs, &elen);
	rv = config_check_file(conf_path, 0, ofp, efp);
	fclose(ofp);
	fclose(efp);
	ck_assert_int_eq(rv, -1);
	ck_assert_str_eq(out, "");
	/* Exactly one line, for the bad zone only; the wording is zone.c's. */
	ck_assert_msg(strncmp(errs, "bad.zone:4: bad A rdata", 23) == 0, "%s",
	    errs);
	ck_assert_ptr_eq(strchr(errs, '\n'), errs + strlen(errs) - 1);
	free(out);
	free(errs);
	ck_assert_int_eq(unlink(zfile), 0);
	ck_assert_int_eq(unlink(gfile), 0);
	ck_assert_int_eq(rmdir(zdir), 0);
}
END_TEST

/* Config errors come out of config_check_file() as they are. */
START_TEST(test_check_config_error)
{
	char	*out = NULL, *errs = NULL, want[PATH_MAX + 64];
	size_t	 olen = 0, elen = 0;
	FILE	*ofp, *efp;

	write_str(conf_path, "[daemon]\nbogus = 1\n");
	ofp = open_memstream(&out, &olen);
	efp = open_memstream(&errs, &elen);
	ck_assert_int_eq(config_check_file(conf_path, 1, ofp, efp), -1);
	fclose(ofp);
	fclose(efp);
	ck_assert_str_eq(out, "");
	snprintf(want, sizeof(want), "%s:2: unknown key 'bogus' in [daemon]\n",
	    conf_path);
	ck_assert_str_eq(errs, want);
	free(out);
	free(errs);
}
END_TEST

/* [webhook "NAME"]: keys, defaults, normalisation and errors. */
START_TEST(test_webhook)
{
	struct config			*conf;
	const struct webhook_conf	*wc;
	char				*text, *expect;

	/* Defaults: all events, info, json, unsigned, a day, 10 s. */
	conf = load(MINIMAL "[webhook \"ops\"]\nurl = https://h.example/x\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->nwebhooks, 1);
	wc = config_find_webhook(conf, "ops");
	ck_assert_ptr_nonnull(wc);
	ck_assert_str_eq(wc->url, "https://h.example/x");
	ck_assert_uint_eq(wc->nevents, 0);
	ck_assert_int_eq(wc->min_severity, DB_SEVERITY_INFO);
	ck_assert_int_eq(wc->format, WEBHOOK_FORMAT_JSON);
	ck_assert_ptr_null(wc->secret_file);
	ck_assert_uint_eq(wc->max_age, 86400);
	ck_assert_uint_eq(wc->timeout, 10);
	ck_assert_uint_eq(conf->flap_window, 600);
	ck_assert_uint_eq(conf->flap_threshold, 4);
	ck_assert_ptr_null(config_find_webhook(conf, "other"));
	config_free(conf);

	/* Every key; sections sorted by name; relative secret made absolute. */
	conf = load("[daemon]\nflap-window = 30\nflap-threshold = 0\n"
	    MINIMAL "[webhook \"z\"]\nurl = http://127.0.0.1:9/\n"
	    "[webhook \"a\"]\nurl = http://127.0.0.1:8/h\n"
	    "events = drift-found, provider-down apply-failed\n"
	    "min-severity = warning\nformat = slack\n"
	    "secret-file = s/hook.key\nmax-age = 60\ntimeout = 3\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->flap_window, 30);
	ck_assert_uint_eq(conf->flap_threshold, 0);
	ck_assert_uint_eq(conf->nwebhooks, 2);
	wc = &conf->webhooks[0];
	ck_assert_str_eq(wc->name, "a");
	ck_assert_uint_eq(wc->nevents, 3);
	ck_assert_str_eq(wc->events[1], "provider-down");
	ck_assert_int_eq(wc->min_severity, DB_SEVERITY_WARNING);
	ck_assert_int_eq(wc->format, WEBHOOK_FORMAT_SLACK);
	xasprintf(&expect, "%s/s/hook.key", tmpdir);
	ck_assert_str_eq(wc->secret_file, expect);
	free(expect);
	ck_assert_uint_eq(wc->max_age, 60);
	ck_assert_uint_eq(wc->timeout, 3);
	ck_assert_str_eq(conf->webhooks[1].name, "z");
	config_free(conf);

	conf = load(MINIMAL "[webhook \"c\"]\nurl = http://h/\n"
	    "secret-file = credential:hook\nevents = all\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->webhooks[0].secret_file, "credential:hook");
	ck_assert_uint_eq(conf->webhooks[0].nevents, 0);
	config_free(conf);

	/* Errors. */
	ck_assert_str_eq(load_error(MINIMAL "[webhook]\nurl = http://h/\n"),
	    "t.conf:9: section [webhook] needs a name: [webhook \"NAME\"]");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\n"),
	    "t.conf:9: missing required key 'url' in [webhook \"w\"]");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = ftp://h/\n"),
	    "t.conf:10: url: expected an http:// or https:// URL, got "
	    "'ftp://h/'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "events = drift-found, drift\n"),
	    "t.conf:11: events: unknown event type 'drift'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "events = all, drift-found\n"),
	    "t.conf:11: events: unknown event type 'all'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "min-severity = high\n"),
	    "t.conf:11: min-severity: expected info|warning|critical, got "
	    "'high'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "format = xml\n"), "t.conf:11: format: expected json|slack, got "
	    "'xml'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "max-age = 0\n"), "t.conf:11: max-age: expected a number of "
	    "seconds from 1 to 2592000, got '0'");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "secret = hunter2\n"), "t.conf:11: unknown key 'secret' in "
	    "[webhook \"w\"]");
	ck_assert_str_eq(load_error(MINIMAL "[webhook \"w\"]\nurl = http://h/\n"
	    "[webhook \"w\"]\nurl = http://h/\n"),
	    "t.conf:11: duplicate section [webhook \"w\"] (first at line 9)");
	ck_assert_str_eq(load_error("[daemon]\nflap-threshold = 1\n" MINIMAL),
	    "t.conf:2: flap-threshold: expected 0 (off) or a number of "
	    "transitions from 2 to 100, got '1'");

	/* Printed back with every effective value. */
	conf = load(MINIMAL "[webhook \"w\"]\nurl = http://h/\n");
	ck_assert_ptr_nonnull(conf);
	text = NULL;
	{
		size_t	 len;
		FILE	*fp = open_memstream(&text, &len);

		config_print(conf, fp);
		fclose(fp);
	}
	ck_assert_ptr_nonnull(strstr(text, "\n[webhook \"w\"]\n\turl = "
	    "http://h/\n\tevents = all\n\tmin-severity = info\n\tformat = "
	    "json\n\tmax-age = 86400\n\ttimeout = 10\n"));
	ck_assert_ptr_nonnull(strstr(text, "\tflap-window = 600\n"));
	free(text);
	config_free(conf);
}
END_TEST

/* The prober's keys: defaults, values, limits and the probe list. */
START_TEST(test_outage_keys)
{
	struct config	*conf;

	conf = load(MINIMAL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_int_eq(conf->on_outage, OUTAGE_ALERT);
	ck_assert_uint_eq(conf->withdraw_after, 60);
	ck_assert_uint_eq(conf->reinstate_after, 300);
	config_free(conf);
	conf = load("[daemon]\non-outage = withdraw\nwithdraw-after = 0\n"
	    "reinstate-after = 86400\n" MINIMAL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_int_eq(conf->on_outage, OUTAGE_WITHDRAW);
	ck_assert_uint_eq(conf->withdraw_after, 0);
	ck_assert_uint_eq(conf->reinstate_after, 86400);
	config_free(conf);
	ck_assert_str_eq(load_error("[daemon]\non-outage = drop\n" MINIMAL),
	    "t.conf:2: on-outage: expected alert|withdraw, got 'drop'");
	ck_assert_str_eq(load_error("[daemon]\nreinstate-after = 86401\n"
	    MINIMAL), "t.conf:2: reinstate-after: expected a number of "
	    "seconds from 0 to 86400, got '86401'");
}
END_TEST

START_TEST(test_lint_keys)
{
	struct config	*conf;
	const char	*e;
	char		*buf;
	size_t		 len;
	FILE		*f;

	conf = load(MINIMAL);
	ck_assert_uint_eq(conf->delegation_interval, 3600);
	ck_assert_uint_eq(conf->lint_min_ttl, 300);
	ck_assert_uint_eq(conf->lint_max_ns_ttl, 86400);
	ck_assert_ptr_null(conf->zones[0].parent);
	f = open_memstream(&buf, &len);
	config_print(conf, f);
	fclose(f);
	ck_assert_ptr_null(strstr(buf, "lint-"));
	ck_assert_ptr_null(strstr(buf, "parent"));
	free(buf);
	config_free(conf);

	conf = load("[daemon]\ndelegation-interval = 60\nlint-min-ttl = 0\n"
	    "lint-max-ns-ttl = 3600\n" STORE PROV ZONE
	    "parent = 192.0.2.53, [2001:db8::53]:5353\n");
	ck_assert_uint_eq(conf->delegation_interval, 60);
	ck_assert_uint_eq(conf->lint_min_ttl, 0);
	ck_assert_uint_eq(conf->lint_max_ns_ttl, 3600);
	ck_assert_str_eq(conf->zones[0].parent,
	    "192.0.2.53, [2001:db8::53]:5353");
	f = open_memstream(&buf, &len);
	config_print(conf, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\tdelegation-interval = 60\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\tlint-min-ttl = 0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\tlint-max-ns-ttl = 3600\n"));
	ck_assert_ptr_nonnull(strstr(buf,
	    "\tparent = 192.0.2.53, [2001:db8::53]:5353\n"));
	free(buf);
	config_free(conf);

	e = load_error(STORE PROV ZONE "parent = ns.example.com\n");
	ck_assert_str_eq(e, "t.conf:9: parent: expected IP addresses with "
	    "optional ports (IPv6 in brackets with a port), got "
	    "'ns.example.com'");
	e = load_error("[daemon]\ndelegation-interval = 0\n" MINIMAL);
	ck_assert_ptr_nonnull(strstr(e, "delegation-interval: expected"));
	e = load_error("[daemon]\nlint-min-ttl = x\n" MINIMAL);
	ck_assert_str_eq(e, "t.conf:2: lint-min-ttl: expected a TTL in "
	    "seconds from 0 to 2147483647, got 'x'");
}
END_TEST

START_TEST(test_metrics_key)
{
	struct config	*conf;
	char		*buf;
	size_t		 len;
	FILE		*f;

	conf = load(MINIMAL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_ptr_null(conf->metrics);		/* off by default */
	config_free(conf);

	conf = load("[daemon]\nmetrics = [::1]:9153\n" STORE
	    "[provider \"p\"]\ntype = rfc2136\nserver = 127.0.0.1\n"
	    "[zone \"example.com\"]\nproviders = p\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->metrics, "[::1]:9153");
	f = open_memstream(&buf, &len);
	config_print(conf, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\tmetrics = [::1]:9153\n"));
	free(buf);
	config_free(conf);

	ck_assert_str_eq(load_error("[daemon]\nmetrics = localhost:9153\n"
	    MINIMAL), "t.conf:2: metrics: expected IPV4:PORT or [IPV6]:PORT "
	    "with a port from 1 to 65535, got 'localhost:9153'");
	ck_assert_str_eq(load_error("[daemon]\nmetrics = 127.0.0.1\n"
	    MINIMAL), "t.conf:2: metrics: expected IPV4:PORT or [IPV6]:PORT "
	    "with a port from 1 to 65535, got '127.0.0.1'");
}
END_TEST

START_TEST(test_probe_keys)
{
	struct config			*conf;
	const struct provider_conf	*pc;
	const char			*e;
	char				*buf;
	size_t				 len;
	FILE				*f;

	conf = load(MINIMAL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->probe_interval, 30);
	ck_assert_uint_eq(conf->probe_timeout, 1000);
	ck_assert_uint_eq(conf->down_after, 3);
	ck_assert_uint_eq(conf->up_after, 2);
	ck_assert_uint_eq(conf->slow_ms, 500);
	ck_assert_uint_eq(conf->zones[0].probe_sample, 20);
	ck_assert_ptr_null(conf->providers[0].probe);
	config_free(conf);

	conf = load("[daemon]\nprobe-interval = 1\nprobe-timeout = 250\n"
	    "down-after = 5\nup-after = 4\nslow-ms = 80\n" STORE
	    "[provider \"p\"]\ntype = rfc2136\nserver = 127.0.0.1\n"
	    "probe = 192.0.2.1, [2001:db8::1]:5353 192.0.2.2:53\n"
	    "[zone \"example.com\"]\nproviders = p\nprobe-sample = 7\n");
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->probe_interval, 1);
	ck_assert_uint_eq(conf->probe_timeout, 250);
	ck_assert_uint_eq(conf->down_after, 5);
	ck_assert_uint_eq(conf->up_after, 4);
	ck_assert_uint_eq(conf->slow_ms, 80);
	ck_assert_uint_eq(conf->zones[0].probe_sample, 7);
	pc = config_find_provider(conf, "p");
	ck_assert_str_eq(pc->probe,
	    "192.0.2.1, [2001:db8::1]:5353 192.0.2.2:53");
	/* probe is a common key, not one of the type's options */
	ck_assert_ptr_null(provider_conf_get(pc, "probe"));
	f = open_memstream(&buf, &len);
	config_print(conf, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\tprobe-interval = 1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\tslow-ms = 80\n"));
	ck_assert_ptr_nonnull(strstr(buf,
	    "\tprobe = 192.0.2.1, [2001:db8::1]:5353 192.0.2.2:53\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\tprobe-sample = 7\n"));
	free(buf);
	config_free(conf);

	e = load_error("[daemon]\nprobe-interval = 0\n" MINIMAL);
	ck_assert_ptr_nonnull(strstr(e, "probe-interval: expected"));
	e = load_error("[daemon]\ndown-after = 101\n" MINIMAL);
	ck_assert_ptr_nonnull(strstr(e, "down-after: expected"));
	e = load_error("[daemon]\nslow-ms = x\n" MINIMAL);
	ck_assert_ptr_nonnull(strstr(e, "slow-ms: expected"));
	e = load_error(STORE "[provider \"p\"]\ntype = rfc2136\n"
	    "server = 127.0.0.1\nprobe = ns1.example.com\n" ZONE);
	ck_assert_ptr_nonnull(strstr(e, "probe: expected IP addresses"));
	e = load_error(STORE "[provider \"p\"]\ntype = rfc2136\n"
	    "server = 127.0.0.1\nprobe = 2001:db8::1:53:x\n" ZONE);
	ck_assert_ptr_nonnull(strstr(e, "probe: expected IP addresses"));
	e = load_error(STORE PROV "[zone \"example.com\"]\nproviders = p\n"
	    "probe-sample = -1\n");
	ck_assert_ptr_nonnull(strstr(e, "probe-sample: expected"));
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_probe_keys);
	tcase_add_test(tc, test_metrics_key);
	tcase_add_test(tc, test_lint_keys);
	tcase_add_test(tc, test_outage_keys);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_other_types);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_webhook);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_example);
	tcase_add_test(tc, test_check_bad_zone);
	tcase_add_test(tc, test_check_config_error);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(LOG_LEVEL_ERROR, "check_config");
	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
