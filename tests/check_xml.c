/*
 * check_xml.c: the small, strict XML reader (xml.c): the tree it builds
 * from well-formed documents, and each thing it refuses, with the reason
 * and the byte it names.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "xml.h"

/* Parse s (its whole length unless len is given) and expect success. */
static void
parse_ok(const char *s, struct xml_node *root)
{
	char	err[256];

	err[0] = '\0';
	ck_assert_msg(xml_parse(s, strlen(s), root, err, sizeof(err)) == 0,
	    "%s: %s", s, err);
}

START_TEST(test_tree)
{
	static const char	 doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<r:Root xmlns:r=\"urn:x\" a='1' b = \"two &amp; &#x33;\">\n"
	    "  <Name>example.com.</Name>\n"
	    "  <List>\n"
	    "    <Item>one</Item>\n"
	    "    <r:Item>two</r:Item>\n"
	    "    <Item/>\n"
	    "  </List >\n"
	    "  <Empty></Empty>\n"
	    "</r:Root>\n";
	struct xml_node		 root;
	const struct xml_node	*list;

	parse_ok(doc, &root);
	ck_assert_str_eq(root.name, "r:Root");
	ck_assert_str_eq(root.text, "");
	ck_assert_uint_eq(root.nkids, 3);
	ck_assert(xml_is(&root, "Root"));
	ck_assert(!xml_is(&root, "r:Root"));

	ck_assert_str_eq(xml_text(&root, "Name"), "example.com.");
	ck_assert_str_eq(xml_text(&root, "Empty"), "");
	ck_assert_ptr_null(xml_text(&root, "List"));	/* not a leaf */
	ck_assert_ptr_null(xml_text(&root, "Missing"));

	list = xml_child(&root, "List");
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(list->nkids, 3);
	ck_assert_str_eq(list->kids[0].text, "one");
	ck_assert_str_eq(list->kids[1].name, "r:Item");
	ck_assert(xml_is(&list->kids[1], "Item"));
	ck_assert_str_eq(list->kids[1].text, "two");
	ck_assert_str_eq(list->kids[2].text, "");
	/* The first child of that name. */
	ck_assert_ptr_eq(xml_child(list, "Item"), &list->kids[0]);

	/* The lookups take NULL, so that they chain. */
	ck_assert_ptr_null(xml_child(NULL, "x"));
	ck_assert_ptr_null(xml_text(NULL, "x"));
	ck_assert_ptr_null(xml_child(xml_child(&root, "Missing"), "Item"));

	xml_node_clear(&root);
	ck_assert_ptr_null(root.name);
	ck_assert_uint_eq(root.nkids, 0);
	xml_node_clear(&root);		/* an empty node clears again */
}
END_TEST

