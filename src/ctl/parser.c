/*
 * parser.c: dnsctl's grammar.  Each table lists the words that may come
 * next; a word is matched against the table, its effect recorded, and
 * parsing moves on to the token's next table.  ENDTOKEN in a table means
 * the command may end there.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-proto.h"
#include "parser.h"
#include "xmalloc.h"

#define PARSE_ZONE_MAX		254	/* presentation, with the final dot */
#define PARSE_NUMBER_MAX	1000000
#define PARSE_PROVIDER_MAX	64

enum token_type {
	NOTOKEN,
	ENDTOKEN,
	KEYWORD,	/* the command itself */
	ZONE,		/* a zone name, stored in args[arg] */
	FLAG,		/* a word setting args[arg] to true */
	NUMBER,		/* a word, then a number stored in args[arg] */
	PROVIDER,	/* a provider name, stored in args[arg] */
};

struct token {
	enum token_type		 type;
	const char		*word;	/* as typed; for ZONE, its help name */
	const char		*arg;	/* the argument it sets */
	const struct token	*next;
	const char		*help;	/* KEYWORD: the whole command */
};

static const struct token t_end[];
static const struct token t_zone[];
static const struct token t_provider[];
static const struct token t_zone_opt[];
static const struct token t_sync[];
static const struct token t_sync_zone[];
static const struct token t_sync_force[];
static const struct token t_history[];
static const struct token t_history_zone[];
static const struct token t_history_n[];
static const struct token t_alerts[];
static const struct token t_alerts_zone[];
static const struct token t_alerts_n[];

