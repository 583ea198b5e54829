"""Entity quality and speed: precision/recall/F1 per type on four data sets.

``python -m benchmarks.entities_eval`` scores the sample corpus (``entities_gold.json``), the
BBC development set (``data/bbc_entities_dev.json``, 3 articles per category, annotated to
``data/entity_guidelines.md``), the three held-out BBC articles and CoNLL-2003 dev (read from
``../shared/data``); each set is skipped with a reason when its source is absent. Systems: the
raw spaCy model, the default (spaCy, clean-up, consistency) and the rules fallback, the last
two with and without the shipped name tables. ``--speed`` times the BBC corpus.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.conll import CONLL_DEV, CONLL_TYPES, as_conll, read_documents
from briefreader.models import Article
from briefreader.text.entities import (
    Choice,
    Entity,
    EntityForm,
    EntityMention,
    choose_recogniser,
    ensure_loaded,
    extract_entities,
    mention_forms,
    resolve_entities,
    resolve_forms,
)
from briefreader.text.entities.model import ENTITY_TYPES, RawSpan
from briefreader.text.entities.recogniser import SpacyRecogniser
from briefreader.text.entities.tables import use_name_tables
from briefreader.text.load import default_options, load_corpus

REPO = Path(__file__).resolve().parent.parent
GOLD = Path(__file__).with_name("entities_gold.json")
BBC_DEV = Path(__file__).with_name("data") / "bbc_entities_dev.json"
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"

DATA_SETS = ("sample", "bbc", "heldout", "conll")
Span = tuple[int, int, str]
System = Callable[[Sequence[Article]], dict[str, set[Span]]]


def load_articles(folder: Path) -> list[Article]:
    """Articles of a folder, through the project's own loader."""
    results, _skipped = load_corpus(folder, default_options())
    return [article for result in results for article in result.articles]


def gold_spans(article: Article, entries: list[dict[str, object]]) -> set[Span]:
    """Resolve string-anchored gold entries to offsets (longest entries claim first)."""
    claimed: list[tuple[int, int]] = []
    spans: set[Span] = set()
    for entry in sorted(entries, key=lambda e: -len(str(e["text"]))):
        surface, kind = str(entry["text"]), str(entry["type"])
        skip = set(entry.get("skip", []))  # type: ignore[call-overload]
        pattern = rf"(?<!\w){re.escape(surface)}(?!\w)"
        free = [
            m
            for m in re.finditer(pattern, article.text)
            if not any(m.start() < e and s < m.end() for s, e in claimed)
        ]
        for number, match in enumerate(free):
            claimed.append((match.start(), match.end()))
            if number not in skip:
                spans.add((match.start(), match.end(), kind))
    return spans


def as_spans(mentions: dict[str, list[EntityMention]]) -> dict[str, set[Span]]:
    return {aid: {(m.start, m.end, m.type) for m in ms} for aid, ms in mentions.items()}


def raw_model(choice: Choice) -> System:
    """The spaCy model as is: on the article text, labels folded into the reader's types."""

    def run(articles: Sequence[Article]) -> dict[str, set[Span]]:
        spans = choice.recogniser.recognise_many(a.text for a in articles)
        return {
            a.id: {(s.start, s.end, s.type) for s in raw}
            for a, raw in zip(articles, spans, strict=True)
        }

    return run


def full_pipeline(choice: Choice) -> System:
    def run(articles: Sequence[Article]) -> dict[str, set[Span]]:
        return as_spans(extract_entities(articles, None, choice=choice).mentions)

    return run


def score(
    gold: dict[str, set[Span]], found: dict[str, set[Span]], types: Sequence[str] = ENTITY_TYPES
) -> dict[str, tuple[float, float, float, int]]:
    """Precision, recall, F1 and gold count per type (exact span and type), plus ALL."""
    table = {}
    for kind in (*types, "ALL"):
        tp = fp = fn = 0
        for article_id, gold_set in gold.items():
            g, f = _of_type(gold_set, kind), _of_type(found.get(article_id, set()), kind)
            tp, fp, fn = tp + len(g & f), fp + len(f - g), fn + len(g - f)
        if tp + fp + fn == 0:
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        table[kind] = (p, r, f1, tp + fn)
    return table


def _of_type(spans: set[Span], kind: str) -> set[Span]:
    return spans if kind == "ALL" else {s for s in spans if s[2] == kind}


@dataclass(frozen=True)
class Dataset:
    """Articles with gold spans, the types scored, and how system types are folded."""

    name: str
    articles: list[Article]
    gold: dict[str, set[Span]]
    types: tuple[str, ...] = ENTITY_TYPES
    fold: Callable[[set[Span]], set[Span]] = lambda spans: spans
    parts: dict[str, frozenset[str]] = field(default_factory=dict)


