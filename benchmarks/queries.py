"""Fixed query sets drawn reproducibly (seeded) from the original corpus text.

Each query carries its three spellings: briefreader's query language, SQLite FTS5's MATCH
syntax and ripgrep patterns, so all three systems answer the same question.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from benchmarks.corpus import Source
from briefreader.search.index.schema import STOP_WORDS

SEED = 20050101
WORD = re.compile(r"[A-Za-z]+")
KINDS = ("common", "rare", "and", "phrase", "prefix")


@dataclass(frozen=True)
class Query:
    """One benchmark query in every system's syntax.

    ``rg_patterns`` are regular expressions that must all occur in a file (case-insensitive);
    ``rg_words`` says whether they are matched as whole words.
    """

    kind: str
    brief: str
    fts: str
    rg_patterns: tuple[str, ...]
    rg_words: bool = True


@dataclass
class _Stats:
    docs: list[list[str]]
    df: Counter[str]


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def _content(word: str) -> bool:
    return len(word) >= 3 and word not in STOP_WORDS


def _stats(sources: Sequence[Source]) -> _Stats:
    docs = [_words(s.text) for s in sources]
    df: Counter[str] = Counter()
    for words in docs:
        df.update({w for w in words if _content(w)})
    return _Stats(docs, df)


def term_query(kind: str, word: str) -> Query:
    return Query(kind, word, f'"{word}"', (re.escape(word),))


def _common(stats: _Stats, rng: random.Random, count: int) -> list[Query]:
    top = [w for w, _ in stats.df.most_common(300)]
    return [term_query("common", w) for w in rng.sample(top, min(count, len(top)))]


def _rare(stats: _Stats, rng: random.Random, count: int) -> list[Query]:
    rare = sorted(w for w, n in stats.df.items() if 2 <= n <= 4 and len(w) >= 5)
    return [term_query("rare", w) for w in rng.sample(rare, min(count, len(rare)))]


def _and(stats: _Stats, rng: random.Random, count: int) -> list[Query]:
    queries: dict[str, Query] = {}
    for _ in range(count * 50):
        if len(queries) >= count:
            break
        words = sorted({w for w in rng.choice(stats.docs) if _content(w) and stats.df[w] >= 20})
        if len(words) < 2:
            continue
        a, b = rng.sample(words, 2)
        text = f"{a} {b}"
        queries[text] = Query("and", text, f'"{a}" AND "{b}"', (re.escape(a), re.escape(b)))
    return list(queries.values())


def _phrase(stats: _Stats, rng: random.Random, count: int) -> list[Query]:
    queries: dict[str, Query] = {}
    for _ in range(count * 50):
        if len(queries) >= count:
            break
        words = rng.choice(stats.docs)
        if len(words) < 3:
            continue
        start = rng.randrange(len(words) - 1)
        a, b = words[start], words[start + 1]
        if not (_content(a) and _content(b)):
            continue
        text = f'"{a} {b}"'
        pattern = rf"{re.escape(a)}\s+{re.escape(b)}"
        queries[text] = Query("phrase", text, text, (pattern,))
    return list(queries.values())


def _prefix(stats: _Stats, rng: random.Random, count: int) -> list[Query]:
    stems = sorted({w[:5] for w, n in stats.df.items() if len(w) >= 7 and n >= 5})
    chosen = rng.sample(stems, min(count, len(stems)))
    return [Query("prefix", f"{p}*", f'"{p}"*', (rf"{re.escape(p)}\w*",)) for p in chosen]


def query_sets(sources: Sequence[Source], per_kind: int, seed: int = SEED) -> list[Query]:
    """``per_kind`` queries of each kind in ``KINDS``, the same for a given corpus and seed."""
    stats = _stats(sources)
    makers = (_common, _rare, _and, _phrase, _prefix)
    queries: list[Query] = []
    for offset, maker in enumerate(makers):
        queries.extend(maker(stats, random.Random(seed + offset), per_kind))
    return queries


# ``schema.entity_index_fields("entity")``, spelt out: ``benchmarks.compare`` runs these
# benchmarks against older commits, whose schema module has no such function.
_TYPED_ENTITY_FIELDS = ("person", "org", "place", "group", "when", "other")


def indexed_entity_names(reader: Any, limit: int = 200_000) -> list[str]:
    """The entity keys an index holds: its ``entity`` field's terms (format 10 and older) or
    those of the typed fields that answer ``entity:`` (format 11)."""
    fields = set(reader.indexed_field_names())
    wanted = ["entity"] if "entity" in fields else _TYPED_ENTITY_FIELDS
    names: set[str] = set()
    for name in wanted:
        if name in fields:
            names.update(t.decode("utf-8") for t in islice(reader.lexicon(name), limit))
    return sorted(names)


def entity_queries(names: Sequence[str], count: int, seed: int = SEED) -> list[Query]:
    """``entity:"name"`` queries over indexed entity names (lower-cased index terms)."""
    rng = random.Random(seed + 99)
    usable = sorted({n for n in names if n and '"' not in n and len(n) >= 3})
    chosen = rng.sample(usable, min(count, len(usable)))
    queries = []
    for name in chosen:
        words = _words(name)
        if not words:
            continue
        fts = " ".join(f'"{w}"' for w in words) if len(words) == 1 else f'"{" ".join(words)}"'
        pattern = r"\W+".join(re.escape(w) for w in words)
        queries.append(Query("entity", f'entity:"{name}"', fts, (pattern,)))
    return queries
