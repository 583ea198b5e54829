"""Entity quality and speed: precision/recall per type against the hand-made gold file.

Run ``python -m benchmarks.entities_eval`` (quality on the sample corpus) and add ``--speed``
to time the BBC corpus from ``../shared/corpora`` (skipped with a reason when it is absent).
Systems compared: the raw spaCy model, spaCy with clean-up only, the default (spaCy with
clean-up and consistency) and the rules fallback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from briefreader.models import Article
from briefreader.text.entities import (
    Choice,
    EntityMention,
    choose_recogniser,
    ensure_loaded,
    extract_entities,
    resolve_entities,
)
from briefreader.text.entities.cleanup import clean_span, heading_debris, mask_text
from briefreader.text.entities.model import ENTITY_TYPES
from briefreader.text.entities.recogniser import SpacyRecogniser
from briefreader.text.load import default_options, load_corpus

REPO = Path(__file__).resolve().parent.parent
GOLD = Path(__file__).with_name("entities_gold.json")
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"

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


def cleanup_only(choice: Choice) -> System:
    """Masked input and span clean-up, without the consistency rules."""

    def run(articles: Sequence[Article]) -> dict[str, set[Span]]:
        result = {}
        spans = choice.recogniser.recognise_many(mask_text(a.text) for a in articles)
        for article, raw in zip(articles, spans, strict=True):
            heads = [(h.start, h.end) for h in article.headings]
            kept = [c for c in (clean_span(article.text, s) for s in raw) if c is not None]
            kept = [s for s in kept if not heading_debris(article.text, s, heads)]
            result[article.id] = {(s.start, s.end, s.type) for s in kept}
        return result

    return run


def full_pipeline(choice: Choice) -> System:
    def run(articles: Sequence[Article]) -> dict[str, set[Span]]:
        return as_spans(extract_entities(articles, None, choice=choice).mentions)

    return run


def score(
    gold: dict[str, set[Span]], found: dict[str, set[Span]]
) -> dict[str, tuple[float, float, float, int]]:
    """Precision, recall, F1 and gold count per type (exact span and type), plus ALL."""
    table = {}
    for kind in (*ENTITY_TYPES, "ALL"):
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


def quality(show_errors: bool) -> None:
    articles = [a for a in load_articles(REPO / "articles")]
    data = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    articles = [a for a in articles if a.id in data]
    gold = {a.id: gold_spans(a, data[a.id]["entities"]) for a in articles}
    spacy_choice = ensure_loaded(choose_recogniser())
    systems: dict[str, System] = {}
    if isinstance(spacy_choice.recogniser, SpacyRecogniser):
        systems["raw spaCy"] = raw_model(spacy_choice)
        systems["spaCy + clean-up"] = cleanup_only(spacy_choice)
        systems["default"] = full_pipeline(spacy_choice)
    else:
        print(f"spaCy unavailable ({spacy_choice.notice}); only the fallback is measured")
    systems["rules fallback"] = full_pipeline(choose_recogniser({"recogniser": "rules"}))
    results = {name: score(gold, run(articles)) for name, run in systems.items()}
    print(f"sample corpus ({len(articles)} articles; also the development set)")
    print_table(results)
    if show_errors and "default" in systems:
        print_errors(articles, gold, systems["default"](articles))
    heldout(json.loads(GOLD.read_text(encoding="utf-8"))["heldout"], systems, show_errors)
    print_identity_checks(articles, spacy_choice)


def heldout(data: dict[str, Any], systems: dict[str, System], show_errors: bool) -> None:
    """Score the held-out BBC articles (never used for tuning), read from the archive."""
    if not BBC.is_file():
        print(f"held-out set: skipped, {BBC} is absent\n")
        return
    wanted = data["articles"]
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(BBC) as archive:
            members = [m for m in archive.getmembers() if Path(m.name).stem in wanted]
            archive.extractall(folder, members=members, filter="data")
        articles = [a for a in load_articles(Path(folder)) if a.id.split("/")[-1] in wanted]
    articles = [replace(a, id=a.id.split("/")[-1]) for a in articles]
    gold = {a.id: gold_spans(a, wanted[a.id]["entities"]) for a in articles}
    results = {name: score(gold, run(articles)) for name, run in systems.items()}
    print(
        f"held-out: {len(articles)} BBC articles, annotated before any run (see docs/entities.md)"
    )
    print_table(results)
    if show_errors and "default" in systems:
        print_errors(articles, gold, systems["default"](articles))


def print_table(results: dict[str, dict[str, tuple[float, float, float, int]]]) -> None:
    print(f"exact span + type against {GOLD.name}\n")
    print("| type | gold | " + " | ".join(f"{n} P / R / F1" for n in results) + " |")
    print("|---|---:|" + "---:|" * len(results))
    kinds = [k for k in (*ENTITY_TYPES, "ALL") if any(k in r for r in results.values())]
    for kind in kinds:
        gold_count = next((r[kind][3] for r in results.values() if kind in r), 0)
        cells = []
        for result in results.values():
            p, r, f1, _ = result.get(kind, (0.0, 0.0, 0.0, 0))
            cells.append(f"{p:.2f} / {r:.2f} / {f1:.2f}")
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
    parser.add_argument("--errors", action="store_true", help="list the default's errors")
    args = parser.parse_args(argv)
    quality(args.errors)
    if args.speed:
        speed([int(n) for n in args.processes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