class RememberingRecogniser:
    """Runs a recogniser once per text and replays its spans: the raw spans do not depend on
    the name tables, so the with/without-tables runs share one pass of the model."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.id = inner.id
        self.description = inner.description
        self.seen: dict[str, list[RawSpan]] = {}

    def recognise_many(self, texts: Iterable[str]) -> Iterator[list[RawSpan]]:
        """Spans of each text, computed on first sight."""
        texts = list(texts)
        fresh = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if fresh:
            self.seen.update(zip(fresh, self.inner.recognise_many(fresh), strict=True))
        for text in texts:
            yield self.seen[text]


def tables(enabled: bool, system: System) -> System:
    """The system run with the shipped name tables on or off."""

    def run(articles: Sequence[Article]) -> dict[str, set[Span]]:
        use_name_tables(enabled)
        try:
            return system(articles)
        finally:
            use_name_tables(True)

    return run


def build_systems() -> dict[str, System]:
    """Raw spaCy, the default and the rules fallback, with and without the name tables."""
    spacy_choice = ensure_loaded(choose_recogniser())
    systems: dict[str, System] = {}
    if isinstance(spacy_choice.recogniser, SpacyRecogniser):
        remembered = Choice(RememberingRecogniser(spacy_choice.recogniser))
        systems["raw spaCy"] = raw_model(remembered)
        systems["default"] = tables(True, full_pipeline(remembered))
        systems["default, no tables"] = tables(False, full_pipeline(remembered))
    else:
        print(f"spaCy unavailable ({spacy_choice.notice}); only the fallback is measured")
    rules = choose_recogniser({"recogniser": "rules"})
    systems["rules"] = tables(True, full_pipeline(rules))
    systems["rules, no tables"] = tables(False, full_pipeline(rules))
    return systems


def quality(show_errors: bool, sets: Sequence[str]) -> None:
    """Score every system on the chosen data sets (sample, bbc, heldout, conll)."""
    systems = build_systems()
    loaders = dict(zip(DATA_SETS, (sample_set, bbc_dev_set, heldout_set, conll_set), strict=True))
    for name in sets:
        dataset = loaders[name]()
        if isinstance(dataset, str):
            print(f"{name}: skipped, {dataset}\n")
            continue
        found_by = {}
        for system_name, run in systems.items():
            found_by[system_name] = {k: dataset.fold(v) for k, v in run(dataset.articles).items()}
            if show_errors and system_name == "default":
                print_errors(dataset.articles, dataset.gold, found_by[system_name])
        print(f"{dataset.name}: {len(dataset.articles)} articles")
        print_table({n: score(dataset.gold, f, dataset.types) for n, f in found_by.items()})
        print_parts(dataset, found_by)
    if "sample" in sets:
        print_identity_checks(sample_set().articles, ensure_loaded(choose_recogniser()))


def sample_set() -> Dataset:
    """The sample corpus and its gold file (also the set the rules were first written on)."""
    articles = load_articles(REPO / "articles")
    data = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    articles = [a for a in articles if a.id in data]
    gold = {a.id: gold_spans(a, data[a.id]["entities"]) for a in articles}
    return Dataset("sample corpus (development set)", articles, gold)


def bbc_dev_set() -> Dataset | str:
    """The BBC development articles (3 per category), annotated to the written guidelines."""
    data = json.loads(BBC_DEV.read_text(encoding="utf-8"))["articles"]
    return _bbc_set("BBC development set (benchmarks/data/bbc_entities_dev.json)", data)


def heldout_set() -> Dataset | str:
    """The three held-out BBC articles (never used for tuning)."""
    data = json.loads(GOLD.read_text(encoding="utf-8"))["heldout"]["articles"]
    return _bbc_set("BBC held-out set (entities_gold.json, never tuned on)", data)


def _bbc_set(name: str, wanted: dict[str, Any]) -> Dataset | str:
    if not BBC.is_file():
        return f"{BBC} is absent"
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(BBC) as archive:
            members = [m for m in archive.getmembers() if Path(m.name).stem in wanted]
            archive.extractall(folder, members=members, filter="data")
        articles = [a for a in load_articles(Path(folder)) if a.id.split("/")[-1] in wanted]
    articles = [replace(a, id=a.id.split("/")[-1]) for a in articles]
    gold = {a.id: gold_spans(a, wanted[a.id]["entities"]) for a in articles}
    return Dataset(name, articles, gold)


def conll_set() -> Dataset | str:
    """CoNLL-2003 dev (``eng.testa``), read from ``../shared/data``; never copied here."""
    if not CONLL_DEV.is_file():
        return f"{CONLL_DEV} is absent (evaluation data, not shipped with the project)"
    documents = read_documents(CONLL_DEV)
    articles = [d.article for d in documents]
    gold = {d.article.id: d.gold for d in documents}
    return Dataset(
        "CoNLL-2003 dev (PER/ORG/LOC/MISC; GROUP, LAW, EVENT as MISC; DATE dropped)",
        articles,
        gold,
        CONLL_TYPES,
        as_conll,
        conll_halves(articles),
    )


def conll_halves(articles: Sequence[Article]) -> dict[str, frozenset[str]]:
    """CoNLL dev split by document, fixed before any tuning: documents at an odd position in
    the file (``conll-001``, ``conll-003``…) are the tuning half, those at an even position
    the frozen half, which is only ever measured."""
    odd = frozenset(a.id for a in articles if int(a.id.rsplit("-", 1)[1]) % 2 == 1)
    return {
        "tuning half (odd documents)": odd,
        "frozen half (even documents)": frozenset(a.id for a in articles if a.id not in odd),
    }


def print_parts(dataset: Dataset, found_by: dict[str, dict[str, set[Span]]]) -> None:
    """Each part of a data set scored apart, then the F1 gap between the first two parts."""
    scored = {}
    for part, ids in dataset.parts.items():
        gold = {k: v for k, v in dataset.gold.items() if k in ids}
        scored[part] = {n: score(gold, f, dataset.types) for n, f in found_by.items()}
        print(f"{dataset.name}, {part}: {len(gold)} articles")
        print_table(scored[part])
    if len(scored) < 2:
        return
    (first, a), (second, b) = list(scored.items())[:2]
    print(f"F1 gap, {first} minus {second} (points)\n")
    print("| type | " + " | ".join(a) + " |")
    print("|---|" + "---:|" * len(a))
    for kind in dict.fromkeys(k for r in a.values() for k in r):
        cells = [f"{100 * (a[n][kind][2] - b[n].get(kind, (0, 0, 0.0))[2]):+.1f}" for n in a]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print()


def print_table(results: dict[str, dict[str, tuple[float, float, float, int]]]) -> None:
    print("exact span + type\n")
    print("| type | gold | " + " | ".join(f"{n} P / R / F1" for n in results) + " |")
    print("|---|---:|" + "---:|" * len(results))
    kinds = list(dict.fromkeys(k for r in results.values() for k in r))
    for kind in kinds:
        gold_count = next((r[kind][3] for r in results.values() if kind in r), 0)
        cells = []
        for result in results.values():
            p, r, f1, _ = result.get(kind, (0.0, 0.0, 0.0, 0))
            cells.append(f"{100 * p:.1f} / {100 * r:.1f} / {100 * f1:.1f}")
        label = f"**{kind}**" if kind == "ALL" else kind
        print(f"| {label} | {gold_count} | " + " | ".join(cells) + " |")
    print()


def print_errors(
    articles: Sequence[Article], gold: dict[str, set[Span]], found: dict[str, set[Span]]
) -> None:
    for article in articles:
        text = article.text
        missed = sorted(gold[article.id] - found.get(article.id, set()))
        extra = sorted(found.get(article.id, set()) - gold[article.id])
        print(f"== {article.id}")
        print("  missed:", sorted({(text[s:e], k) for s, e, k in missed}))
        print("  extra: ", sorted({(text[s:e], k) for s, e, k in extra}))


def print_identity_checks(articles: Sequence[Article], choice: Choice) -> None:
    """The issue's identity checks on the sample corpus, with the default recogniser."""
    extraction = extract_entities(articles, None, choice=choice)
    table = resolve_entities(extraction.mentions)
    sudani, pmf = table.find("al-Sudani"), table.find("Popular Mobilization Forces")
    print(f"recogniser: {extraction.recogniser}")
    if sudani:
        print(f"al-Sudani: {sudani.type} {sudani.name!r}, {len(sudani.article_ids)} articles")
    print(f"PMF is Popular Mobilization Forces: {pmf is not None and pmf is table.find('PMF')}")
    junk = [
        e.name
        for e in table.entities
        if re.search(r"\[|\]|https?:|www\.|^[A-Z]\.$|short url", e.name, re.IGNORECASE)
    ]
    print(f"junk entity names (markers, URLs, initials, 'Short Url'): {junk or 'none'}\n")


