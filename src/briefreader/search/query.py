"""The query language: user text → a Whoosh query, with plain-word errors.

Words are all required (AND) and ranked by BM25F over title, body, headings and references.
Supported: ``"phrases"``, ``OR``, ``NOT``/``-word``, ``field:value`` (title, source, heading,
references, entity fields), ``date:2024``, ``date:2024-03..2025``, ``prefix*``, ``word~``
(fuzzy). Anything else a user types (``U.S.``, ``al-Sudani's``, ``[i]``) is searched as words.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import heapq
import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import qparser, query
from whoosh.fields import Schema

from briefreader.search.highlight import Phrase
from briefreader.search.index.checkpoints import checkpoint
from briefreader.search.index.schema import (
    ARTICLE_FIELDS,
    ENTITY_FIELDS,
    GENERAL_ENTITY,
    VOCABULARY_COUNTS,
    entity_index_fields,
    text_analyzer,
)

SEARCH_FIELDS = ("title", "body", "heading", "references")
USER_FIELDS = {"footnote", "title", "body", "heading", "references", "source", *ENTITY_FIELDS}
# The fields a user is told about (``date:`` is handled apart; aliases are accepted too).
KNOWN_FIELDS = ("title", "text", "source", "heading", "references", *ENTITY_FIELDS, "date", "tag")
FIELD_ALIASES = {
    "text": "body",
    "ref": "references",
    "refs": "references",
    "organisation": "org",
    "organization": "org",
    "gpe": "place",
    "norp": "group",
}
_LEADING_SIGN = re.compile(r"(^|[\s(])([-+])(?=[\w(\"])")
# A footnote marker typed as in the text (``[xiv]``) finds the passages that cite it.
_FOOTNOTE_RE = re.compile(r"(?<![\w\"])\[((?:[ivxlcdm]{1,8}|\d{1,3}))\](?![\w\"])", re.IGNORECASE)
MIN_PATTERN_PREFIX = 2
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD_RE = re.compile(r"(?<![\w\"])([A-Za-z_]+):(?=\S)")
_DATE_RE = re.compile(r"(?<![\w\"])date:(\S*)", re.IGNORECASE)
_TAG_FILTER_RE = re.compile(r'(?<![\w"])tag:(?:"([^"]*)"|(\S*))', re.IGNORECASE)
_DATE_VALUE = re.compile(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)?(\.\.)?(\d{4}(?:-\d{2}(?:-\d{2})?)?)?$")


class QueryError(ValueError):
    """A query the user must fix; the message explains it in one line."""


# The query budget: every query is refused in one line when over it, so no query can keep
# the reader or the CLI busy for long (measured: benchmarks/query_budget.py).
MAX_QUERY_CHARS = 1_000
MAX_QUERY_WORDS = 40
# Fuzzy and wildcard words: each walks the vocabulary of every field it searches before any
# hit is collected (the time limit below stops the walk too; 2 fuzzy ~2 words and 38 others:
# 1.2 s of CPU at BBC x16, so 2 at most).
MAX_EXPANDING_TERMS = 2
MAX_FUZZY_EDITS = 2
QUERY_SECONDS = 2.0  # answered or refused within this (search/budget.py)
_FUZZY_EDITS = re.compile(r"(\w+)~(\d+)")
_FUZZY_EDITS_SUFFIX = re.compile(r"~\d+")


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query and the plain terms to highlight."""

    text: str
    query: query.Query
    terms: tuple[str, ...]


EntityExpander = Callable[[str], Sequence[str]]
# The articles whose notes carry a tag (the notes layer answers; search never imports it).
TagResolver = Callable[[str], Collection[str]]


