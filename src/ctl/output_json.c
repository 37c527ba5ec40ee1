/*
 * output_json.c: dnsctl --json.  The daemon's result, unchanged, pretty
 * printed: scripts see exactly what the text output was made from.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "output.h"

static void
output_json_print(FILE *f, const cJSON *result)
{
	char	*s;

	if ((s = cJSON_Print(result)) == NULL)
		abort();
	fprintf(f, "%s\n", s);
	free(s);
}

static void
output_json_status(FILE *f, const cJSON *result)
{
	output_json_print(f, result);
}

static void
output_json_generic(FILE *f, const char *cmd, const cJSON *result)
{
	output_json_print(f, result);
}

const struct output_ops output_json_ops = {
	output_json_status,
	output_json_generic,
};
