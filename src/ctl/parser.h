/*
 * parser.h: dnsctl's command line grammar, a table of keywords in the
 * manner of OpenBSD relayctl.  The result is the request to send.
 */
#ifndef MULTIDNS_CTL_PARSER_H
#define MULTIDNS_CTL_PARSER_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct parse_result {
	const char	*cmd;		/* CTL_CMD_* */
	cJSON		*args;		/* an object; owned */
};

/*
 * Parse the words after the options.  0 with res filled in, or -1 with a
 * one-line message in err that names the words that would be valid.
 */
int	parse_args(int argc, char *argv[], struct parse_result *res,
	    char *err, size_t errlen);
void	parse_result_clear(struct parse_result *);
/* The request line for a parse result (without "\n"); free() it. */
char	*parse_request(const struct parse_result *);
/* Print the grammar, one command per line. */
void	parse_usage(FILE *);

#endif