def parse_query(
    text: str,
    schema: Schema,
    expand_entity: EntityExpander | None = None,
    tag_articles: TagResolver | None = None,
) -> ParsedQuery:
    """Parse user text into a Whoosh query over article documents.

    Raises:
        QueryError: unbalanced quotes or parentheses, a dangling operator, a bad date range,
            an unknown field, or a query with no searchable words.
    """
    _check_size(text)
    # NFC, as the loader stores text: "café" typed decomposed finds "café" stored composed.
    text = " ".join(unicodedata.normalize("NFC", text).split())
    _check_balance(text)
    text, date_filters = _extract_dates(text)
    text, tag_filters = _extract_tags(text, tag_articles)
    text = _FOOTNOTE_RE.sub(r"footnote:\1", text)
    text = _escape_unknown_fields(_rewrite_plus_minus(text))
    _check_operators(text)
    parts: list[query.Query] = [*date_filters, *tag_filters]
    if text:
        try:
            parsed = _parser(schema).parse(text)
        except Exception as error:  # Whoosh's parser has corner cases; never show a traceback
            raise QueryError("could not understand the query; check its operators") from error
        _check_patterns(parsed)
        _check_expansions(parsed, typed_fuzzy_words(text))
        if _is_empty(parsed):
            raise QueryError("the query has no searchable words (only stop words or symbols?)")
        parts.insert(0, parsed)
    if not parts:
        raise QueryError("the query is empty")
    combined = parts[0] if len(parts) == 1 else query.And(parts)
    if expand_entity is not None:
        combined = combined.accept(lambda node: _expand_entities(node, expand_entity))
    combined = combined.accept(_spread_general_entity)
    return ParsedQuery(text, combined.normalize(), _plain_terms(combined))


def _parser(schema: Schema) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.RangePlugin)
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def _expand_entities(node: query.Query, expand: EntityExpander) -> query.Query:
    """``entity:PMF`` → any of the entity's names (aliases, merges and corrections)."""
    field = getattr(node, "fieldname", None)
    if field not in ENTITY_FIELDS:
        return node
    if isinstance(node, query.Phrase):
        value = " ".join(node.words)
    elif isinstance(node, query.Term) and isinstance(node.text, str):
        value = node.text
    else:
        return node
    terms = [term for term in dict.fromkeys(expand(value)) if term]
    if not terms:
        return node
    return (
        query.Or([query.Term(field, term) for term in terms])
        if len(terms) > 1
        else query.Term(field, terms[0])
    )


def _spread_general_entity(node: query.Query) -> query.Query:
    """A clause on ``entity`` (any type) asked of every typed entity field: the index keeps no
    ``entity`` field of its own (``schema.entity_index_fields``)."""
    if not node.is_leaf() or getattr(node, "fieldname", None) != GENERAL_ENTITY:
        return node
    copies = []
    for name in entity_index_fields(GENERAL_ENTITY):
        moved = copy.copy(node)
        moved.fieldname = name  # type: ignore[attr-defined]
        copies.append(moved)
    return query.Or(copies)


