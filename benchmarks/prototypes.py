"""Prototype speed-ups for ``search/`` measured side by side, without editing ``search/``.

``python -m benchmarks.prototypes build [--limit N] [--variants a,b]`` builds the same corpus
once per variant, each in a fresh process (monkeypatched), alternating the order, and prints
seconds and MB/s. ``python -m benchmarks.prototypes query [--limit N]`` compares search
variants in one process. Variants are described in ``BUILD_VARIANTS``/``patch_*``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks.corpus import build_corpus, remove_corpus
from benchmarks.measures import _python_env
from benchmarks.probe import probe_build

BUILD_VARIANTS = {
    "baseline": "the indexer as it is",
    "negcache": "cache 'no such column' in whoosh's W3PerDocReader._cached_reader",
    "nospell": "negcache + no separate spelling field for body (spelling=False on body)",
    "multiseg": "negcache + writer(multisegment=True)",
    "procs2": "negcache + writer(procs=2, multisegment=True, limitmb=256)",
    "spellart": "negcache + spelling words from article documents only (a SpellField)",
    "all": "negcache + nospell + multisegment",
}


def patch_negcache() -> None:
    """Whoosh re-checks the file system on every posting of a field with no lengths column."""
    from whoosh.codec import whoosh3

    missing = object()

    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        found = self._readers.get(fieldname, missing)
        if found is missing:
            found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = found
        return found

    whoosh3.W3PerDocReader._cached_reader = cached_reader


def patch_nospell() -> None:
    """Build the schema without a separate spelling field for ``body``."""
    from whoosh import fields

    from briefreader.search.index import schema, store

    original = schema.build_schema

    def build() -> Any:
        built = original()
        built.remove("body")
        built.add("body", fields.TEXT(analyzer=schema.text_analyzer()))
        return built

    store.build_schema = build


def patch_spell_articles() -> None:
    """No ``spell_body``; a ``spell_words`` field fed only by article documents' text."""
    from whoosh import analysis, fields
    from whoosh.writing import SegmentWriter

    from briefreader.search.index import schema, store

    original = schema.build_schema

    def build() -> Any:
        built = original()
        built.remove("body")
        built.add("body", fields.TEXT(analyzer=schema.text_analyzer()))
        words = (
            analysis.RegexTokenizer()
            | analysis.LowercaseFilter()
            | schema.DottedAcronymFilter()
            | analysis.StopFilter(stoplist=schema.STOP_WORDS, minsize=2)
        )  # no stemmer: SpellField's "nomorph" is misspelt in Whoosh and would not apply
        built.add("spell_words", fields.SpellField(words))
        return built

    store.build_schema = build
    add = SegmentWriter.add_document

    def add_document(self: Any, **values: Any) -> None:
        if values.get("kind") == "article" and values.get("body"):
            values["spell_words"] = values["body"]
        add(self, **values)

    SegmentWriter.add_document = add_document


def patch_writer(**extra: Any) -> None:
    """Add keyword arguments to every ``ix.writer()`` call."""
    from whoosh.index import FileIndex

    original = FileIndex.writer

    def writer(self: Any, procs: int = 1, **kwargs: Any) -> Any:
        kwargs.update(extra)
        return original(self, procs=kwargs.pop("procs", procs), **kwargs)

    FileIndex.writer = writer


def apply_variant(name: str) -> None:
    """Install the monkeypatches of a build variant."""
    if name == "baseline":
        return
    patch_negcache()
    if name in ("nospell", "all"):
        patch_nospell()
    if name == "spellart":
        patch_spell_articles()
    if name in ("multiseg", "all"):
        patch_writer(multisegment=True)
    if name == "procs2":
        patch_writer(procs=2, multisegment=True, limitmb=256)


def _child(variant: str, workspace: str) -> None:
    from briefreader.search.index import enrich

    enrich.default_enricher = lambda workspace: enrich.NoEnrichment()  # Whoosh only
    apply_variant(variant)
    shutil.rmtree(Path(workspace) / "index", ignore_errors=True)
    print(json.dumps(probe_build(Path(workspace))))


