/* gcloud.c: placeholder until written */
#include "autoconf.h"
#include "provider.h"
const struct provider_ops gcloud_ops = { .type = "gcloud" };
