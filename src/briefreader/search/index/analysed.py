"""Documents analysed in worker processes and written by the one Whoosh writer.

Whoosh's ``SegmentWriter.add_document`` does two kinds of work: it analyses each field
(tokenise, stem, encode positions) and builds the stored values, then files the postings in
its pool and the values in the segment. Only the second needs the writer. At BBC ×4 the
first, with building the documents (key terms, stored JSON), was about half of the text
phase's CPU, all on one core.

``analyse_document`` does the first half anywhere, ``add_analysed`` the second half in the
writer's process, with the result ``add_document`` gives (a test compares every posting,
length and stored value). ``analysed_groups`` runs the first half for a stream of articles in
a pool of processes, in order, with a bounded number in flight so that memory stays flat when
the writer is the slower side.
"""

from __future__ import annotations

import marshal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from whoosh.fields import FieldType, Schema, UnknownFieldError
from whoosh.util.text import utf8encode
from whoosh.writing import SegmentWriter

from briefreader.models import Article
from briefreader.search.index import whoosh_patches  # noqa: F401 - the workers analyse as the writer would
from briefreader.search.index.documents import article_documents
from briefreader.search.index.enrich import Enrichment
from briefreader.search.index.schema import VOCABULARY_FIELDS, build_schema
from briefreader.search.index.workers import WorkerPool

CHUNK_ARTICLES = 32  # articles per task: fewer, larger messages between processes
_T = TypeVar("_T")


# (fieldname, term bytes, weight, value): a posting of the document, without its number
Posting = tuple[str, bytes, float, bytes | None]
# (vocabulary fieldname, word bytes, value): a word of the document's vocabularies
SpellingPosting = tuple[str, bytes, bytes | None]
# (name, stored value or None, length in terms, term vector items or None, column value or
# None): what a field adds to the segment besides postings
FieldValues = tuple[str, Any, int, list[tuple[Any, ...]] | None, Any]


class AnalysedDocument(NamedTuple):
    """One document as ``SegmentWriter.add_document`` would file it, without its number.

    Plain tuples of str, bytes and numbers, so that a worker hands them over with ``marshal``
    (several times faster than pickling objects).
    """

    postings: list[Posting]
    spelling: list[SpellingPosting]
    fields: list[FieldValues]


Group = list[tuple[Article, Enrichment]]
Analysed = list[list[AnalysedDocument]]  # per article of a group, its documents


@lru_cache(maxsize=1)
def _schema() -> Schema:
    return build_schema()


def analyse_document(fields: Mapping[str, Any], schema: Schema | None = None) -> AnalysedDocument:
    """The first half of ``SegmentWriter.add_document``: analyse every field.

    Raises:
        UnknownFieldError: a field the schema does not have.
    """
    schema = schema if schema is not None else _schema()
    docboost = float(fields.get("_boost", 1.0))
    names = sorted(name for name in fields if not name.startswith("_"))
    for name in names:
        if name not in schema:
            raise UnknownFieldError(f"No field named {name!r} in {schema}")
    document = AnalysedDocument([], [], [])
    for name in names:
        value = fields[name]
        if value is not None:
            _analyse_field(document, schema[name], name, value, fields, docboost)
    return document


def _analyse_field(
    document: AnalysedDocument,
    field: Any,
    name: str,
    value: Any,
    fields: Mapping[str, Any],
    docboost: float,
) -> None:
    length = 0
    vbytes = None  # Whoosh gives spelling postings the value of the field's last posting
    if name in VOCABULARY_FIELDS:  # its words, filed once per segment (``TermPool.add_words``)
        words = field.index(value)
        document.spelling.extend((name, word, wvalue) for word, _, _, wvalue in words)
    elif field.indexed:
        fieldboost = float(fields.get(f"_{name}_boost", docboost))
        items = _indexed(field, value)
        if field.scorable:
            length = sum(item[1] for item in items)
        document.postings.extend([(name, t, weight * fieldboost, v) for t, _, weight, v in items])
        if items:
            vbytes = items[-1][3]
    if field.separate_spelling():
        spellfield = field.spelling_fieldname(name)
        for word in field.spellable_words(value):
            document.spelling.append((spellfield, utf8encode(word)[0], vbytes))
    vector = None
    if field.vector:
        items = field.vector.word_values(value, field.analyzer, mode="index")
        vector = sorted((text, weight, vb) for text, _, weight, vb in items)
    custom = fields.get(f"_stored_{name}", value)
    column = None
    if field.column_type and custom is not None:
        column = field.to_column_value(custom)
    stored = custom if field.stored else None
    document.fields.append((name, stored, length, vector, column))


