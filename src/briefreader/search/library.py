"""The library: the read side of the index, used by the CLI and the reader.

Open once (in a worker for the TUI), keep the searcher, ``refresh()`` after re-indexing.
"""

from __future__ import annotations

import copy
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import query
from whoosh.searching import Searcher

from briefreader.models import Article, Hit, Passage, SearchResult, Snippet, Span, article_id_of
from briefreader.search.budget import (
    Budget,
    QueryTooSlow,
    SearchCancelled,
    checked,
    collect_top,
    outside_budget,
)
from briefreader.search.generation_cache import code_stamp, file_mtime, read_cache, write_cache
from briefreader.search.highlight import (
    NO_MARKS,
    Phrase,
    QueryMarks,
    entity_spans,
    make_snippet,
    phrase_spans,
)
from briefreader.search.index.catalog import (
    AmbiguousArticleId,
    ArticleSummary,
    Catalog,
    StoredCatalog,
    read_entity_forms,
)
from briefreader.search.index.documents import (
    article_docnums,
    article_extra,
    article_from_json,
    catalog_from_index,
    passage_texts,
    stored_passage_id,
)
from briefreader.search.index.schema import TYPED_ENTITY_FIELDS, passage_field
from briefreader.search.index.store import IndexUnavailable, active_dir, open_active
from briefreader.search.postings import PassageIndex
from briefreader.search.query import (
    MarkingClauses,
    QueryError,
    TagResolver,
    Walks,
    expand_fuzzy,
    expand_prefix,
    highlight_terms,
    marking_clauses,
    only_articles,
    parse_query,
    positive_leaves,
    suggest_respelling,
    typed_fuzzy_words,
    typed_prefixes,
)
from briefreader.search.weighting import WEIGHTING
from briefreader.text.entities import (
    CORRECTIONS_FILE,
    CorrectionError,
    EntityTable,
    load_corrections,
    resolve_forms,
)
from briefreader.workspace import Settings, Workspace, user_config_path

__all__ = ["Library", "QueryError", "SearchCancelled"]
_ARTICLE = query.Term("kind", "article")


def _on_articles(parsed: query.Query) -> query.Query:
    """The query restricted to article documents: as it is when its fields already are
    (``only_articles``: no ``kind`` filter on the hot path), else under ``kind:article``."""
    return parsed if only_articles(parsed) else query.And([_ARTICLE, parsed])


def _never() -> bool:
    return False


@dataclass(frozen=True)
class _Found:
    """What a search found under the library's lock (hits are built after it is released)."""

    query: query.Query
    hits: list[tuple[str, float]]
    total: int
    exact: bool
    terms: set[str]
    marks: QueryMarks  # what the snippets mark (as the article pane marks the passage)
    best: dict[str, tuple[str, str]]
    suggestion: str | None


