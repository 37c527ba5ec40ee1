/* cloudflare.c: placeholder until written */
#include "autoconf.h"
#include "provider.h"
const struct provider_ops cloudflare_ops = { .type = "cloudflare" };
