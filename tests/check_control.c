/*
 * check_control.c: the control socket, driven by real Unix-socket clients.
 *
 * The server runs on a libevent base in the test process; the tests pump
 * it with EVLOOP_NONBLOCK between client steps, so clients are plain
 * non-blocking sockets and nothing needs threads.
 *
 * A malformed request line gets "bad-request" and the connection stays
 * usable; an over-long one gets "too-large" and the connection is closed.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "log.h"
#include "xmalloc.h"

#define DAEMON_UID	1000
#define NOBODY		65534
#define TIMEOUT_MS	5000

static struct event_base	*base;
static struct control		*ctl;
static char			 dir[32];
static char			 path[64];
static struct control_conn	*pending;
static int			 big_len = 5000;

static int
status_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	const cJSON	*zone;
	cJSON		*r;

	zone = cJSON_GetObjectItemCaseSensitive(req->args, "zone");
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "cmd", req->cmd);
	if (cJSON_IsString(zone))
		cJSON_AddStringToObject(r, "zone", zone->valuestring);
	else
		cJSON_AddNullToObject(r, "zone");
	reply->result = r;
	return (CONTROL_DONE);
}

static int
sync_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	ck_assert_ptr_null(pending);
	pending = control_defer(req);
	return (CONTROL_DEFERRED);
}

static int
reload_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	struct control_conn	*c;
	cJSON			*r;

	/* Deferred, then answered before the handler even returns. */
	c = control_defer(req);
	r = cJSON_CreateObject();
	cJSON_AddTrueToObject(r, "reloaded");
	ck_assert_int_eq(control_answer(c, r), 0);
	return (CONTROL_DEFERRED);
}

static int
plan_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	return (control_reply_error(reply, CTL_ERR_NO_SUCH_ZONE,
	    "no zone '%s'", "nowhere."));
}

static int
lint_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	return (-1);
}

static int
history_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	char	*s;

	s = xmalloc((size_t)big_len + 1);
	memset(s, 'x', (size_t)big_len);
	s[big_len] = '\0';
	reply->result = cJSON_CreateObject();
	cJSON_AddStringToObject(reply->result, "big", s);
	free(s);
	return (CONTROL_DONE);
}

static const struct control_handler handlers[] = {
	{ CTL_CMD_STATUS, status_cb },
	{ CTL_CMD_SYNC, sync_cb },
	{ CTL_CMD_RELOAD, reload_cb },
	{ CTL_CMD_PLAN, plan_cb },
	{ CTL_CMD_LINT, lint_cb },
	{ CTL_CMD_HISTORY, history_cb },
	{ NULL, NULL }
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
pump(int ms)
{
	long long	end = now_ms() + ms;

	do {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	} while (now_ms() < end);
}

static void
setup(void)
{
	char	err[256];

	signal(SIGPIPE, SIG_IGN);
	log_init(getenv("CHECK_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR,
	    "check_control");
	snprintf(dir, sizeof(dir), "/tmp/check_control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ctl = control_open(base, path, 0666, CONTROL_NO_GROUP, DAEMON_UID,
	    handlers, NULL, err, sizeof(err));
	ck_assert_msg(ctl != NULL, "control_open: %s", err);
	pending = NULL;
}

static void
teardown(void)
{
	control_close(ctl);
	ctl = NULL;
	event_base_free(base);
	base = NULL;
	unlink(path);
	rmdir(dir);
}

static int
client_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return (fd);
}

static void
client_send(int fd, const char *s, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN) {
			pump(1);
			continue;
		}
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
}

static void
client_sends(int fd, const char *s)
{
	client_send(fd, s, strlen(s));
}

/*
 * Read one line (without "\n") into a static buffer, pumping the loop.
 * NULL on EOF; fails the test on timeout.
 */
static const char *
client_line(int fd)
{
	static char	buf[16384];
	size_t		len = 0;
	long long	end = now_ms() + TIMEOUT_MS;
	ssize_t		n;
	char		ch;

	for (;;) {
		n = recv(fd, &ch, 1, 0);
		if (n == 1) {
			if (ch == '\n')
				break;
			ck_assert_uint_lt(len, sizeof(buf) - 1);
			buf[len++] = ch;
			continue;
		}
		/* Closed with our bytes unread, Linux resets. */
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return (NULL);
		ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		ck_assert_msg(now_ms() < end, "timed out reading a line");
		pump(1);
	}
	buf[len] = '\0';
	return (buf);
}

