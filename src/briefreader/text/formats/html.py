"""Web pages: main text and metadata found by trafilatura (shared by .html files and ``add``)."""

from __future__ import annotations

import logging
from typing import Any

from briefreader.text.formats.base import require


def page_data(html: Any, url: str | None = None) -> dict[str, Any] | None:
    """trafilatura's findings for a page (source text or lxml tree): ``text`` (a paragraph per
    line), ``title``, ``date``, ``sitename``, ``hostname``, ``url``, ``author``, ``tags``; None
    when it finds no main text."""
    # Imported lazily (slow to import, only HTML needs it); a plain `pip install` can leave
    # out lxml's html_clean part, which trafilatura needs: that is a skip reason, not a crash.
    trafilatura = require("trafilatura", "lxml_html_clean", "HTML")
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # its errors are ours to report
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        # The extensive search takes any year in the text ("since 2018") as the page's date.
        date_extraction_params={"extensive_search": False},
    )
    if document is None:
        return None
    return document.as_dict() if hasattr(document, "as_dict") else dict(document)
