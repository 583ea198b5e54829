"""The Whoosh schema: one index holding article documents and passage documents.

Article documents carry the whole text (ranking and AND across paragraphs), the metadata, the
references and the serialised ``Article``; passage documents carry one paragraph each (best
passage, snippets, related passages). ``kind`` tells them apart; ``article_id`` ties them.
"""

from __future__ import annotations

from whoosh import analysis, fields

SCHEMA_VERSION = 7
TEXT_FIELDS = ("title", "body", "heading", "references")
ENTITY_FIELDS = ("entity", "person", "org", "place", "group", "when")


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


def build_schema() -> fields.Schema:
    """Create the schema (a new object each time; Whoosh schemas are mutable)."""
    text = text_analyzer()
    keyword = {"lowercase": True, "commas": True, "scorable": True}
    return fields.Schema(
        doc_id=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        article_id=fields.ID(stored=True),
        path=fields.ID(stored=True),
        content_hash=fields.STORED(),
        number=fields.STORED(),
        title=fields.TEXT(analyzer=text, stored=True, field_boost=2.5, spelling=True),
        body=fields.TEXT(analyzer=text),
        # Whole words of article documents only (passages repeat them): half the postings of
        # spelling=True on body. Its own unstemmed analyzer, because Whoosh's SpellField
        # misspells "nomorph" internally and would not switch the stemmer off.
        spell_words=fields.SpellField(word_analyzer()),
        heading=fields.TEXT(analyzer=text, field_boost=1.5),
        references=fields.TEXT(analyzer=text),
        source=fields.TEXT(analyzer=analysis.SimpleAnalyzer(), stored=True),
        date=fields.ID(stored=True),
        footnote=fields.KEYWORD(lowercase=True, commas=True),
        text=fields.STORED(),
        # passage documents: key-term sequence for related passages (index/terms.passage_terms)
        terms=fields.STORED(),
        data=fields.STORED(),
        **{name: fields.KEYWORD(**keyword) for name in ENTITY_FIELDS},
    )