/* 1 if nothing at all arrives within ms. */
static int
client_quiet(int fd, int ms)
{
	char	ch;

	pump(ms);
	return (recv(fd, &ch, 1, MSG_PEEK) == -1 && errno == EAGAIN);
}

static void
client_expect(int fd, const char *request, const char *response)
{
	const char	*line;

	client_sends(fd, request);
	line = client_line(fd);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, response);
}

#define ERR(code, msg) \
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"" code "\"," \
	"\"message\":\"" msg "\"}}"
#define STATUS_OK(zone) \
	"{\"v\":1,\"ok\":true,\"result\":{\"cmd\":\"status\",\"zone\":" \
	zone "}}"

START_TEST(test_authorise)
{
	ck_assert_int_eq(control_authorise("sync", NOBODY, DAEMON_UID), -1);
	ck_assert_int_eq(control_authorise("sync", 0, DAEMON_UID), 0);
	ck_assert_int_eq(control_authorise("sync", DAEMON_UID, DAEMON_UID), 0);
	ck_assert_int_eq(control_authorise("reload", NOBODY, DAEMON_UID), -1);
	ck_assert_int_eq(control_authorise("withdraw", NOBODY, DAEMON_UID),
	    -1);
	ck_assert_int_eq(control_authorise("status", NOBODY, DAEMON_UID), 0);
	ck_assert_int_eq(control_authorise("plan", NOBODY, DAEMON_UID), 0);
	ck_assert_int_eq(control_authorise("nonsense", 0, DAEMON_UID), -1);
	ck_assert_ptr_null(control_find_command("nonsense"));
	ck_assert_str_eq(control_find_command("apply")->name, "apply");
	ck_assert_int_eq(control_find_command("apply")->flags,
	    CTL_CMD_MUTATING);
	ck_assert_int_eq(control_find_command("lint")->flags, 0);
}
END_TEST

START_TEST(test_format)
{
	char	*s;
	cJSON	*r;

	s = control_format_error(CTL_ERR_BUSY, "say \"hi\"\nthere");
	ck_assert_str_eq(s, "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"busy\",\"message\":\"say \\\"hi\\\"\\nthere\"}}");
	free(s);
	s = control_format_result(NULL);
	ck_assert_str_eq(s, "{\"v\":1,\"ok\":true,\"result\":{}}");
	free(s);
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "n", 3);
	s = control_format_result(r);
	ck_assert_str_eq(s, "{\"v\":1,\"ok\":true,\"result\":{\"n\":3}}");
	free(s);
	cJSON_Delete(r);
}
END_TEST

