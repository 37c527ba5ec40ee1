/* log.c: the daemon's one logging path. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static enum log_level	 log_level = LOG_LEVEL_INFO;
static const char	*log_progname = "multidns";

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(enum log_level level, const char *progname)
{
	log_level = level;
	if (progname != NULL)
		log_progname = progname;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return (log_level);
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(log_level_names) / sizeof(log_level_names[0]))
		return ("unknown");
	return (log_level_names[level]);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcasecmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return (0);
		}
	}
	if (strcasecmp(s, "warn") == 0) {
		*out = LOG_LEVEL_WARN;
		return (0);
	}
	return (-1);
}

static void
log_vwrite(enum log_level level, const char *mod, const char *errstr,
    const char *fmt, va_list ap)
{
	char	msg[4096];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One write per line so concurrent writers do not interleave. */
	if (errstr != NULL)
		fprintf(stderr, "%s %s: %s: %s\n", log_level_name(level), mod,
		    msg, errstr);
	else
		fprintf(stderr, "%s %s: %s\n", log_level_name(level), mod, msg);
	fflush(stderr);
}

#define LOG_BODY(level, with_errno) do {				\
	va_list	ap;							\
	const char *errstr = (with_errno) ? strerror(saved) : NULL;	\
	va_start(ap, fmt);						\
	log_vwrite((level), mod, errstr, fmt, ap);			\
	va_end(ap);							\
} while (0)

void
log_warn(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, 1);
	errno = saved;
}

void
log_warnx(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, 0);
	errno = saved;
}

void
log_error(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_ERROR, 0);
	errno = saved;
}

void
log_info(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_INFO, 0);
	errno = saved;
}

void
log_debug(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_DEBUG, 0);
	errno = saved;
}

void
fatal(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_ERROR, 1);
	(void)log_progname;
	exit(1);
}

void
fatalx(const char *mod, const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
