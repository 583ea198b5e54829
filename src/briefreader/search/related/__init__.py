"""Related passages: for one paragraph, what the *other* articles say about the same thing.

The ranking runs on the passage documents of the index:

1. **Key terms.** The paragraph is analysed with the index's own analyzer (stemmed), general
   news synonyms folded (``SYNONYM_GROUPS``); each term is weighted ``(1 + log tf) × idf``,
   where the document frequency leaves out the paragraph's own article (a term only that
   article uses cannot find anything elsewhere). Names weigh like other words; agency and
   credit names, credit-line words and months are never evidence. The top ``max_terms`` key
   terms (32) gather candidates by term-at-a-time scoring over their posting blocks
   (``search/postings.py``, within a postings budget), own article left out; the best are
   re-scored with BM25 and the tf-idf cosine from the key terms each passage document stores
   (``passage_terms``), never re-analysing text.
2. **Entities.** When the entities engine has stored mentions with the article, the paragraph's
   canonical entity keys (idf-weighted; dates and agencies left out) query the ``entity``
   field; a candidate's share of the paragraph's entity weight is added to its score. Without
   stored entities this part is silent.
3. **Figures.** Candidates that state a quantity about the same subject (attacks, troops) get
   a bonus, and the figures are shown side by side ("160 · 91 · 70 attacks"); "two countries"
   is not a stated quantity (``Figure.claim``).

Scores are made comparable across paragraphs by dividing the lexical score by the score of the
paragraph against itself (or a typical paragraph's, when larger), so one floor and one
threshold per mode (``DEFAULT_FLOOR``, ``DEFAULT_THRESHOLD``, calibrated on the dev split of
the judged set in ``benchmarks/data``) decide "nothing related" and "loosely related".
Results are cached per passage until the library's searcher changes (``SearchBackend.refresh``).

The optional semantic ranking (``[related] semantic = true``, extra ``briefreader[semantic]``)
lives in ``search/semantic.py`` and is imported only when asked for: the passages nearest by
embedding join the candidates, and a centred cosine is fused into every candidate's score.

The package follows the data flow: ``vocabulary`` (what is evidence, synonyms), ``stats``
(corpus statistics per snapshot), ``profile`` (the paragraph), ``candidates`` (gathering),
``scoring``, ``calibration`` (floor, threshold, what is shown), ``explain`` (``why``, figures
lines), ``cache``; ``ranking`` runs them in order and ``model`` holds the types.
"""

from briefreader.search.related.cache import clear_cache
from briefreader.search.related.calibration import (
    DEFAULT_FLOOR,
    DEFAULT_THRESHOLD,
    LOOSE_ITEMS,
    SEMANTIC_FLOOR,
    SEMANTIC_THRESHOLD,
    shown_count,
)
from briefreader.search.related.model import (
    MAX_QUERY_TERMS,
    RelatedItem,
    RelatedOptions,
    RelatedResult,
    UnknownPassage,
)
from briefreader.search.related.ranking import find_related, options_for
from briefreader.search.related.vocabulary import CREDIT_NAMES, SYNONYM_GROUPS

__all__ = [
    "CREDIT_NAMES",
    "DEFAULT_FLOOR",
    "DEFAULT_THRESHOLD",
    "LOOSE_ITEMS",
    "MAX_QUERY_TERMS",
    "SEMANTIC_FLOOR",
    "SEMANTIC_THRESHOLD",
    "SYNONYM_GROUPS",
    "RelatedItem",
    "RelatedOptions",
    "RelatedResult",
    "UnknownPassage",
    "clear_cache",
    "find_related",
    "options_for",
    "shown_count",
]
