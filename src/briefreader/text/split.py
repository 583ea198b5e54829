"""Structure: lines of a file → articles (a file may hold several) → blocks → passages.

A ``Draft`` is an article before ids are assigned: title, metadata, and its body as a list of
blocks (headings and paragraphs). ``build_article`` turns a draft into an ``Article`` whose clean
text is the blocks joined by blank lines, with passage offsets into it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from briefreader.models import Article, Heading, Passage, Reference, make_passage_id
from briefreader.text.clean import (
    LineRules,
    bullet_text,
    dateline_source,
    is_caption,
    is_photo_credit,
    join_spaced_initials,
    opens_with_dateline,
    parse_dateline,
)

FOOTNOTE_MARKER = re.compile(r"\[(?P<label>(?:[ivxlcdm]{1,8}|\d{1,3}))\]", re.IGNORECASE)
_REFERENCE_LINE = re.compile(r"^\s*\[(?P<label>[ivxlcdm]{1,8}|\d{1,3})\]\s+(?P<text>\S.*)$", re.I)
_GLUED_REFERENCE = re.compile(r"(?<=[.\s])(?=\[(?:[ivxlcdm]{1,8}|\d{1,3})\]\s+[A-Z“\"])", re.I)
_REFERENCES_HEADING = re.compile(r"(references|notes|sources|endnotes|footnotes):?", re.I)
_TERMINAL = tuple('.,;:!?"”’)…')
_HEADER_WINDOW = 10
_SENTENCE_END = re.compile(r"(?<=[a-z0-9”’\")][.!?])\s+(?=[A-Z“\"])")
MAX_PASSAGE_CHARS = 4000
PULL_QUOTE_CHARS = 400
PULL_QUOTE_WINDOW = 15
PULL_QUOTE_RATIO = 1.5  # a pull quote repeats a sentence of a clearly longer paragraph
# A title line stands twice at its header and perhaps once more (a related-links list); a line
# found more often is a list entry, a log line or a table cell, never an article's title.
MAX_TITLE_REPEATS = 3
# Where an article header must be followed by prose: the lines read after it.
PROSE_WINDOW = 40
# Short lines (lists, tables, logs, a poem) are a passage each; a run longer than this of
# them is grouped into passages of about ``SHORT_RUN_CHARS`` (200,000 one-word lines were
# 200,000 passages).
SHORT_LINE_CHARS = 80
SHORT_RUN_LINES = 50
SHORT_RUN_CHARS = 1000
TITLE_CHARS, TITLE_MIN_CHARS = 120, 40  # a title cut from a lead sentence: its length
# Where a clause of a long lead sentence may end: punctuation, a conjunction opening a new
# noun phrase ("and a …", not "Iran and Turkey"), or a subordinating word.
_CLAUSE_BREAK = re.compile(
    r"[,;:]\s|\s[—–]\s|\s(?:and|or|but) (?=(?:a|an|the|its|their|his|her|this|these)\s)"
    r"|\s(?:while|whereas|although|though|because|as|amid|which|who|where|when)\s"
)
CAPTION_WORDS = 100  # a photo caption is a paragraph, rarely more than this


@dataclass(frozen=True)
class Block:
    """A heading or a paragraph of an article body."""

    kind: str  # "heading" | "paragraph"
    text: str


@dataclass
class Draft:
    """An article as parsed, before ids and offsets."""

    title: str = ""
    date: str | None = None
    source: str = ""
    deck: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


# ---------------------------------------------------------------- splitting a file


def split_references(lines: list[str]) -> tuple[list[str], list[Reference]]:
    """Cut a trailing footnote reference list (``[i] Author…`` lines) off the lines."""
    start = len(lines)
    count = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line:
            continue
        if _REFERENCE_LINE.match(line):
            start, count = index, count + 1
        elif _REFERENCES_HEADING.fullmatch(line) and count:
            start = index
            break
        else:
            break
    if count < 2:
        return lines, []
    references = []
    for line in lines[start:]:
        if _REFERENCE_LINE.match(line.strip()):
            # An entry may run into the next one on the same line ("….html.[xl] Schmitt, E.").
            for piece in _GLUED_REFERENCE.split(line.strip()):
                match = _REFERENCE_LINE.match(piece)
                if match:
                    label, text = match.group("label").lower(), match.group("text").strip()
                    references.append(Reference(label, text))
    return lines[:start], references


def find_article_headers(lines: list[str], rules: LineRules) -> list[tuple[int, int]]:
    """Find article headers: a title line repeated a few lines below (title, chrome, title).

    Returns (first, last) line index pairs; the lines between are header chrome (dates,
    share buttons, a caption), never a body paragraph.
    """
    headers: list[tuple[int, int]] = []
    repeats = Counter(line.strip() for line in lines)
    index = 0
    while index < len(lines):
        title = lines[index].strip()
        candidate = (
            _is_title_like(title)
            and repeats[title] <= MAX_TITLE_REPEATS
            and not rules.is_boilerplate(title)
        )
        end = _repeat_of(lines, index) if candidate else None
        if end is not None and _prose_follows(lines, end + 1):
            headers.append((index, end))
            index = end + 1
        else:
            index += 1
    return headers


def _repeat_of(lines: list[str], index: int) -> int | None:
    title = lines[index].strip()
    seen = 0
    for later in range(index + 1, len(lines)):
        candidate = lines[later].strip()
        if candidate == title:
            return later
        if candidate:
            seen += 1
            if seen > _HEADER_WINDOW or _is_full_sentence_paragraph(candidate):
                return None
    return None


def _prose_follows(lines: list[str], start: int) -> bool:
    """Whether an article body follows a header: a paragraph of a dozen words or more that
    ends as a sentence, within ``PROSE_WINDOW`` lines (a title repeated among short lines is
    a list's entry, not the start of an article)."""
    window = lines[start : start + PROSE_WINDOW]
    blocks = "\n".join(line.strip() for line in window).split("\n\n")
    return any(
        _is_full_sentence_paragraph(" ".join(paragraph.split()))
        for block in blocks
        if block.strip()
        for paragraph in _block_paragraphs(block.strip().split("\n"))
    )


def split_articles(lines: list[str], rules: LineRules) -> list[tuple[str, list[str], list[str]]]:
    """Split a file's lines into (title, header-chrome lines, body lines) per article."""
    headers = find_article_headers(lines, rules)
    if not headers:
        return [("", [], lines)]
    parts: list[tuple[str, list[str], list[str]]] = []
    first = headers[0][0]
    if any(line.strip() for line in lines[:first]):
        parts.append(("", [], lines[:first]))
    for number, (start, end) in enumerate(headers):
        stop = headers[number + 1][0] if number + 1 < len(headers) else len(lines)
        parts.append((lines[start].strip(), lines[start + 1 : end], lines[end + 1 : stop]))
    return parts


# ---------------------------------------------------------------- one article


def parse_article(title: str, header: list[str], body: list[str], rules: LineRules) -> Draft:
    """Turn one article's lines into a Draft: metadata, deck, headings and paragraphs."""
    draft = Draft(title=title)
    for line in header:
        draft.date = draft.date or parse_dateline(line)
    lines = _drop_chrome(body, rules, draft)
    blocks = _paragraphs(lines)
    if not draft.title:
        blocks = _skip_leading_navigation(blocks)
        draft.title, blocks = _take_title(blocks)
    blocks = _group_short_runs(_take_deck(blocks, draft))
    draft.blocks = _remove_repeats(_mark_headings(blocks))
    for block in draft.blocks:
        source = dateline_source(block.text) if block.kind == "paragraph" else None
        if source:
            draft.source = source
            break
    return draft


def _drop_chrome(lines: list[str], rules: LineRules, draft: Draft) -> list[str]:
    """Drop boilerplate, photo credits, captions, datelines and the tail after a tail marker."""
    kept: list[str] = []
    seen_body = in_tail = False
    captions = _opening_captions(lines)
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number in captions:
            continue
        if not stripped:
            kept.append("")
            continue
        if seen_body and rules.is_tail_marker(stripped):
            in_tail = True
            continue
        if in_tail and not _is_full_sentence_paragraph(stripped):
            continue  # link lists and promos after "Related posts", "More from …"
        in_tail = False
        date = parse_dateline(stripped)
        if date:
            draft.date = draft.date or date
            continue
        if rules.is_boilerplate(stripped) or is_photo_credit(stripped) or is_caption(stripped):
            continue
        kept.append(line.rstrip())
        seen_body = seen_body or len(stripped.split()) > 12
    return kept


def _opening_captions(lines: list[str]) -> set[int]:
    """Indices of the photo captions above a story: a line between a photo credit and another
    credit or the dateline that opens the story ("BAGHDAD (AP) — …").

    Only before the first body paragraph, and only when both neighbours say "photo": a credit
    alone does not tell whether its caption is above or below it, nor whether there is one.
    """
    filled = [number for number, line in enumerate(lines) if line.strip()]
    captions: set[int] = set()
    for place, number in enumerate(filled):
        text = lines[number].strip()
        if is_photo_credit(text):
            continue
        inner = 0 < place < len(filled) - 1
        if inner and _is_caption_between(text, lines[filled[place - 1]], lines[filled[place + 1]]):
            captions.add(number)
        elif _is_full_sentence_paragraph(text):
            break  # the story has begun (its first line too: nothing after it opens it)
    return captions


def _is_caption_between(text: str, before: str, after: str) -> bool:
    return (
        is_photo_credit(before)
        and (is_photo_credit(after) or opens_with_dateline(after))
        and len(text.split()) <= CAPTION_WORDS
        and not opens_with_dateline(text)
    )


def _is_full_sentence_paragraph(text: str) -> bool:
    """Body text resumes after a tail marker only with a real paragraph: a dozen words or more
    ending like a sentence (promos and related-link titles are shorter or unpunctuated)."""
    return len(text.split()) >= 12 and text.endswith((".", "!", "?", "”", '"', "’"))


def _paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs: blank-line blocks, hard-wrapped lines joined."""
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            paragraphs.extend(_block_paragraphs(block))
            block = []
    return [join_spaced_initials(" ".join(p.split())) for p in paragraphs]


def _block_paragraphs(block: list[str]) -> list[str]:
    """One paragraph per line, unless the block is hard-wrapped text (short lines, no bullets)."""
    if len(block) > 1 and _is_hard_wrapped(block):
        return [" ".join(line.strip() for line in block)]
    return [line.strip() if bullet_text(line) is None else line for line in block]


def _group_short_runs(paragraphs: list[str]) -> list[str]:
    """The paragraphs, except that each run of more than ``SHORT_RUN_LINES`` short ones (a
    list, a table, a log) keeps its first alone (a heading) and joins the rest into passages
    of about ``SHORT_RUN_CHARS`` characters."""
    grouped: list[str] = []
    run: list[str] = []
    for paragraph in [*paragraphs, "x" * SHORT_LINE_CHARS]:  # a long sentinel ends the last run
        if len(paragraph) < SHORT_LINE_CHARS:
            run.append(paragraph)
            continue
        if len(run) > SHORT_RUN_LINES:
            grouped.append(run[0])
            grouped.extend(_joined_up_to(run[1:], SHORT_RUN_CHARS))
        else:
            grouped.extend(run)
        grouped.append(paragraph)
        run = []
    return grouped[:-1]


def _joined_up_to(lines: list[str], limit: int) -> list[str]:
    """Consecutive lines joined by spaces into pieces of at most about ``limit`` characters."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) > limit:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(line.strip())
        size += len(line) + 1
    if current:
        pieces.append(" ".join(current))
    return pieces


def _is_hard_wrapped(block: list[str]) -> bool:
    widths = [len(line) for line in block[:-1]]
    if any(bullet_text(line) is not None for line in block):
        return False
    return (
        max(widths) <= 100
        and min(widths) >= 40
        and not all(line.rstrip().endswith((".", "!", "?", "”", '"')) for line in block[:-1])
    )


def _skip_leading_navigation(paragraphs: list[str]) -> list[str]:
    """Drop leading site-navigation lines ("My Blog", "World News") before the title.

    Navigation is short and unpunctuated, and comes before a body: a short sentence ("He
    declined.") is text (the short line before it is the title), and a file of short lines
    has no navigation to skip.
    """
    index = 0
    while index < len(paragraphs) - 2 and len(paragraphs[index].split()) <= 3:
        if paragraphs[index].rstrip().endswith(_TERMINAL):
            return paragraphs[index - 1 :] if index > 2 else paragraphs
        index += 1
    if index < 2 or all(len(p.split()) <= 3 for p in paragraphs[index:]):
        return paragraphs
    return paragraphs[index:]


def _take_title(paragraphs: list[str]) -> tuple[str, list[str]]:
    """Take the first line as title if it looks like one, else title from its first sentence."""
    if not paragraphs:
        return "", []
    first = paragraphs[0]
    following = paragraphs[1] if len(paragraphs) > 1 else ""
    short = len(first) <= 150 and len(first.split()) <= 20 and not FOOTNOTE_MARKER.search(first)
    if bullet_text(first) is None and (_is_title_like(first) or (short and len(following) > 150)):
        return first, paragraphs[1:]
    return _title_from_sentence(first), paragraphs


def _title_from_sentence(paragraph: str, limit: int = TITLE_CHARS) -> str:
    """A title made of the first sentence: whole if short, else cut where a clause ends."""
    sentence = _SENTENCE_END.split(paragraph, maxsplit=1)[0].rstrip(".")
    if len(sentence) <= limit:
        return sentence
    cuts = [m.start() for m in _CLAUSE_BREAK.finditer(sentence, 0, limit + 1)]
    cut = max((c for c in cuts if c >= TITLE_MIN_CHARS), default=None)
    if cut is not None:
        return sentence[:cut].rstrip(",;:—– ")
    return sentence[:limit].rsplit(" ", 1)[0] + "…"


def _take_deck(paragraphs: list[str], draft: Draft) -> list[str]:
    """Bullets (and a subtitle line) before the first paragraph form the deck."""
    index = 0
    while index < len(paragraphs):
        text = paragraphs[index]
        bullet = bullet_text(text)
        if bullet is not None:
            draft.deck.append(bullet)
        elif index == 0 and _is_title_like(text) and _next_is_body(paragraphs, index):
            draft.deck.append(text)
        else:
            break
        index += 1
    return paragraphs[index:]


def _next_is_body(paragraphs: list[str], index: int) -> bool:
    following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
    return len(following.split()) > 15


def _mark_headings(paragraphs: list[str]) -> list[Block]:
    """A short title-like paragraph followed by a longer one is a section heading."""
    blocks = []
    for index, text in enumerate(paragraphs):
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        is_heading = (
            _is_title_like(text)
            and bullet_text(text) is None
            and len(following) > len(text)
            and not _is_title_like(following)
        )
        blocks.append(Block("heading" if is_heading else "paragraph", text.strip()))
    return blocks


def _is_title_like(text: str) -> bool:
    """Short, capitalised, no sentence-final punctuation: a title or heading."""
    text = text.strip()
    if not text or len(text) > 150 or len(text.split()) > 20:
        return False
    if text.endswith(_TERMINAL) or not (text[0].isupper() or text[0].isdigit()):
        return False
    return not FOOTNOTE_MARKER.search(text)


def _normalized(text: str) -> str:
    return " ".join(FOOTNOTE_MARKER.sub("", text).lower().split())


def _remove_repeats(blocks: list[Block]) -> list[Block]:
    """Drop pull quotes and duplicates: a short paragraph repeated inside a nearby paragraph.

    Pull quotes sit near the sentence they repeat, so only a window of blocks is compared,
    which keeps this linear in the article's length.
    """
    normal = [_normalized(block.text) for block in blocks]
    seen: set[str] = set()
    kept = []
    for index, block in enumerate(blocks):
        if block.kind == "paragraph" and _is_pull_quote(index, blocks, normal, seen):
            continue
        seen.add(normal[index])
        kept.append(block)
    return kept


def _is_pull_quote(index: int, blocks: list[Block], normal: list[str], seen: set[str]) -> bool:
    own = normal[index]
    if own in seen:
        return True
    if len(own) > PULL_QUOTE_CHARS:
        return False
    needle = own.rstrip(".")
    window = range(max(0, index - PULL_QUOTE_WINDOW), min(len(blocks), index + PULL_QUOTE_WINDOW))
    return any(
        other != index
        and blocks[other].kind == "paragraph"
        and len(normal[other]) >= PULL_QUOTE_RATIO * len(own)
        and needle in normal[other]
        for other in window
    )


# ---------------------------------------------------------------- building the Article


def build_article(draft: Draft, article_id: str, path: str, part: int, **meta: object) -> Article:
    """Assemble clean text from the draft's blocks and compute passages and their offsets."""
    pieces: list[str] = []
    passages: list[Passage] = []
    headings: list[Heading] = []
    offset = 0
    current_heading = ""
    for block in draft.blocks:
        for chunk in _chunks(block.text) if block.kind == "paragraph" else [block.text]:
            if pieces:
                pieces.append("\n\n")
                offset += 2
            start, end = offset, offset + len(chunk)
            if block.kind == "heading":
                headings.append(Heading(chunk, start, end))
                current_heading = chunk
            else:
                number = len(passages) + 1
                labels = tuple(
                    dict.fromkeys(m.group("label").lower() for m in FOOTNOTE_MARKER.finditer(chunk))
                )
                passages.append(
                    Passage(
                        make_passage_id(article_id, number),
                        article_id,
                        number,
                        start,
                        end,
                        chunk,
                        current_heading,
                        labels,
                    )
                )
            pieces.append(chunk)
            offset = end
    return Article(
        id=article_id,
        path=path,
        part=part,
        title=draft.title or path,
        text="".join(pieces),
        passages=tuple(passages),
        headings=tuple(headings),
        date=draft.date,
        source=draft.source,
        deck=tuple(draft.deck),
        references=tuple(draft.references),
        **meta,  # type: ignore[arg-type]
    )


def _chunks(text: str) -> list[str]:
    """Split an over-long paragraph at sentence (else word) boundaries into passage-sized chunks."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    chunks = []
    start = 0
    while len(text) - start > MAX_PASSAGE_CHARS:
        limit = start + MAX_PASSAGE_CHARS
        cut = max(
            text.rfind(". ", start, limit),
            text.rfind("? ", start, limit),
            text.rfind("! ", start, limit),
        )
        if cut > start + MAX_PASSAGE_CHARS // 2:
            cut += 1
        else:
            cut = text.rfind(" ", start, limit)
            cut = cut if cut > start else limit
        chunks.append(text[start:cut].strip())
        start = cut
    chunks.append(text[start:].strip())
    return [chunk for chunk in chunks if chunk]
