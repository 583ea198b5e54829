"""Build and update the index from ``articles/``: incremental by file, safe against kills.

``update_index`` compares every file's size, mtime and content hash with the catalog, parses
only new or changed files, deletes the documents of changed and removed files, and commits.
A first build, ``rebuild=True``, or an index that cannot be opened builds a fresh index beside
the old one and switches to it atomically.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from whoosh.writing import IndexWriter

from briefreader.models import Article, LoadResult, ProgressFn, Skipped
from briefreader.search.index.analysed import (
    Analysed,
    Group,
    add_analysed,
    analysed_groups,
    with_passage_texts,
    without_passage_texts,
)
from briefreader.search.index.catalog import (
    Catalog,
    FileEntry,
    KnownCopy,
    PackedForms,
    read_catalog,
    read_paths_with_titles,
    read_titles,
    write_catalog,
)
from briefreader.search.index.collector import collector_paused
from briefreader.search.index.committing import commit_reporting
from briefreader.search.index.documents import catalog_from_index, stored_article, summarize
from briefreader.search.index.enrich import (
    Enricher,
    Enrichment,
    default_enricher,
    load_options_for,
    remove_legacy_cache,
)
from briefreader.search.index.merging import deferring, tiered_merge
from briefreader.search.index.pending import mark_reanchor_pending, reanchor_pending
from briefreader.search.index.schema import SCHEMA_VERSION
from briefreader.search.index.store import (
    IndexUnavailable,
    activate,
    active_dir,
    new_index_dir,
    open_active,
    open_index,
    remove_stale_dirs,
    write_lock,
)
from briefreader.search.index.workers import WorkerPool, default_workers
from briefreader.text.duplicates import copy_skipped, drop_duplicates, text_fingerprint
from briefreader.text.load import (
    FoundFile,
    LoadOptions,
    disambiguate,
    load_file,
    relative_name,
    scan_article_files,
)
from briefreader.workspace import Workspace

if TYPE_CHECKING:
    from briefreader.search.index.entity_phase import EntityReport

_T = TypeVar("_T")
_ARTICLES = attrgetter("articles")  # a FileEntry's article ids (a C loop over every file)
_RELATIVE = itemgetter(0)  # a ``FoundFile``'s name inside the corpus
SCAN_STEP = 500  # files compared with the catalog between two progress calls
PARSE_CHUNK_FILES = 32  # files per task of the parsing processes
# An update of an existing index with at most this much text not in the entity cache (a few
# articles: about 0.3 s of spaCy on one core) recognises it in the text phase: one commit,
# not two (the entity phase's own commit and merge were half of a one-file re-index at BBC ×4).
INLINE_ENTITY_CHARS = 20_000
WRITER_LIMIT_MB = 128  # MB of postings in memory (TermPool measures them) before a spill
# How a commit merges segments (``search/index/merging.py``); benchmarks/segments.py swaps in
# Whoosh's own ``MERGE_SMALL`` to compare.
MERGE_POLICY: Callable[[Any, list[Any]], list[Any]] = tiered_merge


@dataclass
class IndexReport:
    """What an index run did, for the user.

    ``changed_articles`` names the articles whose text may have changed: the ids the added,
    updated and removed files held before the run and hold after it (None after a rebuild:
    any article may have changed). The steps after an update (embeddings, notes) read only
    these.
    """

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    articles: int = 0
    rebuilt: str | None = None
    touched: set[str] = field(default_factory=set)  # article ids before and after the run
    reanchor_everything: bool = False  # a rebuild, or an earlier run killed before re-anchoring
    recogniser: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    changed_articles: frozenset[str] | None = frozenset()
    pending: int = 0  # articles left waiting for the entity phase
    recognised_now: int = 0  # articles whose entities the text phase recognised (a small update)
    entities: EntityReport | None = None  # the entity phase's, when it ran in this call

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


# A step that runs while the index lock is held (see ``update_index``).
LockedStep = Callable[[IndexReport, ProgressFn], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


class IndexStopped(Exception):
    """The caller asked the index run to stop (the reader quits): nothing of it was
    committed, and the index is as it was before the run."""


# The steps of a run that a stop may interrupt: before its commit's table of contents is
# written (the postings written so far are given up with the writer).
STOPPABLE_PHASES = frozenset({"scanning", "parsing", "indexing", "committing", "merging"})


def _stoppable(progress: ProgressFn, should_stop: Callable[[], bool] | None) -> ProgressFn:
    """``progress``, raising ``IndexStopped`` first when ``should_stop`` says so during a
    step that can be given up (``STOPPABLE_PHASES``, not at its last report: a commit reports
    its end once it is written): every step of a run reports progress at least every few
    seconds, so a stop is noticed within that."""
    if should_stop is None:
        return progress

    def report(phase: str, done: int, total: int) -> None:
        if phase in STOPPABLE_PHASES and done < total and should_stop():
            raise IndexStopped
        progress(phase, done, total)

    return report


def update_index(
    workspace: Workspace,
    *,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    options: LoadOptions | None = None,
    enricher: Enricher | None = None,
    before: LockedStep | None = None,
    after: LockedStep | None = None,
    entities: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> IndexReport:
    """Bring the index up to date with ``articles/`` and report what changed.

    The text phase writes every changed article with the entities already in the entity
    cache and marks the others pending; then, with ``entities``, the entity phase
    (``entity_phase.recognise_pending``) recognises them. ``briefreader.pipeline.run_index``
    runs the phases itself (notes are re-anchored between them).

    ``before`` runs under the index lock before the index is opened (moving data a rebuild
    would delete), ``after`` under the lock once the updated index is active (embeddings):
    ``briefreader.pipeline.run_index`` passes them.

    ``should_stop`` is asked at each progress step until the commit is written (the reader
    quitting): then the run gives up what it wrote and raises ``IndexStopped``.

    Raises:
        IndexBusy: another process holds the index lock.
        IndexStopped: ``should_stop`` said so (the previous index stays as it was).
        OSError: the disk is full or not writable (the previous index stays intact).
    """
    whole_run = progress or _no_progress
    progress = _stoppable(whole_run, should_stop)
    options = options or load_options_for(workspace)
    enricher = enricher if enricher is not None else default_enricher(workspace)
    report = IndexReport()
    started = time.perf_counter()
    with write_lock(workspace.index_dir, report.notices):
        report.reanchor_everything = reanchor_pending(workspace.index_dir)
        if before is not None:
            before(report, progress)
        with collector_paused():  # the plan, the writing, the catalog (collector.py)
            ix, catalog, fresh = _open_or_create(workspace.index_dir, rebuild, report)
            folder = Path(ix.storage.folder)
            with _discarded_unless_done(folder if fresh else None):
                report.reanchor_everything |= fresh
                plan = _plan(workspace.articles_dir, options, catalog, report, progress)
                if fresh:  # the old index is still the active one until ``activate`` below
                    plan.earlier = _earlier_ids(workspace.index_dir)
                held_before = _ids_held(catalog, plan)
                _apply(
                    ix, catalog, plan, options, enricher, report, progress, incremental=not fresh
                )
                catalog.generation = ix.latest_generation()
                if _catalog_dirty(catalog):  # an idle run writes nothing: readers see no change
                    write_catalog(folder, catalog)
        _remove_legacy_files(workspace.index_dir, folder)
        report.recogniser = str(getattr(enricher, "recogniser", ""))
        finish = getattr(enricher, "finish", None)
        if finish is not None:
            report.notices.extend(finish())
        if fresh:
            activate(workspace.index_dir, folder)
        else:
            remove_stale_dirs(workspace.index_dir)
        report.changed_articles = _changed_articles(catalog, report, held_before)
        if after is not None:
            after(report, progress)
    report.articles = sum(map(len, map(_ARTICLES, catalog.files.values())))
    report.pending = len(catalog.pending)
    report.seconds = time.perf_counter() - started
    if entities and report.pending:
        from briefreader.search.index.entity_phase import recognise_pending

        report.entities = recognise_pending(
            workspace,
            enricher=enricher,
            progress=whole_run,
            should_stop=should_stop,
            merge_policy=MERGE_POLICY,
        )
    return report


@contextmanager
def _discarded_unless_done(new_folder: Path | None) -> Iterator[None]:
    """Delete ``new_folder`` (a first build's or a rebuild's index, never active) when the
    run fails or is stopped: it would otherwise wait for ``remove_stale_dirs``' grace, and a
    full disk is where it matters."""
    try:
        yield
    except BaseException:
        if new_folder is not None:
            shutil.rmtree(new_folder, ignore_errors=True)
        raise


def _ids_held(catalog: Catalog, plan: _Plan) -> set[str]:
    """The ids the files about to be re-loaded or removed hold now."""
    return {i for path in plan.gone() if (entry := catalog.files.get(path)) for i in entry.articles}


def _changed_articles(
    catalog: Catalog, report: IndexReport, held_before: set[str]
) -> frozenset[str] | None:
    """The ids of the articles of added, updated and removed files, before and after the
    run (None after a rebuild: all)."""
    if report.rebuilt:
        return None
    changed = set(held_before)
    for path in (*report.added, *report.updated):
        entry = catalog.files.get(path)
        if entry is not None:
            changed.update(entry.articles)
    return frozenset(changed)


def _remove_legacy_files(index_root: Path, folder: Path) -> None:
    """Delete the JSON files earlier versions kept (now in ``catalog.db`` and the cache db)."""
    for path in (folder / "catalog.json", folder / "entities.json"):
        path.unlink(missing_ok=True)
    remove_legacy_cache(index_root)


def _open_or_create(
    index_root: Path, rebuild: bool, report: IndexReport
) -> tuple[Any, Catalog, bool]:
    """Open the active index for an update, or create a fresh one (first run/rebuild/broken)."""
    if not rebuild:
        try:
            ix, catalog = open_active(index_root, _files_of_catalog)
            if catalog is None or catalog.generation != ix.latest_generation():
                report.notices.append("index catalog was out of date; recovered it from the index")
                catalog = catalog_from_index(ix)
            return ix, catalog, False
        except IndexUnavailable as reason:
            if active_dir(index_root) is not None:
                report.rebuilt = f"{reason}; rebuilding it"
    else:
        report.rebuilt = "rebuild requested"
    folder = new_index_dir(index_root)
    return open_index(folder), Catalog(schema_version=SCHEMA_VERSION), True


def _files_of_catalog(folder: Path) -> Catalog | None:
    """The catalog without its article summaries (``_titles`` reads the few a run needs)."""
    return read_catalog(folder, summaries=False)


def _earlier_ids(index_root: Path) -> dict[str, tuple[str, ...]]:
    """The article ids of each file in the active index's catalog (empty if unreadable)."""
    folder = active_dir(index_root)
    catalog = _files_of_catalog(folder) if folder is not None else None
    return {path: entry.articles for path, entry in catalog.files.items()} if catalog else {}


