/*
 * zone-file.c: master files in, records out.
 *
 * Records are read one logical record at a time (parentheses joined,
 * comments and quotes handled here, so that line numbers, $INCLUDE and the
 * size caps are ours); the owner, TTL, class and type are taken apart here
 * and each record is handed to the builder in zone.c.  Also the directory
 * source, which reads files below a root directory.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "log.h"
#include "xmalloc.h"
#include "zone.h"
#include "zone-int.h"

/* The state of one file being read. */
struct zone_file {
	const char	*path;
	uint32_t	 fileidx;
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	unsigned	 lineno;
	ldns_rdf	*origin;	/* owned */
	ldns_rdf	*prev;		/* previous owner, owned */
	uint32_t	 dttl;		/* $TTL */
	int		 have_dttl;
};

struct zone_reader {
	const struct zone_source *src;
	struct zone	*zone;
	struct zone_error *err;
	const char	*chain[ZONE_INCLUDE_DEPTH + 1];
	size_t		 depth;
	char		*rec;		/* the current logical record */
	size_t		 reclen;
	size_t		 reccap;
	uint32_t	 pttl;		/* previous record's TTL */
	int		 have_pttl;
};

static int	zone_read_file(struct zone_reader *, const char *, char *,
		    size_t, const ldns_rdf *, uint32_t, int);


/* --- master files ----------------------------------------------------- */

static void
rec_append(struct zone_reader *r, char c)
{
	if (r->reclen + 1 >= r->reccap) {
		r->reccap = r->reccap == 0 ? 1024 : r->reccap * 2;
		r->rec = xreallocarray(r->rec, 1, r->reccap);
	}
	r->rec[r->reclen++] = c;
}

/*
 * The next logical record of f into r->rec (NUL-terminated): comments
 * removed, lines inside parentheses joined.  1 record, 0 end of file,
 * -1 error.  *start is the line the record starts on.
 */
static int
reader_next(struct zone_reader *r, struct zone_file *f, unsigned *start)
{
	size_t		linelen = 0;
	unsigned	qline = 0, pline = 0;
	int		depth = 0, quote = 0, started = 0;
	unsigned char	c;

	r->reclen = 0;
	*start = f->lineno;
	for (;;) {
		if (f->pos >= f->len) {
			if (quote) {
				zone_error_set(r->err, f->path, qline,
				    "unterminated quoted string");
				return (-1);
			}
			if (depth > 0) {
				zone_error_set(r->err, f->path, pline,
				    "unterminated parenthesis");
				return (-1);
			}
			break;
		}
		c = f->buf[f->pos++];
		if (c == '\n') {
			if (quote) {
				zone_error_set(r->err, f->path, qline,
				    "unterminated quoted string");
				return (-1);
			}
			f->lineno++;
			linelen = 0;
			if (depth > 0) {
				rec_append(r, ' ');
				continue;
			}
			if (started)
				break;
			r->reclen = 0;
			*start = f->lineno;
			continue;
		}
		if (++linelen > ZONE_LINE_MAX) {
			zone_error_set(r->err, f->path, f->lineno,
			    "line longer than %d characters", ZONE_LINE_MAX);
			return (-1);
		}
		if (r->reclen >= ZONE_RECORD_MAX) {
			zone_error_set(r->err, f->path, *start,
			    "record longer than %d characters",
			    ZONE_RECORD_MAX);
			return (-1);
		}
		if (c == '\r')
			c = ' ';
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			zone_error_set(r->err, f->path, f->lineno,
			    "invalid character 0x%02x", c);
			return (-1);
		}
		if (c != ' ' && c != '\t' && c != ';' && !started) {
			started = 1;
			*start = f->lineno;
		}
		if (quote) {
			rec_append(r, c);
			if (c == '\\' && f->pos < f->len &&
			    f->buf[f->pos] != '\n') {
				rec_append(r, f->buf[f->pos++]);
				linelen++;
			} else if (c == '"')
				quote = 0;
			continue;
		}
		switch (c) {
		case ';':
			while (f->pos < f->len && f->buf[f->pos] != '\n') {
				if (++linelen > ZONE_LINE_MAX) {
					zone_error_set(r->err, f->path,
					    f->lineno, "line longer than %d "
					    "characters", ZONE_LINE_MAX);
					return (-1);
				}
				f->pos++;
			}
			break;
		case '"':
			quote = 1;
			qline = f->lineno;
			rec_append(r, c);
			break;
		case '\\':
			rec_append(r, c);
			if (f->pos < f->len && f->buf[f->pos] != '\n') {
				rec_append(r, f->buf[f->pos++]);
				linelen++;
			}
			break;
		case '(':
			if (depth++ == 0)
				pline = f->lineno;
			rec_append(r, ' ');
			break;
		case ')':
			if (depth == 0) {
				zone_error_set(r->err, f->path, f->lineno,
				    "unbalanced ')'");
				return (-1);
			}
			depth--;
			rec_append(r, ' ');
			break;
		default:
			rec_append(r, c);
			break;
		}
	}
	rec_append(r, '\0');
	r->reclen--;
	return (started);
}

