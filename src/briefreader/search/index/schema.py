"""The Whoosh schema: article documents and passage documents in one index, in fields of
their own.

Article documents carry the whole text (ranking and AND across paragraphs), the metadata, the
references and the serialised ``Article``; passage documents carry one paragraph each (best
passage, snippets, related passages) in the ``p_`` fields (``PASSAGE_FIELDS``). No field holds
both, so a user's query walks posting lists of article documents only, as if passages were in
another index, without a ``kind`` filter; one index keeps one atomic commit for both. ``kind``
still tells them apart (stored, and for queries made only of negations); ``article_id`` ties
them. Passage text fields keep no positions (phrases run on articles).
"""

from __future__ import annotations

import sys
from array import array
from itertools import accumulate

from whoosh import analysis, fields, formats

from briefreader.search.index.fast_analysis import FastAnalyzer

SCHEMA_VERSION = 12
TEXT_FIELDS = ("title", "body", "heading", "references")
# The entity fields a query can name; ``entity`` is any type.
ENTITY_FIELDS = ("entity", "person", "org", "place", "group", "when")
GENERAL_ENTITY = "entity"
# The entity fields the index holds: one per type, and ``other`` for the keys of the types that
# have none (LAW, EVENT…). ``entity`` is answered as an Or over them (``entity_index_fields``):
# indexing it too repeated every key of the typed fields (8% of the index at BBC ×1).
TYPED_ENTITY_FIELDS = ("person", "org", "place", "group", "when", "other")
PASSAGE_PREFIX = "p_"
# An article field -> its passage documents' field.
PASSAGE_FIELDS = {
    name: PASSAGE_PREFIX + name for name in ("body", "heading", "footnote", *TYPED_ENTITY_FIELDS)
}

# The vocabularies: which words the articles' text (``spell_words``) and titles (Whoosh's
# ``spell_title``) hold, for prefixes, fuzzy words and suggestions. A segment files each word
# once, under its document 0 as Whoosh files spelling words, whichever documents hold it: a
# posting per article and word was 30% of the postings and about a tenth of the text phase's
# CPU (docs/performance.md). A merge keeps every word of the segments it merges, their
# documents deleted or not (Whoosh's dropped every spelling word of a segment whose first
# document was deleted). How common a word is, is its stem's document frequency in the field
# the vocabulary counts in (``VOCABULARY_COUNTS``).
VOCABULARY_FIELDS = frozenset(("spell_words", "spell_title"))
VOCABULARY_COUNTS = {"spell_words": "body", "spell_title": "title"}

# Fields only article documents have (a query on one of them never reaches a passage).
ARTICLE_FIELDS = (
    frozenset(
        ("title", "body", "spell_words", "heading", "references", "source", "date", "footnote")
    )
    | frozenset(ENTITY_FIELDS)
    | frozenset(TYPED_ENTITY_FIELDS)
)


def entity_index_fields(name: str) -> tuple[str, ...]:
    """The indexed fields that answer a query on field ``name`` (``entity``: every type's)."""
    return TYPED_ENTITY_FIELDS if name == GENERAL_ENTITY else (name,)