def conll_merges() -> None:
    """Every entity the default found in several of CoNLL dev's documents (the 216 resolved
    as one corpus), to be judged by a reader: the joins of different names or of one name by
    evidence, with their reasons; the names joined by an exact match alone; the names kept
    apart, with the reasons; then the organisations of one name still found in documents of
    different kinds (the first word of a sports headline, or news)."""
    if not CONLL_DEV.is_file():
        print(f"merges: skipped, {CONLL_DEV} is absent")
        return
    articles = [d.article for d in read_documents(CONLL_DEV)]
    mentions = extract_entities(articles, None, choice=ensure_loaded(choose_recogniser()))
    table = resolve_entities(mentions.mentions)
    kinds = {a.id: _document_kind(a.title) for a in articles}
    across = [e for e in table.entities if len(e.article_ids) > 1]
    joined = [e for e in across if table.joins(e.id)]
    print(f"entities in several documents (CoNLL dev as one corpus): {len(across)}\n")
    print(f"joined with a reason (different names, or one name by evidence): {len(joined)}\n")
    for entity in joined:
        print(f"- {_described(entity, kinds)}: " + "; ".join(table.joins(entity.id)))
    print(f"\none name, an exact match (same key and type): {len(across) - len(joined)}\n")
    for entity in across:
        if not table.joins(entity.id):
            print(f"- {_described(entity, kinds)}")
    print("\nkept apart (each refusal is listed under both entities):\n")
    for entity in table.entities:
        for line in table.refusals(entity.id):
            print(f"- {entity.id} ({', '.join(entity.article_ids)}): {line}")
    print("\nsame name and type in documents of different kinds:\n")
    for entity in across:
        found = sorted({kinds[a] for a in entity.article_ids})
        if len(found) > 1 and entity.type == "ORG":
            print(f"- {entity.type} {entity.name!r}: " + ", ".join(found))
    print()


