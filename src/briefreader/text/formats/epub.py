"""EPUB books (zipfile and lxml; EbookLib is AGPL): one article per chapter.

The package document (OPF) gives the book's title, author, date and publisher and the reading
order (the spine). Each chapter in that order becomes an article titled by its first heading,
with the book's title as its source, so search results point at a chapter; headings inside a
chapter stay headings. Chapters without text (a cover image) are left out, and so is the
table of contents. Books with DRM (encrypted chapters) are skipped with that reason.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from typing import Any

from briefreader.text.formats.base import Document, Unreadable, first_line, paragraph_blocks
from briefreader.text.split import Block

MAX_MEMBER_BYTES = 50 * 1024 * 1024  # a chapter larger than this unpacked is not read
_HEADING = re.compile(r"h[1-6]")
_PARAGRAPH = re.compile(r"p|li|blockquote|pre|dd|dt|figcaption|td|th|caption")
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def read_epub(data: bytes) -> list[Document]:
    """The book's chapters as documents, or ``Unreadable`` (not an EPUB, DRM, no text)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as book:
            if _is_encrypted(book):
                raise Unreadable("encrypted EPUB (DRM): its chapters cannot be read")
            opf_path = _package_path(book)
            package = _xml(_member(book, opf_path))
            meta = _metadata(package)
            chapters = [_chapter(_member(book, path)) for path in _spine(package, opf_path)]
    except Unreadable:
        raise
    except Exception as error:  # zip, XML and missing-member errors all mean a broken book
        raise Unreadable(f"cannot read this EPUB: {first_line(error)}") from error
    book_title = meta.pop("title", "")
    documents = [
        Document(title=title or book_title, meta={**meta, "source": book_title}, blocks=blocks)
        for title, blocks in chapters
        if any(block.kind == "paragraph" for block in blocks)
    ]
    if not documents:
        raise Unreadable("no text in this EPUB")
    return documents


def _is_encrypted(book: zipfile.ZipFile) -> bool:
    """Whether chapters are encrypted (fonts alone may be obfuscated in a DRM-free book)."""
    if "META-INF/encryption.xml" not in book.namelist():
        return False
    listing = _member(book, "META-INF/encryption.xml").decode("utf-8", "replace")
    return bool(re.search(r"URI=\"[^\"]+\.x?html?\"", listing))


def _member(book: zipfile.ZipFile, name: str) -> bytes:
    info = book.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise Unreadable(f"EPUB part {name} is too large ({info.file_size // 2**20} MB unpacked)")
    return book.read(info)


def _xml(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    root = etree.fromstring(data, parser=parser)
    if root is None:
        raise Unreadable("cannot read this EPUB: its package document is not XML")
    return root


def _package_path(book: zipfile.ZipFile) -> str:
    container = _xml(_member(book, "META-INF/container.xml"))
    rootfile = container.find(".//c:rootfile", _NS)
    if rootfile is None or not rootfile.get("full-path"):
        raise Unreadable("cannot read this EPUB: no package document in META-INF/container.xml")
    return str(rootfile.get("full-path"))


def _metadata(package: Any) -> dict[str, Any]:
    def text(tag: str) -> str:
        found = package.find(f".//dc:{tag}", _NS)
        return " ".join((found.text or "").split()) if found is not None else ""

    meta = {"title": text("title"), "author": text("creator"), "date": text("date")}
    return {key: value for key, value in meta.items() if value}


def _spine(package: Any, opf_path: str) -> list[str]:
    """The chapters' paths inside the zip, in reading order, without the navigation page."""
    folder = posixpath.dirname(opf_path)
    items = {}
    for item in package.iterfind(".//opf:manifest/opf:item", _NS):
        if "nav" not in (item.get("properties") or "").split():
            items[item.get("id")] = item.get("href") or ""
    paths = []
    for ref in package.iterfind(".//opf:spine/opf:itemref", _NS):
        href = items.get(ref.get("idref"))
        if href:
            paths.append(posixpath.normpath(posixpath.join(folder, href.split("#")[0])))
    return paths


def _chapter(data: bytes) -> tuple[str, list[Block]]:
    """A chapter's title (its first heading) and blocks, from its XHTML."""
    from lxml import html as lxml_html

    root = lxml_html.document_fromstring(data)
    blocks: list[Block] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if _HEADING.fullmatch(tag):
            blocks.extend(Block("heading", b.text) for b in paragraph_blocks([_text(element)]))
        elif _PARAGRAPH.fullmatch(tag) and not _has_inner_block(element):
            blocks.extend(paragraph_blocks([_text(element)]))
    title = ""
    if blocks and blocks[0].kind == "heading":
        title = blocks.pop(0).text
    return title, blocks


def _text(element: Any) -> str:
    return str(element.text_content())


def _has_inner_block(element: Any) -> bool:
    """Whether a descendant is read as a block itself (the <p>s of a <blockquote>), so the
    text is read once, paragraph by paragraph."""
    for inner in element.iterdescendants():
        tag = inner.tag if isinstance(inner.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if _PARAGRAPH.fullmatch(tag) or _HEADING.fullmatch(tag):
            return True
    return False
