/* reconcile.c: placeholder until written; plan and sync are not available. */
#include "autoconf.h"

#include <stdio.h>

#include "reconcile.h"

int
reconcile_zone(struct daemon *d, struct daemon_zone *z, unsigned flags,
    reconcile_done_cb cb, void *arg, char *err, size_t errlen)
{
	(void)d; (void)z; (void)flags; (void)cb; (void)arg;
	snprintf(err, errlen, "not available yet: reconcile is not built");
	return (-1);
}

void
reconcile_cancel(struct daemon *d, struct daemon_zone *z)
{
	(void)d; (void)z;
}
