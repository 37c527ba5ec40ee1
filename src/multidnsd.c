/*
 * multidnsd.c: main() only.
 *
 * The daemon never forks: it stays in the foreground and logs to stderr,
 * which is what systemd (Type=notify) and journald want.  -f is accepted
 * for compatibility and changes nothing.
 */
#include "autoconf.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: multidnsd [-dfhnpv] [-c file] [--version]\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -d, --debug        log debug messages\n"
	    "  -f, --foreground   stay in the foreground (always so: "
	    "it never forks)\n"
	    "  -n, --check        check the configuration and every zone, "
	    "then exit\n"
	    "  -p, --print        with -n, print the normalised "
	    "configuration\n"
	    "  -v, --verbose      with -n, list every zone loaded\n"
	    "  -h, --help         this help\n"
	    "      --version      print the version and exit\n",
	    CONFIG_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "check", no_argument, NULL, 'n' },
		{ "print", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon	*d;
	const char	*path = CONFIG_DEFAULT_PATH;
	char		 err[1024];
	int		 ch, check = 0, print = 0, debug = 0, verbose = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:dfhnpv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'n':
			check = 1;
			break;
		case 'p':
			print = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("multidnsd %s\n", PACKAGE_VERSION);
			return (0);
		default:
			usage(stderr);
			return (1);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (1);
	}
	if (print && !check) {
		fprintf(stderr, "multidnsd: -p needs -n\n");
		return (1);
	}
	log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "multidnsd");

	if (check)
		return (config_check_file(path,
		    (print ? CONFIG_CHECK_PRINT : 0) |
		    (verbose ? CONFIG_CHECK_LIST : 0), stdout, stderr) == 0 ?
		    0 : 1);

	/* A client that goes away must not kill us while we write to it. */
	signal(SIGPIPE, SIG_IGN);
	if ((d = daemon_new(path, debug, err, sizeof(err))) == NULL) {
		fprintf(stderr, "multidnsd: %s\n", err);
		return (1);
	}
	rc = daemon_run(d);
	daemon_free(d);
	log_info("daemon", "stopped");
	return (rc == 0 ? 0 : 1);
}
