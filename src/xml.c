/*
 * xml.c: a small, strict XML reader: a whole document in, a tree of
 * elements and their text out.
 *
 * Elements, attributes (checked, then dropped), text and the five named
 * and the numeric character references.  Refused: DOCTYPE, comments,
 * CDATA, processing instructions other than the XML declaration, mixed
 * content, controls, more than XML_DEPTH_MAX levels, names longer than
 * XML_NAME_MAX, anything after the root element.  Names are compared
 * without their namespace prefix.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "xml.h"

struct xml_in {
	const char	*p;
	const char	*end;
	const char	*err;
};

/* A growable string, always NUL-terminated once something is added. */
struct xml_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

static void
xml_buf_addn(struct xml_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size == 0 ? 256 : b->size * 2;
		b->p = xreallocarray(b->p, b->size, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
xml_buf_addc(struct xml_buf *b, char c)
{
	xml_buf_addn(b, &c, 1);
}

/* Take the buffer's string (never NULL). */
static char *
xml_buf_take(struct xml_buf *b)
{
	char	*s = b->p != NULL ? b->p : xstrdup("");

	memset(b, 0, sizeof(*b));
	return (s);
}

void
xml_node_clear(struct xml_node *n)
{
	size_t	i;

	for (i = 0; i < n->nkids; i++)
		xml_node_clear(&n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->text);
	memset(n, 0, sizeof(*n));
}

static int
xml_is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static void
xml_skip_ws(struct xml_in *x)
{
	while (x->p < x->end && xml_is_ws(*x->p))
		x->p++;
}

static int
xml_name_char(unsigned char c, int first)
{
	if (isalpha(c) || c == '_' || c == ':' || c >= 0x80)
		return (1);
	return (!first && (isdigit(c) || c == '-' || c == '.'));
}

static char *
xml_name(struct xml_in *x)
{
	const char	*s = x->p;

	if (x->p >= x->end || !xml_name_char(*x->p, 1)) {
		x->err = "bad name";
		return (NULL);
	}
	while (x->p < x->end && xml_name_char(*x->p, 0))
		x->p++;
	if ((size_t)(x->p - s) > XML_NAME_MAX) {
		x->err = "name too long";
		return (NULL);
	}
	return (xstrndup(s, (size_t)(x->p - s)));
}

static void
xml_utf8(struct xml_buf *b, unsigned long cp)
{
	char	u[4];

	if (cp < 0x80)
		xml_buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		xml_buf_addn(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		xml_buf_addn(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		xml_buf_addn(b, u, 4);
	}
}

/* A reference after '&', up to and including ';'. */
static int
xml_ref(struct xml_in *x, struct xml_buf *b)
{
	static const struct {
		const char	*name;
		char		 c;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' },
	};
	const char	*s = x->p, *semi;
	unsigned long	 cp = 0;
	size_t		 i, n;
	int		 hex;

	for (semi = s; semi < x->end && semi - s < 12 && *semi != ';'; semi++)
		;
	if (semi >= x->end || *semi != ';') {
		x->err = "bad character reference";
		return (-1);
	}
	n = (size_t)(semi - s);
	if (n > 1 && s[0] == '#') {
		hex = s[1] == 'x';
		i = hex ? 2 : 1;
		if (i == n) {
			x->err = "bad character reference";
			return (-1);
		}
		for (; i < n; i++) {
			if (hex ? !isxdigit((unsigned char)s[i]) :
			    !isdigit((unsigned char)s[i])) {
				x->err = "bad character reference";
				return (-1);
			}
			cp = cp * (hex ? 16 : 10) + (unsigned long)(isdigit(
			    (unsigned char)s[i]) ? s[i] - '0' :
			    tolower((unsigned char)s[i]) - 'a' + 10);
			if (cp > 0x10ffff)
				break;
		}
		if (!(cp == 0x9 || cp == 0xa || cp == 0xd ||
		    (cp >= 0x20 && cp <= 0xd7ff) ||
		    (cp >= 0xe000 && cp <= 0xfffd) ||
		    (cp >= 0x10000 && cp <= 0x10ffff))) {
			x->err = "character reference to a forbidden character";
			return (-1);
		}
		xml_utf8(b, cp);
		x->p = semi + 1;
		return (0);
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strlen(named[i].name) == n &&
		    strncmp(s, named[i].name, n) == 0) {
			xml_buf_addc(b, named[i].c);
			x->p = semi + 1;
			return (0);
		}
	}
	x->err = "unknown entity";
	return (-1);
}

/* Character data up to (not including) stop; '<' is refused in values. */
static int
xml_chars(struct xml_in *x, struct xml_buf *b, char stop)
{
	unsigned char	c;

	while (x->p < x->end && *x->p != stop) {
		c = (unsigned char)*x->p;
		if (c == '<') {
			x->err = "'<' in an attribute value";
			return (-1);
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			x->err = "control character";
			return (-1);
		}
		if (c == '&') {
			x->p++;
			if (xml_ref(x, b) == -1)
				return (-1);
			continue;
		}
		xml_buf_addc(b, (char)c);
		x->p++;
	}
	return (0);
}

static int
xml_attrs(struct xml_in *x)
{
	struct xml_buf	 b;
	char		*name, q;
	int		 rv;

	for (;;) {
		if (x->p < x->end && !xml_is_ws(*x->p))
			return (0);	/* '>' or '/' or garbage, caller checks */
		xml_skip_ws(x);
		if (x->p >= x->end || *x->p == '>' || *x->p == '/')
			return (0);
		if ((name = xml_name(x)) == NULL)
			return (-1);
		free(name);
		xml_skip_ws(x);
		if (x->p >= x->end || *x->p != '=') {
			x->err = "attribute without a value";
			return (-1);
		}
		x->p++;
		xml_skip_ws(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\'')) {
			x->err = "unquoted attribute value";
			return (-1);
		}
		q = *x->p++;
		memset(&b, 0, sizeof(b));
		rv = xml_chars(x, &b, q);
		free(b.p);
		if (rv == -1)
			return (-1);
		if (x->p >= x->end) {
			x->err = "unterminated attribute value";
			return (-1);
		}
		x->p++;
	}
}

static int
xml_only_ws(const struct xml_buf *b)
{
	size_t	i;

	for (i = 0; i < b->len; i++) {
		if (!xml_is_ws(b->p[i]))
			return (0);
	}
	return (1);
}

static int
xml_element(struct xml_in *x, struct xml_node *n, int depth)
{
	struct xml_buf	 text;
	struct xml_node	 kid;
	char		*end;
	size_t		 len;

	if (depth > XML_DEPTH_MAX) {
		x->err = "nested too deeply";
		return (-1);
	}
	if (x->p >= x->end || *x->p != '<') {
		x->err = "expected an element";
		return (-1);
	}
	x->p++;
	if ((n->name = xml_name(x)) == NULL)
		return (-1);
	if (xml_attrs(x) == -1)
		return (-1);
	if (x->end - x->p >= 2 && x->p[0] == '/' && x->p[1] == '>') {
		x->p += 2;
		n->text = xstrdup("");
		return (0);
	}
	if (x->p >= x->end || *x->p != '>') {
		x->err = "bad start tag";
		return (-1);
	}
	x->p++;
	memset(&text, 0, sizeof(text));
	for (;;) {
		if (x->p >= x->end) {
			x->err = "unterminated element";
			goto fail;
		}
		if (*x->p != '<') {
			if (xml_chars(x, &text, '<') == -1)
				goto fail;
			continue;
		}
		if (x->end - x->p >= 2 && x->p[1] == '/')
			break;
		if (x->end - x->p >= 2 && (x->p[1] == '!' || x->p[1] == '?')) {
			x->err = "comment, CDATA, DOCTYPE or processing "
			    "instruction";
			goto fail;
		}
		memset(&kid, 0, sizeof(kid));
		if (xml_element(x, &kid, depth + 1) == -1) {
			xml_node_clear(&kid);
			goto fail;
		}
		n->kids = xreallocarray(n->kids, n->nkids + 1,
		    sizeof(*n->kids));
		n->kids[n->nkids++] = kid;
	}
	x->p += 2;
	len = strlen(n->name);
	end = n->name;
	if ((size_t)(x->end - x->p) < len || strncmp(x->p, end, len) != 0) {
		x->err = "mismatched end tag";
		goto fail;
	}
	x->p += len;
	xml_skip_ws(x);
	if (x->p >= x->end || *x->p != '>') {
		x->err = "mismatched end tag";
		goto fail;
	}
	x->p++;
	if (n->nkids > 0) {
		if (!xml_only_ws(&text)) {
			x->err = "mixed content";
			goto fail;
		}
		free(text.p);
		n->text = xstrdup("");
	} else
		n->text = xml_buf_take(&text);
	return (0);

fail:
	free(text.p);
	return (-1);
}

/* Parse a whole document into root; -1 with a reason in err. */
int
xml_parse(const char *s, size_t len, struct xml_node *root, char *err,
    size_t errlen)
{
	struct xml_in	 x;
	const char	*q;

	memset(root, 0, sizeof(*root));
	x.p = s;
	x.end = s + len;
	x.err = NULL;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		x.p += 3;
	if (x.end - x.p >= 5 && strncmp(x.p, "<?xml", 5) == 0 &&
	    xml_is_ws(x.p[5])) {
		for (q = x.p; q + 1 < x.end; q++) {
			if (q[0] == '?' && q[1] == '>')
				break;
		}
		if (q + 1 >= x.end) {
			snprintf(err, errlen, "not XML: unterminated XML "
			    "declaration");
			return (-1);
		}
		x.p = q + 2;
	}
	xml_skip_ws(&x);
	if (xml_element(&x, root, 1) == -1)
		goto fail;
	xml_skip_ws(&x);
	if (x.p != x.end) {
		x.err = "data after the root element";
		goto fail;
	}
	return (0);

fail:
	snprintf(err, errlen, "not XML: %s at byte %zu", x.err != NULL ?
	    x.err : "error", (size_t)(x.p - s));
	xml_node_clear(root);
	return (-1);
}

static const char *
xml_local(const char *name)
{
	const char	*c = strrchr(name, ':');

	return (c != NULL ? c + 1 : name);
}

int
xml_is(const struct xml_node *n, const char *name)
{
	return (strcmp(xml_local(n->name), name) == 0);
}

const struct xml_node *
xml_child(const struct xml_node *n, const char *name)
{
	size_t	i;

	if (n == NULL)
		return (NULL);
	for (i = 0; i < n->nkids; i++) {
		if (xml_is(&n->kids[i], name))
			return (&n->kids[i]);
	}
	return (NULL);
}

/* The text of a leaf child, NULL when absent or not a leaf. */
const char *
xml_text(const struct xml_node *n, const char *name)
{
	const struct xml_node	*k = xml_child(n, name);

	if (k == NULL || k->nkids > 0)
		return (NULL);
	return (k->text);
}