def _indexed(field: Any, value: Any) -> list[tuple[bytes, int, float, bytes]]:
    """``field.index(value)``: (term bytes, frequency, weight, value) per term, in one list
    comprehension when the field type keeps Whoosh's ``index`` (a generator step per term was
    5% of the analysis)."""
    if type(field).index is not FieldType.index or not isinstance(value, str):
        return list(field.index(value))
    items = field.format.word_values(value, field.analyzer, mode="index")
    return [(word.encode("utf-8"), freq, weight, v) for word, freq, weight, v in items]


def add_analysed(writer: SegmentWriter, document: AnalysedDocument) -> None:
    """The second half of ``SegmentWriter.add_document``: file an analysed document."""
    writer._check_state()
    perdoc = writer.perdocwriter
    docnum = writer.docnum
    pool = writer.pool  # a ``TermPool``: ``whoosh_patches`` gives every writer one
    schema = writer.schema
    perdoc.start_doc(docnum)
    try:
        pool.add_document(docnum, document.postings)
        pool.add_words(document.spelling)
        for name, stored, length, vector, column in document.fields:
            field = schema[name]
            if vector is not None:
                perdoc.add_vector_items(name, field, vector)
            perdoc.add_field(name, field, stored, length)
            if column is not None:
                perdoc.add_column_value(name, field.column_type, column)
    except Exception:
        perdoc.cancel_doc()
        raise
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


def analyse_article(article: Article, extra: Enrichment) -> list[AnalysedDocument]:
    """The analysed documents of one article (``documents.article_documents``)."""
    whole = with_passage_texts(article)
    return [analyse_document(fields) for fields in article_documents(whole, extra)]


def without_passage_texts(article: Article) -> Article:
    """The article with its passages' texts left out (each is a slice of its text: the
    parsed corpus an index run holds is then about half as large, and quicker to hand
    between processes); ``with_passage_texts`` puts them back. An article whose passages
    are not slices of its text is kept whole."""
    text = article.text
    if not all(p.text and text[p.start : p.end] == p.text for p in article.passages):
        return article
    return replace(article, passages=tuple(replace(p, text="") for p in article.passages))


def with_passage_texts(article: Article) -> Article:
    """The article with the passage texts ``without_passage_texts`` left out put back (it
    leaves out all or none)."""
    if not article.passages or any(p.text for p in article.passages):
        return article
    text = article.text
    passages = tuple(replace(p, text=text[p.start : p.end]) for p in article.passages)
    return replace(article, passages=passages)


def _analyse_chunk(chunk: list[Group]) -> list[Analysed]:
    return [[analyse_article(article, extra) for article, extra in group] for group in chunk]


def _analyse_chunk_marshalled(chunk: list[Group]) -> bytes:
    """``_analyse_chunk`` in a worker: its result as ``marshal`` bytes."""
    analysed = _analyse_chunk(chunk)
    return marshal.dumps(
        [[[tuple(doc) for doc in article] for article in group] for group in analysed]
    )


def _unmarshalled(data: bytes) -> list[Analysed]:
    return [
        [[AnalysedDocument(*document) for document in article] for article in group]
        for group in marshal.loads(data)
    ]


def analysed_groups(
    items: Iterable[_T], group_of: Callable[[_T], Group], pool: WorkerPool
) -> Iterator[tuple[_T, Analysed]]:
    """Each item with the analysed documents of its group of articles, in the order given.

    ``group_of`` names an item's articles and enrichments (a loaded file's articles; an
    empty group for a skipped file). The analysis runs in the pool's processes, if it has
    any, and comes back as ``marshal`` bytes; an error in a worker is raised here.
    """
    if not pool.processes:
        for item in items:
            yield item, _analyse_chunk([group_of(item)])[0]
        return
    waiting: deque[_T] = deque()  # items whose groups were handed to the pool, in order

    def groups() -> Iterator[Group]:
        for item in items:
            waiting.append(item)
            yield group_of(item)

    for _, data in pool.map_chunks(_analyse_chunk_marshalled, groups(), CHUNK_ARTICLES):
        for analysed in _unmarshalled(data):
            yield waiting.popleft(), analysed
