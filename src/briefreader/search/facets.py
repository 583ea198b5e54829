"""Facets of a query's matches: sources, entities by type, and a timeline.

Every count is the number of articles that the query narrowed by the value's filter returns:
a value's ``filter`` is query text (``source:"BBC News"``, ``entity:"Nouri al-Maliki"``,
``date:2024-05``), so choosing it keeps the query the single source of truth. Counts come from
the catalog (article summaries and entity name forms) over the set of matching articles, with
the same matching rules as the filters (phrase match on source words, entity index terms,
date prefixes), which is 3-6x faster than Whoosh's own ``FieldFacet`` grouping on this index
(``python -m benchmarks.facets``).
"""

from __future__ import annotations

import heapq
import marshal
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import TYPE_CHECKING

from whoosh import analysis, query
from whoosh.searching import Searcher

from briefreader.search.budget import (
    Budget,
    SearchCancelled,
    check_cost,
    checked,
    checkpoint,
)
from briefreader.search.generation_cache import code_stamp, read_cache, write_cache
from briefreader.search.index.catalog import read_article_forms
from briefreader.search.postings import posting_blocks
from briefreader.text.entities import EntityTable, form_terms
from briefreader.text.entities.model import GROUP, ORG, PERSON, PLACE

if TYPE_CHECKING:
    from briefreader.search.library import Library

# Entity types with a facet, by the name of their query field (person:, org:, place:, group:).
FACET_TYPES: dict[str, str] = {"person": PERSON, "org": ORG, "place": PLACE, "group": GROUP}
DEFAULT_LIMIT = 10
MONTHS_BEFORE_YEARS = 36  # a span longer than this many months is drawn per year
_SOURCE_WORDS = analysis.SimpleAnalyzer()


class FacetsCancelled(Exception):
    """The caller no longer wanted these facets (a newer query came)."""


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: what to show, how many matching articles have it, its filter."""

    label: str
    count: int
    filter: str


@dataclass(frozen=True)
class Timeline:
    """Matching articles per month (or per year for long spans), empty buckets included."""

    unit: str  # "month" or "year"
    buckets: tuple[FacetValue, ...]
    undated: int  # matching articles without a date at the bucket's precision

    def span_filter(self, first: int, last: int) -> str:
        """The ``date:`` filter for the buckets ``first``..``last`` (indexes, either order)."""
        low, high = sorted((first, last))
        start, end = self.buckets[low].label, self.buckets[high].label
        return f"date:{start}" if start == end else f"date:{start}..{end}"


@dataclass(frozen=True)
class Facets:
    """The facets of one query: counts over every article it matches."""

    query: str
    total: int
    sources: tuple[FacetValue, ...]
    entities: Mapping[str, tuple[FacetValue, ...]]
    timeline: Timeline
    tags: tuple[FacetValue, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain dict for ``--json`` output (documented in the README)."""
        return {
            "query": self.query,
            "total": self.total,
            "sources": [_value_dict(v) for v in self.sources],
            "entities": {t: [_value_dict(v) for v in vs] for t, vs in self.entities.items()},
            "tags": [_value_dict(v) for v in self.tags],
            "timeline": {
                "unit": self.timeline.unit,
                "undated": self.timeline.undated,
                "buckets": [_value_dict(v) for v in self.timeline.buckets],
            },
        }


def _value_dict(value: FacetValue) -> dict[str, object]:
    return {"label": value.label, "count": value.count, "filter": value.filter}


