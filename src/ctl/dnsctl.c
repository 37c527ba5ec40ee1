/*
 * dnsctl: ask multidnsd over its control socket (see ctl-proto.h).
 *
 * Exit status: 0 all good, 1 the daemon says something needs attention,
 * 2 bad usage, or no answer, or an error answer from the daemon.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl-proto.h"
#include "log.h"
#include "output.h"
#include "parser.h"
#include "xmalloc.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif

#define DNSCTL_EXIT_OK		0
#define DNSCTL_EXIT_ATTENTION	1
#define DNSCTL_EXIT_ERROR	2

static const struct option dnsctl_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ "socket", required_argument, NULL, 's' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
dnsctl_usage(FILE *f)
{
	fprintf(f, "usage: dnsctl [-h] [--json] [--version] [-s socket] "
	    "command [argument ...]\ncommands:\n");
	parse_usage(f);
}

static void __attribute__((format(printf, 1, 2), noreturn))
dnsctl_fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("dnsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(DNSCTL_EXIT_ERROR);
}

static int
dnsctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		dnsctl_fail("%s: socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		dnsctl_fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		dnsctl_fail("cannot connect to %s: %s (is multidnsd running?)",
		    path, strerror(errno));
	return (fd);
}

static void
dnsctl_send(int fd, const char *line)
{
	size_t	len = strlen(line), off = 0;
	ssize_t	n;

	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			dnsctl_fail("sending the request: %s",
			    strerror(errno));
		off += (size_t)n;
	}
}

/* One response line, without "\n", at most CTL_MAX_RESPONSE bytes. */
static char *
dnsctl_receive(int fd, size_t *lenp)
{
	char	*buf = NULL, *nl;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (size - len < 4096) {
			if (size > CTL_MAX_RESPONSE)
				dnsctl_fail("response longer than %d bytes",
				    CTL_MAX_RESPONSE);
			size = size == 0 ? 65536 : size * 2;
			buf = xreallocarray(buf, 1, size + 1);
		}
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			dnsctl_fail("reading the response: %s",
			    strerror(errno));
		if (n == 0)
			dnsctl_fail("the daemon closed the connection "
			    "without answering");
		buf[len + (size_t)n] = '\0';
		if ((nl = memchr(buf + len, '\n', (size_t)n)) != NULL) {
			*nl = '\0';
			len = (size_t)(nl - buf);
			break;
		}
		len += (size_t)n;
	}
	if (len > CTL_MAX_RESPONSE)
		dnsctl_fail("response longer than %d bytes", CTL_MAX_RESPONSE);
	*lenp = len;
	return (buf);
}

int
main(int argc, char *argv[])
{
	const struct output_ops	*ops = &output_text_ops;
	struct parse_result	 res;
	const char		*path = CONFIG_DEFAULT_SOCKET, *msg;
	cJSON			*resp, *v, *ok, *error, *result;
	char			 err[512], *line;
	size_t			 len;
	int			 ch, fd, rc;

	log_init(LOG_LEVEL_WARN, "dnsctl");
	while ((ch = getopt_long(argc, argv, "+hjs:V", dnsctl_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			dnsctl_usage(stdout);
			return (DNSCTL_EXIT_OK);
		case 'j':
			ops = &output_json_ops;
			break;
		case 's':
			path = optarg;
			break;
		case 'V':
			printf("dnsctl %s (protocol %d)\n", PACKAGE_VERSION,
			    CTL_PROTO_VERSION);
			return (DNSCTL_EXIT_OK);
		default:
			dnsctl_usage(stderr);
			return (DNSCTL_EXIT_ERROR);
		}
	}
	argc -= optind;
	argv += optind;

	if (parse_args(argc, argv, &res, err, sizeof(err)) == -1) {
		fprintf(stderr, "dnsctl: %s\n", err);
		if (argc == 0)
			dnsctl_usage(stderr);
		return (DNSCTL_EXIT_ERROR);
	}
	output_set_colour(isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);

	fd = dnsctl_connect(path);
	line = parse_request(&res);
	dnsctl_send(fd, line);
	dnsctl_send(fd, "\n");
	free(line);
	line = dnsctl_receive(fd, &len);
	close(fd);

	resp = cJSON_ParseWithLength(line, len);
	free(line);
	if (!cJSON_IsObject(resp))
		dnsctl_fail("the daemon's response is not a JSON object");
	v = cJSON_GetObjectItemCaseSensitive(resp, "v");
	if (!cJSON_IsNumber(v) || v->valuedouble != CTL_PROTO_VERSION)
		dnsctl_fail("the daemon speaks another protocol version "
		    "(dnsctl speaks %d)", CTL_PROTO_VERSION);
	ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
	if (!cJSON_IsBool(ok))
		dnsctl_fail("the daemon's response has no \"ok\"");
	if (cJSON_IsFalse(ok)) {
		error = cJSON_GetObjectItemCaseSensitive(resp, "error");
		msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    error, "message"));
		if (msg == NULL)
			msg = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(error, "code"));
		fprintf(stderr, "dnsctl: %s\n", msg != NULL ? msg :
		    "the daemon reported an error");
		cJSON_Delete(resp);
		parse_result_clear(&res);
		return (DNSCTL_EXIT_ERROR);
	}
	result = cJSON_GetObjectItemCaseSensitive(resp, "result");
	if (!cJSON_IsObject(result))
		dnsctl_fail("the daemon's response has no result object");

	output_result(ops, stdout, res.cmd, result);
	rc = output_attention(result) ? DNSCTL_EXIT_ATTENTION : DNSCTL_EXIT_OK;
	if (fflush(stdout) == EOF || ferror(stdout))
		dnsctl_fail("writing the output: %s", strerror(errno));
	cJSON_Delete(resp);
	parse_result_clear(&res);
	return (rc);
}
