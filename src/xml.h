/*
 * xml.h: a small, strict XML reader (see xml.c for what it refuses).
 *
 * xml_parse() reads a whole document into a tree of elements; each has
 * its name as written (prefix included), its text with references
 * resolved ("" when it has children) and its children in order.
 * Attributes are checked and dropped.  The lookups compare names without
 * their namespace prefix and take NULL, so that they chain.
 */
#ifndef MULTIDNS_XML_H
#define MULTIDNS_XML_H

#include <stddef.h>

#define XML_DEPTH_MAX	32	/* element nesting, the root is 1 */
#define XML_NAME_MAX	256	/* characters in a name */

struct xml_node {
	char		*name;
	char		*text;		/* "" when the element has children */
	struct xml_node	*kids;
	size_t		 nkids;
};

/* Parse s (len bytes) into root; -1 with a reason in err, root empty. */
int	 xml_parse(const char *s, size_t len, struct xml_node *root,
	    char *err, size_t errlen);
/* Free what root holds (not root itself); root is left empty. */
void	 xml_node_clear(struct xml_node *);

/* Whether n's name, without its prefix, is name. */
int	 xml_is(const struct xml_node *n, const char *name);
/* The first child called name; NULL when none or n is NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* The text of a leaf child, NULL when absent or not a leaf. */
const char *xml_text(const struct xml_node *n, const char *name);

#endif