@dataclass
class FacetData:
    """Per-article facet fields of one index snapshot (built once per generation).

    Pickling (and the index folder's cache) keeps only the data (``plain``): the lock and
    the memos are made afresh.
    """

    article_of_doc: dict[int, str]
    sources: dict[str, str]
    dates: dict[str, str]
    entity_terms: dict[str, frozenset[str]]
    source_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _owners: tuple[EntityTable, dict[str, tuple[str, ...]]] | None = None
    _owners_lock: threading.Lock = field(default_factory=threading.Lock)

    def plain(self) -> PlainFacetData:
        """Only the data, as plain dicts (what ``marshal`` and ``pickle`` keep)."""
        return (self.article_of_doc, self.sources, self.dates, self.entity_terms)

    @classmethod
    def from_plain(cls, state: object) -> FacetData | None:
        """The facet data of a ``plain()`` value, or None when ``state`` is not shaped so."""
        if not (isinstance(state, tuple) and len(state) == 4):
            return None
        if not all(isinstance(part, dict) for part in state):
            return None
        return cls(*state)

    def __getstate__(self) -> PlainFacetData:
        return self.plain()

    def __setstate__(self, state: PlainFacetData) -> None:
        self.__init__(*state)  # type: ignore[misc]

    def entity_owners(self, table: EntityTable) -> dict[str, tuple[str, ...]]:
        """Each article's merged entities (ids) under this table, computed once per table."""
        with self._owners_lock:
            if self._owners is None or self._owners[0] is not table:
                owned = {
                    article_id: tuple({table.keys[t] for t in terms if t in table.keys})
                    for article_id, terms in self.entity_terms.items()
                }
                self._owners = (table, owned)
            return self._owners[1]

    def words_of(self, source: str) -> tuple[str, ...]:
        """The indexed words of a source, as ``source:`` matches them."""
        words = self.source_words.get(source)
        if words is None:
            words = tuple(token.text for token in _SOURCE_WORDS(source))
            self.source_words[source] = words
        return words


PlainFacetData = tuple[dict[int, str], dict[str, str], dict[str, str], dict[str, frozenset[str]]]