def _check_balance(text: str) -> None:
    quotes = text.count('"')
    if quotes % 2:
        raise QueryError('unbalanced quote: close the phrase with a second "')
    depth = 0
    for char in _outside_quotes(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("unbalanced parenthesis: ')' without a matching '('")
    if depth:
        raise QueryError("unbalanced parenthesis: '(' is never closed")


def _outside_quotes(text: str) -> str:
    return "".join(part for index, part in enumerate(text.split('"')) if index % 2 == 0)


def _rewrite_plus_minus(text: str) -> str:
    """``-word`` → ``NOT word`` and ``+word`` → ``word``, only at the start of a word and
    outside phrases, so hyphenated words (``al-Sudani``, ``Iran-backed``) stay words."""

    def replace(match: re.Match[str]) -> str:
        if text.count('"', 0, match.start()) % 2:
            return match.group(0)
        return match.group(1) + ("NOT " if match.group(2) == "-" else "")

    return _LEADING_SIGN.sub(replace, text)


def _extract_dates(text: str) -> tuple[str, list[query.Query]]:
    filters: list[query.Query] = []

    def replace(match: re.Match[str]) -> str:
        filters.append(_date_filter(match.group(1)))
        return " "

    return " ".join(_DATE_RE.sub(replace, text).split()), filters


def _extract_tags(text: str, resolve: TagResolver | None) -> tuple[str, list[query.Query]]:
    """``tag:name`` → the articles whose notes carry that tag (a filter, not ranked)."""
    filters: list[query.Query] = []

    def replace(match: re.Match[str]) -> str:
        if text.count('"', 0, match.start()) % 2:
            return match.group(0)
        filters.append(_tag_filter(match.group(1) or match.group(2) or "", resolve))
        return " "

    return " ".join(_TAG_FILTER_RE.sub(replace, text).split()), filters


NO_TERM = "\x00"  # no analyser or id gives it


def matches_nothing(field: str) -> query.Query:
    """A clause no document matches (Whoosh's ``NullQuery`` means *no clause*: an ``And``
    drops it, and ``tag:unused word`` found every article with the word)."""
    return query.Term(field, NO_TERM)


def _tag_filter(tag: str, resolve: TagResolver | None) -> query.Query:
    name = tag.strip().lstrip("#").strip()
    if not name:
        raise QueryError("tag: needs a tag name, e.g. tag:militias")
    if resolve is None:
        raise QueryError("tag: filters need the workspace's notes, which are not open here")
    ids = sorted(resolve(name))
    if not ids:
        return matches_nothing("article_id")
    return query.Or([query.Term("article_id", article_id) for article_id in ids])


def _date_filter(value: str) -> query.Query:
    match = _DATE_VALUE.match(value)
    if not value or match is None or not (match.group(1) or match.group(3)):
        raise QueryError(
            f"bad date {quoted(value)}: use date:2024, date:2024-05 or date:2023..2024-06"
        )
    low, dots, high = match.groups()
    for part in (low, high):
        if part:
            _check_date(part)
    if not dots:
        high = low
    start = low or None
    end = (high + "\uffff") if high else None
    if start is not None and end is not None and start > end:
        raise QueryError(
            f"date range {low}..{high} is reversed (the later date comes first): "
            f"use date:{high}..{low}"
        )
    return query.TermRange("date", start, end)


def _check_date(part: str) -> None:
    """A year, year-month or full date that exists on the calendar (not 2024-13 or 2023-02-29)."""
    year, month, day = (int(x) for x in [*part.split("-"), "1", "1"][:3])
    try:
        datetime.date(year, month, day)
    except ValueError as error:
        what = "month" if not 1 <= month <= 12 else "day" if year else "year"
        raise QueryError(
            f"bad date {part}: no such {what} (use YYYY, YYYY-MM or YYYY-MM-DD)"
        ) from error


def quoted(text: str, limit: int = 80) -> str:
    """User input to echo in a message: in quotes, shortened to ``limit`` characters."""
    text = "".join(char if char.isprintable() else "?" for char in text)
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def _escape_unknown_fields(text: str) -> str:
    """Check ``word:value``: a known field (or alias) is kept, an unknown one is an error.

    Inside a phrase, and in a web address (``https://…``), a colon is just text.
    """

    def replace(match: re.Match[str]) -> str:
        if text.count('"', 0, match.start()) % 2 or text.startswith("//", match.end()):
            return f"{match.group(1)} "
        name = match.group(1).lower()
        name = FIELD_ALIASES.get(name, name)
        if name in USER_FIELDS:
            return f"{name}:"
        raise QueryError(_unknown_field_message(match.group(1)))

    return _FIELD_RE.sub(replace, text)


def _unknown_field_message(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), KNOWN_FIELDS, n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}:? " if close else ""
    return (
        f"unknown field {quoted(name + ':')}; {hint}the fields are {', '.join(KNOWN_FIELDS)} "
        "(to search the words, leave out the colon)"
    )


def _check_operators(text: str) -> None:
    unquoted = re.sub(r'"[^"]*"', " phrase ", text)
    tokens = [t for t in re.split(r"\s+|(?<=\()|(?=\))", unquoted) if t]
    for index, token in enumerate(tokens):
        if token not in _OPERATORS:
            if token.endswith(":") and (index + 1 == len(tokens) or tokens[index + 1] == ")"):
                raise QueryError(f"'{token}' needs a value after the colon")
            continue
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if after is None or after == ")" or after in _OPERATORS:
            raise QueryError(f"'{token}' needs a word after it")
        if token != "NOT" and (before is None or before == "(" or before in _OPERATORS):
            raise QueryError(f"'{token}' needs a word before it")


def _check_patterns(parsed: query.Query) -> None:
    """Refuse wildcards that would expand to most of the vocabulary (``*``, ``*x``, ``a*``)."""
    for leaf in parsed.leaves() if not parsed.is_leaf() else [parsed]:
        if isinstance(leaf, query.Every):
            raise QueryError("a lone * matches everything; put at least 2 letters before it")
        if isinstance(leaf, query.PatternQuery):
            text = str(leaf.text)
            literal = len(re.split(r"[*?]", text, maxsplit=1)[0])
            if literal < MIN_PATTERN_PREFIX:
                text = text if isinstance(leaf, query.Wildcard) else f"{text}*"
                raise QueryError(
                    f"'{text}' is too broad: put at least "
                    f"{MIN_PATTERN_PREFIX} letters before * or ?"
                )


