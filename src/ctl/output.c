/*
 * output.c: dnsctl's text output.  Any array of flat objects prints as a
 * table with the keys as columns, in the order they first appear, so a
 * new command needs no code here; only "status" has its own layout, and
 * "latency" draws a box plot above its table.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-proto.h"
#include "output.h"
#include "xmalloc.h"

#define COLOUR_RED	"\033[31m"
#define COLOUR_GREEN	"\033[32m"
#define COLOUR_YELLOW	"\033[33m"
#define COLOUR_RESET	"\033[0m"

static int	output_colour;

static const struct {
	const char	*word;
	const char	*colour;
} output_colours[] = {
	{ "healthy", COLOUR_GREEN },
	{ "ok", COLOUR_GREEN },
	{ "delivered", COLOUR_GREEN },
	{ "yes", COLOUR_GREEN },
	{ "degraded", COLOUR_YELLOW },
	{ "warning", COLOUR_YELLOW },
	{ "withdrawn", COLOUR_YELLOW },
	{ "paused", COLOUR_YELLOW },
	{ "pending", COLOUR_YELLOW },
	{ "suppressed", COLOUR_YELLOW },
	{ "down", COLOUR_RED },
	{ "no", COLOUR_RED },
	{ "error", COLOUR_RED },
	{ "failed", COLOUR_RED },
	{ "refused", COLOUR_RED },
	{ "critical", COLOUR_RED },
	{ "undeliverable", COLOUR_RED },
	{ "needs attention", COLOUR_RED },
};

/* Only these columns are coloured, by their value. */
static const char *const output_coloured_keys[] = {
	"state", "in_sync", "severity", "result", "attention",
};

void
output_set_colour(int on)
{
	output_colour = on;
}

int
output_attention(const cJSON *result)
{
	return (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result,
	    "attention")));
}

void
output_result(const struct output_ops *ops, FILE *f, const char *cmd,
    const cJSON *result)
{
	if (strcmp(cmd, CTL_CMD_STATUS) == 0)
		ops->status(f, result);
	else
		ops->generic(f, cmd, result);
}

static const char *
output_colour_for(const char *key, const char *text)
{
	size_t	i;
	int	found = 0;

	if (!output_colour || key == NULL)
		return (NULL);
	for (i = 0; i < sizeof(output_coloured_keys) /
	    sizeof(output_coloured_keys[0]); i++) {
		if (strcmp(output_coloured_keys[i], key) == 0)
			found = 1;
	}
	if (!found)
		return (NULL);
	for (i = 0; i < sizeof(output_colours) / sizeof(output_colours[0]);
	    i++) {
		if (strcmp(output_colours[i].word, text) == 0)
			return (output_colours[i].colour);
	}
	return (NULL);
}

/* A value as one cell of text, control characters made harmless. */
static char *
output_cell(const cJSON *v)
{
	char	*s, *p;
	double	 d;

	if (v == NULL || cJSON_IsNull(v))
		return (xstrdup("-"));
	if (cJSON_IsBool(v))
		return (xstrdup(cJSON_IsTrue(v) ? "yes" : "no"));
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			xasprintf(&s, "%lld", (long long)d);
		else
			xasprintf(&s, "%g", d);
		return (s);
	}
	if (cJSON_IsString(v))
		s = xstrdup(v->valuestring != NULL ? v->valuestring : "");
	else if ((s = cJSON_PrintUnformatted(v)) == NULL)
		abort();
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return (s);
}

static void
output_put(FILE *f, const char *key, const char *text, int width)
{
	const char	*colour = output_colour_for(key, text);

	if (colour != NULL)
		fprintf(f, "%s%s%s", colour, text, COLOUR_RESET);
	else
		fputs(text, f);
	if (width > 0)
		fprintf(f, "%*s", width - (int)strlen(text), "");
}