_CACHE: weakref.WeakKeyDictionary[Library, tuple[tuple[str, int], FacetData]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_LOCK = threading.Lock()
FACET_DATA_CACHE = "facet-data.marshal"
FACET_DATA_FORMAT = 1  # raise it when the plain form changes


def query_facets(
    library: Library,
    text: str,
    limit: int = DEFAULT_LIMIT,
    should_stop: Callable[[], bool] | None = None,
    tags_by_article: Mapping[str, Iterable[str]] | None = None,
    budget: Budget | None = None,
) -> Facets:
    """The facets of a query over every article it matches.

    The query's part runs within ``budget`` (``search/budget.py``; a new one by default,
    ``Budget.from_process_start`` for a command); the per-generation facet data is built
    before it, once.

    Raises:
        QueryError: the query is malformed, or over its budget (refused in one line).
        FacetsCancelled: ``should_stop`` said so.
    """
    try:
        budget = budget or Budget(should_stop=should_stop or _never)
        with budget.applied():
            parsed = _costed_query(library, text)  # refused here if it costs too much
            with budget.paused():  # once per index generation, not the query's
                data, table = facet_data_and_table(library)
            ids = _matching_ids(library, parsed, data)
            facets = count_facets(text, ids, data, table, limit)
    except SearchCancelled:
        raise FacetsCancelled from None
    if tags_by_article is None:
        return facets
    return replace(facets, tags=tag_facet(ids, tags_by_article, limit))


def _costed_query(library: Library, text: str) -> query.Query:
    """The articles query of ``text`` (an empty one: the whole library), its cost checked.

    Raises:
        QueryError: malformed, or over its cost (``search/budget.py``).
    """
    parsed = library.article_query(text) if text.strip() else query.Term("kind", "article")
    with library.counting_searcher() as searcher:
        check_cost(parsed, searcher)
    return parsed


def facet_data_and_table(library: Library) -> tuple[FacetData, EntityTable]:
    """The snapshot's facet data and entity table, with each article's merged entities.

    Both are kept in the index folder per generation, so calling this at the end of an
    index run spares the next process building them."""
    with library.counting_searcher() as searcher:
        data = _facet_data(library, searcher)
    table = library.entity_table()
    data.entity_owners(table)
    return data, table


def _matching_ids(library: Library, parsed: query.Query, data: FacetData) -> list[str]:
    """The ids of the articles a query matches."""
    with library.counting_searcher() as searcher:
        docs = checked(searcher.docs_for_query(parsed), 2048)
        return [data.article_of_doc[d] for d in docs if d in data.article_of_doc]


def _never() -> bool:
    return False


def _facet_data(library: Library, searcher: Searcher) -> FacetData:
    """The library snapshot's facet data: in memory per library and generation, in the index
    folder per generation (``facet-data.marshal``), else built from the index."""
    stamp = (str(library.folder), library.generation)
    with _CACHE_LOCK:
        cached = _CACHE.get(library)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = read_facet_data(library) or _build_facet_data(library, searcher)
        _CACHE[library] = (stamp, data)
        return data


def facet_data_stamp(generation: int) -> tuple[object, ...]:
    """What kept facet data must match: the index generation, its format and the code that
    builds it (this module, the entity index terms), and marshal's format."""
    from briefreader.text.entities import keys, store

    this = sys.modules[__name__]
    code = code_stamp(this, store, keys)
    return (FACET_DATA_FORMAT, generation, marshal.version, sys.version_info[:2], *code)


def read_facet_data(library: Library) -> FacetData | None:
    """The facet data kept in the index folder for this generation, else None.

    ``marshal`` of plain dicts (``FacetData.plain``), read only from the workspace's own
    index folder (``search/generation_cache.py``): it loads as fast as ``pickle`` here
    (0.04 s at BBC ×16) and can only give back plain values.
    """
    if library.folder is None:
        return None
    path = library.folder / FACET_DATA_CACHE
    return FacetData.from_plain(
        read_cache(path, facet_data_stamp(library.generation), marshal.loads)
    )


def _build_facet_data(library: Library, searcher: Searcher) -> FacetData:
    """The facet data from the index and the catalog; kept in the index folder when the
    catalog it read is of the searcher's generation (not one written since it opened)."""
    summaries = library.articles()
    forms = read_article_forms(library.folder) if library.folder else None
    data = FacetData(
        article_of_doc=article_docs(searcher),
        sources={s.id: s.source for s in summaries},
        dates={s.id: s.date for s in summaries if s.date},
        entity_terms=entity_terms_by_article(forms.forms, forms.articles) if forms else {},
    )
    consistent = forms is not None and forms.generation == library.catalog_generation
    if library.folder and consistent and library.generation == library.catalog_generation:
        stamp = facet_data_stamp(library.generation)
        write_cache(library.folder / FACET_DATA_CACHE, stamp, data.plain(), marshal.dumps)
    return data


def article_docs(searcher: Searcher) -> dict[int, str]:
    """Document number -> article id for the live article documents of a searcher.

    Read from the ``doc_id`` vocabulary (article documents only, one per article): a term in
    one document names it in its term info, so no posting list is opened (the postings of
    every ``article_id`` were 0.7 CPU s at BBC ×16; this is 0.1).
    """
    mapping: dict[int, str] = {}
    for leaf, base in searcher.reader().leaf_readers():
        for raw, info in leaf.iter_field("doc_id"):
            term = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if info.doc_frequency() == 1:
                docs: Iterable[int] = (info.min_id(),)
            else:  # an article written twice in one segment (the older copy deleted)
                docs = chain.from_iterable(ids for ids, _ in posting_blocks(leaf, "doc_id", term))
            for docnum in docs:
                if not leaf.is_deleted(docnum):
                    mapping[base + docnum] = term
    return mapping


def entity_terms_by_article(
    forms: Mapping[int, tuple[str, str]], articles: Mapping[str, Iterable[int]]
) -> dict[str, frozenset[str]]:
    """Each article's entity index terms, from its name forms' ids: each form's terms are
    made once (as the indexer makes them), not once per article using it."""
    terms = {form_id: frozenset(form_terms(text, name)) for form_id, (text, name) in forms.items()}
    none: frozenset[str] = frozenset()
    return {
        article_id: none.union(*(terms.get(form_id, none) for form_id in ids))
        for article_id, ids in articles.items()
    }


def count_facets(
    text: str,
    matched: Iterable[str],
    data: FacetData,
    table: EntityTable,
    limit: int = DEFAULT_LIMIT,
    should_stop: Callable[[], bool] | None = None,
) -> Facets:
    """The facets of the articles a query matched (their ids), with this thread's checkpoint
    between the facets (``should_stop``: ``FacetsCancelled`` when it says so)."""
    ids = list(matched)
    stop = should_stop or _never
    sources = _source_facet(ids, data, limit)
    _between_facets(stop)
    entities = _entity_facets(ids, data, table, limit)
    _between_facets(stop)
    timeline = build_timeline([data.dates.get(a) for a in ids])
    return Facets(text, len(ids), sources, entities, timeline)


def _between_facets(stop: Callable[[], bool]) -> None:
    if stop():
        raise FacetsCancelled
    checkpoint()


def _source_facet(ids: list[str], data: FacetData, limit: int) -> tuple[FacetValue, ...]:
    """Sources by matching articles; a source's count includes sources its words lie inside,
    because that is what its ``source:"…"`` filter matches."""
    exact = Counter(data.sources.get(a, "") for a in ids)
    exact.pop("", None)
    words = {source: data.words_of(source) for source in exact}
    values = []
    for source, own in words.items():
        if not own:
            continue
        count = sum(n for other, n in exact.items() if _contains(words[other], own))
        values.append(FacetValue(source, count, f'source:"{_quotable(source)}"'))
    return tuple(_top(values, limit))


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    size = len(part)
    return any(words[i : i + size] == part for i in range(len(words) - size + 1))


def _entity_facets(
    ids: list[str], data: FacetData, table: EntityTable, limit: int
) -> dict[str, tuple[FacetValue, ...]]:
    """Merged entities by type, counting articles (not mentions) that name them."""
    owners = data.entity_owners(table)
    counts = Counter(chain.from_iterable(owners.get(article_id, ()) for article_id in ids))
    by_type: dict[str, list[tuple[int, str, str]]] = {kind: [] for kind in FACET_TYPES.values()}
    for entity_id, count in counts.items():
        entity = table.get(entity_id)
        if entity is not None and entity.type in by_type:
            by_type[entity.type].append((-count, entity.name.casefold(), entity_id))
    return {
        field: tuple(_entity_value(table, row) for row in heapq.nsmallest(limit, by_type[kind]))
        for field, kind in FACET_TYPES.items()
    }


def _entity_value(table: EntityTable, row: tuple[int, str, str]) -> FacetValue:
    entity_id = row[2]
    entity = table.get(entity_id)
    name = entity.name if entity is not None else entity_id
    return FacetValue(name, -row[0], _entity_filter(table, entity_id))


def _entity_filter(table: EntityTable, entity_id: str) -> str:
    """``entity:"name"`` when the name finds this entity, else its id (which always does)."""
    entity = table.get(entity_id)
    name = entity.name if entity is not None else entity_id
    found = table.find(name)
    chosen = name if found is not None and found.id == entity_id else entity_id
    return f'entity:"{_quotable(chosen)}"'


def _quotable(value: str) -> str:
    return " ".join(value.replace('"', " ").split())


def _top(values: list[FacetValue], limit: int) -> list[FacetValue]:
    return sorted(values, key=lambda v: (-v.count, v.label.casefold()))[:limit]


def build_timeline(dates: Iterable[str | None]) -> Timeline:
    """Bucket dates per month, or per year when the span is longer than three years.

    ``undated`` counts the articles the buckets cannot place (no date, or only a year when
    the buckets are months).
    """
    every = list(dates)
    known = [d for d in every if d]
    months = Counter(d[:7] for d in known if len(d) >= 7)
    if months and _month_span(months) <= MONTHS_BEFORE_YEARS:
        labels = _month_labels(min(months), max(months))
        return Timeline("month", _buckets(labels, months), len(every) - sum(months.values()))
    years = Counter(d[:4] for d in known)
    labels = [str(y) for y in range(int(min(years)), int(max(years)) + 1)] if years else []
    return Timeline("year", _buckets(labels, years), len(every) - sum(years.values()))


def _buckets(labels: list[str], counts: Counter[str]) -> tuple[FacetValue, ...]:
    return tuple(FacetValue(label, counts.get(label, 0), f"date:{label}") for label in labels)


def _month_span(months: Counter[str]) -> int:
    first, last = min(months), max(months)
    return _month_number(last) - _month_number(first) + 1


def _month_number(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def _month_labels(first: str, last: str) -> list[str]:
    start, end = _month_number(first), _month_number(last)
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(start, end + 1)]


def bar_length(count: int, peak: int, width: int) -> int:
    """Cells of a histogram bar: scaled to the busiest bucket, at least one for any count."""
    if not peak or not count:
        return 0
    return max(1, round(count * width / peak))


def sparkline(counts: Iterable[int]) -> str:
    """One character per bucket, eight levels, blank for zero (no colour needed)."""
    values = list(counts)
    peak = max(values, default=0)
    if peak == 0:
        return " " * len(values)
    bars = "▁▂▃▄▅▆▇█"
    return "".join(" " if v == 0 else bars[min(7, (v * 8 - 1) // peak)] for v in values)


def tag_facet(
    ids: Iterable[str], tags_by_article: Mapping[str, Iterable[str]], limit: int = DEFAULT_LIMIT
) -> tuple[FacetValue, ...]:
    """Note tags present in the matching articles, counting articles (not notes)."""
    counts: Counter[str] = Counter()
    for article_id in ids:
        counts.update(set(tags_by_article.get(article_id, ())))
    values = [FacetValue(f"#{tag}", n, f"tag:{tag}") for tag, n in counts.items()]
    return tuple(_top(values, limit))
