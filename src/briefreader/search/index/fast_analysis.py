"""One pass over a text for the whole analyzer chain, shared by the fields that read it.

Whoosh runs an analyzer as a chain of generators (tokenizer, lowercase, dotted acronyms,
stop words, stemmer): five Python frames per word. An index run analyses the same text
several times: an article's body for ``body`` and ``spell_words`` (the same words, stemmed
or not), each paragraph for ``p_body`` and for its key terms (``terms.passage_terms``).
``FastAnalyzer`` gives the same tokens as the chain it is built from, computed in one loop
and kept for the last few texts, so the second field replays them. Calls the one loop does
not cover (a start position, stop words kept, no tokenizing…) go through the chain.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh import analysis
from whoosh.system import pack_uint as _pack_uint

# The options a field or a query passes that the one loop reproduces (``boost`` and
# ``nomorph``, from Whoosh's ``SpellField``, only become attributes of the token).
_FAST_OPTIONS = frozenset(
    ("positions", "chars", "boosts", "boost", "mode", "no_morph", "nomorph", "removestops")
)
_REMEMBERED = 8  # texts: an article's body and its paragraphs come one after the other
_STEMS_LIMIT = 500_000  # words kept stemmed before the table starts again

# (words, positions, starts, ends) of a text: after lowercasing, acronyms and stop words.
Words = tuple[list[str], list[int], list[int], list[int]]
_WORDS: OrderedDict[str, Words] = OrderedDict()
# The last multi-paragraph text analysed, with its words: its paragraphs are cut from them.
_PARENT: tuple[str, Words] | None = None
_DEFAULT_TOKENS = analysis.RegexTokenizer().expression.pattern
_STEMS: dict[str, str] = {}
_LOCK = threading.Lock()


class FastAnalyzer(analysis.CompositeAnalyzer):
    """A ``RegexTokenizer | LowercaseFilter | DottedAcronymFilter | StopFilter [| StemFilter]``
    chain that gives the same tokens from one loop and a small cache of analysed texts."""

    def __init__(self, *composables: Any) -> None:
        super().__init__(*composables)
        kinds = [type(item).__name__ for item in self.items]
        expected = ["RegexTokenizer", "LowercaseFilter", "DottedAcronymFilter", "StopFilter"]
        if kinds[:4] != expected or kinds[4:] not in ([], ["StemFilter"]):
            raise ValueError(f"FastAnalyzer cannot run {kinds}")
        stop = self.items[3]
        if stop.max is not None or not stop.renumber or getattr(self.items[0], "gaps", False):
            raise ValueError("FastAnalyzer needs a renumbering StopFilter without maxsize")

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Any]:  # type: ignore[override]
        """Tokens as the chain gives them (one reused ``Token``, as Whoosh does)."""
        if not _fast(kwargs):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._replay(value, no_morph, kwargs)

    def _replay(self, value: str, no_morph: bool, kwargs: dict[str, Any]) -> Iterator[Any]:
        words, positions, starts, ends = self._words(value)
        stem = len(self.items) == 5 and not no_morph
        texts = self._stems(words) if stem else words
        token = analysis.Token(**kwargs)
        token.boost = 1.0
        token.stopped = False
        want_pos, want_chars = token.positions, token.chars
        for index, text in enumerate(texts):
            token.text = text
            if want_pos:
                token.pos = positions[index]
            if want_chars:
                token.startchar = starts[index]
                token.endchar = ends[index]
            yield token

    def terms(self, value: str, no_morph: bool = False) -> tuple[list[str], list[int]]:
        """The texts and positions of the tokens the chain gives for ``value``."""
        words, positions, _, _ = self._words(value)
        stem = len(self.items) == 5 and not no_morph
        return (self._stems(words) if stem else words), positions

    def spans(self, value: str) -> tuple[list[str], list[int], list[int]]:
        """The texts, start and end characters of the tokens the chain gives for ``value``
        (as ``chars=True`` tokens have them)."""
        words, _, starts, ends = self._words(value)
        return (self._stems(words) if len(self.items) == 5 else words), starts, ends

    def stems(self, words: list[str]) -> list[str]:
        """The stems of words this chain's tokenizer and filters gave (themselves if it has
        no stemmer)."""
        return self._stems(words) if len(self.items) == 5 else list(words)

    def _words(self, value: str) -> Words:
        global _PARENT
        with _LOCK:  # the reader parses queries while its worker thread indexes
            found = _WORDS.get(value)
            if found is not None:
                _WORDS.move_to_end(value)
                return found
            parent = _PARENT
        found = self._from_parent(value, parent) if parent is not None else None
        if found is None:
            found = self._analyse(value)
            if "\n" in value:  # an article's text, whose paragraphs may come next
                parent = (value, found)
        with _LOCK:
            _WORDS[value] = found
            if len(_WORDS) > _REMEMBERED:
                _WORDS.popitem(last=False)
            _PARENT = parent
        return found

    def _from_parent(self, value: str, parent: tuple[str, Words]) -> Words | None:
        """The tokens of ``value`` cut from those of a text that holds it (a paragraph of
        the article text analysed just before), when no token can run across the cut: the
        same tokens as ``_analyse(value)`` (a match of the tokenizer depends only on the
        characters it covers); None when it cannot tell."""
        text, (words, _, starts, ends) = parent
        expression = self.items[0].expression
        if expression.pattern != _DEFAULT_TOKENS or len(value) >= len(text):
            return None
        start = text.find(value)
        end = start + len(value)
        if start < 0 or _in_token(text, start - 1) or _in_token(text, end):
            return None
        low, high = bisect_left(starts, start), bisect_left(starts, end)
        first = (
            sum(1 for _ in expression.finditer(value, 0, starts[low] - start)) if low < high else 0
        )
        return (
            words[low:high],
            list(range(first, first + high - low)),
            [at - start for at in starts[low:high]],
            [at - start for at in ends[low:high]],
        )

    def _analyse(self, value: str) -> Words:
        """Tokenise, lowercase, join dotted acronyms and drop stop words, in one loop."""
        stop = self.items[3]
        stops, minsize = stop.stops, stop.min
        words: list[str] = []
        positions: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        first = -1
        for index, match in enumerate(self.items[0].expression.finditer(value)):
            text = match.group(0).lower()
            if "." in text and len(text) <= 12 and all(len(p) <= 2 for p in text.split(".")):
                text = text.replace(".", "")
            if len(text) < minsize or text in stops:
                continue
            if first < 0:
                first = index
            positions.append(first + len(words))
            words.append(text)
            starts.append(match.start())
            ends.append(match.end())
        return words, positions, starts, ends

    def _stems(self, words: list[str]) -> list[str]:
        stemmer = self.items[4]
        ignore, stemfn = stemmer.ignore, stemmer._stem
        if len(_STEMS) > _STEMS_LIMIT:
            _STEMS.clear()
        out = []
        for word in words:
            stemmed = _STEMS.get(word)
            if stemmed is None:
                stemmed = word if word in ignore else stemfn(word)
                _STEMS[word] = stemmed
            out.append(stemmed)
        return out


def _in_token(text: str, index: int) -> bool:
    """Could a token of the default tokenizer (``[\\w*]+(\\.?[\\w*]+)*``) cover character
    ``index`` of ``text`` (False outside the text)?"""
    if not 0 <= index < len(text):
        return False
    char = text[index]
    return char.isalnum() or char in "_*."


def _fast(kwargs: dict[str, Any]) -> bool:
    """Can the one loop answer a call with these options?"""
    if not _FAST_OPTIONS.issuperset(kwargs):
        return False
    return kwargs.get("removestops", True) is True


def fast_terms(
    value: Any, analyzer: Any, kwargs: dict[str, Any]
) -> tuple[list[str], list[int]] | None:
    """The token texts and positions Whoosh's ``formats.tokens`` would give, from the one
    loop (None when it cannot answer: not a ``FastAnalyzer``, a list value, other options)."""
    if not (isinstance(analyzer, FastAnalyzer) and isinstance(value, str) and _fast(kwargs)):
        return None
    return analyzer.terms(value, bool(kwargs.get("no_morph", False)))


def _grouped(texts: list[str], positions: list[int]) -> dict[str, list[int]]:
    """Each text's positions, texts in order of first appearance."""
    grouped: dict[str, list[int]] = {}
    for text, position in zip(texts, positions, strict=True):
        found = grouped.get(text)
        if found is None:
            grouped[text] = [position]
        else:
            found.append(position)
    return grouped


def fast_word_values(original: Any, kind: str) -> Any:
    """A ``word_values`` for Whoosh's ``Positions``, ``Frequency`` or ``Existence`` format
    (``kind``) that reads ``fast_terms`` instead of a ``Token`` per word: the same
    (text, frequency, weight, value) items, each token's boost being 1.0 (the one loop's)."""

    def word_values(self: Any, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        found = fast_terms(value, analyzer, {**kwargs, "positions": True, "boosts": True})
        if found is None:
            return original(self, value, analyzer, **kwargs)
        boost = self.field_boost
        if kind == "existence":
            return [(text, 1, boost, b"") for text in set(found[0])]
        grouped = _grouped(*found)
        if kind == "positions":
            return [(t, len(p), float(len(p)) * boost, self.encode(p)) for t, p in grouped.items()]
        return [(t, len(p), float(len(p)) * boost, _pack_uint(len(p))) for t, p in grouped.items()]

    return word_values