/* One token of the record, NUL-terminated in place. */
static char *
rec_token(char **pp)
{
	char	*p = *pp, *start;
	int	 q = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*pp = p;
		return (NULL);
	}
	start = p;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		else if (!q && (*p == ' ' || *p == '\t'))
			break;
	}
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return (start);
}

static void
rstrip(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/*
 * Normalise an include path relative to the store root: "." and empty
 * components dropped, ".." applied.  -1 when it leaves the root.
 */
static int
path_normalise(const char *path, char *out, size_t len)
{
	char	 tmp[PATH_MAX], *p, *c, *save = NULL;
	size_t	 n = 0, l;

	if (path[0] == '/' || (size_t)snprintf(tmp, sizeof tmp, "%s", path) >=
	    sizeof tmp)
		return (-1);
	out[0] = '\0';
	for (p = tmp; (c = strtok_r(p, "/", &save)) != NULL; p = NULL) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n == 0)
				return (-1);
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			out[n] = '\0';
			continue;
		}
		l = strlen(c);
		if (n + l + 2 > len)
			return (-1);
		if (n > 0)
			out[n++] = '/';
		memcpy(out + n, c, l + 1);
		n += l;
	}
	return (n == 0 ? -1 : 0);
}

/* Append s to buf (size bytes, *len used), truncating. */
static void
str_append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t	n = strlen(s);

	if (*len + 1 >= size)
		return;
	if (n > size - *len - 1)
		n = size - *len - 1;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static int
reader_include(struct zone_reader *r, struct zone_file *f, unsigned line,
    char *args)
{
	struct zone_error	 rerr;
	ldns_rdf		*origin = NULL;
	char			 path[PATH_MAX], chain[sizeof r->err->msg];
	char			*file, *oname, *buf = NULL;
	size_t			 len, i;
	int			 rv;

	if ((file = rec_token(&args)) == NULL) {
		zone_error_set(r->err, f->path, line,
		    "$INCLUDE without a file name");
		return (-1);
	}
	oname = rec_token(&args);
	if (rec_token(&args) != NULL) {
		zone_error_set(r->err, f->path, line,
		    "too many arguments to $INCLUDE");
		return (-1);
	}
	len = strlen(file);
	if (len >= 2 && file[0] == '"' && file[len - 1] == '"') {
		file[len - 1] = '\0';
		file++;
	}
	if (path_normalise(file, path, sizeof path) == -1) {
		zone_error_set(r->err, f->path, line,
		    "include escapes the store: %.200s", file);
		return (-1);
	}
	for (i = 0; i <= r->depth; i++) {
		if (strcmp(r->chain[i], path) != 0)
			continue;
		chain[0] = '\0';
		for (i = 0, len = 0; i <= r->depth; i++) {
			str_append(chain, sizeof chain, &len, r->chain[i]);
			str_append(chain, sizeof chain, &len, " -> ");
		}
		str_append(chain, sizeof chain, &len, path);
		zone_error_set(r->err, f->path, line, "include loop: %s",
		    chain);
		return (-1);
	}
	if (r->depth + 1 > ZONE_INCLUDE_DEPTH) {
		zone_error_set(r->err, f->path, line,
		    "$INCLUDE nested deeper than %d levels",
		    ZONE_INCLUDE_DEPTH);
		return (-1);
	}
	if (oname != NULL) {
		origin = zone_name_absolute("$INCLUDE origin", oname, chain,
		    sizeof chain);
		if (origin == NULL) {
			zone_error_set(r->err, f->path, line, "%s", chain);
			return (-1);
		}
	}
	memset(&rerr, 0, sizeof rerr);
	if (r->src->read(r->src->arg, path, &buf, &len, &rerr) == -1) {
		zone_error_set(r->err, f->path, line, "$INCLUDE %.200s: %s",
		    path, rerr.msg);
		ldns_rdf_deep_free(origin);
		return (-1);
	}
	r->depth++;
	rv = zone_read_file(r, path, buf, len, origin != NULL ? origin :
	    f->origin, f->dttl, f->have_dttl);
	r->depth--;
	ldns_rdf_deep_free(origin);
	free(buf);
	return (rv);
}

