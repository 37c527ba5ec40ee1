/*
 * notify.h: talking to systemd (sd_notify).  Compiles to no-ops when built
 * --without-systemd, and does nothing when not started by systemd.
 */
#ifndef MULTIDNS_NOTIFY_H
#define MULTIDNS_NOTIFY_H

#include <stdint.h>

void	notify_ready(void);
void	notify_reloading(void);		/* RELOADING=1 + MONOTONIC_USEC */
void	notify_stopping(void);
void	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	notify_watchdog(void);
/* Watchdog interval in microseconds from WATCHDOG_USEC, 0 when disabled. */
uint64_t notify_watchdog_usec(void);

#endif