def _described(entity: Entity, kinds: dict[str, str]) -> str:
    """An entity's type, name, aliases and documents (with their kinds), on one line."""
    aliases = f" (also {', '.join(entity.aliases)})" if entity.aliases else ""
    where = Counter(kinds[a] for a in entity.article_ids)
    found = ", ".join(f"{kind} {count}" for kind, count in sorted(where.items()))
    return f"{entity.type} {entity.name!r}{aliases}, {len(entity.article_ids)} documents: {found}"


def _document_kind(title: str) -> str:
    """A sports report's sport (the headline's first words before " - "), else "news"."""
    head, dash, _ = title.partition(" - ")
    return head.strip().upper() if dash and head.isupper() else "news"


def rules_speed(runs: int = 5) -> None:
    """CPU seconds of the rules fallback (recognition and clean-up) per MB of text, on
    CoNLL-2003 dev and the whole BBC corpus: the median of ``runs`` runs, each in a fresh
    process (its caches empty, as for a first index), with the load average before and after
    (a loaded machine shares its cores, so CPU time is the fairer measure, and a median of
    several runs the one to quote)."""
    corpora: list[tuple[str, list[Article]]] = []
    if CONLL_DEV.is_file():
        corpora.append(("CoNLL-2003 dev", [d.article for d in read_documents(CONLL_DEV)]))
    if BBC.is_file():
        corpora.append(("BBC News", bbc_articles()))
    context = multiprocessing.get_context("spawn")
    for name, articles in corpora:
        size = sum(len(a.text.encode("utf-8")) for a in articles) / 1e6
        load_before = _load()
        with context.Pool(1, maxtasksperchild=1) as pool:  # one fresh process per run
            times = sorted(pool.apply(_rules_cpu_seconds, (articles,)) for _ in range(runs))
        cpu = statistics.median(times)
        print(
            f"rules fallback on {name}: {size:.2f} MB in {cpu:.2f} CPU-s (median of {runs}, "
            f"{times[0]:.2f}-{times[-1]:.2f}) = {size / cpu:.2f} MB per CPU-second "
            f"({size / times[-1]:.2f}-{size / times[0]:.2f}); load average {load_before} "
            f"before, {_load()} after"
        )


def bbc_articles() -> list[Article]:
    """The BBC News corpus's articles, read from ``../shared/corpora`` (it must be there)."""
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(BBC) as archive:
            archive.extractall(folder, filter="data")
        return load_articles(Path(folder))


