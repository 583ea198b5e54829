"""The documents the index holds per article: one article document (its stored JSON and its
searchable fields) and one document per passage; and the way back, from stored fields to an
``Article`` and to a catalog.

Both sides use it: the indexer writes these documents, the library reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from typing import Any

from whoosh.reading import TermNotFound

from briefreader.models import Article, Heading, Passage, Reference, make_passage_id
from briefreader.search.index.catalog import ArticleSummary, Catalog, FileEntry
from briefreader.search.index.enrich import Enrichment
from briefreader.search.index.schema import SCHEMA_VERSION, indexed_entity_terms, passage_field
from briefreader.search.index.terms import passage_terms


def article_documents(article: Article, extra: Enrichment) -> list[dict[str, Any]]:
    """The fields of one article document and of one document per passage (``p_`` fields).

    Passage documents have no ``doc_id``: their id follows from ``article_id`` and ``number``
    (``stored_passage_id``), and ``PassageIndex.document_number`` finds them through their
    article's postings.
    """
    entity_fields = {k: ",".join(v) for k, v in indexed_entity_terms(extra.fields).items()}
    body = "\n\n".join([*article.deck, article.text])
    documents: list[dict[str, Any]] = [
        dict(
            doc_id=article.id,
            kind="article",
            article_id=article.id,
            path=article.path,
            title=article.title,
            body=body,
            spell_words=body,
            heading=" ".join(h.text for h in article.headings),
            references="\n".join(r.text for r in article.references),
            source=article.source,
            date=article.date or "",
            footnote=",".join(sorted({label for p in article.passages for label in p.footnotes})),
            data=article_to_json(article, extra.payload),
            **{k: v for k, v in entity_fields.items() if v},
        )
    ]
    for passage in article.passages:
        fields = indexed_entity_terms(extra.passage_fields.get(passage.id, {}))
        documents.append(
            dict(
                kind="passage",
                article_id=article.id,
                path=article.path,
                number=passage.number,
                p_body=passage.text,
                p_heading=passage.heading,
                text=passage.text,
                terms=passage_terms(passage.text),
                p_footnote=",".join(passage.footnotes),
                **{passage_field(k): ",".join(v) for k, v in fields.items()},
            )
        )
    return documents


def stored_passage_id(fields: Mapping[str, Any]) -> str:
    """The id of the passage whose stored values these are (passage documents store their
    article's id and their number, not their own id: an indexed id per passage cost more than
    any other field of the term table)."""
    return make_passage_id(fields["article_id"], fields["number"])


def summarize(article: Article) -> ArticleSummary:
    """The library-list summary of an article."""
    return ArticleSummary(
        article.id, article.title, article.source, article.date, article.path, len(article.passages)
    )


def article_to_json(article: Article, payload: dict[str, Any] | None = None) -> str:
    """Serialise an article (and enrichment payload) for the index's stored field.

    The text is stored once: each passage document stores its own text, and the article keeps
    only what lies between its passages (``gaps``: headings, blank lines), from which
    ``article_from_json`` puts the text together again. Passage ids follow from the article's
    id and their numbers. (An article whose passages do not follow each other in the text
    keeps its whole text.)
    """
    data = _fields_of(article)
    data["passages"] = [_fields_of(p, _DERIVED) for p in article.passages]
    data["headings"] = [_fields_of(h) for h in article.headings]
    data["references"] = [_fields_of(r) for r in article.references]
    gaps = _gaps(article)
    if gaps is not None:
        del data["text"]
        data["gaps"] = gaps
    data["extra"] = payload or {}
    return json.dumps(data, ensure_ascii=False)


_DERIVED = frozenset(("id", "article_id", "text"))  # a stored passage's: from its article


def _fields_of(item: Any, left_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A dataclass's fields by name, in order, one level deep (``dataclasses.asdict``
    copied every string and number again: 3% of the text phase's analysis)."""
    return {name: getattr(item, name) for name in _field_names(type(item)) if name not in left_out}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(item.name for item in dataclass_fields(kind))
    return names