void
output_text_table(FILE *f, const cJSON *array)
{
	const cJSON	 *row, *v;
	const char	**keys = NULL;
	size_t		  nkeys = 0, nrows, i, j, *width;
	char		**cells, *h, *p;
	int		  pad;

	nrows = (size_t)cJSON_GetArraySize(array);
	cJSON_ArrayForEach(row, array) {
		cJSON_ArrayForEach(v, row) {
			if (v->string == NULL)
				continue;
			for (j = 0; j < nkeys; j++) {
				if (strcmp(keys[j], v->string) == 0)
					break;
			}
			if (j == nkeys) {
				keys = xreallocarray(keys, nkeys + 1,
				    sizeof(*keys));
				keys[nkeys++] = v->string;
			}
		}
	}
	if (nkeys == 0)
		goto out;

	width = xcalloc(nkeys, sizeof(*width));
	cells = xcalloc(nrows * nkeys, sizeof(*cells));
	for (j = 0; j < nkeys; j++)
		width[j] = strlen(keys[j]);
	i = 0;
	cJSON_ArrayForEach(row, array) {
		for (j = 0; j < nkeys; j++) {
			v = cJSON_GetObjectItemCaseSensitive(row, keys[j]);
			cells[i * nkeys + j] = output_cell(v);
			if (strlen(cells[i * nkeys + j]) > width[j])
				width[j] = strlen(cells[i * nkeys + j]);
		}
		i++;
	}

	for (j = 0; j < nkeys; j++) {
		h = xstrdup(keys[j]);
		for (p = h; *p != '\0'; p++)
			*p = *p == '_' ? '-' : (char)toupper((unsigned char)*p);
		pad = j + 1 < nkeys ? (int)width[j] + 2 : 0;
		output_put(f, NULL, h, pad);
		free(h);
	}
	fputc('\n', f);
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < nkeys; j++) {
			pad = j + 1 < nkeys ? (int)width[j] + 2 : 0;
			output_put(f, keys[j], cells[i * nkeys + j], pad);
			free(cells[i * nkeys + j]);
		}
		fputc('\n', f);
	}
	free(cells);
	free(width);
out:
	free(keys);
}

static int
output_is_table(const cJSON *v)
{
	const cJSON	*row;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
		return (0);
	cJSON_ArrayForEach(row, v) {
		if (!cJSON_IsObject(row))
			return (0);
	}
	return (1);
}

static double
output_num(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsNumber(v) ? v->valuedouble : 0);
}

/*
 * One box plot line per provider on a shared scale from 0 to scale_ms:
 * whiskers at the minimum and p99, the box from p25 to p75, the median
 * as '|' inside it:  "pdns  |----[==|===]------|".
 */
static void
output_text_boxplot(FILE *f, const cJSON *result)
{
	const cJSON	*rows, *row, *v;
	char		 line[256], *name;
	double		 scale, lo, q1, med, q3, hi;
	int		 width, namew = 8, i, a, b, c, m, e;

	rows = cJSON_GetObjectItemCaseSensitive(result, "latency");
	scale = output_num(result, "scale_ms");
	width = (int)output_num(result, "width");
	if (!cJSON_IsArray(rows) || scale <= 0 || width < 8 ||
	    width >= (int)sizeof(line))
		return;
	cJSON_ArrayForEach(row, rows) {
		v = cJSON_GetObjectItemCaseSensitive(row, "provider");
		if (cJSON_IsString(v) && (int)strlen(v->valuestring) > namew)
			namew = (int)strlen(v->valuestring);
	}
	fprintf(f, "%-*s 0%*s%.0f ms\n", namew, "", width - 1, "", scale);
	cJSON_ArrayForEach(row, rows) {
		name = output_cell(cJSON_GetObjectItemCaseSensitive(row,
		    "provider"));
		if (output_num(row, "samples") <= 0) {
			fprintf(f, "%-*s (no samples)\n", namew, name);
			free(name);
			continue;
		}
		lo = output_num(row, "min_ms");
		q1 = output_num(row, "p25_ms");
		med = output_num(row, "p50_ms");
		q3 = output_num(row, "p75_ms");
		hi = output_num(row, "p99_ms");
		a = (int)(lo * (width - 1) / scale + 0.5);
		b = (int)(q1 * (width - 1) / scale + 0.5);
		m = (int)(med * (width - 1) / scale + 0.5);
		c = (int)(q3 * (width - 1) / scale + 0.5);
		e = (int)(hi * (width - 1) / scale + 0.5);
		for (i = 0; i < width; i++) {
			if (i < a || i > e)
				line[i] = ' ';
			else if (i < b || i > c)
				line[i] = '-';
			else
				line[i] = '=';
		}
		line[a] = '|';
		line[e] = '|';
		line[b] = '[';
		line[c] = ']';
		line[m] = '|';
		line[width] = '\0';
		fprintf(f, "%-*s %s  p25 %.0f  p50 %.0f  p75 %.0f  p99 %.0f "
		    "ms\n", namew, name, line, q1, med, q3, hi);
		free(name);
	}
	fputc('\n', f);
}