START_TEST(test_request_ok)
{
	int	fd = client_connect();

	client_expect(fd, "{\"v\":1,\"cmd\":\"status\",\"args\":{\"zone\":"
	    "\"example.com.\"}}\n", STATUS_OK("\"example.com.\""));
	/* No args at all, CRLF, and an empty line in front. */
	client_expect(fd, "\n{\"v\":1,\"cmd\":\"status\"}\r\n",
	    STATUS_OK("null"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"version\"}\n",
	    "{\"v\":1,\"ok\":true,\"result\":{\"version\":\"" PACKAGE_VERSION
	    "\",\"protocol\":1}}");
	ck_assert_uint_eq(control_clients(ctl), 1);
	close(fd);
	pump(20);
	ck_assert_uint_eq(control_clients(ctl), 0);
}
END_TEST

START_TEST(test_pipelined)
{
	int	fd = client_connect();

	client_sends(fd, "{\"v\":1,\"cmd\":\"status\",\"args\":{\"zone\":"
	    "\"a.\"}}\n{\"v\":1,\"cmd\":\"status\",\"args\":{\"zone\":"
	    "\"b.\"}}\n");
	ck_assert_str_eq(client_line(fd), STATUS_OK("\"a.\""));
	ck_assert_str_eq(client_line(fd), STATUS_OK("\"b.\""));
	close(fd);
}
END_TEST

START_TEST(test_bad_requests)
{
	int	fd = client_connect();

	client_expect(fd, "{nope\n",
	    ERR("bad-request", "request is not valid JSON"));
	client_expect(fd, "[1,2]\n",
	    ERR("bad-request", "request is not a JSON object"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"status\"} x\n",
	    ERR("bad-request", "trailing data after the request"));
	client_expect(fd, "{\"cmd\":\"status\"}\n",
	    ERR("bad-request", "missing protocol version \\\"v\\\""));
	client_expect(fd, "{\"v\":2,\"cmd\":\"status\"}\n",
	    ERR("bad-request", "protocol version 2 not supported "
	    "(the daemon speaks 1)"));
	client_expect(fd, "{\"v\":1}\n",
	    ERR("bad-request", "missing \\\"cmd\\\""));
	client_expect(fd, "{\"v\":1,\"cmd\":7}\n",
	    ERR("bad-request", "\\\"cmd\\\" is not a string"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"status\",\"args\":[]}\n",
	    ERR("bad-request", "\\\"args\\\" is not an object"));
	/* The connection is still usable after all that. */
	client_expect(fd, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	close(fd);
}
END_TEST

START_TEST(test_unknown_and_unavailable)
{
	int	fd = client_connect();

	client_expect(fd, "{\"v\":1,\"cmd\":\"frobnicate\"}\n",
	    ERR("unknown-command", "unknown command 'frobnicate'"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"alerts\"}\n",
	    ERR("not-available", "'alerts' is not available yet"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"plan\",\"args\":{}}\n",
	    ERR("no-such-zone", "no zone 'nowhere.'"));
	client_expect(fd, "{\"v\":1,\"cmd\":\"lint\"}\n",
	    ERR("internal", "command failed"));
	close(fd);
}
END_TEST

START_TEST(test_too_large)
{
	char	*big;
	int	 fd;

	big = xmalloc(CTL_MAX_REQUEST + 10);
	memset(big, ' ', CTL_MAX_REQUEST + 10);

	/* No newline at all. */
	fd = client_connect();
	client_send(fd, big, CTL_MAX_REQUEST + 10);
	ck_assert_str_eq(client_line(fd), ERR("too-large",
	    "request longer than 65536 bytes"));
	ck_assert_ptr_null(client_line(fd));
	close(fd);

	/* A complete line one byte too long. */
	fd = client_connect();
	big[CTL_MAX_REQUEST + 1] = '\n';
	client_send(fd, big, CTL_MAX_REQUEST + 2);
	ck_assert_str_eq(client_line(fd), ERR("too-large",
	    "request longer than 65536 bytes"));
	ck_assert_ptr_null(client_line(fd));
	close(fd);

	/* Exactly the limit is fine (an empty line, ignored). */
	fd = client_connect();
	big[CTL_MAX_REQUEST] = '\n';
	client_send(fd, big, CTL_MAX_REQUEST + 1);
	client_expect(fd, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	close(fd);
	free(big);
	pump(20);
	ck_assert_uint_eq(control_clients(ctl), 0);
}
END_TEST

START_TEST(test_permission_root)
{
	int	fd = client_connect();

	/* We are root: sync gets through to its (deferring) handler. */
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	pump(50);
	ck_assert_ptr_nonnull(pending);
	ck_assert_int_eq(control_answer(pending, NULL), 0);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), "{\"v\":1,\"ok\":true,\"result\":{}}");
	close(fd);
}
END_TEST

START_TEST(test_permission_nobody)
{
	const char	*req = "{\"v\":1,\"cmd\":\"sync\"}\n"
			    "{\"v\":1,\"cmd\":\"status\"}\n";
	char		 out[1024];
	int		 p[2], status, fd;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	char		*nl;

	if (getuid() != 0)
		return;		/* cannot change uid: control_authorise covers it */
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		if (setgid(NOBODY) == -1 || setuid(NOBODY) == -1)
			_exit(3);
		fd = client_connect();
		ck_assert_int_eq(fcntl(fd, F_SETFL, 0), 0);
		if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
			_exit(4);
		while (len < sizeof(out) - 1 && (n = read(fd, out + len,
		    sizeof(out) - 1 - len)) > 0) {
			len += (size_t)n;
			out[len] = '\0';
			if ((nl = strchr(out, '\n')) != NULL &&
			    strchr(nl + 1, '\n') != NULL)
				break;
		}
		if (write(p[1], out, len) != (ssize_t)len)
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	while (waitpid(pid, &status, WNOHANG) == 0)
		pump(5);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert_str_eq(out, ERR("permission-denied", "permission denied: "
	    "'sync' needs root or the daemon's user") "\n" STATUS_OK("null")
	    "\n");
	ck_assert_ptr_null(pending);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct control_limits	l;
	long long		start;
	int			fd, fd2;

	control_get_limits(ctl, &l);
	ck_assert_uint_eq(l.idle_ms, CONTROL_IDLE_MS);
	ck_assert_uint_eq(l.max_clients, CONTROL_MAX_CLIENTS);
	l.idle_ms = 200;
	control_set_limits(ctl, &l);

	start = now_ms();
	fd = client_connect();
	fd2 = client_connect();
	/* fd2 keeps talking, and stays. */
	pump(120);
	client_expect(fd2, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	ck_assert_ptr_null(client_line(fd));
	ck_assert_int_ge(now_ms() - start, 190);
	ck_assert_uint_eq(control_clients(ctl), 1);
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(test_pending_not_idle)
{
	struct control_limits	l;
	int			fd;

	control_get_limits(ctl, &l);
	l.idle_ms = 100;
	control_set_limits(ctl, &l);
	fd = client_connect();
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	ck_assert(client_quiet(fd, 400));
	ck_assert_uint_eq(control_clients(ctl), 1);
	ck_assert_ptr_nonnull(pending);
	ck_assert_int_eq(control_conn_gone(pending), 0);
	ck_assert_int_eq(control_answer(pending, NULL), 0);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), "{\"v\":1,\"ok\":true,\"result\":{}}");
	/* Idle again: closed. */
	ck_assert_ptr_null(client_line(fd));
	close(fd);
}
END_TEST

START_TEST(test_max_clients)
{
	struct control_limits	l;
	int			fd1, fd2, fd3;

	control_get_limits(ctl, &l);
	l.max_clients = 2;
	control_set_limits(ctl, &l);
	fd1 = client_connect();
	fd2 = client_connect();
	pump(20);
	ck_assert_uint_eq(control_clients(ctl), 2);
	fd3 = client_connect();
	ck_assert_str_eq(client_line(fd3), ERR("busy",
	    "too many clients, try again later"));
	ck_assert_ptr_null(client_line(fd3));
	ck_assert_uint_eq(control_clients(ctl), 2);
	/* The others are unaffected; once one leaves there is room. */
	client_expect(fd1, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	close(fd2);
	pump(20);
	close(fd3);
	fd3 = client_connect();
	client_expect(fd3, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	close(fd1);
	close(fd3);
}
END_TEST

#define NCLIENTS	200

START_TEST(test_many_clients)
{
	struct sockaddr_un	 sun;
	int			 fds[NCLIENTS], i, done = 0, rc;
	char			 req[128], want[128], got[NCLIENTS][128];
	size_t			 len[NCLIENTS];
	long long		 end;
	ssize_t			 n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < NCLIENTS; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(fds[i], 0);
		/* Past the backlog, connect says EAGAIN: let the loop accept. */
		while ((rc = connect(fds[i], (struct sockaddr *)&sun,
		    sizeof(sun))) == -1 && errno == EAGAIN)
			pump(1);
		ck_assert_int_eq(rc, 0);
		len[i] = 0;
	}
	for (i = 0; i < NCLIENTS; i++) {
		snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"status\","
		    "\"args\":{\"zone\":\"z%d.\"}}\n", i);
		client_sends(fds[i], req);
	}
	end = now_ms() + TIMEOUT_MS;
	while (done < NCLIENTS && now_ms() < end) {
		pump(1);
		for (i = 0; i < NCLIENTS; i++) {
			if (len[i] > 0 && got[i][len[i] - 1] == '\n')
				continue;
			n = recv(fds[i], got[i] + len[i],
			    sizeof(got[i]) - 1 - len[i], 0);
			if (n <= 0)
				continue;
			len[i] += (size_t)n;
			if (got[i][len[i] - 1] == '\n')
				done++;
		}
	}
	ck_assert_int_eq(done, NCLIENTS);
	ck_assert_uint_eq(control_clients(ctl), NCLIENTS);
	for (i = 0; i < NCLIENTS; i++) {
		got[i][len[i]] = '\0';
		snprintf(want, sizeof(want), "{\"v\":1,\"ok\":true,\"result\":"
		    "{\"cmd\":\"status\",\"zone\":\"z%d.\"}}\n", i);
		ck_assert_str_eq(got[i], want);
		close(fds[i]);
	}
	pump(50);
	ck_assert_uint_eq(control_clients(ctl), 0);
}
END_TEST

START_TEST(test_async)
{
	cJSON	*r;
	int	 fd = client_connect();

	/* The status behind the deferred sync waits for it: order holds. */
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\",\"args\":{\"force\":true}}\n"
	    "{\"v\":1,\"cmd\":\"status\"}\n");
	ck_assert(client_quiet(fd, 100));
	ck_assert_ptr_nonnull(pending);
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "queued", cJSON_CreateStringArray(
	    (const char *[]){ "example.com." }, 1));
	ck_assert_int_eq(control_answer(pending, r), 0);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), "{\"v\":1,\"ok\":true,\"result\":"
	    "{\"queued\":[\"example.com.\"]}}");
	ck_assert_str_eq(client_line(fd), STATUS_OK("null"));

	/* An error answer, and an abandoned request. */
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	pump(20);
	ck_assert_int_eq(control_answer_error(pending, CTL_ERR_BUSY,
	    "a reconcile of %s is running", "example.com."), 0);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), ERR("busy",
	    "a reconcile of example.com. is running"));
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	pump(20);
	control_abandon(pending);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), ERR("internal",
	    "the daemon gave up on this request"));

	/* Deferred and answered inside the handler. */
	client_expect(fd, "{\"v\":1,\"cmd\":\"reload\"}\n",
	    "{\"v\":1,\"ok\":true,\"result\":{\"reloaded\":true}}");
	close(fd);
}
END_TEST