@dataclass
class _Plan:
    root: Path
    to_load: list[Path]
    removed: list[str]
    stats: dict[str, tuple[int, int, str]]
    earlier: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ids before a rebuild
    staying: dict[str, str] | None = None  # ``_staying_files``

    def reloaded(self) -> set[str]:
        """The relative paths of the files about to be loaded."""
        return {relative_name(path, self.root) for path in self.to_load}

    def gone(self) -> set[str]:
        """The files whose indexed documents go: removed, or about to be loaded again."""
        return set(self.removed) | self.reloaded()


def _plan(
    root: Path, options: LoadOptions, catalog: Catalog, report: IndexReport, progress: ProgressFn
) -> _Plan:
    """Decide which files to (re)load and which indexed files are gone."""
    files, skipped = scan_article_files(root, options) if root.is_dir() else ([], [])
    report.skipped.extend(skipped)
    plan = _Plan(root, [], [], {})
    copies: list[FoundFile] = []
    indexed = catalog.files.get
    for start in range(0, len(files), SCAN_STEP):
        for found in files[start : start + SCAN_STEP]:
            relative, dir_entry = found
            entry = indexed(relative)
            try:
                st = dir_entry.stat()
            except OSError:
                stat = None
            else:
                if entry is not None and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
                    continue  # unchanged: the usual file, in as few steps as possible
                stat = st.st_size, st.st_mtime_ns
            if not entry and stat and _unchanged_copy(catalog.copies.get(relative), stat):
                copies.append(found)
                continue
            digest = _hash(dir_entry.path)
            if entry and stat and digest == entry.content_hash:
                catalog.put_file(relative, FileEntry(stat[0], stat[1], digest, entry.articles))
            else:
                plan.to_load.append(found.path)
                if stat and digest:
                    plan.stats[relative] = (stat[0], stat[1], digest)
        progress("scanning", min(start + SCAN_STEP, len(files)), len(files))  # ends full
    report.unchanged += len(files) - len(copies) - len(plan.to_load)
    seen = set(map(_RELATIVE, files))
    plan.removed = sorted(set(catalog.files) - seen)
    for relative in set(catalog.copies) - seen:
        catalog.drop_copy(relative)
    _skip_remembered_copies(plan, catalog, copies, report)
    _skip_known_copies(plan, catalog, report)
    return plan