def compare_builds(limit: int | None, scale: int, variants: list[str], rounds: int) -> None:
    """Build once per variant per round in fresh processes; print a summary."""
    corpus = build_corpus(scale, limit=limit)
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    try:
        for round_number in range(rounds):
            order = variants if round_number % 2 == 0 else list(reversed(variants))
            for variant in order:
                command = [
                    sys.executable,
                    "-m",
                    "benchmarks.prototypes",
                    "_child",
                    variant,
                    str(corpus.workspace.root),
                ]
                done = subprocess.run(
                    command, capture_output=True, text=True, env=_python_env(), check=True
                )
                results[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
                row = results[variant][-1]
                print(
                    f"{variant:10s} {row['seconds']:7.2f} s  cpu {row['cpu_s']:7.2f} s  "
                    f"{corpus.megabytes / row['seconds']:.3f} MB/s  {row['timings']}  "
                    f"peak {row['peak_rss_mb']} MB",
                    flush=True,
                )
    finally:
        remove_corpus(corpus)
    print(
        json.dumps({v: [(r["seconds"], r["cpu_s"]) for r in rows] for v, rows in results.items()})
    )


def main(argv: list[str]) -> int:
    """Command line."""
    if argv and argv[0] == "_child":
        _child(argv[1], argv[2])
        return 0
    if argv and argv[0] == "queries":
        limit = int(argv[3]) if len(argv) > 3 else 20
        compare_queries(Path(argv[1]), Path(argv[2]), limit=limit)
        return 0
    if argv and argv[0] == "snippets":
        compare_snippets(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prototypes")
    parser.add_argument("what", choices=["build"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default=",".join(BUILD_VARIANTS))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    compare_builds(args.limit, args.scale, args.variants.split(","), args.rounds)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


# ---------------------------------------------------------------------------- snippets

_TOKEN = re.compile(r"\w+(\.?\w+)*")


@lru_cache(maxsize=200_000)
def _indexed_form(word: str) -> str:
    """The analyzer's output for one token (stemming is per token, so this can be cached)."""
    from briefreader.search.highlight import _ANALYZER

    tokens = [t.text for t in _ANALYZER(word, removestops=False)]
    return tokens[0] if tokens else ""


def fast_term_spans(text: str, terms: Collection[str]) -> tuple[Any, ...]:
    """``highlight.term_spans`` with a regex tokenizer and a per-word cache of the analyzer."""
    from briefreader.models import Span

    if not terms or not text:
        return ()
    wanted = set(terms)
    return tuple(
        Span(m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if _indexed_form(m.group()) in wanted
    )


def compare_snippets(workspace: Path, queries_file: Path) -> None:
    """Same spans? How much faster? Over the best passages of real search results."""
    from briefreader.search import highlight
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(workspace))
    cases = []
    for text in json.loads(queries_file.read_text(encoding="utf-8")):
        result = library.search(text, limit=20)
        for hit in result.hits:
            _, passage = library.passage(hit.passage_id)
            cases.append((passage.text, set(result.terms)))
    same = sum(highlight.term_spans(t, w) == fast_term_spans(t, w) for t, w in cases)
    for name, function in (("term_spans", highlight.term_spans), ("fast", fast_term_spans)):
        start = time.perf_counter()
        for _ in range(3):
            for text, wanted in cases:
                function(text, wanted)
        per = (time.perf_counter() - start) / (3 * len(cases)) * 1000
        print(f"{name:10s} {per:.3f} ms per passage ({len(cases)} passages)")
    print(f"identical spans: {same}/{len(cases)}")


# ---------------------------------------------------------------------------- best passages


def fast_best_passages(
    library: Any, article_ids: list[str], parsed: Any, terms: set[str]
) -> dict[str, tuple[str, str]]:
    """``Library._best_passages`` without the ``Or`` of article ids: score only the passages
    of the hit articles, by skipping each wanted term's matcher to their document numbers
    (landed in ``search.library._best_by_skipping``, which this now calls).

    Same choice as the original: within one article the ``kind``/``article_id`` clauses add
    the same score to every passage, so the best passage is the best by the wanted terms.
    """
    from whoosh import query

    from briefreader.search.index.schema import ENTITY_FIELDS
    from briefreader.search.library import _best_by_skipping
    from briefreader.search.query import positive_leaves

    if not article_ids:
        return {}
    wanted: list[Any] = [query.Term(f, t) for t in terms for f in ("body", "heading")]
    wanted += [
        leaf
        for leaf in positive_leaves(parsed)
        if getattr(leaf, "fieldname", None) in (*ENTITY_FIELDS, "footnote")
    ]
    if not wanted:
        return {}
    return _best_by_skipping(library.searcher, article_ids, wanted)


def fast_suggest(library: Any, text: str) -> str | None:
    """``Library.suggest`` with ``maxdist=1`` and no suggestion for ``prefix*`` words."""
    from briefreader.search.query import analyzed as _analyzed

    reader = library.searcher.reader()
    corrector = library.searcher.corrector("body")
    changed = False
    words = []
    for word in text.split():
        core = word.strip('"()*~-+').lower()
        bare = core.split(":", 1)[-1]
        if (
            not word.endswith("*")
            and bare.isalpha()
            and bare.upper() not in {"AND", "OR", "NOT"}
            and not any(reader.doc_frequency("body", term) for term in _analyzed(bare))
        ):
            suggestions = corrector.suggest(bare, limit=1, maxdist=1)
            if suggestions and suggestions[0] != bare:
                word = word.replace(bare, suggestions[0]) if bare in word else suggestions[0]
                changed = True
        words.append(word)
    return " ".join(words) if changed else None


def compare_queries(workspace: Path, queries_file: Path, rounds: int = 3, limit: int = 20) -> None:
    """Library.search as it is vs with fast best passages and fast snippets, interleaved."""
    import statistics

    from briefreader.search import highlight
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(workspace))
    original_best, original_spans = library._best_passages, highlight.term_spans
    original_suggest = library.suggest

    def suggest(text: str) -> str | None:
        return fast_suggest(library, text)

    def fast(ids: list[str], parsed: Any, _clauses: Any = None) -> dict[str, tuple[str, str]]:
        return fast_best_passages(library, ids, parsed, library._highlight_terms(parsed))

    variants = {
        "as is": (original_best, original_spans, original_suggest),
        "fast snippets": (original_best, fast_term_spans, original_suggest),
        "fast best passage": (fast, original_spans, original_suggest),
        "both": (fast, fast_term_spans, original_suggest),
        "both + suggest": (fast, fast_term_spans, suggest),
    }
    texts = json.loads(queries_file.read_text(encoding="utf-8"))
    times: dict[str, list[float]] = {name: [] for name in variants}
    answers: dict[str, list[Any]] = {name: [] for name in variants}
    for round_number in range(rounds):
        for text in texts:
            for name, (best, spans, suggester) in variants.items():
                library._best_passages, highlight.term_spans = best, spans
                library.suggest = suggester  # type: ignore[method-assign]
                start = time.perf_counter()
                result = library.search(text, limit=limit)
                times[name].append(time.perf_counter() - start)
                if round_number == 0:
                    answers[name].append(
                        [(h.article_id, h.passage_id, h.snippet) for h in result.hits]
                    )
    library._best_passages, highlight.term_spans = original_best, original_spans
    library.suggest = original_suggest  # type: ignore[method-assign]
    for name, samples in times.items():
        ms = sorted(x * 1000 for x in samples)
        same = sum(a == b for a, b in zip(answers[name], answers["as is"], strict=True))
        print(
            f"{name:18s} median {statistics.median(ms):6.2f} ms  "
            f"p95 {ms[int(0.95 * len(ms)) - 1]:6.2f} ms  identical results {same}/{len(texts)}"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