START_TEST(test_async_client_gone)
{
	int	fd = client_connect();

	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	pump(20);
	ck_assert_ptr_nonnull(pending);
	close(fd);
	pump(50);
	ck_assert_int_eq(control_conn_gone(pending), 1);
	/*
	 * The socket is still open (it may be a half-close), so the answer
	 * is queued; writing it fails and the connection goes.  No crash,
	 * no leak (ASan, valgrind).
	 */
	ck_assert_uint_eq(control_clients(ctl), 1);
	ck_assert_int_eq(control_answer(pending, cJSON_CreateObject()), 0);
	pending = NULL;
	pump(50);
	ck_assert_uint_eq(control_clients(ctl), 0);

	/* control_close() while a request is deferred. */
	fd = client_connect();
	client_sends(fd, "{\"v\":1,\"cmd\":\"sync\"}\n");
	pump(20);
	ck_assert_ptr_nonnull(pending);
	control_close(ctl);
	ctl = NULL;
	ck_assert_int_eq(control_conn_gone(pending), 1);
	ck_assert_int_eq(control_answer_error(pending, CTL_ERR_INTERNAL,
	    "late"), -1);
	pending = NULL;
	ck_assert_ptr_null(client_line(fd));
	close(fd);
}
END_TEST

START_TEST(test_half_close)
{
	int	fd = client_connect();

	client_sends(fd, "{\"v\":1,\"cmd\":\"status\"}\n"
	    "{\"v\":1,\"cmd\":\"sync\"}\n");
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_str_eq(client_line(fd), STATUS_OK("null"));
	ck_assert_ptr_nonnull(pending);
	ck_assert_int_eq(control_conn_gone(pending), 1);
	/* It finished sending but still reads: the answer arrives. */
	ck_assert_int_eq(control_answer(pending, NULL), 0);
	pending = NULL;
	ck_assert_str_eq(client_line(fd), "{\"v\":1,\"ok\":true,\"result\":{}}");
	ck_assert_ptr_null(client_line(fd));
	close(fd);
}
END_TEST