static int
reader_directive(struct zone_reader *r, struct zone_file *f, unsigned line)
{
	ldns_rdf	*rdf;
	char		*p = r->rec, *name, *arg, msg[300];

	name = rec_token(&p);
	if (strcasecmp(name, "$INCLUDE") == 0)
		return (reader_include(r, f, line, p));
	if (strcasecmp(name, "$ORIGIN") != 0 && strcasecmp(name, "$TTL") != 0) {
		zone_error_set(r->err, f->path, line,
		    "unknown directive %.100s", name);
		return (-1);
	}
	if ((arg = rec_token(&p)) == NULL) {
		zone_error_set(r->err, f->path, line, "%s without a value",
		    name);
		return (-1);
	}
	if (rec_token(&p) != NULL) {
		zone_error_set(r->err, f->path, line,
		    "too many arguments to %s", name);
		return (-1);
	}
	if (strcasecmp(name, "$TTL") == 0) {
		if (zone_ttl_parse(arg, &f->dttl, msg, sizeof msg) == -1) {
			zone_error_set(r->err, f->path, line, "$TTL: %s", msg);
			return (-1);
		}
		f->have_dttl = 1;
		return (0);
	}
	if ((rdf = zone_name_absolute("$ORIGIN", arg, msg,
	    sizeof msg)) == NULL) {
		zone_error_set(r->err, f->path, line, "%s", msg);
		return (-1);
	}
	ldns_rdf_deep_free(f->origin);
	f->origin = rdf;
	return (0);
}

static int
is_class(const char *s)
{
	static const char	*classes[] = {
		"IN", "CH", "CHAOS", "HS", "HESIOD", "CS", "NONE", NULL
	};
	size_t			 i;

	for (i = 0; classes[i] != NULL; i++)
		if (strcasecmp(s, classes[i]) == 0)
			return (1);
	if (strncasecmp(s, "CLASS", 5) == 0 && isdigit((unsigned char)s[5]))
		return (1);
	return (0);
}