class Library:
    """Search and read the indexed articles of a workspace: the Whoosh ``SearchBackend``
    (``search/backend.py``). Callers outside ``search/`` use only the protocol's methods."""

    def __init__(
        self, workspace: Workspace, ix: Any, catalog: StoredCatalog | Catalog | None
    ) -> None:
        self.workspace = workspace
        self._ix = ix
        self._lock = threading.RLock()
        self._searcher: Searcher = ix.searcher(weighting=WEIGHTING)
        self._folder = active_dir(workspace.index_dir)
        # Whoosh reads the schema and generation from disk on each access; keep them, so this
        # snapshot keeps working even after a rebuild elsewhere replaced its folder.
        self._schema = ix.schema
        self._generation = ix.latest_generation()
        self._catalog = _matching_catalog(ix, self._folder, catalog, self._generation)
        self._article_cache = lru_cache(maxsize=64)(self._load_article)
        self._entity_table: EntityTable | None = None
        self._entity_stamp: tuple[float, int] | None = None
        self._entity_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._count_searcher: Searcher | None = None
        self._settings: tuple[tuple[float, ...], Settings] | None = None
        # Set by the CLI and the reader (from the notes) so that ``tag:name`` filters work.
        self.tag_articles: TagResolver | None = None
        self._statistics: PassageIndex | None = None

    @classmethod
    def open(cls, workspace: Workspace) -> Library:
        """Open the workspace's index.

        Raises:
            IndexUnavailable: there is no usable index (run ``briefreader index``).
        """
        ix, catalog = open_active(workspace.index_dir, StoredCatalog.open)
        return cls(workspace, ix, catalog)

    def close(self) -> None:
        """Release the searcher's and the catalog's files."""
        with self._lock:
            self._searcher.close()
            self._close_catalog()
            self._close_count_searcher()

    def _close_count_searcher(self) -> None:
        with self._count_lock:
            if self._count_searcher is not None:
                self._count_searcher.close()
                self._count_searcher = None

    def _close_catalog(self) -> None:
        if isinstance(self._catalog, StoredCatalog):
            self._catalog.close()

    def refresh(self) -> bool:
        """Pick up a newer index (another process re-indexed); True if anything changed."""
        with self._lock:
            folder = active_dir(self.workspace.index_dir)
            if folder != self._folder:
                ix, catalog = open_active(self.workspace.index_dir, StoredCatalog.open)
                self._searcher.close()
                self._close_catalog()
                self._close_count_searcher()
                tag_articles = self.tag_articles  # the caller's resolver outlives the snapshot
                self.__init__(self.workspace, ix, catalog)  # type: ignore[misc]
                self.tag_articles = tag_articles
                return True
            if self._searcher.up_to_date():
                return False
            try:
                # Not ``Searcher.refresh()``: it closes the segments the update merged away
                # even when opening the new ones fails, which would kill this snapshot.
                fresh = self._ix.searcher(weighting=WEIGHTING)
            except Exception as error:  # new segments damaged: keep reading this snapshot
                raise IndexUnavailable(
                    f"the updated index could not be opened ({type(error).__name__})"
                ) from error
            self._searcher.close()
            self._searcher = fresh
            self._statistics = None
            self._close_count_searcher()
            self._generation = self._ix.latest_generation()
            self._close_catalog()
            catalog = StoredCatalog.open(folder) if folder else None
            self._catalog = _matching_catalog(self._ix, folder, catalog, self._generation)
            self._article_cache.cache_clear()
            return True

    @property
    def schema(self) -> Any:
        """The index schema."""
        return self._schema

    @property
    def lock(self) -> threading.RLock:
        """Hold this while using ``searcher`` from a worker thread."""
        return self._lock

    @property
    def searcher(self) -> Searcher:
        """The long-lived Whoosh searcher (replaced by ``refresh``)."""
        return self._searcher

    @property
    def snapshot(self) -> object:
        """The searcher: the same object until ``refresh`` picks up a newer index."""
        return self._searcher

    def passage_statistics(self) -> PassageIndex:
        """Term statistics and postings of the current searcher (hold ``lock``)."""
        if self._statistics is None or self._statistics.searcher is not self._searcher:
            self._statistics = PassageIndex(self._searcher)
        return self._statistics

    # ------------------------------------------------------------------ reading

    def articles(self) -> list[ArticleSummary]:
        """Every article, newest first (undated last)."""
        return self._catalog.newest_first()

    def summary(self, article_id: str) -> ArticleSummary | None:
        """The library summary of one article, or None."""
        return self._catalog.summary(article_id)

    def article(self, article_id: str) -> Article:
        """The full cleaned article.

        Raises:
            KeyError: no article has this id.
        """
        return self._article_cache(article_id)[0]

    def extra(self, article_id: str) -> dict[str, Any]:
        """The enrichment payload stored with an article (entities…)."""
        return self._article_cache(article_id)[1]

    def _load_article(self, article_id: str) -> tuple[Article, dict[str, Any]]:
        with self._lock:
            fields = self._searcher.document(doc_id=article_id)
            if not fields or fields.get("kind") != "article":
                raise KeyError(article_id)
            texts = passage_texts(self._searcher, article_id)
        return article_from_json(fields["data"], texts), article_extra(fields["data"])

    def passage(self, passage_id: str) -> tuple[Article, Passage]:
        """The article and passage of a passage id (``<article-id>:p<n>``).

        Raises:
            KeyError: no such passage.
        """
        article = self.article(article_id_of(passage_id))
        passage = article.passage(passage_id)
        if passage is None:
            raise KeyError(passage_id)
        return article, passage

    def resolve_article_id(self, text: str) -> str:
        """An article id from an exact id, a unique id prefix, or a file path.

        Raises:
            KeyError: nothing matches (``AmbiguousArticleId``: more than one article does).
        """
        if not text.strip():  # as a prefix, a blank id would match them all
            raise KeyError(text)
        if self._catalog.summary(text) is not None:
            return text
        by_path = self._catalog.articles_of_file(text) or self._catalog.articles_of_file(
            text.removeprefix("articles/")
        )
        if by_path:
            return by_path[0]
        matches = self._catalog.ids_starting_with(text)
        if len(matches) == 1:
            return matches[0]
        raise KeyError(text) if not matches else AmbiguousArticleId(text, matches)

    def settings(self) -> Settings:
        """The workspace's settings, read again only when a settings file changed (related
        passages ask on every cursor move).

        Raises:
            WorkspaceError: a settings file cannot be read (the message says which).
        """
        stamp = (file_mtime(user_config_path()), file_mtime(self.workspace.settings_path))
        cached = self._settings
        if cached is not None and cached[0] == stamp:
            return cached[1]
        settings = self.workspace.settings()
        self._settings = (stamp, settings)
        return settings

    # ------------------------------------------------------------------ entities

    def entity_table(self) -> EntityTable:
        """The corpus's entities (canonical names, aliases) with the user's corrections.

        Resolved from the entity name forms in the catalog and ``entities.toml`` in the
        workspace; resolved again when either changes, so corrections apply without
        re-indexing. Thread-safe: the reader warms it up in a worker.
        """
        corrections_path = self.workspace.root / CORRECTIONS_FILE
        stamp = (file_mtime(corrections_path), self._generation)
        with self._entity_lock:
            if self._entity_table is None or self._entity_stamp != stamp:
                with outside_budget():  # once per generation: not a query's time
                    self._entity_table = self._resolve_entities()
                self._entity_stamp = stamp
            return self._entity_table

    def _resolve_entities(self) -> EntityTable:
        """The entity table from the catalog's name forms and the corrections file, kept in
        the index folder per generation (``entity_table_cache``): resolving took seconds at
        BBC ×16 in every new process (a cold ``search --facets``, a first ``person:``)."""
        folder = self._folder
        corrections_path = self.workspace.root / CORRECTIONS_FILE
        stamp = entity_table_stamp(self._generation, corrections_path)
        cached = read_entity_table_cache(folder, stamp) if folder else None
        if cached is not None:
            return cached
        forms = read_entity_forms(folder, with_articles=True) if folder else None
        try:
            corrections = load_corrections(corrections_path)
        except CorrectionError:
            corrections = None
        table = resolve_forms(forms or [], corrections, explained=False)  # the CLI explains
        if folder:
            write_entity_table_cache(folder, stamp, table)
        return table

    def entity_coverage(self) -> tuple[int, int]:
        """(articles whose entities are recognised, articles) in this snapshot: the entity
        phase of an index run recognises them after the text is searchable."""
        return self._catalog.entity_coverage()

    def _expand_entity(self, value: str) -> tuple[str, ...]:
        return self.entity_table().query_terms(value)

    # ------------------------------------------------------------------ searching

    def search(
        self,
        text: str,
        limit: int = 20,
        offset: int = 0,
        should_stop: Callable[[], bool] | None = None,
        budget: Budget | None = None,
        count_all: bool = False,
    ) -> SearchResult:
        """Ranked articles for a query, each with its best passage and a snippet.

        ``offset`` skips the best ``offset`` articles (the next page of a list): Whoosh ranks
        them again, but only the ``limit`` returned ones cost a best passage and a snippet.
        ``total`` counts every match, not just this page: exactly when fewer than
        ``offset + limit`` match or ``count_all`` (the CLI) has the time to walk them all,
        else it is Whoosh's estimate (``exact`` False).

        The search runs within ``budget`` (by default ``QUERY_SECONDS`` from now, asking
        ``should_stop``; see ``search/budget.py``): a stale search (a reader typing on) gives
        the library back at once instead of finishing.

        Raises:
            QueryError: the query is malformed (the message says how), or over its budget
                (``QueryTooSlow``, refused before the budget's time has passed).
            SearchCancelled: ``should_stop`` said so.
        """
        budget = budget or Budget(should_stop=should_stop or _never)
        with budget.applied():
            with self._locked(budget):
                found = self._find(text, offset, limit)
            hits = tuple(
                self._hit(doc, score, found.best.get(doc), found.marks)
                for doc, score in checked(found.hits, 1)
            )
            total, exact = found.total, found.exact
            if count_all and not exact:
                total, exact = self._count_within(found.query, budget, total)
        terms = tuple(sorted(found.terms))
        return SearchResult(text, hits, total, found.suggestion, terms, exact)

    def _find(self, text: str, offset: int, limit: int) -> _Found:
        """Parse, collect, and choose the best passages (hold ``lock``, within a budget)."""
        parsed = self._parse(text)
        wanted = offset + limit
        articles = _on_articles(parsed)
        top = collect_top(self._searcher, articles, wanted)
        stored = self._searcher.stored_fields
        hits = [(stored(docnum)["doc_id"], score) for docnum, score in top.hits[offset:]]
        total, exact = top.total, top.exact
        terms = self._highlight_terms(parsed)
        clauses = marking_clauses(parsed, self._searcher.reader())
        best = self._best_passages([doc for doc, _ in hits], parsed, clauses)
        suggestion = None if total else self.suggest(text)
        marks = _query_marks(clauses)
        return _Found(articles, hits, total, exact, terms, marks, best, suggestion)

    def _count_within(self, wanted: query.Query, budget: Budget, estimate: int) -> tuple[int, bool]:
        """(the exact count, True), or (``estimate``, False) if the budget runs out first
        (``wanted`` as searched: its fuzzy and wildcard words are already expanded)."""
        try:
            with self._locked(budget):
                return _count(self._searcher.docs_for_query(wanted)), True
        except QueryTooSlow:
            return estimate, False

    @contextmanager
    def _locked(self, budget: Budget) -> Iterator[None]:
        """Hold ``lock``; while another thread has it, refuse once the budget is spent (or
        give up if the caller no longer wants the answer)."""
        while not self._lock.acquire(timeout=0.05):
            budget.check()
        try:
            yield
        finally:
            self._lock.release()

    def count(
        self,
        text: str,
        should_stop: Callable[[], bool] | None = None,
        budget: Budget | None = None,
    ) -> int | None:
        """The exact number of articles matching a query (``search`` only estimates it when
        there are more than it returns); None if ``should_stop`` said so, or ``budget`` (by
        default ``QUERY_SECONDS`` from now) ran out, before the end.

        It walks every match, up to ~250 ms at 35,000 articles for the commonest words, on a
        searcher of its own, so searches in other threads do not wait for it.

        Raises:
            QueryError: the query is malformed.
        """
        budget = budget or Budget(should_stop=should_stop or _never)
        try:
            with budget.applied():
                parsed = self.article_query(text)
                with self.counting_searcher() as searcher:
                    return _count(searcher.docs_for_query(parsed))
        except (SearchCancelled, QueryTooSlow):
            return None

    def article_query(self, text: str) -> query.Query:
        """The Whoosh query for the articles a user's query text matches.

        Raises:
            QueryError: the query is malformed.
        """
        with self._lock:
            return _on_articles(self._parse(text))

    @contextmanager
    def counting_searcher(self) -> Iterator[Searcher]:
        """A searcher of its own for walking every match (counts, facets), held under its lock,
        so searches in other threads do not wait for it. Its document numbers stay valid only
        inside the ``with`` block (a refresh replaces it)."""
        with self._count_lock:
            if self._count_searcher is None:
                self._count_searcher = self._ix.searcher(weighting=WEIGHTING)
            yield self._count_searcher

    @property
    def generation(self) -> int:
        """The index generation this snapshot reads (it changes after each index run)."""
        return int(self._generation)

    @property
    def catalog_generation(self) -> int:
        """The generation of the catalog this snapshot reads: the index's, or the next one
        when an index run committed after the searcher opened."""
        return int(self._catalog.generation)

    @property
    def folder(self) -> Path | None:
        """The active index folder this snapshot reads (None without one)."""
        return self._folder

    def _parse(self, text: str) -> query.Query:
        """Parse a query: entity names resolved, prefixes matched against whole words."""
        parsed = parse_query(text, self._schema, self._expand_entity, self.tag_articles).query
        typed, fuzzy = typed_prefixes(text), typed_fuzzy_words(text)
        walks: Walks = {}
        reader = self._searcher.reader()
        return parsed.accept(
            lambda node: expand_fuzzy(expand_prefix(node, reader, typed), reader, fuzzy, walks)
        )

    def _highlight_terms(self, parsed: query.Query) -> set[str]:
        """Indexed terms to highlight: exact terms plus expansions of prefix/fuzzy/wildcards."""
        return highlight_terms(parsed, self._searcher.reader())

    def _best_passages(
        self, article_ids: list[str], parsed: query.Query, clauses: MarkingClauses | None = None
    ) -> dict[str, tuple[str, str]]:
        """The best-scoring passage of each article for the query's clauses, each asked of
        its own field: a ``title:`` word picks no passage (the article opens at its top), a
        ``heading:`` word only headings; a passage holding the query's phrase beats one
        holding its words apart."""
        if not article_ids:
            return {}
        if clauses is None:
            clauses = marking_clauses(parsed, self._searcher.reader())
        wanted: list[query.Query] = [
            query.Term(passage_field(name), term)
            for name in ("body", "heading")
            for term in sorted(
                {*clauses.terms.get(name, ()), *_phrase_words(clauses.phrases.get(name, ()))}
            )
        ]
        wanted += [
            _on_passages(leaf)
            for leaf in positive_leaves(parsed)
            if getattr(leaf, "fieldname", None) in (*TYPED_ENTITY_FIELDS, "footnote")
        ]
        if not wanted:
            return {}
        phrases = tuple(clauses.phrases.get("body", ()))
        holds_phrase = (
            (lambda text: any(phrase_spans(text, phrase) for phrase in phrases))
            if phrases
            else None
        )
        return _best_by_skipping(self._searcher, article_ids, wanted, holds_phrase)

    def _hit(
        self, article_id: str, score: float, best: tuple[str, str] | None, marks: QueryMarks
    ) -> Hit:
        summary = self._catalog.summary(article_id)
        if best is None:
            article = self.article(article_id)
            first = article.passages[0] if article.passages else None
            best = (first.id, first.text) if first else (f"{article_id}:p1", "")
        snippet = make_snippet(best[1], marks) if best[1] else Snippet("")
        return Hit(
            article_id=article_id,
            title=summary.title if summary else article_id,
            source=summary.source if summary else "",
            date=summary.date if summary else None,
            passage_id=best[0],
            score=round(float(score), 4),
            snippet=snippet,
        )

    def suggest(self, text: str) -> str | None:
        """Respell words the index has never seen, from its own vocabulary; None if nothing."""
        with self._lock:
            return suggest_respelling(text, self._searcher.reader())

    def passages_matching(self, text: str, article_id: str) -> list[str]:
        """Ids of this article's passages that match the query's words (for n/N in the reader)."""
        with Budget().applied(), self._lock:
            terms = self._highlight_terms(self._parse(text))
            if not terms:
                return []
            wanted = query.Or([query.Term(passage_field("body"), t) for t in terms])
            scope = query.And([query.Term("article_id", article_id), wanted])
            numbers = sorted(
                (hit["number"], stored_passage_id(hit.fields()))
                for hit in self._searcher.search(scope, limit=None, terms=False)
            )
        return [doc for _, doc in numbers]

    def highlight(self, text: str, article_id: str) -> QueryMarks:
        """What a query marks in an article (nothing when the article does not match it).

        Raises:
            QueryError: the query is malformed.
            KeyError: no such article.
        """
        extra = self.extra(article_id)
        with self._lock:
            parsed = self._parse(text)
            scope = query.And([query.Term("article_id", article_id), _on_articles(parsed)])
            if self._searcher.search(scope, limit=1, terms=False).is_empty():
                return NO_MARKS
            clauses = marking_clauses(parsed, self._searcher.reader())
        entities = entity_spans(self.article(article_id), extra, clauses.entity_keys)
        return _query_marks(clauses, entities)

    def highlight_terms(self, text: str) -> set[str]:
        """Indexed terms to highlight for a query (empty for a malformed query)."""
        try:
            with Budget().applied(), self._lock:
                return self._highlight_terms(self._parse(text))
        except QueryError:  # malformed, or over its budget
            return set()


