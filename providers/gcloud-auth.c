/*
 * gcloud-auth.c: Google Cloud DNS authentication: the service account's
 * JSON key, the JWT (RS256) traded for an access token, and the token
 * kept until shortly before it expires (see gcloud.c for the rules).
 * The private key, the JWT and the token are secrets: never a log line,
 * never an error message.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gcloud-auth.h"
#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define GCLOUD_SCOPE		\
	"https://www.googleapis.com/auth/ndev.clouddns.readwrite"
#define GCLOUD_JWT_LIFE		3600	/* seconds, Google's maximum */
#define GCLOUD_TOKEN_MARGIN_MS	(5 * 60 * 1000)
#define GCLOUD_TOKEN_MAX	4096	/* bytes of access token accepted */

/* base64url without padding (RFC 7515 section 2). */
static char *
gcloud_b64url(const unsigned char *in, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*o++ = tab[v >> 18 & 0x3f];
		*o++ = tab[v >> 12 & 0x3f];
		*o++ = tab[v >> 6 & 0x3f];
		*o++ = tab[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*o++ = tab[v >> 18 & 0x3f];
		*o++ = tab[v >> 12 & 0x3f];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = tab[v >> 18 & 0x3f];
		*o++ = tab[v >> 12 & 0x3f];
		*o++ = tab[v >> 6 & 0x3f];
	}
	*o = '\0';
	return (out);
}

/* --- the service account key --------------------------------------------- */

/* Never ask for a pass phrase on a terminal. */
static int
gcloud_nopass_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return (-1);
}

/* Read the service account key file: identity and private key. */
int
gcloud_auth_read_key(struct gcloud_auth *a, const char *name,
    const char *path, char **token_uri, char *err, size_t errlen)
{
	cJSON		*j;
	cJSON		*pk;
	const char	*type, *email, *kid, *tu;
	char		*buf, msg[GCLOUD_ERR_MAX];
	BIO		*bio;
	int		 rv = -1;

	if ((buf = provider_read_secret(path, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "provider %s: service-account-file: %s",
		    name, msg);
		return (-1);
	}
	j = gcloud_parse_json(buf, strlen(buf));
	explicit_bzero(buf, strlen(buf));
	free(buf);
	if (j == NULL) {
		snprintf(err, errlen, "provider %s: service-account-file: not "
		    "a JSON object", name);
		return (-1);
	}
	type = gcloud_json_str(j, "type");
	email = gcloud_json_str(j, "client_email");
	kid = gcloud_json_str(j, "private_key_id");
	tu = gcloud_json_str(j, "token_uri");
	pk = cJSON_GetObjectItemCaseSensitive(j, "private_key");
	if (type != NULL && strcmp(type, "service_account") != 0) {
		snprintf(err, errlen, "provider %s: service-account-file: type "
		    "is not \"service_account\"", name);
		goto done;
	}
	if (email == NULL || email[0] == '\0' || strlen(email) > 320) {
		snprintf(err, errlen, "provider %s: service-account-file: no "
		    "client_email", name);
		goto done;
	}
	if (!cJSON_IsString(pk) || pk->valuestring == NULL) {
		snprintf(err, errlen, "provider %s: service-account-file: no "
		    "private_key", name);
		goto done;
	}
	if (tu != NULL && !gcloud_url_ok(tu)) {
		snprintf(err, errlen, "provider %s: service-account-file: "
		    "token_uri is not an http:// or https:// URL", name);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pk->valuestring, -1)) == NULL)
		fatalx("gcloud", "BIO_new_mem_buf");
	a->pkey = PEM_read_bio_PrivateKey(bio, NULL, gcloud_nopass_cb, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (a->pkey == NULL) {
		snprintf(err, errlen, "provider %s: service-account-file: "
		    "private_key is not a readable PEM private key "
		    "(unencrypted PKCS#8 expected)", name);
		goto done;
	}
	if (EVP_PKEY_base_id(a->pkey) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "provider %s: service-account-file: "
		    "private_key is not an RSA key", name);
		goto done;
	}
	a->email = xstrdup(email);
	if (kid != NULL && kid[0] != '\0')
		a->key_id = xstrdup(kid);
	if (tu != NULL)
		*token_uri = xstrdup(tu);
	rv = 0;

done:
	if (cJSON_IsString(pk) && pk->valuestring != NULL)
		explicit_bzero(pk->valuestring, strlen(pk->valuestring));
	cJSON_Delete(j);
	return (rv);
}

/* --- the access token ----------------------------------------------------- */

int
gcloud_auth_usable(const struct gcloud_auth *a)
{
	return (a->token != NULL && gcloud_now_ms() < a->token_until_ms);
}

void
gcloud_auth_drop(struct gcloud_auth *a)
{
	gcloud_wipe_free(a->token);
	a->token = NULL;
	a->token_until_ms = 0;
}