static int
reader_record(struct zone_reader *r, struct zone_file *f, unsigned line)
{
	struct zone_where	 w;
	ldns_rdf		*owner = NULL;
	ldns_status		 st;
	char			*p = r->rec, *tok, msg[300];
	uint32_t		 ttl = 0;
	uint16_t		 type;
	int			 have_ttl = 0, have_class = 0;

	memset(&w, 0, sizeof w);
	w.file = f->path;
	w.fileidx = f->fileidx;
	w.line = line;

	if (*p == ' ' || *p == '\t') {
		if (f->prev == NULL) {
			zone_error_set(r->err, f->path, line,
			    "no owner name and no previous owner");
			return (-1);
		}
		owner = ldns_rdf_clone(f->prev);
	} else {
		tok = rec_token(&p);
		if (strcmp(tok, "@") == 0)
			owner = ldns_rdf_clone(f->origin);
		else {
			st = ldns_str2rdf_dname(&owner, tok);
			if (st != LDNS_STATUS_OK) {
				zone_error_set(r->err, f->path, line,
				    "bad owner name %.100s: %s", tok,
				    ldns_get_errorstr_by_id(st));
				return (-1);
			}
			if (!ldns_dname_str_absolute(tok) &&
			    ldns_dname_cat(owner, f->origin) !=
			    LDNS_STATUS_OK) {
				ldns_rdf_deep_free(owner);
				zone_error_set(r->err, f->path, line,
				    "bad owner name %.100s", tok);
				return (-1);
			}
		}
	}
	if (owner == NULL)
		fatalx("zone", "ldns_rdf_clone");
	ldns_dname2canonical(owner);

	for (;;) {
		if ((tok = rec_token(&p)) == NULL) {
			zone_error_set(r->err, f->path, line,
			    "record without a type");
			goto fail;
		}
		if (!have_ttl && (isdigit((unsigned char)tok[0]) ||
		    (tok[0] == '-' && isdigit((unsigned char)tok[1])))) {
			if (zone_ttl_parse(tok, &ttl, msg, sizeof msg) == -1) {
				zone_error_set(r->err, f->path, line, "%s",
				    msg);
				goto fail;
			}
			have_ttl = 1;
			continue;
		}
		if (!have_class && is_class(tok)) {
			if (strcasecmp(tok, "IN") != 0) {
				zone_error_set(r->err, f->path, line,
				    "class %.20s not supported (only IN)", tok);
				goto fail;
			}
			have_class = 1;
			continue;
		}
		break;
	}
	type = ldns_get_rr_type_by_name(tok);
	if (type == 0 && strcasecmp(tok, "TYPE0") != 0) {
		zone_error_set(r->err, f->path, line, "unknown type %.40s",
		    tok);
		goto fail;
	}
	if (!have_ttl) {
		if (f->have_dttl)
			ttl = f->dttl;
		else if (r->have_pttl)
			ttl = r->pttl;
		else {
			zone_error_set(r->err, f->path, line,
			    "no TTL and no $TTL or previous TTL");
			goto fail;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	rstrip(p);
	if (zone_build_add(r->zone, owner, type, ttl, p, f->origin, &w,
	    r->err) == -1)
		goto fail;
	r->pttl = ttl;
	r->have_pttl = 1;
	ldns_rdf_deep_free(f->prev);
	f->prev = owner;
	return (0);
fail:
	ldns_rdf_deep_free(owner);
	return (-1);
}

static int
zone_read_file(struct zone_reader *r, const char *path, char *buf,
    size_t len, const ldns_rdf *origin, uint32_t dttl, int have_dttl)
{
	struct zone_file	 f;
	unsigned		 line;
	int			 rv = 0, n;

	memset(&f, 0, sizeof f);
	f.path = path;
	f.fileidx = zone_build_add_file(r->zone, path);
	f.buf = buf;
	f.len = len;
	f.lineno = 1;
	if ((f.origin = ldns_rdf_clone(origin)) == NULL)
		fatalx("zone", "ldns_rdf_clone");
	f.dttl = dttl;
	f.have_dttl = have_dttl;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		f.pos = 3;
	r->chain[r->depth] = zone_build_file(r->zone, f.fileidx);

	for (;;) {
		if ((n = reader_next(r, &f, &line)) == -1) {
			rv = -1;
			break;
		}
		if (n == 0)
			break;
		if (r->rec[0] == '$')
			n = reader_directive(r, &f, line);
		else
			n = reader_record(r, &f, line);
		if (n == -1) {
			rv = -1;
			break;
		}
	}
	ldns_rdf_deep_free(f.origin);
	ldns_rdf_deep_free(f.prev);
	return (rv);
}

struct zone *
zone_load(const struct zone_source *src, const char *origin,
    const char *path, struct zone_error *err)
{
	struct zone_reader	 r;
	struct zone_error	 rerr;
	struct zone		*z;
	char			*buf = NULL, npath[PATH_MAX];
	size_t			 len, i;
	int			 rv;

	memset(err, 0, sizeof *err);
#ifdef M_TOP_PAD
	/*
	 * ldns allocates and frees 64 KB buffers for every record; with
	 * glibc's default padding each one moves the break up and down
	 * (two brk calls per record, most of the load time).
	 */
	mallopt(M_TOP_PAD, 1 << 20);
#endif
	if ((z = zone_new(origin)) == NULL) {
		zone_error_set(err, path, 0, "bad zone origin %.200s", origin);
		return (NULL);
	}
	if (path_normalise(path, npath, sizeof npath) == -1) {
		zone_error_set(err, path, 0, "path escapes the store");
		zone_free(z);
		return (NULL);
	}
	memset(&rerr, 0, sizeof rerr);
	if (src->read(src->arg, npath, &buf, &len, &rerr) == -1) {
		zone_error_set(err, path, 0, "%s", rerr.msg);
		zone_free(z);
		return (NULL);
	}
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)buf[i]))
			break;
	if (i == len) {
		zone_error_set(err, path, 0, "file is empty");
		free(buf);
		zone_free(z);
		return (NULL);
	}

	memset(&r, 0, sizeof r);
	r.src = src;
	r.zone = z;
	r.err = err;
	rv = zone_read_file(&r, npath, buf, len, zone_build_origin(z), 0,
	    0);
	free(buf);
	free(r.rec);
	if (rv == 0)
		rv = zone_finish_soa(z, 1, npath, err);
	if (rv == -1) {
		zone_free(z);
		return (NULL);
	}
	return (z);
}