def _query_marks(clauses: MarkingClauses, entities: tuple[Span, ...] = ()) -> QueryMarks:
    """What a query's clauses mark in a matching article (``highlight``) or in a result's
    snippet (``search``, no entity spans: they are offsets into the article's text)."""
    return QueryMarks(
        matches=True,
        terms={name: frozenset(terms) for name, terms in clauses.terms.items()},
        phrases={name: tuple(phrases) for name, phrases in clauses.phrases.items()},
        entities=entities,
        footnotes=frozenset(clauses.footnotes),
    )


def _count(docs: Iterator[int]) -> int:
    """How many documents ``docs`` yields (this thread's checkpoint every 2,048)."""
    return sum(1 for _ in checked(docs, 2048))


def _on_passages(leaf: query.Query) -> query.Query:
    """An entity or footnote clause (a term, a prefix…) asked of the passages' own field."""
    moved = copy.copy(leaf)
    moved.fieldname = passage_field(leaf.fieldname)  # type: ignore[attr-defined]
    return moved


def _phrase_words(phrases: Iterable[Phrase]) -> set[str]:
    """The indexed words of phrases (as the passage fields hold them: no positions there)."""
    return {word for phrase in phrases for word in phrase.words}


PHRASE_CANDIDATES = 8  # passages of one article looked at for its phrase, best first