def _unchanged_copy(copy: KnownCopy | None, stat: tuple[int, int]) -> bool:
    return copy is not None and (copy.size, copy.mtime_ns) == stat


def _skip_remembered_copies(
    plan: _Plan, catalog: Catalog, copies: list[FoundFile], report: IndexReport
) -> None:
    """Skip again, without reading them, the unchanged copies whose original stays (at BBC
    ×32, hashing 3,136 copies and parsing 43 more was a fifth of a one-file re-index); load
    the others, in path order with the rest."""
    if not copies:
        return
    gone = plan.gone()
    examined = False
    for found in copies:
        copy = catalog.copies[found.relative]
        if copy.original in catalog.files and copy.original not in gone:
            report.skipped.append(Skipped(found.relative, copy.reason, copy.original, again=True))
            continue
        catalog.drop_copy(found.relative)
        plan.to_load.append(found.path)
        plan.stats[found.relative] = (copy.size, copy.mtime_ns, copy.content_hash)
        examined = True
    if examined:
        plan.to_load.sort()  # by path parts: the order of the scan


def _skip_known_copies(plan: _Plan, catalog: Catalog, report: IndexReport) -> None:
    """Skip, without reading them, the files not indexed whose bytes are those of an indexed
    file that stays (and remember them): parsing them was most of a one-file re-index at BBC
    ×16 (1,568 copies)."""
    if all(relative in catalog.files for relative in plan.stats):
        return  # nothing new with a known hash: no need for every indexed file's hash
    staying = _staying_files(catalog, plan)
    root, load = plan.root, []
    for path in plan.to_load:
        relative = relative_name(path, root)
        size, mtime, digest = plan.stats.get(relative, (0, 0, ""))
        original = staying.get(digest)
        if relative in catalog.files or original is None or original == relative:
            load.append(path)
        else:
            skipped = copy_skipped(relative, original)
            report.skipped.append(skipped)
            catalog.put_copy(relative, KnownCopy(size, mtime, digest, skipped.reason, original))
            del plan.stats[relative]
    plan.to_load = load


