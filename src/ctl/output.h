/*
 * output.h: how dnsctl prints a result.  One vtable, two implementations:
 * text for people (output.c) and JSON for programs (output_json.c), so
 * both always show the same data.  Result shapes are in ctl-proto.h.
 */
#ifndef MULTIDNS_CTL_OUTPUT_H
#define MULTIDNS_CTL_OUTPUT_H

#include <stdio.h>

#include <cjson/cJSON.h>

struct output_ops {
	/* "status": the overview of every zone and provider */
	void	(*status)(FILE *, const cJSON *result);
	/* any other command: its scalars, then each array as a table */
	void	(*generic)(FILE *, const char *cmd, const cJSON *result);
};

extern const struct output_ops output_text_ops;
extern const struct output_ops output_json_ops;

/* Print the result of cmd through ops. */
void	output_result(const struct output_ops *, FILE *, const char *cmd,
	    const cJSON *result);
/* 1 if the result says "attention": true. */
int	output_attention(const cJSON *result);
/* Colour for the text output (dnsctl decides: a TTY and no NO_COLOR). */
void	output_set_colour(int);

/* output.c: an array of flat objects as an aligned table. */
void	output_text_table(FILE *, const cJSON *array);

#endif