START_TEST(test_text)
{
	struct xml_node	root;

	/* Named and numeric references, UTF-8 out. */
	parse_ok("<a>&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#xe9;&#x20AC;"
	    "&#x1F600;</a>", &root);
	ck_assert_str_eq(root.text,
	    "<>&\"' AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	xml_node_clear(&root);

	/* Whitespace and raw UTF-8 are kept in a leaf. */
	parse_ok("<a> x\ty\r\n\xc3\xa9 </a>", &root);
	ck_assert_str_eq(root.text, " x\ty\r\n\xc3\xa9 ");
	xml_node_clear(&root);

	/* A byte order mark, whitespace around the root. */
	parse_ok("\xef\xbb\xbf  <a>b</a>\n\n", &root);
	ck_assert_str_eq(root.text, "b");
	xml_node_clear(&root);

	/* Whitespace between children is not mixed content. */
	parse_ok("<a>\n <b/>\n</a>", &root);
	ck_assert_str_eq(root.text, "");
	ck_assert_uint_eq(root.nkids, 1);
	xml_node_clear(&root);
}
END_TEST

/* Nesting up to XML_DEPTH_MAX levels (the root is 1), not one more. */
START_TEST(test_depth)
{
	struct xml_node	 root;
	char		*doc, *p, err[256];
	size_t		 i;
	int		 levels;

	for (levels = XML_DEPTH_MAX; levels <= XML_DEPTH_MAX + 1; levels++) {
		p = doc = xcalloc(1, (size_t)levels * 7 + 1);
		for (i = 0; i < (size_t)levels; i++, p += 3)
			memcpy(p, "<e>", 3);
		for (i = 0; i < (size_t)levels; i++, p += 4)
			memcpy(p, "</e>", 4);
		if (levels == XML_DEPTH_MAX) {
			parse_ok(doc, &root);
			xml_node_clear(&root);
		} else {
			ck_assert_int_eq(xml_parse(doc, strlen(doc), &root,
			    err, sizeof(err)), -1);
			ck_assert_str_eq(err, "not XML: nested too deeply at "
			    "byte 96");
			ck_assert_ptr_null(root.name);
		}
		free(doc);
	}
}
END_TEST

/* Each refusal, with the reason given (references: the byte after '&'). */
static const struct {
	const char	*doc;
	size_t		 len;		/* 0: strlen(doc) */
	const char	*err;
} refused[] = {
	{ "", 0, "not XML: expected an element at byte 0" },
	{ "   \n", 0, "not XML: expected an element at byte 4" },
	{ "<!DOCTYPE a [<!ENTITY e \"boom\">]><a>&e;</a>", 0,
	    "not XML: bad name at byte 1" },
	{ "<a><!DOCTYPE a></a>", 0, "not XML: comment, CDATA, DOCTYPE or "
	    "processing instruction at byte 3" },
	{ "<!-- c --><a/>", 0, "not XML: bad name at byte 1" },
	{ "<a><!-- c --></a>", 0, "not XML: comment, CDATA, DOCTYPE or "
	    "processing instruction at byte 3" },
	{ "<a><![CDATA[x]]></a>", 0, "not XML: comment, CDATA, DOCTYPE or "
	    "processing instruction at byte 3" },
	{ "<a><?pi x?></a>", 0, "not XML: comment, CDATA, DOCTYPE or "
	    "processing instruction at byte 3" },
	{ "<?xml version=\"1.0\"", 0,
	    "not XML: unterminated XML declaration" },
	{ "<a/>trailing", 0,
	    "not XML: data after the root element at byte 4" },
	{ "<a/><b/>", 0, "not XML: data after the root element at byte 4" },
	{ "<a/><!-- c -->", 0,
	    "not XML: data after the root element at byte 4" },
	{ "<a>&bogus;</a>", 0, "not XML: unknown entity at byte 4" },
	{ "<a>&amp</a>", 0, "not XML: bad character reference at byte 4" },
	{ "<a>&#;</a>", 0, "not XML: unknown entity at byte 4" },
	{ "<a>&#x;</a>", 0, "not XML: bad character reference at byte 4" },
	{ "<a>&#x4g;</a>", 0, "not XML: bad character reference at byte 4" },
	{ "<a>&#0;</a>", 0, "not XML: character reference to a forbidden "
	    "character at byte 4" },
	{ "<a>&#xFFFE;</a>", 0, "not XML: character reference to a "
	    "forbidden character at byte 4" },
	{ "<a>&#x110000;</a>", 0, "not XML: character reference to a "
	    "forbidden character at byte 4" },
	{ "<a>x\x01y</a>", 0, "not XML: control character at byte 4" },
	{ "<a>x\x1f</a>", 0, "not XML: control character at byte 4" },
	{ "<a>x\0y</a>", 9, "not XML: control character at byte 4" },
	{ "<a b=\"\x02\"/>", 0, "not XML: control character at byte 6" },
	{ "<a b=\"<\"/>", 0, "not XML: '<' in an attribute value at byte 6" },
	{ "<a b=c/>", 0, "not XML: unquoted attribute value at byte 5" },
	{ "<a b/>", 0, "not XML: attribute without a value at byte 4" },
	{ "<a b=\"c/>", 0,
	    "not XML: unterminated attribute value at byte 9" },
	{ "<a>text<b/></a>", 0, "not XML: mixed content at byte 15" },
	{ "<a><b></a></b>", 0, "not XML: mismatched end tag at byte 8" },
	{ "<a></ab>", 0, "not XML: mismatched end tag at byte 6" },
	{ "<a><b>", 0, "not XML: unterminated element at byte 6" },
	{ "<a", 0, "not XML: bad start tag at byte 2" },
	{ "<1a/>", 0, "not XML: bad name at byte 1" },
};

START_TEST(test_refused)
{
	struct xml_node	 root;
	const char	*doc = refused[_i].doc;
	size_t		 len = refused[_i].len;
	char		 err[256];

	if (len == 0)
		len = strlen(doc);
	memset(&root, 0xa5, sizeof(root));
	ck_assert_msg(xml_parse(doc, len, &root, err, sizeof(err)) == -1,
	    "case %d accepted", _i);
	ck_assert_msg(strcmp(err, refused[_i].err) == 0, "case %d: %s", _i,
	    err);
	/* Nothing is left allocated, and root is empty. */
	ck_assert_ptr_null(root.name);
	ck_assert_ptr_null(root.kids);
	ck_assert_uint_eq(root.nkids, 0);
}
END_TEST

/* A name longer than XML_NAME_MAX is refused; one of that length is not. */
START_TEST(test_name_max)
{
	struct xml_node	 root;
	char		 doc[2 * XML_NAME_MAX + 16], err[256];

	memset(doc, 0, sizeof(doc));
	doc[0] = '<';
	memset(doc + 1, 'n', XML_NAME_MAX);
	memcpy(doc + 1 + XML_NAME_MAX, "/>", 2);
	parse_ok(doc, &root);
	ck_assert_uint_eq(strlen(root.name), XML_NAME_MAX);
	xml_node_clear(&root);

	memset(doc, 0, sizeof(doc));
	doc[0] = '<';
	memset(doc + 1, 'n', XML_NAME_MAX + 1);
	memcpy(doc + 2 + XML_NAME_MAX, "/>", 2);
	ck_assert_int_eq(xml_parse(doc, strlen(doc), &root, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "not XML: name too long at byte 258");
}
END_TEST

/* The reader never reads past len: a document cut short is refused. */
START_TEST(test_length)
{
	static const char	 doc[] = "<a>b</a>";
	struct xml_node		 root;
	char			 err[256];
	size_t			 len;

	for (len = 0; len < sizeof(doc) - 1; len++) {
		ck_assert_msg(xml_parse(doc, len, &root, err, sizeof(err)) ==
		    -1, "accepted %zu bytes", len);
		ck_assert_ptr_null(root.name);
	}
	ck_assert_int_eq(xml_parse(doc, len, &root, err, sizeof(err)), 0);
	ck_assert_str_eq(root.text, "b");
	xml_node_clear(&root);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	s = suite_create("xml");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_tree);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_depth);
	tcase_add_loop_test(tc, test_refused, 0,
	    (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, test_name_max);
	tcase_add_test(tc, test_length);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
