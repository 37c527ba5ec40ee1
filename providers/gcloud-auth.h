/*
 * gcloud-auth.h: what gcloud.c and gcloud-auth.c share.  Private to the
 * Google Cloud DNS provider.
 */
#ifndef MULTIDNS_GCLOUD_AUTH_H
#define MULTIDNS_GCLOUD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#define GCLOUD_ERR_MAX		512

struct http_response;

/* The service account's identity and key, and the access token. */
struct gcloud_auth {
	char		*token_url;
	char		*email;
	char		*key_id;
	EVP_PKEY	*pkey;		/* secret */
	char		*token;		/* secret */
	unsigned	 token_gen;
	uint64_t	 token_until_ms;	/* use before */
	unsigned	 ntokens;	/* tokens obtained */
};

/* gcloud-auth.c */
int	 gcloud_auth_read_key(struct gcloud_auth *, const char *name,
	    const char *path, char **token_uri, char *err, size_t errlen);
char	*gcloud_auth_jwt(const struct gcloud_auth *, char *err,
	    size_t errlen);
int	 gcloud_auth_usable(const struct gcloud_auth *);
void	 gcloud_auth_drop(struct gcloud_auth *);
int	 gcloud_auth_parse(struct gcloud_auth *, const char *name,
	    uint64_t sent_ms, const struct http_response *, char *err,
	    size_t errlen);
void	 gcloud_auth_clear(struct gcloud_auth *);

/* gcloud.c */
uint64_t	 gcloud_now_ms(void);
void		 gcloud_wipe_free(char *);
cJSON		*gcloud_parse_json(const char *, size_t);
const char	*gcloud_json_str(const cJSON *, const char *);
int		 gcloud_url_ok(const char *);

#endif
