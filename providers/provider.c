/* provider.c: the list of backends and what they share. */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define SECRET_MAX	65536

static const struct provider_ops *const provider_backends[] = {
	&powerdns_ops,
	&rfc2136_ops,
	&cloudflare_ops,
	&route53_ops,
	&gcloud_ops,
};

const struct provider_ops *
provider_ops_find(const char *type)
{
	size_t	i;

	for (i = 0; i < sizeof(provider_backends) /
	    sizeof(provider_backends[0]); i++) {
		if (strcmp(provider_backends[i]->type, type) == 0)
			return (provider_backends[i]);
	}
	return (NULL);
}

struct provider *
provider_new(struct provider_conf *conf, struct event_base *base,
    struct http *http, char *err, size_t errlen)
{
	const struct provider_ops	*ops;
	struct provider			*p;

	if ((ops = provider_ops_find(conf->type)) == NULL) {
		snprintf(err, errlen, "provider %s: type '%s' is not "
		    "available in this build", conf->name, conf->type);
		return (NULL);
	}
	p = xcalloc(1, sizeof(*p));
	p->ops = ops;
	p->name = xstrdup(conf->name);
	p->conf = conf;
	p->base = base;
	p->http = http;
	if (ops->init != NULL && ops->init(p, err, errlen) == -1) {
		free(p->name);
		free(p);
		return (NULL);
	}
	return (p);
}

void
provider_cancel(struct provider *p)
{
	if (p != NULL && p->ops->cancel != NULL)
		p->ops->cancel(p);
}

void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	provider_cancel(p);
	if (p->ops->free != NULL)
		p->ops->free(p);
	free(p->name);
	free(p);
}

int
provider_supports_type(const struct provider *p, uint16_t type)
{
	size_t	i;

	if (p->caps.types == NULL)
		return (1);
	for (i = 0; i < p->caps.ntypes; i++) {
		if (p->caps.types[i] == type)
			return (1);
	}
	return (0);
}

const char *
change_result_name(enum change_result r)
{
	switch (r) {
	case CHANGE_RESULT_OK:
		return ("ok");
	case CHANGE_RESULT_FAILED:
		return ("failed");
	case CHANGE_RESULT_NOT_TRIED:
		return ("not-tried");
	}
	return ("unknown");
}

void
apply_result_init(struct apply_result *r, size_t nchanges)
{
	size_t	i;

	r->nchanges = nchanges;
	r->results = xcalloc(nchanges, sizeof(*r->results));
	r->errors = xcalloc(nchanges, sizeof(*r->errors));
	for (i = 0; i < nchanges; i++)
		r->results[i] = CHANGE_RESULT_NOT_TRIED;
	r->api_calls = 0;
}

void
apply_result_clear(struct apply_result *r)
{
	size_t	i;

	if (r->errors != NULL) {
		for (i = 0; i < r->nchanges; i++)
			free(r->errors[i]);
	}
	free(r->errors);
	free(r->results);
	memset(r, 0, sizeof(*r));
}

int
provider_conf_names(const struct provider *p, char ***names, size_t *n,
    char *err, size_t errlen)
{
	const char	*value;
	char		*copy, *s, *w, *last, **v = NULL;
	size_t		 len, nv = 0, i;

	if ((value = provider_conf_get(p->conf, "nameservers")) == NULL)
		return (0);
	copy = xstrdup(value);
	for (w = strtok_r(copy, " \t,", &last); w != NULL;
	    w = strtok_r(NULL, " \t,", &last)) {
		len = strlen(w);
		if (len < 2 || w[len - 1] != '.') {
			snprintf(err, errlen, "provider %s: nameservers: "
			    "'%.255s' is not an absolute name", p->name, w);
			for (i = 0; i < nv; i++)
				free(v[i]);
			free(v);
			free(copy);
			return (-1);
		}
		for (s = w; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = xstrdup(w);
	}
	free(copy);
	*names = xreallocarray(*names, *n + nv, sizeof(**names));
	for (i = 0; i < nv; i++)
		(*names)[(*n)++] = v[i];
	free(v);
	return (0);
}

/*
 * A secret lives in a file readable by the daemon only ("credential:NAME"
 * reads $CREDENTIALS_DIRECTORY/NAME, as systemd's LoadCredential= sets it
 * up).  Trailing newlines are dropped.  The secret is never logged: errors
 * name the file, never its content.
 */
char *
provider_read_secret(const char *path, char *err, size_t errlen)
{
	char		 full[4096], *buf;
	const char	*dir;
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if (strncmp(path, "credential:", 11) == 0) {
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL) {
			snprintf(err, errlen, "%s: CREDENTIALS_DIRECTORY is "
			    "not set (LoadCredential= in the unit?)", path);
			return (NULL);
		}
		if (strchr(path + 11, '/') != NULL || path[11] == '\0') {
			snprintf(err, errlen, "%s: bad credential name", path);
			return (NULL);
		}
		snprintf(full, sizeof(full), "%s/%s", dir, path + 11);
	} else
		snprintf(full, sizeof(full), "%s", path);

	if ((fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", full, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", full);
		close(fd);
		return (NULL);
	}
	if (st.st_mode & S_IROTH) {
		snprintf(err, errlen, "%s: secret file is readable by "
		    "everyone (mode %04o); chmod o-r it", full,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return (NULL);
	}
	buf = xmalloc(SECRET_MAX + 1);
	while (len < SECRET_MAX) {
		n = read(fd, buf + len, SECRET_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", full, strerror(errno));
			free(buf);
			close(fd);
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len == SECRET_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", full,
		    SECRET_MAX);
		explicit_bzero(buf, SECRET_MAX);
		free(buf);
		return (NULL);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "%s: empty secret", full);
		free(buf);
		return (NULL);
	}
	return (buf);
}