def resolve_speed(scales: Sequence[int] = (1, 16), runs: int = 3) -> None:
    """CPU seconds of resolving the BBC corpus's entities from catalog-like forms (the rules
    fallback's mentions; each article copied ``scale`` times under new ids, as the scale
    benchmark does): what the reader pays when it first resolves the entity table."""
    if not BBC.is_file():
        print(f"resolve speed: skipped, {BBC} is absent")
        return
    articles = bbc_articles()
    mentions = extract_entities(articles, None, choice=choose_recogniser({"recogniser": "rules"}))
    for scale in scales:
        forms = _copied_forms(mentions.mentions, scale)
        times = []
        for _ in range(runs):
            started = time.process_time()
            table = resolve_forms(forms)
            times.append(time.process_time() - started)
        print(
            f"resolve_forms, BBC News x{scale} ({len(articles) * scale} articles, {len(forms)} "
            f"forms): {statistics.median(times):.2f} CPU-s (median of {runs}), "
            f"{len(table.entities)} entities; load average {_load()}"
        )


def _copied_forms(mentions: dict[str, list[EntityMention]], scale: int) -> list[EntityForm]:
    """The corpus's forms with their mentions per article, each article ``scale`` times."""
    uses: dict[tuple[str, str, str], dict[str, int]] = {}
    for copy in range(scale):
        for article_id, found in mentions.items():
            for form in mention_forms(found):
                key = (form.text, form.name, form.type)
                uses.setdefault(key, {})[f"{article_id}#{copy}"] = form.mentions
    return [
        EntityForm(*key, sum(used.values()), tuple(used), tuple(used.values()))
        for key, used in uses.items()
    ]


def _rules_cpu_seconds(articles: list[Article]) -> float:
    """CPU seconds of one run of the rules fallback over the articles (in a worker)."""
    rules = choose_recogniser({"recogniser": "rules"})
    started = time.process_time()
    extract_entities(articles, None, choice=rules)
    return time.process_time() - started


def _load() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


def speed(processes: Sequence[int]) -> None:
    if not BBC.is_file():
        print(f"speed: skipped, {BBC} is absent")
        return
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(BBC) as archive:
            archive.extractall(folder, filter="data")
        started = time.perf_counter()
        articles = load_articles(Path(folder))
        print(
            f"BBC corpus: {len(articles)} articles loaded in {time.perf_counter() - started:.1f}s"
        )
        for count in processes:
            choice = ensure_loaded(choose_recogniser(None, processes=count))
            started = time.perf_counter()
            extract_entities(articles, None, choice=choice)
            elapsed = time.perf_counter() - started
            print(
                f"  {choice.recogniser.description}, {count} process(es): {elapsed:.1f}s, "
                f"{len(articles) / elapsed:.0f} articles/s"
            )
        cache = Path(folder) / "cache.json"
        choice = ensure_loaded(choose_recogniser())
        extract_entities(articles, cache, choice=choice)
        started = time.perf_counter()
        extract_entities(articles, cache, choice=choice)
        print(f"  cached re-run: {time.perf_counter() - started:.2f}s")
        rules = choose_recogniser({"recogniser": "rules"})
        started = time.perf_counter()
        extract_entities(articles, None, choice=rules)
        elapsed = time.perf_counter() - started
        print(f"  rules fallback: {elapsed:.1f}s, {len(articles) / elapsed:.0f} articles/s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.entities_eval", description=__doc__)
    parser.add_argument("--speed", action="store_true", help="also time the BBC corpus")
    parser.add_argument("--processes", default="1,2", help="process counts to time (1,2)")
    parser.add_argument(
        "--rules-speed", action="store_true", help="CPU seconds per MB of the rules fallback"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of --rules-speed, of which the median (5)"
    )
    parser.add_argument(
        "--resolve-speed",
        action="store_true",
        help="CPU seconds of resolving BBC News's entities (x1 and x16)",
    )
    parser.add_argument("--errors", action="store_true", help="list the default's errors")
    parser.add_argument(
        "--merges", action="store_true", help="list the joins across CoNLL dev's documents"
    )
    parser.add_argument(
        "--sets",
        default="sample,bbc,heldout,conll",
        help="data sets to score, comma-separated (sample,bbc,heldout,conll)",
    )
    args = parser.parse_args(argv)
    sets = [name for name in args.sets.split(",") if name]
    unknown = [name for name in sets if name not in DATA_SETS]
    if unknown:
        parser.error(f"unknown data set {', '.join(unknown)}; use {', '.join(DATA_SETS)}")
    if sets:
        quality(args.errors, sets)
    if args.merges:
        conll_merges()
    if args.resolve_speed:
        resolve_speed()
    if args.rules_speed:
        rules_speed(max(1, args.runs))
    if args.speed:
        speed([int(n) for n in args.processes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
