"""A saved web page -> its main text, headings with their ids, and metadata (selectolax/Lexbor).

The main text is the `<article>`, `<main>` or `[role=main]` element holding the most paragraph
text, however short: the page itself says that is its main text. A page without one gets
`<body>`, a guess that must hold MIN_MAIN_CHARS of text. Navigation, sidebars, footers, forms,
scripts, sharing and "related" boxes are left out either way. Each block element with no block
inside it gives one paragraph; headings are written as Markdown headings and keep their `id` for
links. Metadata: the canonical URL (`<link rel=canonical>` or `og:url`), the published date and
the author from meta tags.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from index.build.formats.extracted import Extracted, ExtractError

MIN_MAIN_CHARS = 80  # a page without a main element and less text than this has no main text
MAIN = 'article, main, [role=main], [itemprop="articleBody"]'  # the page's own main element
NO_MAIN_TEXT = "it has no main text (only navigation or boilerplate)"
HEADINGS = {f"h{n}": n for n in range(1, 7)}
BLOCKS = {
    *HEADINGS, "p", "div", "li", "blockquote", "pre", "dd", "dt", "td", "th", "section",
    "article", "main", "ul", "ol", "dl", "table", "tbody", "thead", "tr", "header", "figure",
}  # fmt: skip
_DROP = (
    "script, style, noscript, template, iframe, svg, canvas, form, button, select, input, nav,"
    " aside, footer, figure, [role=navigation], [role=complementary], [role=contentinfo],"
    " [role=banner], [aria-hidden=true], [hidden]"
)
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|sidebar|side-bar|footer|share|sharing|social|related|"
    r"newsletter|subscribe|advert|ads?|promo|cookie|comments?|breadcrumbs?|byline|tags)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_DATE_META = (
    'meta[property="article:published_time"]',
    'meta[name="date"]',
    'meta[name="pubdate"]',
    'meta[name="publish-date"]',
    'meta[name="dc.date"]',
    'meta[name="DC.date.issued"]',
    'meta[itemprop="datePublished"]',
)
_AUTHOR_META = ('meta[name="author"]', 'meta[property="article:author"]', 'meta[name="dc.creator"]')


def extract_html(data: bytes) -> Extracted:
    tree = LexborHTMLParser(_decode(data))
    meta = _metadata(tree)
    root, marked = _main_element(tree)
    if root is None:
        raise ExtractError(NO_MAIN_TEXT)
    blocks: list[tuple[str, str | None]] = []  # (block text, heading id)
    _walk(root, blocks)
    least = 1 if marked else MIN_MAIN_CHARS  # a length threshold only for a guessed main text
    if sum(len(text) for text, anchor in blocks if not text.startswith("#")) < least:
        raise ExtractError(NO_MAIN_TEXT)
    text, anchors = _join(blocks)
    title = _title(tree, blocks)
    return Extracted(text, title, meta, (), anchors)


def _decode(data: bytes) -> str:
    declared = _CHARSET.search(data[:4096])
    for encoding in ("utf-8", declared.group(1).decode("ascii") if declared else "cp1252"):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _metadata(tree: LexborHTMLParser) -> dict[str, str]:
    meta: dict[str, str] = {}
    url = _attribute(tree, ('link[rel="canonical"]',), "href") or _attribute(
        tree, ('meta[property="og:url"]',), "content"
    )
    if url and url.startswith(("http://", "https://")):
        meta["url"] = url
    published = _attribute(tree, _DATE_META, "content")
    if published:
        meta["published"] = published
    author = _attribute(tree, _AUTHOR_META, "content")
    if author:
        meta["author"] = author
    return meta


def _attribute(tree: LexborHTMLParser, selectors: tuple[str, ...], name: str) -> str | None:
    for selector in selectors:
        node = tree.css_first(selector)
        value = " ".join((node.attributes.get(name) or "").split()) if node else ""
        if value:
            return value
    return None


def _main_element(tree: LexborHTMLParser) -> tuple[LexborNode | None, bool]:
    """The element holding the main text, and whether the page marks it as its main element
    (True) or it is `<body>`, a guess (False). Boilerplate is removed from the tree first."""
    for node in tree.css(_DROP):
        node.decompose()
    for node in tree.css("[class], [id]"):
        if node.tag not in ("html", "body", "main", "article") and _BOILERPLATE.search(
            f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        ):
            node.decompose()
    marked = [node for node in tree.css(MAIN) if node.text(deep=True).strip()]
    if marked:
        return max(marked, key=_paragraph_chars), True
    return tree.body, False


def _paragraph_chars(node: LexborNode) -> int:
    return sum(len(p.text(deep=True).strip()) for p in node.css("p"))


def _walk(root: LexborNode, blocks: list[tuple[str, str | None]]) -> None:
    """Headings, and block elements with no block inside, in document order. Linear in the
    number of elements, without recursion: a page may nest thousands of elements deep."""
    holds = _holding_blocks(root)
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag in HEADINGS:
            words = " ".join(node.text(deep=True).split())
            if words:
                blocks.append(("#" * HEADINGS[node.tag] + " " + words, _heading_id(node)))
        elif node.tag in BLOCKS and node.mem_id not in holds and node.mem_id != root.mem_id:
            words = " ".join(node.text(deep=True).split())
            if words:
                blocks.append((f"- {words}" if node.tag == "li" else words, None))
        else:
            stack.extend(reversed(list(node.iter(include_text=False))))


def _holding_blocks(root: LexborNode) -> set[int]:
    """The mem_id of every element that has a block element inside it."""
    order: list[LexborNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.iter(include_text=False))
    holds: set[int] = set()
    for node in reversed(order):  # every element comes after its parent in `order`
        if (node.tag in BLOCKS or node.mem_id in holds) and node.parent is not None:
            holds.add(node.parent.mem_id)
    return holds


def _heading_id(node: LexborNode) -> str | None:
    if node.attributes.get("id"):
        return node.attributes["id"]
    inner = node.css_first("[id], a[name]")
    if inner is not None:
        return inner.attributes.get("id") or inner.attributes.get("name")
    parent = node.parent
    if parent is not None and parent.tag == "section" and parent.attributes.get("id"):
        first = next(iter(parent.iter(include_text=False)), None)
        if first is not None and first.mem_id == node.mem_id:
            return parent.attributes["id"]
    return None


def _join(blocks: list[tuple[str, str | None]]) -> tuple[str, tuple[tuple[int, str], ...]]:
    parts: list[str] = []
    anchors: list[tuple[int, str]] = []
    offset = 0
    for text, anchor in blocks:
        if anchor:
            anchors.append((offset, anchor))
        parts.append(text)
        offset += len(text) + 2
    return "\n\n".join(parts), tuple(anchors)


def _title(tree: LexborHTMLParser, blocks: list[tuple[str, str | None]]) -> str:
    for text, _ in blocks:
        if text.startswith("# "):
            return text[2:]
    found = _attribute(tree, ('meta[property="og:title"]',), "content")
    if found:
        return found
    node = tree.css_first("title")
    return " ".join(node.text().split()) if node else ""