def _check_size(text: str) -> None:
    """Refuse a query longer than the budget (a paste of a whole article)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,})"
        )
    words = len(text.split())
    if words > MAX_QUERY_WORDS:
        raise QueryError(f"the query has too many words ({words:,}; at most {MAX_QUERY_WORDS})")
    for match in _FUZZY_EDITS.finditer(text):
        if not 1 <= int(match.group(2)) <= MAX_FUZZY_EDITS:  # the parser reads one digit
            raise QueryError(f"'{match.group()}': a fuzzy word allows 1 or 2 edits (~1, ~2)")


def _check_expansions(parsed: query.Query, typed: dict[str, str]) -> None:
    """Refuse fuzzy terms beyond 2 edits or too short for their edits (``x~2`` matches
    every short word), and more than ``MAX_EXPANDING_TERMS`` fuzzy or wildcard terms.
    ``typed``: the fuzzy words as typed, by the parser's (stemmed) form (the length that
    counts is the word's: ``taxes~2`` is not ``tax~2``)."""
    expanding = set()
    for leaf in parsed.leaves() if not parsed.is_leaf() else [parsed]:
        if isinstance(leaf, query.FuzzyTerm):
            word, edits = typed.get(str(leaf.text), str(leaf.text)), int(leaf.maxdist)
            if not 1 <= edits <= MAX_FUZZY_EDITS:
                raise QueryError(f"'{word}~{edits}': a fuzzy word allows 1 or 2 edits (~1, ~2)")
            if len(word) < edits + 2:
                raise QueryError(f"'{word}~{edits}' is too short: it would match most short words")
            expanding.add(f"{word}~{edits}")  # one per word and distance, not per field
        elif isinstance(leaf, query.PatternQuery):
            expanding.add(str(leaf.text))
    if len(expanding) > MAX_EXPANDING_TERMS:
        raise QueryError(
            f"too many fuzzy or wildcard words ({len(expanding)}; at most {MAX_EXPANDING_TERMS})"
        )


def _is_empty(parsed: query.Query) -> bool:
    return parsed is query.NullQuery or (not list(parsed.leaves()) and not parsed.is_leaf())


def _plain_terms(parsed: query.Query) -> tuple[str, ...]:
    """Exact indexed terms of positive text clauses (prefix/fuzzy patterns are expanded later)."""
    terms: list[str] = []
    for leaf in positive_leaves(parsed):
        is_text_term = isinstance(leaf, query.Term) and leaf.fieldname in SEARCH_FIELDS
        if is_text_term and isinstance(leaf.text, str) and leaf.text not in terms:
            terms.append(leaf.text)
    return tuple(terms)


def only_articles(node: query.Query) -> bool:
    """Can only article documents match ``node``? True when it needs a clause on a field that
    passage documents do not have (every user field but ``tag:``'s article ids); False for a
    query made of negations, which also matches passage documents (it then needs ``kind``)."""
    if isinstance(node, query.Not):
        return False
    if isinstance(node, query.AndNot | query.AndMaybe | query.Require):
        return only_articles(node.a)
    if isinstance(node, query.And):
        return any(only_articles(child) for child in node.children())
    if isinstance(node, query.Or | query.DisjunctionMax):
        children = list(node.children())
        return bool(children) and all(only_articles(child) for child in children)
    if node.is_leaf():
        return getattr(node, "fieldname", None) in ARTICLE_FIELDS
    return False


def positive_leaves(node: query.Query, *, phrases: bool = False) -> list[query.Query]:
    """Leaf queries that a hit must or may match (not those under NOT), phrases split to
    terms (kept whole with ``phrases``)."""
    if isinstance(node, query.Not):
        return []
    if isinstance(node, query.AndNot):
        return positive_leaves(node.a, phrases=phrases)
    if isinstance(node, query.Phrase) and not phrases:
        return [query.Term(node.fieldname, word) for word in node.words]
    if node.is_leaf() or isinstance(node, query.Phrase):
        return [node]
    leaves: list[query.Query] = []
    for child in node.children():
        leaves.extend(positive_leaves(child, phrases=phrases))
    return leaves