def _best_by_skipping(
    searcher: Searcher,
    article_ids: list[str],
    wanted: list[query.Query],
    accept: Callable[[str], bool] | None = None,
) -> dict[str, tuple[str, str]]:
    """The best passage of each hit article, scoring only those articles' passages (the
    ``wanted`` queries are on passage fields: no article document matches them).

    Each wanted term's matcher skips (block by block) to the articles' document numbers instead
    of intersecting with an ``Or`` of article ids, whose union matcher costs more than the
    scoring (measured in benchmarks/prototypes.py). Ties go to the earlier passage.
    """
    owner: dict[int, str] = {}
    for article_id in checked(article_ids, 1):
        for docnum in article_docnums(searcher, article_id):
            owner[docnum] = article_id
    docnums = sorted(owner)
    scores: dict[int, float] = {}
    for leaf in wanted:
        matcher = leaf.matcher(searcher)
        for docnum in checked(docnums, 32):
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
            if matcher.id() == docnum:
                scores[docnum] = scores.get(docnum, 0.0) + matcher.score()
    ranked: dict[str, list[tuple[float, int]]] = {}
    for docnum, score in scores.items():
        ranked.setdefault(owner[docnum], []).append((-score, docnum))
    found = {}
    for article_id, candidates in ranked.items():
        candidates.sort()  # best first; ties to the earlier passage
        found[article_id] = _first_accepted(searcher, candidates, accept)
    return found


