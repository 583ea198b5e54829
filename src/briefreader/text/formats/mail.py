"""E-mail messages (.eml, the standard library's ``email``): newsletters and forwarded news.

The subject is the title, the sender's name the source, the Date header the date; the body is
the text/plain part, or the text/html part read as a web page when there is no plain text.
"""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from briefreader.text.formats.base import Document, Unreadable, first_line

_HEADERS = ("from", "subject", "date", "to", "message-id")


def read_email(data: bytes) -> list[Document]:
    """The message as one document, or ``Unreadable`` (not a message, no text part)."""
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(data)
        if not isinstance(message, EmailMessage) or not any(h in message for h in _HEADERS):
            raise Unreadable("not an e-mail message (no From, Subject or Date header)")
        body = message.get_body(preferencelist=("plain", "html"))
        content = body.get_content() if body is not None else None
    except Unreadable:
        raise
    except Exception as error:  # malformed MIME, unknown charsets
        raise Unreadable(f"cannot read this e-mail message: {first_line(error)}") from error
    if not isinstance(content, str) or not content.strip():
        raise Unreadable("no text in this e-mail message (no text/plain or text/html part)")
    meta = _metadata(message)
    title = str(message.get("subject", "") or "")
    if body is not None and body.get_content_subtype() == "html":
        return [Document(title=title, meta=meta, html=content)]
    return [Document(title=title, meta=meta, text=content)]


def _metadata(message: EmailMessage) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    name, address = email.utils.parseaddr(str(message.get("from", "") or ""))
    if name or address:
        meta["source"] = name or address
        meta["author"] = address or name
    try:
        stamp = email.utils.parsedate_to_datetime(str(message.get("date", "") or ""))
    except (TypeError, ValueError):
        stamp = None
    if stamp is not None:
        meta["date"] = stamp
    return meta