@dataclass
class MarkingClauses:
    """The positive clauses of a query, by field, as the reader marks them: plain and
    expanded terms of the text fields, phrases, entity keys, footnote labels."""

    terms: dict[str, set[str]] = field(default_factory=dict)
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    entity_keys: dict[str, set[str]] = field(default_factory=dict)
    footnotes: set[str] = field(default_factory=set)


def marking_clauses(parsed: query.Query, reader: Any) -> MarkingClauses:
    """What a parsed query (entities and prefixes expanded) marks: its positive clauses by
    field; fuzzy and wildcard words expanded against ``reader`` as for ``highlight_terms``."""
    found = MarkingClauses()
    for leaf in positive_leaves(parsed, phrases=True):
        name = getattr(leaf, "fieldname", None)
        if isinstance(leaf, query.Phrase):
            words = tuple(str(word) for word in leaf.words)
            if name in SEARCH_FIELDS:
                found.phrases.setdefault(name, []).append(Phrase(words, int(leaf.slop)))
                continue
            texts = [" ".join(words)]
        else:
            texts = _leaf_texts(leaf, reader)
        if name in SEARCH_FIELDS:
            found.terms.setdefault(name, set()).update(texts)
        elif name in ENTITY_FIELDS:
            found.entity_keys.setdefault(name, set()).update(texts)
        elif name == "footnote":
            found.footnotes.update(text.lower() for text in texts)
    return found


def _leaf_texts(leaf: query.Query, reader: Any) -> list[str]:
    """A term's text, or the indexed terms a fuzzy or wildcard word stands for (the first
    ``EXPAND_LIMIT``, from the walk the search already made)."""
    if isinstance(leaf, query.Term) and isinstance(leaf.text, str):
        return [leaf.text]
    if not isinstance(leaf, query.PatternQuery | query.FuzzyTerm) or not hasattr(leaf, "_btexts"):
        return []
    return _first_expansions(leaf, reader)


# ---------------------------------------------------------------- against an index's vocabulary

EXPAND_LIMIT = 50  # words (and stems) a prefix stands for: the most frequent ones
EXPAND_SCAN = 5_000  # terms with the prefix looked at to choose them
_TYPED_PREFIX = re.compile(r"([\w'’-]+)\*")


def expand_prefix(node: query.Query, reader: Any, typed: dict[str, str]) -> query.Query:
    """``chasi*`` → the stems of the indexed words starting with ``chasi`` (``chasing`` is
    indexed as ``chase``, which a prefix over stems alone would miss), and the stems that
    start with it: at most the ``EXPAND_LIMIT`` found in most documents of each, so a short
    prefix costs a bounded number of postings lists. The prefix is the one typed (``typed``, from
    ``typed_prefixes``): Whoosh's parser stems it (``games*`` would become ``game*`` and
    match "gamer")."""
    field = getattr(node, "fieldname", None)
    if not isinstance(node, query.Prefix) or field not in SEARCH_FIELDS:
        return node
    spelling = "spell_title" if field == "title" else "spell_words"
    prefix = typed.get(str(node.text), str(node.text))
    stems = set(most_frequent_stems(reader, field, prefixed(reader, spelling, prefix)))
    stems.update(most_frequent_terms(reader, field, prefix))
    if not stems:
        return node
    return ExpandedWords([query.Term(field, stem) for stem in sorted(stems)])


class ExpandedWords(query.Or):
    """The words a prefix or a fuzzy word stands for (``expand_prefix``, ``expand_fuzzy``),
    matched by Whoosh's array union from ``ARRAY_FROM`` words on: it walks each word's
    postings a part of the index at a time into an array of scores, where a binary tree of
    union matchers asks every node at every document. Prefix class at BBC ×16, 200 queries
    interleaved with the tree: p95 30.3 → 20.0 ms, CPU −10% (``benchmarks.queries``; ties of
    equal score may come in another order)."""

    ARRAY_FROM = 8
    TOO_MANY_CLAUSES = ARRAY_FROM  # Whoosh's switch from the tree to the array union


_TYPED_FUZZY = re.compile(r"(\w+)~")


def typed_fuzzy_words(text: str) -> dict[str, str]:
    """The words typed before ``~``, by each form the parser may give them (as typed, or
    stemmed)."""
    found: dict[str, str] = {}
    for raw in _TYPED_FUZZY.findall(text.casefold()):
        found[raw] = raw
        stems = analyzed(raw)
        if len(stems) == 1:
            found.setdefault(stems[0], raw)
    return found