def _first_accepted(
    searcher: Searcher, candidates: list[tuple[float, int]], accept: Callable[[str], bool] | None
) -> tuple[str, str]:
    """(passage id, text) of the best candidate ``accept`` takes among the first
    ``PHRASE_CANDIDATES``, else of the best one."""
    passages = []
    for _, docnum in candidates[: PHRASE_CANDIDATES if accept else 1]:
        fields = searcher.stored_fields(docnum)
        passage = (stored_passage_id(fields), str(fields.get("text", "")))
        if accept is None or accept(passage[1]):
            return passage
        passages.append(passage)
    return passages[0]


_CATALOG_WAIT_SECONDS = 3.0


def _matching_catalog(
    ix: Any, folder: Path | None, catalog: StoredCatalog | Catalog | None, generation: int
) -> StoredCatalog | Catalog:
    """The catalog of the index generation a reader opened.

    An indexer writes the catalog just after its Whoosh commit: a reader that opens in
    between waits a moment for it (a catalog ahead of the searcher is used as it is); after
    a kill in between, it rebuilds the catalog from the stored documents (slow on a big
    corpus, and rare).
    """
    deadline = time.monotonic() + _CATALOG_WAIT_SECONDS
    # A catalog one update ahead of the searcher (written since it opened) is good enough.
    while catalog is None or catalog.generation < generation:
        if isinstance(catalog, StoredCatalog):
            catalog.close()
        if folder is None or catalog is None or time.monotonic() > deadline:
            return catalog_from_index(ix)
        time.sleep(0.1)
        catalog = StoredCatalog.open(folder)
    return catalog


ENTITY_TABLE_CACHE = "entity-table.pickle"


def entity_table_stamp(generation: int, corrections: Path) -> tuple[object, ...]:
    """What a cached entity table must match: the index generation, the corrections file,
    and the resolving code (this package's version, the resolver module's time and size)."""
    from briefreader.text.entities import resolve

    return (generation, file_mtime(corrections), *code_stamp(resolve))


def read_entity_table_cache(folder: Path, stamp: tuple[object, ...]) -> EntityTable | None:
    """The entity table cached in the index folder for ``stamp``, else None (absent, stale,
    damaged or of another shape: resolved again). A pickle, read only from the workspace's
    own index folder (``search/generation_cache.py`` says why that is trusted)."""
    table = read_cache(folder / ENTITY_TABLE_CACHE, stamp, pickle.loads)
    return table if isinstance(table, EntityTable) else None


def write_entity_table_cache(folder: Path, stamp: tuple[object, ...], table: EntityTable) -> None:
    """Keep the table for the next process (atomically; a read-only or full disk skips it)."""
    write_cache(folder / ENTITY_TABLE_CACHE, stamp, table, _pickled)


def _pickled(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