static const struct token t_main[] = {
	{ KEYWORD, CTL_CMD_STATUS, NULL, t_end, "status" },
	{ KEYWORD, CTL_CMD_ZONES, NULL, t_end, "zones" },
	{ KEYWORD, CTL_CMD_PROVIDERS, NULL, t_end, "providers" },
	{ KEYWORD, CTL_CMD_DRIFT, NULL, t_zone_opt, "drift [ZONE]" },
	{ KEYWORD, CTL_CMD_HISTORY, NULL, t_history,
	    "history [ZONE] [-n N]" },
	{ KEYWORD, CTL_CMD_HEALTH, NULL, t_zone_opt, "health [ZONE]" },
	{ KEYWORD, CTL_CMD_LATENCY, NULL, t_zone, "latency ZONE" },
	{ KEYWORD, CTL_CMD_PLAN, NULL, t_zone, "plan ZONE" },
	{ KEYWORD, CTL_CMD_SYNC, NULL, t_sync, "sync [ZONE] [--force]" },
	{ KEYWORD, CTL_CMD_RELOAD, NULL, t_end, "reload" },
	{ KEYWORD, CTL_CMD_LINT, NULL, t_zone_opt, "lint [ZONE]" },
	{ KEYWORD, CTL_CMD_ALERTS, NULL, t_alerts, "alerts [ZONE] [-n N]" },
	{ KEYWORD, CTL_CMD_WITHDRAW, NULL, t_provider, "withdraw PROVIDER" },
	{ KEYWORD, CTL_CMD_REINSTATE, NULL, t_provider, "reinstate PROVIDER" },
	{ KEYWORD, CTL_CMD_VERSION, NULL, t_end, "version" },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_end[] = {
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_zone[] = {
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_end, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_provider[] = {
	{ PROVIDER, "PROVIDER", CTL_ARG_PROVIDER, t_end, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_zone_opt[] = {
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_sync[] = {
	{ FLAG, "--force", CTL_ARG_FORCE, t_sync_zone, NULL },
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_sync_force, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_sync_zone[] = {
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_sync_force[] = {
	{ FLAG, "--force", CTL_ARG_FORCE, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_history[] = {
	{ NUMBER, "-n", CTL_ARG_LIMIT, t_history_zone, NULL },
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_history_n, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_history_zone[] = {
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_history_n[] = {
	{ NUMBER, "-n", CTL_ARG_LIMIT, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_alerts[] = {
	{ NUMBER, "-n", CTL_ARG_LIMIT, t_alerts_zone, NULL },
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_alerts_n, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_alerts_zone[] = {
	{ ZONE, "ZONE", CTL_ARG_ZONE, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static const struct token t_alerts_n[] = {
	{ NUMBER, "-n", CTL_ARG_LIMIT, t_end, NULL },
	{ ENDTOKEN, NULL, NULL, NULL, NULL },
	{ NOTOKEN, NULL, NULL, NULL, NULL }
};

static void
parse_append(char *buf, size_t len, const char *s)
{
	size_t	used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s", s);
}

/* "ZONE, --force or nothing more": what a table would accept. */
static void
parse_expected(const struct token *table, char *buf, size_t len)
{
	const struct token	*t;
	size_t			 n = 0, i = 0;
	int			 end = 0;

	for (t = table; t->type != NOTOKEN; t++) {
		if (t->type == ENDTOKEN)
			end = 1;
		else
			n++;
	}
	buf[0] = '\0';
	for (t = table; t->type != NOTOKEN; t++) {
		if (t->type == ENDTOKEN)
			continue;
		i++;
		if (i > 1)
			parse_append(buf, len, i == n && !end ? " or " : ", ");
		parse_append(buf, len, t->word);
		if (t->type == NUMBER)
			parse_append(buf, len, " N");
	}
	if (end)
		parse_append(buf, len, n > 0 ? " or nothing more" : "nothing more");
}

static int
parse_zone(const char *word, char *out, size_t outlen)
{
	size_t	len = strlen(word), i;

	if (len == 0 || len + 2 > outlen || word[0] == '-')
		return (-1);
	if (strcmp(word, ".") == 0) {
		snprintf(out, outlen, ".");
		return (0);
	}
	for (i = 0; i < len; i++) {
		if (word[i] == '.') {
			if (i == 0 || word[i - 1] == '.')
				return (-1);
		} else if (!isalnum((unsigned char)word[i]) &&
		    word[i] != '-' && word[i] != '_')
			return (-1);
		out[i] = (char)tolower((unsigned char)word[i]);
	}
	if (out[len - 1] != '.')
		out[len++] = '.';
	out[len] = '\0';
	return (0);
}

/* A provider section name: 1 to 64 letters, digits, "-", "_" or ".". */
static int
parse_provider(const char *word)
{
	size_t	i, len = strlen(word);

	if (len == 0 || len > PARSE_PROVIDER_MAX || word[0] == '-')
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)word[i]) && word[i] != '-' &&
		    word[i] != '_' && word[i] != '.')
			return (-1);
	}
	return (0);
}

static int
parse_number(const char *word, long long *out)
{
	char		*end;
	long long	 n;

	if (word == NULL || !isdigit((unsigned char)word[0]))
		return (-1);
	errno = 0;
	n = strtoll(word, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > PARSE_NUMBER_MAX)
		return (-1);
	*out = n;
	return (0);
}

static void
parse_add(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		abort();
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	cJSON_AddItemToObject(obj, key, item);
}

int
parse_args(int argc, char *argv[], struct parse_result *res, char *err,
    size_t errlen)
{
	const struct token	*table = t_main, *t, *match;
	const char		*word;
	char			 expected[256], zone[PARSE_ZONE_MAX + 2];
	long long		 n;
	int			 i = 0;

	memset(res, 0, sizeof(*res));
	if ((res->args = cJSON_CreateObject()) == NULL)
		abort();

	for (;;) {
		parse_expected(table, expected, sizeof(expected));
		if (i >= argc) {
			for (t = table; t->type != NOTOKEN; t++) {
				if (t->type == ENDTOKEN)
					return (0);
			}
			if (table == t_main)
				snprintf(err, errlen, "missing command; "
				    "expected %s", expected);
			else
				snprintf(err, errlen, "incomplete command "
				    "'%s': expected %s", res->cmd, expected);
			goto fail;
		}
		word = argv[i];

		/* Exact words first; a zone name matches anything else. */
		match = NULL;
		for (t = table; t->type != NOTOKEN && match == NULL; t++) {
			if ((t->type == KEYWORD || t->type == FLAG ||
			    t->type == NUMBER) && strcmp(t->word, word) == 0)
				match = t;
		}
		for (t = table; t->type != NOTOKEN && match == NULL; t++) {
			if ((t->type == ZONE || t->type == PROVIDER) &&
			    word[0] != '-')
				match = t;
		}
		if (match == NULL) {
			if (table == t_main)
				snprintf(err, errlen, "unknown command '%s'; "
				    "expected %s", word, expected);
			else
				snprintf(err, errlen, "unexpected '%s' in "
				    "'%s': expected %s", word, res->cmd,
				    expected);
			goto fail;
		}

		switch (match->type) {
		case KEYWORD:
			res->cmd = match->word;
			break;
		case ZONE:
			if (parse_zone(word, zone, sizeof(zone)) == -1) {
				snprintf(err, errlen, "invalid zone name '%s'",
				    word);
				goto fail;
			}
			parse_add(res->args, match->arg,
			    cJSON_CreateString(zone));
			break;
		case PROVIDER:
			if (parse_provider(word) == -1) {
				snprintf(err, errlen, "invalid provider name "
				    "'%.64s'", word);
				goto fail;
			}
			parse_add(res->args, match->arg,
			    cJSON_CreateString(word));
			break;
		case FLAG:
			parse_add(res->args, match->arg, cJSON_CreateTrue());
			break;
		case NUMBER:
			i++;
			if (parse_number(i < argc ? argv[i] : NULL, &n) == -1) {
				snprintf(err, errlen, "%s needs a number from "
				    "1 to %d", match->word, PARSE_NUMBER_MAX);
				goto fail;
			}
			parse_add(res->args, match->arg,
			    cJSON_CreateNumber((double)n));
			break;
		case NOTOKEN:
		case ENDTOKEN:
			break;
		}
		table = match->next;
		i++;
	}

fail:
	parse_result_clear(res);
	return (-1);
}

void
parse_result_clear(struct parse_result *res)
{
	cJSON_Delete(res->args);
	res->args = NULL;
	res->cmd = NULL;
}

char *
parse_request(const struct parse_result *res)
{
	char	*args, *line;

	if ((args = cJSON_PrintUnformatted(res->args)) == NULL)
		abort();
	xasprintf(&line, "{\"v\":%d,\"cmd\":\"%s\",\"args\":%s}",
	    CTL_PROTO_VERSION, res->cmd, args);
	free(args);
	return (line);
}

void
parse_usage(FILE *f)
{
	const struct token	*t;

	for (t = t_main; t->type != NOTOKEN; t++)
		fprintf(f, "\t%s\n", t->help);
}
