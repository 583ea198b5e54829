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

from whoosh import analysis, fields, formats

SCHEMA_VERSION = 10
TEXT_FIELDS = ("title", "body", "heading", "references")
ENTITY_FIELDS = ("entity", "person", "org", "place", "group", "when")
PASSAGE_PREFIX = "p_"
# An article field -> its passage documents' field.
PASSAGE_FIELDS = {
    name: PASSAGE_PREFIX + name for name in ("body", "heading", "footnote", *ENTITY_FIELDS)
}

# Fields only article documents have (a query on one of them never reaches a passage).
ARTICLE_FIELDS = frozenset(
    ("title", "body", "spell_words", "heading", "references", "source", "date", "footnote")
) | frozenset(ENTITY_FIELDS)


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
    """Tokenise, lowercase, join dotted acronyms, drop stop words, stem."""
    return (
        analysis.RegexTokenizer()
        | analysis.LowercaseFilter()
        | DottedAcronymFilter()
        | analysis.StopFilter(stoplist=STOP_WORDS, minsize=2)
        | analysis.StemFilter()
    )


def word_analyzer() -> analysis.Analyzer:
    """``text_analyzer`` without the stemmer: whole words, for suggestions and prefixes."""
    return (
        analysis.RegexTokenizer()
        | analysis.LowercaseFilter()
        | DottedAcronymFilter()
        | analysis.StopFilter(stoplist=STOP_WORDS, minsize=2)
    )


class WordsField(fields.SpellField):
    """Whole words of article documents: the vocabulary of suggestions and prefix expansion.

    Both read only which words exist and in how many documents, so the postings keep no
    term frequencies (Whoosh's ``SpellField`` keeps them).
    """

    def __init__(self, analyzer: analysis.Analyzer) -> None:
        super().__init__(analyzer)
        self.format = formats.Existence()


def build_schema() -> fields.Schema:
    """Create the schema (a new object each time; Whoosh schemas are mutable)."""
    text = text_analyzer()
    keyword = {"lowercase": True, "commas": True, "scorable": True}
    return fields.Schema(
        doc_id=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        article_id=fields.ID(stored=True),
        path=fields.ID(),
        # article documents
        title=fields.TEXT(analyzer=text, field_boost=2.5, spelling=True),
        body=fields.TEXT(analyzer=text),
        # Whole words of article documents only: the vocabulary of suggestions and prefixes.
        # Its own unstemmed analyzer, because Whoosh's SpellField misspells "nomorph"
        # internally and would not switch the stemmer off.
        spell_words=WordsField(word_analyzer()),
        heading=fields.TEXT(analyzer=text, field_boost=1.5),
        references=fields.TEXT(analyzer=text),
        source=fields.TEXT(analyzer=analysis.SimpleAnalyzer()),
        date=fields.ID(),
        footnote=fields.KEYWORD(lowercase=True, commas=True),
        data=fields.STORED(),
        **{name: fields.KEYWORD(**keyword) for name in ENTITY_FIELDS},
        # passage documents
        number=fields.STORED(),
        p_body=fields.TEXT(analyzer=text, phrase=False),
        p_heading=fields.TEXT(analyzer=text, phrase=False),
        p_footnote=fields.KEYWORD(lowercase=True, commas=True),
        text=fields.STORED(),
        # key-term sequence for related passages (index/terms.passage_terms)
        terms=fields.STORED(),
        **{PASSAGE_FIELDS[name]: fields.KEYWORD(**keyword) for name in ENTITY_FIELDS},
    )
