"""CoNLL-2003 (English, 4-column, IOB1) as articles and gold spans for the entity benchmark.

The file is evaluation data read from ``../shared/data`` (never copied into the project).
Tokens are joined back into text with light detokenisation (no space before ``,`` ``.``
``'s``…), one sentence per paragraph, so the recogniser sees something close to news text;
gold spans are character offsets into that text. Types: PER → PERSON, ORG, LOC → PLACE,
MISC; the reader's GROUP, LAW and EVENT count as MISC and DATE is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from briefreader.models import Article

CONLL_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "conll2003-dev.txt"
CONLL_TYPES = ("PERSON", "ORG", "PLACE", "MISC")
_GOLD_TYPE = {"PER": "PERSON", "ORG": "ORG", "LOC": "PLACE", "MISC": "MISC"}
_SYSTEM_TYPE = {"GROUP": "MISC", "LAW": "MISC", "EVENT": "MISC"}
_NO_SPACE_BEFORE = frozenset({",", ".", ":", ";", "?", "!", ")", "%", "'s", "'", "n't", "]"})
_NO_SPACE_AFTER = frozenset({"(", "$", "["})

Span = tuple[int, int, str]
Token = tuple[str, str]  # (word, IOB1 tag)


@dataclass(frozen=True)
class ConllDocument:
    """One CoNLL document as an article and its gold spans."""

    article: Article
    gold: set[Span]


def read_documents(path: Path = CONLL_DEV) -> list[ConllDocument]:
    """The documents of a CoNLL-2003 file (a missing first ``-DOCSTART-`` is tolerated)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    documents = []
    for number, sentences in enumerate(_split_documents(lines), 1):
        if sentences:
            documents.append(_document(f"conll-{number:03d}", sentences))
    return documents


def _split_documents(lines: Iterable[str]) -> Iterator[list[list[Token]]]:
    sentences: list[list[Token]] = []
    sentence: list[Token] = []
    for line in lines:
        if line.startswith("-DOCSTART-"):
            yield [*sentences, sentence] if sentence else sentences
            sentences, sentence = [], []
        elif not line.strip():
            if sentence:
                sentences.append(sentence)
            sentence = []
        else:
            parts = line.split()
            sentence.append((parts[0], parts[-1]))
    yield [*sentences, sentence] if sentence else sentences


def _document(doc_id: str, sentences: list[list[Token]]) -> ConllDocument:
    """Detokenised text (sentences as paragraphs) and gold spans over it."""
    pieces: list[str] = []
    gold: set[Span] = set()
    length = 0
    for sentence in sentences:
        if pieces:
            pieces.append("\n\n")
            length += 2
        open_span: tuple[int, str] | None = None
        previous, end = "", length
        for position, (word, tag) in enumerate(sentence):
            glue = position > 0 and word not in _NO_SPACE_BEFORE
            glue = glue and previous not in _NO_SPACE_AFTER
            if glue:
                pieces.append(" ")
                length += 1
            kind = _GOLD_TYPE.get(tag[2:]) if tag != "O" else None
            continues = open_span is not None and tag.startswith("I-") and kind == open_span[1]
            if open_span is not None and not continues:
                gold.add((open_span[0], end, open_span[1]))
                open_span = None
            if kind is not None and open_span is None:
                open_span = (length, kind)
            pieces.append(word)
            length += len(word)
            end = length
            previous = word
        if open_span is not None:
            gold.add((open_span[0], end, open_span[1]))
    text = "".join(pieces)
    title = text.split("\n", 1)[0]
    article = Article(doc_id, f"{doc_id}.txt", 1, title, text, ())
    return ConllDocument(article, gold)


def conll_type(kind: str) -> str | None:
    """The CoNLL type of a reader type (None for DATE, which CoNLL does not annotate)."""
    if kind == "DATE":
        return None
    return _SYSTEM_TYPE.get(kind, kind)


def as_conll(spans: Iterable[Span]) -> set[Span]:
    """System spans with their types folded into CoNLL's four."""
    folded = set()
    for start, end, kind in spans:
        mapped = conll_type(kind)
        if mapped is not None:
            folded.add((start, end, mapped))
    return folded