def _remember_copies(catalog: Catalog, plan: _Plan, loaded: Sequence[Any]) -> None:
    """Remember the loaded files skipped as copies (``drop_duplicates``); forget the others."""
    for result in loaded:
        skipped, stats = result.skipped, plan.stats.get(result.path)
        if skipped is not None and skipped.original and stats is not None:
            catalog.put_copy(result.path, KnownCopy(*stats, skipped.reason, skipped.original))
        else:
            catalog.drop_copy(result.path)


def _hash(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _apply(
    ix: Any,
    catalog: Catalog,
    plan: _Plan,
    options: LoadOptions,
    enricher: Enricher,
    report: IndexReport,
    progress: ProgressFn,
    *,
    incremental: bool = False,
) -> None:
    """Parse changed files, write their documents, delete removed ones, commit (parsing
    and analysis in worker processes for a large run). An ``incremental`` run of an existing
    index with little new text recognises its entities now (``_text_phase_entities``)."""
    workers = default_workers(len(plan.to_load), report.notices)
    with WorkerPool(workers, report.notices) as pool:
        timer = time.perf_counter()
        loaded = _parsed(plan, options, pool, progress)
        taken, previous = _held_ids(catalog, plan)
        texts = _indexed_texts(ix, catalog, plan, loaded)
        loaded = disambiguate(
            drop_duplicates(loaded, _staying_files(catalog, plan, _digests(loaded)), texts),
            taken,
            previous,
            titles=_titles(ix, catalog, previous),
        )
        _remember_copies(catalog, plan, loaded)
        report.timings["parsing"] = time.perf_counter() - timer
        articles = [a for result in loaded for a in result.articles]
        timer = time.perf_counter()
        inline = INLINE_ENTITY_CHARS if incremental else 0
        with _reading_cache(enricher):
            entities = _text_phase_entities(enricher, articles, progress, inline)
            report.recognised_now = entities.recognised
            report.timings["enrichment"] = time.perf_counter() - timer
            del articles  # the articles are freed one by one as they are written (``_drained``)
            if not _needs_writing(catalog, plan, loaded):
                report.skipped.extend(result.skipped for result in loaded if result.skipped)
                return
            report.touched = _touched_ids(catalog, plan, loaded)
            _write(ix, catalog, plan, loaded, entities, report, progress, pool)


def _write(
    ix: Any,
    catalog: Catalog,
    plan: _Plan,
    loaded: list[Any],
    entities: _TextPhaseEntities,
    report: IndexReport,
    progress: ProgressFn,
    pool: WorkerPool,
) -> None:
    """Delete the documents of removed and re-loaded files, write the loaded ones (analysed
    in the pool), commit."""
    mark_reanchor_pending(Path(ix.storage.folder).parent)  # before anything is committed
    timer = time.perf_counter()
    writer = ix.writer(limitmb=WRITER_LIMIT_MB)
    try:
        for relative in plan.removed:
            _delete_file(writer, catalog, relative)
            report.removed.append(relative)
        existed = {r.path for r in loaded if r.path in catalog.files}
        for result in loaded:  # all first: a freed id may go to a file that comes earlier
            _delete_file(writer, catalog, result.path)
        count = len(loaded)
        in_flight: dict[str, Enrichment] = {}  # files handed to the pool, not yet written

        def group_of(result: Any) -> Group:
            found = entities.of(result.articles)
            in_flight.update(found)
            return [(a, found.get(a.id, Enrichment())) for a in result.articles]

        analysed = analysed_groups(_drained(loaded), group_of, pool)
        for done, (result, documents) in enumerate(analysed, start=1):
            found = {a.id: in_flight.pop(a.id, Enrichment()) for a in result.articles}
            enriched = (found, entities.pending)
            _index_result(writer, catalog, (result, documents), plan, enriched, report, existed)
            progress("indexing", done, count)
        pool.close()  # its processes are idle from here: their memory goes before the commit
        report.timings["indexing"] = time.perf_counter() - timer
        timer = time.perf_counter()
        report.notices.extend(
            _commit(writer, progress, entity_phase_follows=bool(entities.pending))
        )
        report.timings["commit"] = time.perf_counter() - timer
    except BaseException:
        writer.cancel()
        raise


def _parsed(plan: _Plan, options: LoadOptions, pool: WorkerPool, progress: ProgressFn) -> list[Any]:
    """Load every file of the plan (in the pool's processes, if it has any), in order."""
    loaded: list[Any] = []
    load = partial(_load_files, root=plan.root, options=options)
    for _, results in pool.map_chunks(load, plan.to_load, PARSE_CHUNK_FILES):
        loaded.extend(results)
        progress("parsing", len(loaded), len(plan.to_load))
    return loaded


def _load_files(paths: list[Path], root: Path, options: LoadOptions) -> list[Any]:
    """Load files, their articles without their passages' texts (the run holds every file
    until it is written; ``analysed.analyse_article`` puts the texts back)."""
    results = [load_file(path, root, options) for path in paths]
    return [_lighter(result) for result in results]


def _lighter(result: LoadResult) -> LoadResult:
    if not result.articles:
        return result
    return replace(result, articles=tuple(without_passage_texts(a) for a in result.articles))


def _indexed_texts(ix: Any, catalog: Catalog, plan: _Plan, loaded: list[Any]) -> dict[str, str]:
    """The text fingerprint of each indexed article that stays and has the title of an
    article loaded now, to its file's path: a file skipped as the same text as an indexed one
    stays skipped on the next run (it was indexed then: a second run was not a no-op)."""
    titles = {article.title for result in loaded for article in result.articles}
    if not titles:
        return {}
    if catalog.complete:
        same_title = {i: a.path for i, a in catalog.articles.items() if a.title in titles}
    else:
        same_title = read_paths_with_titles(Path(ix.storage.folder), titles)
    gone = plan.gone()
    staying = {
        article_id: path
        for article_id, path in same_title.items()
        if path not in gone and article_id in catalog.articles_of_file(path)
    }
    texts: dict[str, str] = {}
    if not staying:
        return texts
    with ix.searcher() as searcher:
        for article_id in sorted(staying):
            article = stored_article(searcher, article_id)
            if article is not None:  # gone or damaged: not a duplicate of anything
                texts.setdefault(text_fingerprint(article), staying[article_id])
    return texts


def _titles(ix: Any, catalog: Catalog, held: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The titles the ids held by re-loaded files had (``disambiguate`` keeps an id with its
    title), from the catalog in hand or, when it was read without summaries, its database."""
    ids = {article_id for group in held.values() for article_id in group}
    titles = {i: catalog.articles[i].title for i in ids if i in catalog.articles}
    missing = ids - set(titles)
    if missing and not catalog.complete:
        titles.update(read_titles(Path(ix.storage.folder), missing))
    return titles


def _drained(items: list[_T]) -> Iterator[_T]:
    """The items in order, each taken out of the list as it is handed on, so that its memory
    can go once it is used (the parsed corpus was a third of a text phase's peak RSS)."""
    items.reverse()
    while items:
        yield items.pop()


@dataclass
class _TextPhaseEntities:
    """The entities the text phase writes with each article. ``now``: recognised in this run
    (a one-phase enricher's, or a small update's); with a two-phase enricher, the others come
    from its entity cache (``cached``) one file at a time as each is written (read all at
    once, a rebuild at BBC ×32 held 1.2 GB more), and those not found are ``pending`` for the
    entity phase."""

    now: dict[str, Enrichment] = field(default_factory=dict)
    cached: Callable[[Sequence[Article]], dict[str, Enrichment]] | None = None
    pending: set[str] = field(default_factory=set)
    recognised: int = 0  # articles a two-phase enricher recognised now

    def of(self, articles: Sequence[Article]) -> dict[str, Enrichment]:
        """The enrichments of one file's articles; those with none found become pending."""
        found = {a.id: self.now[a.id] for a in articles if a.id in self.now}
        if self.cached is None:
            return found
        missing = [article for article in articles if article.id not in found]
        if missing:
            found.update(self.cached(missing))
            self.pending.update(a.id for a in missing if a.id not in found)
        return found


def _text_phase_entities(
    enricher: Enricher, articles: Sequence[Article], progress: ProgressFn, inline_chars: int = 0
) -> _TextPhaseEntities:
    """What the text phase writes for the articles' entities. A two-phase enricher gives
    what it has cached; if the articles it has not are at most ``inline_chars`` of text (a
    one-file edit: a second phase would cost a second commit, most of such a run), they are
    recognised now. Any other enricher is run now."""
    if not articles:
        return _TextPhaseEntities()
    cached = getattr(enricher, "cached", None)
    if cached is None:  # it may read the passages' texts
        return _TextPhaseEntities(enricher([with_passage_texts(a) for a in articles], progress))
    entities = _TextPhaseEntities(cached=cached)
    if inline_chars:
        cached_ids = getattr(enricher, "cached_ids", None)
        known = cached_ids(articles) if cached_ids is not None else set(cached(articles))
        waiting = [article for article in articles if article.id not in known]
        if waiting and sum(len(article.text) for article in waiting) <= inline_chars:
            entities.now = enricher([with_passage_texts(a) for a in waiting], progress)
            entities.recognised = len(waiting)
    return entities


@contextmanager
def _reading_cache(enricher: Enricher) -> Iterator[None]:
    """Keep the enricher's entity cache open meanwhile, if it has one."""
    reading = getattr(enricher, "reading_cache", None)
    if reading is None:
        yield
        return
    with reading():
        yield


def _staying_files(
    catalog: Catalog, plan: _Plan, digests: Collection[str] | None = None
) -> dict[str, str]:
    """Content hash to path of the indexed files that stay as they are (copies of them are
    duplicates; of two with the same bytes, the last by name): all of them, worked out once
    per run (the files that ``_skip_known_copies`` takes off the plan are not indexed ones),
    or those whose hash is one of ``digests``."""
    if plan.staying is not None:
        return plan.staying
    gone = plan.gone()
    staying: dict[str, str] = {}
    for path, entry in catalog.files.items():
        digest = entry.content_hash
        if digests is not None and digest not in digests:
            continue
        if digest and path not in gone and path > staying.get(digest, ""):
            staying[digest] = path
    if digests is None:
        plan.staying = staying
    return staying


def _digests(loaded: Sequence[Any]) -> set[str]:
    """The content hashes of the loaded files that have articles."""
    return {result.articles[0].content_hash for result in loaded if result.articles}


def _catalog_dirty(catalog: Catalog) -> bool:
    """Does the catalog hold anything that is not on disk yet?"""
    return bool(
        catalog.complete
        or catalog.changed_files
        or catalog.changed_articles
        or catalog.changed_copies
    )


def _needs_writing(catalog: Catalog, plan: _Plan, loaded: Sequence[Any]) -> bool:
    """Is there anything to commit? Files skipped again (binary, empty, too large) that were
    not indexed before change nothing, so they must not make a new index generation."""
    if plan.removed:
        return True
    return any(result.articles or result.path in catalog.files for result in loaded)


def _touched_ids(catalog: Catalog, plan: _Plan, loaded: Sequence[Any]) -> set[str]:
    """The article ids a run changes: those of removed and re-loaded files, and the new ones."""
    paths = {*plan.removed, *(result.path for result in loaded)}
    ids = {i for path in paths if path in catalog.files for i in catalog.files[path].articles}
    return ids | {article.id for result in loaded for article in result.articles}


def _held_ids(catalog: Catalog, plan: _Plan) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """The ids held by indexed files that stay as they are (no new file may take one), and
    the ids of the files about to be re-loaded (each keeps its own)."""
    reloaded = plan.reloaded()
    gone = set(plan.removed) | reloaded
    taken = set(chain.from_iterable(map(_ARTICLES, catalog.files.values())))
    taken.difference_update(i for path in gone for i in catalog.articles_of_file(path))
    previous = {path: plan.earlier[path] for path in reloaded if path in plan.earlier}
    previous.update(
        (path, catalog.files[path].articles) for path in reloaded if path in catalog.files
    )
    for path, ids in _moved_files(catalog, plan, reloaded).items():
        previous.setdefault(path, ids)
    return taken, previous


def _moved_files(catalog: Catalog, plan: _Plan, reloaded: set[str]) -> dict[str, tuple[str, ...]]:
    """New files with the same bytes as a file that is gone (renamed or moved), each with the
    gone file's ids, so that notes and passage ids stay with the text."""
    gone: dict[str, list[tuple[str, ...]]] = {}
    for path in plan.removed:
        entry = catalog.files.get(path)
        if entry is not None and entry.content_hash:
            gone.setdefault(entry.content_hash, []).append(entry.articles)
    moved: dict[str, tuple[str, ...]] = {}
    for path in sorted(path for path in reloaded if path not in catalog.files):
        digest = plan.stats.get(path, (0, 0, ""))[2]
        if digest and gone.get(digest):
            moved[path] = gone[digest].pop(0)
    return moved


def _commit(writer: Any, progress: ProgressFn, *, entity_phase_follows: bool) -> list[str]:
    """Commit the text phase (``commit_reporting`` with the tiered merge; ``deferring`` it
    to the entity phase's commit when articles wait for their entities); its notices."""
    policy = deferring(MERGE_POLICY) if entity_phase_follows else MERGE_POLICY
    return commit_reporting(writer, progress, policy)


def _delete_file(writer: IndexWriter, catalog: Catalog, relative: str) -> None:
    writer.delete_by_term("path", relative)
    catalog.drop_file(relative)


def _index_result(
    writer: IndexWriter,
    catalog: Catalog,
    analysed: tuple[Any, Analysed],
    plan: _Plan,
    enriched: tuple[dict[str, Enrichment], set[str]],
    report: IndexReport,
    existed: set[str],
) -> None:
    """Write a loaded file's analysed documents (per article, its documents) and enter it
    in the catalog; or report it skipped."""
    result, documents = analysed
    enrichments, pending = enriched
    relative = result.path
    if result.skipped:
        report.skipped.append(result.skipped)
        if relative in existed:
            report.removed.append(relative)
        return
    for notice in result.notices:
        report.notices.append(f"{relative}: {notice}")
    for article, article_documents in zip(result.articles, documents, strict=True):
        forms = enrichments.get(article.id, Enrichment()).forms
        for document in article_documents:
            add_analysed(writer, document)
        packed = PackedForms(forms) if forms else ()
        catalog.put_article(summarize(article), packed, pending=article.id in pending)
    size, mtime, digest = plan.stats.get(relative, (-1, -1, result.articles[0].content_hash))
    catalog.put_file(relative, FileEntry(size, mtime, digest, tuple(a.id for a in result.articles)))
    (report.updated if relative in existed else report.added).append(relative)
