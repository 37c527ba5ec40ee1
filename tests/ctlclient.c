/*
 * ctlclient: a raw control-socket client for the tests, to send what
 * dnsctl never would.
 *
 *	ctlclient [-l lines] [-n bytes] [-w seconds] socket [data]
 *
 * Connects to the Unix socket, sends `data` verbatim (or, with -n, that
 * many 'x' bytes and a newline; with neither, nothing), then copies what
 * the daemon answers to stdout until it closes the connection, `lines`
 * newlines have arrived, or `seconds` (default 5) have passed.
 *
 * Exit: 0 closed by the daemon or all lines read, 3 timed out, 2 error.
 *
 *	ctlclient -B
 *
 * A black hole for a provider to talk to: listens on 127.0.0.1, TCP and
 * UDP on the same random port, prints the port, then accepts connections
 * and never answers anything, until killed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif

static void
usage(void)
{
	fprintf(stderr, "usage: ctlclient [-l lines] [-n bytes] [-w seconds] "
	    "socket [data]\n       ctlclient -B\n");
	exit(2);
}

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "ctlclient: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void __attribute__((noreturn))
blackhole(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			tcp, udp;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((tcp = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (bind(tcp, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(tcp, 64) == -1)
		die("bind");
	if (getsockname(tcp, (struct sockaddr *)&sin, &len) == -1)
		die("getsockname");
	if ((udp = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (bind(udp, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind udp");
	printf("%u\n", (unsigned)ntohs(sin.sin_port));
	fflush(stdout);
	/* Hold every connection open, say nothing, read nothing. */
	for (;;) {
		if (accept(tcp, NULL, NULL) == -1 && errno != EINTR &&
		    errno != ECONNABORTED)
			die("accept");
	}
}

static long
number(const char *s)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		usage();
	return (n);
}

/* Send it all; the daemon may close early (too-large): that is not fatal. */
static void
send_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 buf[65536], *junk;
	long			 lines = 0, bytes = -1, seconds = 5, seen = 0;
	long long		 deadline, left;
	ssize_t			 n, i;
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "Bl:n:w:")) != -1) {
		switch (ch) {
		case 'B':
			blackhole();
		case 'l':
			lines = number(optarg);
			break;
		case 'n':
			bytes = number(optarg);
			break;
		case 'w':
			seconds = number(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 || (argc == 2 && bytes >= 0))
		usage();

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[0]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ctlclient: %s: path too long\n", argv[0]);
		return (2);
	}
	memcpy(sun.sun_path, argv[0], strlen(argv[0]) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "ctlclient: %s: %s\n", argv[0],
		    strerror(errno));
		return (2);
	}

	if (bytes >= 0) {
		if ((junk = malloc((size_t)bytes + 1)) == NULL) {
			fprintf(stderr, "ctlclient: out of memory\n");
			return (2);
		}
		memset(junk, 'x', (size_t)bytes);
		junk[bytes] = '\n';
		send_all(fd, junk, (size_t)bytes + 1);
		free(junk);
	} else if (argc == 2)
		send_all(fd, argv[1], strlen(argv[1]));

	deadline = now_ms() + seconds * 1000;
	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return (3);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ctlclient: poll: %s\n",
			    strerror(errno));
			return (2);
		}
		if (pfd.revents == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ECONNRESET)
			break;
		if (n == -1) {
			fprintf(stderr, "ctlclient: read: %s\n",
			    strerror(errno));
			return (2);
		}
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n')
				seen++;
		}
		if (lines > 0 && seen >= lines)
			break;
	}
	close(fd);
	return (0);
}