START_TEST(test_slow_reader)
{
	struct control_limits	l;
	int			fd, i;
	long long		end;

	control_get_limits(ctl, &l);
	l.max_output = 8192;
	control_set_limits(ctl, &l);
	fd = client_connect();
	/* 200 answers of 5 kB, never read: far beyond the socket buffer. */
	for (i = 0; i < 200; i++)
		client_sends(fd, "{\"v\":1,\"cmd\":\"history\"}\n");
	end = now_ms() + TIMEOUT_MS;
	while (control_clients(ctl) != 0 && now_ms() < end)
		pump(5);
	ck_assert_uint_eq(control_clients(ctl), 0);
	close(fd);
}
END_TEST

START_TEST(test_stale_and_live)
{
	struct control		*ctl2;
	struct sockaddr_un	 sun;
	char			 err[256], stale[80], msg[256];
	int			 fd;

	/* The live socket from setup() is refused and left alone. */
	ctl2 = control_open(base, path, 0660, CONTROL_NO_GROUP, 0, handlers,
	    NULL, err, sizeof(err));
	ck_assert_ptr_null(ctl2);
	snprintf(msg, sizeof(msg), "another multidnsd is listening on %s",
	    path);
	ck_assert_str_eq(err, msg);
	fd = client_connect();
	client_expect(fd, "{\"v\":1,\"cmd\":\"status\"}\n", STATUS_OK("null"));
	close(fd);

	/* A socket file nobody listens on is replaced. */
	snprintf(stale, sizeof(stale), "%s/stale.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ctl2 = control_open(base, stale, 0600, CONTROL_NO_GROUP, 0, handlers,
	    NULL, err, sizeof(err));
	ck_assert_msg(ctl2 != NULL, "control_open: %s", err);
	control_close(ctl2);
	ck_assert_int_eq(access(stale, F_OK), -1);

	/* Anything else is not ours to remove. */
	fd = open(stale, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ctl2 = control_open(base, stale, 0600, CONTROL_NO_GROUP, 0, handlers,
	    NULL, err, sizeof(err));
	ck_assert_ptr_null(ctl2);
	snprintf(msg, sizeof(msg), "%s exists and is not a socket", stale);
	ck_assert_str_eq(err, msg);
	ck_assert_int_eq(unlink(stale), 0);
}
END_TEST

START_TEST(test_open_errors)
{
	static const struct control_handler bad[] = {
		{ "frobnicate", status_cb },
		{ NULL, NULL }
	};
	struct stat	 st;
	char		 err[256], p2[80];
	struct control	*ctl2;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0666);

	snprintf(p2, sizeof(p2), "%s/other.sock", dir);
	ctl2 = control_open(base, p2, 0660, CONTROL_NO_GROUP, 0, bad, NULL,
	    err, sizeof(err));
	ck_assert_ptr_null(ctl2);
	ck_assert_str_eq(err, "bad handler for command 'frobnicate'");
	ck_assert_int_eq(access(p2, F_OK), -1);

	/* Mode and group are applied. */
	ctl2 = control_open(base, p2, 0640, 0, 0, handlers, NULL, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(ctl2);
	ck_assert_int_eq(stat(p2, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(st.st_gid, 0);
	control_close(ctl2);
	ck_assert_int_eq(access(p2, F_OK), -1);
}
END_TEST

/* A listening socket with one connection waiting, to probe accept(). */
static int
probe_listener(int *client)
{
	struct sockaddr_un	sun;
	int			l;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/probe.sock", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	*client = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(*client, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	unlink(sun.sun_path);
	return (l);
}

START_TEST(test_emfile)
{
	struct rlimit	 old, rl;
	int		 fd, fill[64], nfill = 0, i, pl, pc, a;
	char		 ch;

	fd = client_connect();
	pl = probe_listener(&pc);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)pc + 8;
	if (rl.rlim_cur > old.rlim_cur)
		rl.rlim_cur = old.rlim_cur;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (nfill < 64 && (fill[nfill] = dup(0)) != -1)
		nfill++;
	ck_assert_int_eq(errno, EMFILE);
	/*
	 * Valgrind applies the limit after the kernel's accept() and closes
	 * the connection: then there is nothing to test here.
	 */
	if ((a = accept(pl, NULL, NULL)) != -1) {
		close(a);
		goto out;
	}
	ck_assert_int_eq(errno, EMFILE);
	if (recv(pc, &ch, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		goto out;
	client_sends(fd, "{\"v\":1,\"cmd\":\"status\"}\n");
	ck_assert(client_quiet(fd, 100));
	ck_assert_uint_eq(control_clients(ctl), 0);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	nfill = 0;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* Accepting resumes within a second. */
	ck_assert_str_eq(client_line(fd), STATUS_OK("null"));
out:
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	close(pl);
	close(pc);
	close(fd);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc;

	tc = tcase_create("unit");
	tcase_add_test(tc, test_authorise);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_request_ok);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_unknown_and_unavailable);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_permission_root);
	tcase_add_test(tc, test_permission_nobody);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_pending_not_idle);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_async);
	tcase_add_test(tc, test_async_client_gone);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_slow_reader);
	tcase_add_test(tc, test_stale_and_live);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_emfile);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(control_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
