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
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh import analysis

# The options a field or a query passes that the one loop reproduces (``boost`` and
# ``nomorph``, from Whoosh's ``SpellField``, only become attributes of the token).
_FAST_OPTIONS = frozenset(
    ("positions", "chars", "boosts", "boost", "mode", "no_morph", "nomorph", "removestops")
)
_REMEMBERED = 8  # texts: an article's body and its paragraphs come one after the other
_STEMS_LIMIT = 500_000  # words kept stemmed before the table starts again

# text -> (words, positions, starts, ends): after lowercasing, acronyms and stop words.
_WORDS: OrderedDict[str, tuple[list[str], list[int], list[int], list[int]]] = OrderedDict()
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

    def _words(self, value: str) -> tuple[list[str], list[int], list[int], list[int]]:
        with _LOCK:  # the reader parses queries while its worker thread indexes
            found = _WORDS.get(value)
            if found is not None:
                _WORDS.move_to_end(value)
                return found
        found = self._analyse(value)
        with _LOCK:
            _WORDS[value] = found
            if len(_WORDS) > _REMEMBERED:
                _WORDS.popitem(last=False)
        return found

    def _analyse(self, value: str) -> tuple[list[str], list[int], list[int], list[int]]:
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


def _fast(kwargs: dict[str, Any]) -> bool:
    """Can the one loop answer a call with these options?"""
    if not _FAST_OPTIONS.issuperset(kwargs):
        return False
    return kwargs.get("removestops", True) is True
