/* log.h: one line per event, "LEVEL module: message", to stderr. */
#ifndef MULTIDNS_LOG_H
#define MULTIDNS_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(enum log_level, const char *progname);
void	log_set_level(enum log_level);
enum log_level log_get_level(void);
int	log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);

/*
 * The module is a short tag ("zone", "store", "powerdns"); zone and
 * provider context, where there is one, goes in the message itself.
 * The _warn variants append strerror(errno); the _warnx ones do not.
 * Never pass a secret to any of these.
 */
void	log_warn(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warnx(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_error(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_debug(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	fatal(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	fatalx(const char *mod, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
