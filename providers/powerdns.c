/* powerdns.c: placeholder until written */
#include "autoconf.h"
#include "provider.h"
const struct provider_ops powerdns_ops = { .type = "powerdns" };