def _gaps(article: Article) -> list[str] | None:
    """The text before, between and after the passages (None if they overlap or go back)."""
    gaps, position = [], 0
    for passage in article.passages:
        if passage.start < position:
            return None
        gaps.append(article.text[position : passage.start])
        position = passage.end
    return [*gaps, article.text[position:]]


def article_from_json(text: str, passage_texts: Mapping[int, str] | None = None) -> Article:
    """Rebuild an ``Article`` from ``article_to_json`` output and, when it kept ``gaps``, the
    stored text of its passages by number.

    Raises:
        KeyError: a passage's text is missing (the index is damaged).
    """
    data = json.loads(text)
    data.pop("extra", None)
    article_id = data["id"]
    gaps = data.pop("gaps", None)
    if gaps is not None:
        texts = passage_texts or {}
        pieces = [gaps[0]]
        for passage, gap in zip(data["passages"], gaps[1:], strict=True):
            pieces += [texts[passage["number"]], gap]
        data["text"] = "".join(pieces)
    body = data["text"]
    data["passages"] = tuple(
        Passage(
            **{
                "id": make_passage_id(article_id, p["number"]),
                "article_id": article_id,
                "text": body[p["start"] : p["end"]],
                **p,
                "footnotes": tuple(p["footnotes"]),
            }
        )
        for p in data["passages"]
    )
    data["headings"] = tuple(Heading(**h) for h in data["headings"])
    data["references"] = tuple(Reference(**r) for r in data["references"])
    for key in ("tags", "deck", "notices"):
        data[key] = tuple(data[key])
    return Article(**data)


def stored_article(searcher: Any, article_id: str) -> Article | None:
    """An article as the index stores it (None if it is not there, or damaged)."""
    fields = searcher.document(doc_id=article_id)
    if not fields or fields.get("kind") != "article":
        return None
    try:
        return article_from_json(fields["data"], passage_texts(searcher, article_id))
    except (KeyError, ValueError):
        return None


def article_docnums(searcher: Any, article_id: str) -> list[int]:
    """The live document numbers (article and passages) of an article, in order; empty if
    the index does not hold it.

    Read from each segment's postings without a scorer: Whoosh's ``Searcher.postings``
    makes a BM25 scorer per segment and one for the whole index, each looking the id up in
    every segment again (about ten term lookups per segment, a millisecond per search for
    the 20 hits' best passages once an update has added a second segment).
    """
    found: list[int] = []
    for leaf, offset in searcher.reader().leaf_readers():
        try:
            matcher = leaf.postings("article_id", article_id)
        except TermNotFound:
            continue
        found.extend(offset + docnum for docnum in matcher.all_ids())
    return found


def passage_texts(searcher: Any, article_id: str) -> dict[int, str]:
    """The stored text of an article's live passages, by number."""
    texts = {}
    for docnum in article_docnums(searcher, article_id):
        fields = searcher.stored_fields(docnum)
        if "number" in fields:
            texts[fields["number"]] = fields.get("text", "")
    return texts


def article_extra(text: str) -> dict[str, Any]:
    """The enrichment payload stored with an article (entities…)."""
    return dict(json.loads(text).get("extra") or {})


def catalog_from_index(ix: Any) -> Catalog:
    """Rebuild the catalog from stored article documents (after a kill between two writes)."""
    from briefreader.text.entities import from_payload, mention_forms

    catalog = Catalog(schema_version=SCHEMA_VERSION)
    with ix.searcher() as searcher:
        for fields in searcher.documents(kind="article"):
            article = article_from_json(fields["data"], passage_texts(searcher, fields["doc_id"]))
            mentions = from_payload(article, article_extra(fields["data"]))
            entry = catalog.files.get(article.path)
            ids = (*(entry.articles if entry else ()), article.id)
            catalog.put_file(article.path, FileEntry(-1, -1, article.content_hash, ids))
            forms = mention_forms(mentions or [])
            catalog.put_article(summarize(article), forms, pending=mentions is None)
    return catalog