/* --- directory source ------------------------------------------------- */

static int
source_dir_read(void *arg, const char *path, char **bufp, size_t *lenp,
    struct zone_error *err)
{
	const char	*root = arg;
	char		 full[PATH_MAX], rroot[PATH_MAX], rfull[PATH_MAX];
	char		*buf;
	struct stat	 st;
	size_t		 len, rl;
	ssize_t		 n;
	int		 fd;

	if (path[0] == '/' || (size_t)snprintf(full, sizeof full, "%s/%s",
	    root, path) >= sizeof full) {
		zone_error_set(err, path, 0, "bad path");
		return (-1);
	}
	if (realpath(root, rroot) == NULL || realpath(full, rfull) == NULL) {
		/* Same words as the git and directory stores' sources. */
		zone_error_set(err, path, 0, "%s", errno == ENOENT ?
		    "no such file in the store" : strerror(errno));
		return (-1);
	}
	rl = strlen(rroot);
	if (strncmp(rfull, rroot, rl) != 0 ||
	    (rfull[rl] != '/' && strcmp(rroot, "/") != 0)) {
		zone_error_set(err, path, 0, "include escapes the store");
		return (-1);
	}
	if ((fd = open(rfull, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		zone_error_set(err, path, 0, "%s", strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		zone_error_set(err, path, 0, "not a regular file");
		close(fd);
		return (-1);
	}
	if ((uint64_t)st.st_size > ZONE_FILE_MAX) {
		zone_error_set(err, path, 0, "file larger than %u bytes",
		    ZONE_FILE_MAX);
		close(fd);
		return (-1);
	}
	buf = xmalloc(st.st_size + 1);
	len = 0;
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			zone_error_set(err, path, 0, "%s", n == 0 ?
			    "file shrank while reading" : strerror(errno));
			free(buf);
			close(fd);
			return (-1);
		}
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return (0);
}

void
zone_source_dir(struct zone_source *src, const char *root)
{
	src->read = source_dir_read;
	src->arg = (void *)root;
}

struct zone *
zone_load_file(const char *origin, const char *path, struct zone_error *err)
{
	struct zone_source	 src;
	struct zone		*z;
	char			*dir, *slash;
	const char		*base;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		base = path + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	} else {
		base = path;
		free(dir);
		dir = xstrdup(".");
	}
	zone_source_dir(&src, dir);
	z = zone_load(&src, origin, base, err);
	free(dir);
	return (z);
}
