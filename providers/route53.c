/* route53.c: placeholder until written */
#include "autoconf.h"
#include "provider.h"
const struct provider_ops route53_ops = { .type = "route53" };