static void
output_text_generic(FILE *f, const char *cmd, const cJSON *result)
{
	const cJSON	*v, *e;
	char		*s;
	int		 width = 0, tables = 0;

	if (strcmp(cmd, CTL_CMD_LATENCY) == 0)
		output_text_boxplot(f, result);
	/* Scalars first, as "key: value" with the values aligned. */
	cJSON_ArrayForEach(v, result) {
		if (v->string == NULL || output_is_table(v))
			continue;
		if ((int)strlen(v->string) > width)
			width = (int)strlen(v->string);
	}
	cJSON_ArrayForEach(v, result) {
		if (v->string == NULL || output_is_table(v) ||
		    strcmp(v->string, "attention") == 0)
			continue;
		fprintf(f, "%s:%*s ", v->string,
		    width - (int)strlen(v->string), "");
		if (cJSON_IsArray(v)) {
			if (cJSON_GetArraySize(v) == 0)
				fputs("none", f);
			cJSON_ArrayForEach(e, v) {
				s = output_cell(e);
				fprintf(f, "%s%s", s, e->next != NULL ?
				    ", " : "");
				free(s);
			}
		} else {
			s = output_cell(v);
			output_put(f, v->string, s, 0);
			free(s);
		}
		fputc('\n', f);
		tables = -1;
	}
	cJSON_ArrayForEach(v, result) {
		if (v->string == NULL || !output_is_table(v))
			continue;
		if (tables != 0)
			fputc('\n', f);
		output_text_table(f, v);
		tables = 1;
	}
	if (output_attention(result)) {
		fputc('\n', f);
		output_put(f, "attention", "needs attention", 0);
		fputc('\n', f);
	}
}

static void
output_text_status(FILE *f, const cJSON *result)
{
	const cJSON	*zones, *zone, *provs, *prov, *v;
	cJSON		*rows, *row;
	static const char *const zkeys[] = { "name", "version", "mode" };
	static const char *const zcols[] = { "zone", "version", "mode" };
	static const char *const pkeys[] = { "name", "state", "in_sync",
	    "drift", "last_error" };
	static const char *const pcols[] = { "provider", "state", "in_sync",
	    "drift", "last_error" };
	char		*s;
	long long	 up, d, h, m;
	size_t		 i;

	s = output_cell(cJSON_GetObjectItemCaseSensitive(result, "version"));
	fprintf(f, "multidnsd %s", s);
	free(s);
	v = cJSON_GetObjectItemCaseSensitive(result, "uptime");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0) {
		up = (long long)v->valuedouble;
		d = up / 86400;
		h = up % 86400 / 3600;
		m = up % 3600 / 60;
		if (d > 0)
			fprintf(f, ", up %lldd %lldh %lldm", d, h, m);
		else if (h > 0)
			fprintf(f, ", up %lldh %lldm", h, m);
		else
			fprintf(f, ", up %lldm %llds", m, up % 60);
	}
	fputc('\n', f);

	/* One flat row per (zone, provider), printed as any other table. */
	if ((rows = cJSON_CreateArray()) == NULL)
		abort();
	zones = cJSON_GetObjectItemCaseSensitive(result, "zones");
	cJSON_ArrayForEach(zone, zones) {
		provs = cJSON_GetObjectItemCaseSensitive(zone, "providers");
		prov = cJSON_IsArray(provs) ? provs->child : NULL;
		do {
			if ((row = cJSON_CreateObject()) == NULL)
				abort();
			for (i = 0; i < 3; i++) {
				v = cJSON_GetObjectItemCaseSensitive(zone,
				    zkeys[i]);
				cJSON_AddItemToObject(row, zcols[i], v != NULL ?
				    cJSON_Duplicate(v, 1) : cJSON_CreateNull());
			}
			for (i = 0; i < 5; i++) {
				v = prov == NULL ? NULL :
				    cJSON_GetObjectItemCaseSensitive(prov,
				    pkeys[i]);
				cJSON_AddItemToObject(row, pcols[i], v != NULL ?
				    cJSON_Duplicate(v, 1) : cJSON_CreateNull());
			}
			cJSON_AddItemToArray(rows, row);
			if (prov != NULL)
				prov = prov->next;
		} while (prov != NULL);
	}
	if (cJSON_GetArraySize(rows) == 0)
		fputs("no zones\n", f);
	else {
		fputc('\n', f);
		output_text_table(f, rows);
	}
	cJSON_Delete(rows);

	/* Alerts the webhooks could not take are worth a line. */
	v = cJSON_GetObjectItemCaseSensitive(result, "alerts");
	if (cJSON_IsObject(v)) {
		const cJSON	*u, *pe;

		u = cJSON_GetObjectItemCaseSensitive(v, "undeliverable_24h");
		pe = cJSON_GetObjectItemCaseSensitive(v, "pending");
		if (cJSON_IsNumber(u) && u->valuedouble > 0) {
			fputc('\n', f);
			fputs("alerts: ", f);
			output_put(f, "state", "undeliverable", 0);
			fprintf(f, ": %lld in the last 24 hours (see dnsctl "
			    "alerts)\n", (long long)u->valuedouble);
		} else if (cJSON_IsNumber(pe) && pe->valuedouble > 0) {
			fputc('\n', f);
			fprintf(f, "alerts: %lld deliver%s pending\n",
			    (long long)pe->valuedouble,
			    pe->valuedouble == 1 ? "y" : "ies");
		}
	}

	if (output_attention(result)) {
		fputc('\n', f);
		output_put(f, "attention", "needs attention", 0);
		fputc('\n', f);
	}
}

const struct output_ops output_text_ops = {
	output_text_status,
	output_text_generic,
};
