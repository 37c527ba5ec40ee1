/*
 * webhookd: a tiny webhook receiver for the integration tests.
 *
 *	webhookd -a ADDR -p PORT -d DIR
 *
 * Listens on ADDR:PORT (IPv4, loopback in the tests), answers every
 * request "200 OK", and for each POST writes DIR/N.head (the request
 * line and headers, as received) and DIR/N.body (the body, exactly as
 * received), N counting from 1, the body first, then the head, so that a
 * test seeing N.head can read N.body.  One request per connection
 * (Connection: close).  Runs until killed; prints nothing but errors.
 * Requests are capped at 1 MB; anything malformed is answered 400.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REQ_MAX		(1024 * 1024)

static const char	*dir;
static unsigned		 seq;

static int
write_file(const char *name, const char *buf, size_t len)
{
	char	 path[4096], tmp[4200];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return (-1);
	if (fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		return (-1);
	return (rename(tmp, path));
}

static void
answer(int fd, const char *status)
{
	char	buf[256];
	int	n;

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", status);
	(void)write(fd, buf, (size_t)n);
}

static void
serve(int fd)
{
	char		*buf, *end, *cl, name[64];
	size_t		 len = 0, head, want;
	ssize_t		 n;

	buf = malloc(REQ_MAX + 1);
	if (buf == NULL)
		return;
	for (;;) {
		if (len == REQ_MAX)
			goto bad;
		n = read(fd, buf + len, REQ_MAX - len);
		if (n <= 0)
			goto out;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	head = (size_t)(end - buf) + 4;
	want = 0;
	for (cl = buf; cl != NULL && cl < end; cl = strstr(cl, "\r\n")) {
		if (*cl == '\r')
			cl += 2;
		if (strncasecmp(cl, "Content-Length:", 15) == 0) {
			want = strtoul(cl + 15, NULL, 10);
			break;
		}
	}
	if (want > REQ_MAX - head)
		goto bad;
	while (len < head + want) {
		n = read(fd, buf + len, head + want - len);
		if (n <= 0)
			goto out;
		len += (size_t)n;
	}
	if (strncmp(buf, "POST ", 5) == 0) {
		seq++;
		snprintf(name, sizeof(name), "%u.body", seq);
		if (write_file(name, buf + head, want) == -1)
			goto bad;
		snprintf(name, sizeof(name), "%u.head", seq);
		if (write_file(name, buf, head) == -1)
			goto bad;
	}
	answer(fd, "200 OK");
	goto out;
bad:
	answer(fd, "400 Bad Request");
out:
	free(buf);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	const char		*addr = "127.0.0.1";
	int			 ch, s, c, on = 1, port = 0;

	while ((ch = getopt(argc, argv, "a:p:d:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (dir == NULL || port <= 0 || port > 65535)
		goto usage;
	/* Restarted on the same directory: carry on counting. */
	for (;;) {
		char	path[4096];

		snprintf(path, sizeof(path), "%s/%u.head", dir, seq + 1);
		if (access(path, F_OK) == -1)
			break;
		seq++;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		goto usage;
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1) {
		fprintf(stderr, "webhookd: %s:%d: %s\n", addr, port,
		    strerror(errno));
		return (1);
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "webhookd: accept: %s\n",
			    strerror(errno));
			return (1);
		}
		serve(c);
		close(c);
	}
usage:
	fprintf(stderr, "usage: webhookd -a ADDR -p PORT -d DIR\n");
	return (2);
}