/* The signed JWT (secret), or NULL with err set. */
char *
gcloud_auth_jwt(const struct gcloud_auth *a, char *err, size_t errlen)
{
	cJSON		*h, *c;
	char		*hs, *cs, *hb, *cb, *input, *sigb, *jwt = NULL;
	unsigned char	*sig = NULL;
	size_t		 siglen = 0;
	EVP_MD_CTX	*ctx;
	time_t		 now = time(NULL);

	h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "alg", "RS256");
	cJSON_AddStringToObject(h, "typ", "JWT");
	if (a->key_id != NULL)
		cJSON_AddStringToObject(h, "kid", a->key_id);
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "iss", a->email);
	cJSON_AddStringToObject(c, "scope", GCLOUD_SCOPE);
	cJSON_AddStringToObject(c, "aud", a->token_url);
	cJSON_AddNumberToObject(c, "iat", (double)now);
	cJSON_AddNumberToObject(c, "exp", (double)(now + GCLOUD_JWT_LIFE));
	if ((hs = cJSON_PrintUnformatted(h)) == NULL ||
	    (cs = cJSON_PrintUnformatted(c)) == NULL)
		fatalx("gcloud", "cJSON_PrintUnformatted");
	cJSON_Delete(h);
	cJSON_Delete(c);
	hb = gcloud_b64url((const unsigned char *)hs, strlen(hs));
	cb = gcloud_b64url((const unsigned char *)cs, strlen(cs));
	cJSON_free(hs);
	cJSON_free(cs);
	xasprintf(&input, "%s.%s", hb, cb);
	free(hb);
	free(cb);

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("gcloud", "EVP_MD_CTX_new");
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, a->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input,
	    strlen(input)) != 1)
		goto fail;
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input,
	    strlen(input)) != 1)
		goto fail;
	sigb = gcloud_b64url(sig, siglen);
	xasprintf(&jwt, "%s.%s", input, sigb);
	free(sigb);
	free(sig);
	free(input);
	EVP_MD_CTX_free(ctx);
	return (jwt);

fail:
	ERR_clear_error();
	snprintf(err, errlen, "cannot sign the JWT (RS256)");
	free(sig);
	free(input);
	EVP_MD_CTX_free(ctx);
	return (NULL);
}

/*
 * Parse a token answer to a request sent at sent_ms; 0 with a->token set,
 * or -1 with err.
 */
int
gcloud_auth_parse(struct gcloud_auth *a, const char *name, uint64_t sent_ms,
    const struct http_response *resp, char *err, size_t errlen)
{
	cJSON		*j;
	const cJSON	*tok, *exp, *type;
	const char	*s;
	uint64_t	 life_ms, margin_ms;

	if ((j = gcloud_parse_json(resp->body, resp->body_len)) == NULL) {
		snprintf(err, errlen, "token endpoint: invalid response (not "
		    "a JSON object)");
		return (-1);
	}
	tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
	exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
	type = cJSON_GetObjectItemCaseSensitive(j, "token_type");
	if (!cJSON_IsString(tok) || tok->valuestring == NULL ||
	    tok->valuestring[0] == '\0' ||
	    strlen(tok->valuestring) > GCLOUD_TOKEN_MAX ||
	    !cJSON_IsNumber(exp) || exp->valuedouble < 1 ||
	    exp->valuedouble > 86400 * 7 ||
	    (type != NULL && (!cJSON_IsString(type) ||
	    strcasecmp(type->valuestring, "Bearer") != 0))) {
		snprintf(err, errlen, "token endpoint: invalid response (no "
		    "Bearer access_token with expires_in)");
		goto fail;
	}
	for (s = tok->valuestring; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			snprintf(err, errlen, "token endpoint: invalid "
			    "response (bad character in access_token)");
			goto fail;
		}
	}
	gcloud_auth_drop(a);
	a->token = xstrdup(tok->valuestring);
	a->token_gen++;
	a->ntokens++;
	life_ms = (uint64_t)(exp->valuedouble * 1000);
	margin_ms = life_ms / 2 < GCLOUD_TOKEN_MARGIN_MS ? life_ms / 2 :
	    GCLOUD_TOKEN_MARGIN_MS;
	/* the clock starts when the request was sent */
	a->token_until_ms = sent_ms + life_ms - margin_ms;
	log_debug("gcloud", "%s: access token obtained, used for %llu s",
	    name, (unsigned long long)((life_ms - margin_ms) / 1000));
	explicit_bzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(j);
	return (0);

fail:
	if (cJSON_IsString(tok) && tok->valuestring != NULL)
		explicit_bzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(j);
	return (-1);
}

void
gcloud_auth_clear(struct gcloud_auth *a)
{
	gcloud_auth_drop(a);
	EVP_PKEY_free(a->pkey);
	free(a->token_url);
	free(a->email);
	free(a->key_id);
	memset(a, 0, sizeof(*a));
}
