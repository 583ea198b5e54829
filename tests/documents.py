"""Real small files of each format, made for the tests: PDF (written by hand, valid xref),
DOCX (python-docx), EPUB (zipfile), e-mail (the standard library)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

PageLines = list[str]


def make_pdf(pages: list[PageLines], title: str = "", creation_date: str = "") -> bytes:
    """A PDF whose pages show the given lines (Helvetica, top to bottom)."""
    objects: list[bytes] = []
    page_ids = [5 + 2 * index for index in range(len(pages))]
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    info = []
    if title:
        info.append(f"/Title ({_escape(title)})")
    if creation_date:
        info.append(f"/CreationDate ({creation_date})")
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(f"<< {' '.join(info)} >>".encode())
    for index, lines in enumerate(pages):
        content_id = page_ids[index] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        stream = _page_stream(lines)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return _assemble(objects)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(lines: PageLines) -> bytes:
    parts = ["BT /F1 11 Tf 14 TL 72 740 Td"]
    for line in lines:
        parts.append(f"({_escape(line)}) Tj T*")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def _assemble(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_docx(title: str, sections: list[tuple[str, list[str]]], author: str = "") -> bytes:
    """A Word file: a Title paragraph, then per section a Heading 1 and its paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    if author:
        document.core_properties.author = author
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def make_epub(title: str, chapters: list[tuple[str, list[str]]], author: str = "") -> bytes:
    """An EPUB 3 book: one XHTML file per chapter (an h1, then paragraphs), a nav page."""
    manifest = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    ]
    spine = ['<itemref idref="nav"/>']
    files = {}
    for number, (heading, paragraphs) in enumerate(chapters, start=1):
        name = f"text/ch{number}.xhtml"
        body = "".join(f"<p>{text}</p>" for text in paragraphs)
        files[name] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{heading}</title></head><body><h1>{heading}</h1>{body}</body></html>"
        )
        manifest.append(f'<item id="c{number}" href="{name}" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{number}"/>')
    files["nav.xhtml"] = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol>'
        + "".join(f"<li>{heading}</li>" for heading, _ in chapters)
        + "</ol></nav></body></html>"
    )
    opf = (
        '<?xml version="1.0"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title><dc:creator>{author}</dc:creator>"
        "<dc:date>2024-03-05</dc:date></metadata>"
        f"<manifest>{''.join(manifest)}</manifest><spine>{''.join(spine)}</spine></package>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", CONTAINER)
        book.writestr("OEBPS/content.opf", opf)
        for name, text in files.items():
            book.writestr(f"OEBPS/{name}", text)
    return out.getvalue()


def make_email(subject: str, sender: str, date: str, text: str = "", html: str = "") -> bytes:
    """An e-mail message with a plain-text body, an HTML body, or both (alternatives)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = "reader@example.org"
    message["Date"] = date
    if text:
        message.set_content(text)
    if html:
        if text:
            message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
    return bytes(message)