Walks = dict[tuple[str, str, int, int], list[str]]


def expand_fuzzy(
    node: query.Query, reader: Any, typed: dict[str, str], walks: Walks | None = None
) -> query.Query:
    """``econmy~1`` → the stems of the indexed *words* within one edit of the word typed
    (``typed``, from ``typed_fuzzy_words``), the ``EXPAND_LIMIT`` found in most documents,
    scored like any word.

    Whoosh's ``FuzzyTerm`` walks the field's own vocabulary, and for the title that is its
    unstemmed spelling words, which are not title terms: ``title:economy~1`` found nothing.
    And with three words or more it scored every hit 1.0 in a segment of up to 5,000
    documents (by the words' weights in bigger ones): after an update, the updated
    article's hits ranked by another scale than the rest until a merge. ``walks`` keeps the
    walks of one query: body, heading and references walk the same words.
    """
    field = getattr(node, "fieldname", None)
    if not isinstance(node, query.FuzzyTerm) or field not in SEARCH_FIELDS:
        return node
    word = typed.get(str(node.text), str(node.text))
    # Whoosh walks the title's spelling words for ``title``
    vocabulary = ("title", "title") if field == "title" else ("spell_words", "body")
    key = (vocabulary[0], word, int(node.maxdist), int(node.prefixlength))
    walks = {} if walks is None else walks
    if key not in walks:
        walks[key] = words_within(reader, vocabulary, *key[1:])
    words = walks[key]
    stems = set(stems_of(words))  # the word itself if indexed
    terms = [query.Term(field, stem) for stem in sorted(stems) if reader.doc_frequency(field, stem)]
    if not terms:
        return matches_nothing(field)  # not Whoosh's walk again (it found unstemmed words)
    return ExpandedWords(terms, boost=node.boost)


def words_within(
    reader: Any, vocabulary: tuple[str, str], word: str, edits: int, prefix: int
) -> list[str]:
    """The ``EXPAND_LIMIT`` words within ``edits`` edits of ``word`` (sharing its first
    ``prefix`` letters) whose stems are in most documents. ``vocabulary``: the field whose
    words are walked (Whoosh's automaton, per segment) and the field their stems are
    counted in."""
    walked, counted = vocabulary
    found: set[str] = set()
    for leaf, _base in reader.leaf_readers():
        found.update(leaf.terms_within(walked, word, edits, prefix))
        checkpoint()
    documents = documents_by_stem(reader, counted, sorted(found))
    return heapq.nlargest(EXPAND_LIMIT, documents, key=lambda word: (documents[word], word))


def highlight_terms(parsed: query.Query, reader: Any) -> set[str]:
    """Indexed terms to highlight: exact terms plus expansions of prefix/fuzzy/wildcards
    (the first ``EXPAND_LIMIT`` of each in term order)."""
    terms: set[str] = set()
    for leaf in positive_leaves(parsed):
        if getattr(leaf, "fieldname", None) in SEARCH_FIELDS:
            terms.update(_leaf_texts(leaf, reader))
    return terms


def _first_expansions(leaf: query.MultiTerm, reader: Any) -> list[str]:
    """The first ``EXPAND_LIMIT`` words (in term order) an expanding word stands for, from
    each segment's walk (cached on the query by the search that ran it: walking the whole
    index's merged vocabulary again cost as much as the search)."""
    found: set[bytes | str] = set()
    for leaf_reader, _ in reader.leaf_readers():
        found.update(itertools.islice(leaf._btexts(leaf_reader), EXPAND_LIMIT))
    words = [b.decode("utf-8") if isinstance(b, bytes) else str(b) for b in found]
    return sorted(words)[:EXPAND_LIMIT]


def suggest_respelling(text: str, reader: Any, field: str = "spell_words") -> str | None:
    """Respell words the index has never seen, from its own vocabulary; None if nothing."""
    changed = False
    words = []
    for word in text.split():
        core = _FUZZY_EDITS_SUFFIX.sub("~", word).strip('"()*~-+').lower()
        bare = core.split(":", 1)[-1].strip('"()*~-+')
        if (
            bare.isalpha()
            and bare.upper() not in {"AND", "OR", "NOT"}
            and not any(reader.doc_frequency("body", term) for term in analyzed(bare))
        ):
            closest = closest_indexed_word(bare, reader, field)
            if closest is not None:
                word = _respelled(word, bare, closest)
                changed = True
        words.append(word)
    return " ".join(words) if changed else None


