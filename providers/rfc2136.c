/* rfc2136.c: placeholder until written */
#include "autoconf.h"
#include "provider.h"
const struct provider_ops rfc2136_ops = { .type = "rfc2136" };