def indexed_entity_terms(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Entity terms per indexed field from the recogniser's fields (``entity`` holds every
    type's keys): the typed fields as they are, and in ``other`` the keys no typed field
    has."""
    indexed = {name: fields[name] for name in TYPED_ENTITY_FIELDS if fields.get(name)}
    typed = {key for keys in indexed.values() for key in keys}
    other = [key for key in fields.get(GENERAL_ENTITY, []) if key not in typed]
    if other:
        indexed["other"] = other
    return indexed


def passage_field(name: str) -> str:
    """The field passage documents use for an article field (the name itself if none)."""
    return PASSAGE_FIELDS.get(name, name)


# Whoosh's stop list drops "us", which in news text is mostly the country.
STOP_WORDS = frozenset(analysis.STOP_WORDS - {"us"})


class DottedAcronymFilter(analysis.Filter):
    """Index ``U.S.``/``U.N.`` as ``us``/``un`` so they match ``US``/``UN`` typed plainly."""

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        for token in tokens:
            text = token.text
            if "." in text and len(text) <= 12 and all(len(p) <= 2 for p in text.split(".")):
                token.text = text.replace(".", "")
            yield token


def text_analyzer() -> analysis.Analyzer:
    """Tokenise, lowercase, join dotted acronyms, drop stop words, stem (in one loop:
    ``fast_analysis.FastAnalyzer``)."""
    return FastAnalyzer(*word_analyzer().items, analysis.StemFilter())


def word_analyzer() -> analysis.Analyzer:
    """``text_analyzer`` without the stemmer: whole words, for suggestions and prefixes."""
    return FastAnalyzer(
        analysis.RegexTokenizer(),
        analysis.LowercaseFilter(),
        DottedAcronymFilter(),
        analysis.StopFilter(stoplist=STOP_WORDS, minsize=2),
    )


class WordsField(fields.SpellField):
    """Whole words of article documents: the vocabulary of suggestions, prefix and fuzzy
    expansion (``VOCABULARY_FIELDS``). They read only which words exist, so its postings
    keep no frequencies (Whoosh's ``SpellField`` keeps them)."""

    def __init__(self, analyzer: analysis.Analyzer) -> None:
        super().__init__(analyzer)
        self.format = formats.Existence()


_WIDTHS = (("B", 0xFF), ("H", 0xFFFF), ("I", 0xFFFFFFFF))
_ONE_BYTE = [bytes((number,)) for number in range(0x100)]


class CompactPositions(formats.Positions):
    """Whoosh's ``Positions`` with a compact posting value: a type code and the gaps between
    positions as an array of 1, 2 or 4-byte numbers (Whoosh pickles the list in each posting:
    15 bytes for one position, 3 here). Decoded by ``array``, not by a Python loop.
    """

    def encode(self, poslist: list[int]) -> bytes:  # type: ignore[override]
        """The posting value of a sorted position list."""
        if len(poslist) == 1 and 0 <= poslist[0] <= 0xFF:  # most words of an article
            # a new object each time: a posting block pickles its values, and one shared
            # object would be pickled once and referred to after (other bytes, same values)
            return b"B" + _ONE_BYTE[poslist[0]]
        gaps = [pos - prev for prev, pos in zip([0, *poslist], poslist, strict=False)]
        top = max(gaps, default=0)
        code = next(code for code, limit in _WIDTHS if top <= limit)
        values = array(code, gaps)
        if sys.byteorder != "little":
            values.byteswap()
        return code.encode("ascii") + values.tobytes()

    def _gaps(self, valuestring: bytes) -> array:  # type: ignore[type-arg]
        values = array(chr(valuestring[0]))
        values.frombytes(valuestring[1:])
        if sys.byteorder != "little":
            values.byteswap()
        return values

    def decode_positions(self, valuestring: bytes) -> list[int]:
        """The positions of a posting value."""
        return list(accumulate(self._gaps(valuestring)))

    def decode_frequency(self, valuestring: bytes) -> int:
        """How many positions a posting value holds."""
        return (len(valuestring) - 1) // array(chr(valuestring[0])).itemsize

    def decode_weight(self, valuestring: bytes) -> float:
        """The frequency times the field's boost."""
        return self.decode_frequency(valuestring) * self.field_boost


def _compact(field: fields.FieldType) -> fields.FieldType:
    """A field whose positions are stored by ``CompactPositions``."""
    field.format = CompactPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> fields.Schema:
    """Create the schema (a new object each time; Whoosh schemas are mutable)."""
    text = text_analyzer()
    keyword = {"lowercase": True, "commas": True, "scorable": True}
    return fields.Schema(
        doc_id=fields.ID(unique=True, stored=True),  # article documents only
        kind=fields.ID(stored=True),
        article_id=fields.ID(stored=True),
        path=fields.ID(),
        # article documents
        # Whoosh's own positions: its ``spell_title`` postings take the value of the title's last
        # word (a Whoosh quirk), which a Frequency reader slices in 4-byte pieces.
        title=fields.TEXT(analyzer=text, field_boost=2.5, spelling=True),
        body=_compact(fields.TEXT(analyzer=text)),
        # Whole words of article documents only: the vocabulary of suggestions and prefixes.
        # Its own unstemmed analyzer, because Whoosh's SpellField misspells "nomorph"
        # internally and would not switch the stemmer off.
        spell_words=WordsField(word_analyzer()),
        heading=_compact(fields.TEXT(analyzer=text, field_boost=1.5)),
        references=_compact(fields.TEXT(analyzer=text)),
        source=fields.TEXT(analyzer=analysis.SimpleAnalyzer()),
        date=fields.ID(),
        footnote=fields.KEYWORD(lowercase=True, commas=True),
        data=fields.STORED(),
        # never written: ``entity:`` is parsed on it and answered by the typed fields
        entity=fields.KEYWORD(**keyword),
        **{name: fields.KEYWORD(**keyword) for name in TYPED_ENTITY_FIELDS},
        # passage documents
        number=fields.STORED(),
        p_body=fields.TEXT(analyzer=text, phrase=False),
        p_heading=fields.TEXT(analyzer=text, phrase=False),
        p_footnote=fields.KEYWORD(lowercase=True, commas=True),
        text=fields.STORED(),
        # key-term sequence for related passages (index/terms.passage_terms)
        terms=fields.STORED(),
        **{PASSAGE_FIELDS[name]: fields.KEYWORD(**keyword) for name in TYPED_ENTITY_FIELDS},
    )