def _respelled(word: str, bare: str, closest: str) -> str:
    """``word`` with its letters ``bare`` (found in any case) replaced by ``closest`` in the
    same case: quotes, a field name and operators around it stay where they were."""
    start = word.lower().rfind(bare)
    if start < 0 or len(word.lower()) != len(word):
        return closest
    typed = word[start : start + len(bare)]
    if len(typed) > 1 and typed.isupper():
        closest = closest.upper()
    elif typed[:1].isupper():
        closest = closest[:1].upper() + closest[1:]
    return word[:start] + closest + word[start + len(bare) :]


def closest_indexed_word(word: str, reader: Any, field: str) -> str | None:
    """The word of vocabulary ``field`` nearest to ``word``: fewest edits first, then the one
    whose stem is in most documents, then the first in alphabetical order (None: none within
    two edits, or only words no document holds any more).

    Whoosh's own corrector ranks by frequency alone (its score uses the largest distance
    allowed, not each word's), so "milita" became "military", not "militia".
    """
    # prefix=1: the first letter is rarely the typo, and it makes the lookup 30× cheaper
    found = sorted(c for c in reader.terms_within(field, word, 2, prefix=1) if c != word)
    documents = documents_by_stem(reader, VOCABULARY_COUNTS.get(field, field), found)
    candidates = [candidate for candidate in found if documents[candidate]]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (edit_distance(word, c), -documents[c], c))


def edit_distance(first: str, second: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn one word into the
    other (optimal string alignment distance)."""
    before: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


def typed_prefixes(text: str) -> dict[str, str]:
    """The prefixes typed before ``*``, by the form the parser gives them (stemmed)."""
    found = {}
    for raw in _TYPED_PREFIX.findall(text.casefold()):
        stems = analyzed(raw)
        if len(stems) == 1 and raw.startswith(stems[0]):
            found[stems[0]] = raw
    return found


def most_frequent_terms(reader: Any, field: str, prefix: str) -> list[str]:
    """The ``EXPAND_LIMIT`` indexed terms of ``field`` starting with ``prefix`` found in most
    documents (of the first ``EXPAND_SCAN`` in term order)."""
    found = [(reader.doc_frequency(field, text), text) for text in prefixed(reader, field, prefix)]
    return [text for _, text in heapq.nlargest(EXPAND_LIMIT, found)]


def prefixed(reader: Any, field: str, prefix: str) -> list[str]:
    """The first ``EXPAND_SCAN`` indexed terms (or vocabulary words) of ``field`` starting
    with ``prefix``, in term order."""
    found = []
    for count, term in enumerate(reader.expand_prefix(field, prefix)):
        if count >= EXPAND_SCAN:
            break
        found.append(term.decode("utf-8") if isinstance(term, bytes) else str(term))
        if count % 64 == 0:
            checkpoint()
    return found


def most_frequent_stems(reader: Any, field: str, words: list[str]) -> list[str]:
    """The stems of ``words`` (indexed words) found in most documents of ``field``: at most
    ``EXPAND_LIMIT``, none in no document."""
    stems = set(stems_of(words))
    documents = {stem: reader.doc_frequency(field, stem) for stem in stems}
    ranked = heapq.nlargest(EXPAND_LIMIT, stems, key=lambda stem: (documents[stem], stem))
    return [stem for stem in ranked if documents[stem]]


def documents_by_stem(reader: Any, field: str, words: list[str]) -> dict[str, int]:
    """Each vocabulary word with the document frequency of its stem in ``field`` (how
    common a word is: a vocabulary files each word once per segment)."""
    return {
        word: reader.doc_frequency(field, stem)
        for word, stem in zip(words, stems_of(words), strict=True)
    }


_TEXT_ANALYZER = text_analyzer()


def stems_of(words: list[str]) -> list[str]:
    """The stem of each word of a vocabulary (``analyzed`` of a word the index's word
    analyzer gave, without tokenising it again)."""
    return _TEXT_ANALYZER.stems(words)


def analyzed(word: str) -> list[str]:
    """The indexed terms (stems) of a word, as the text fields analyse it."""
    return [token.text for token in _TEXT_ANALYZER(word)]
