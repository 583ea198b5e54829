"""What the search index stores for entities: keyword terms per field and a compact payload.

The indexer writes ``index_fields`` into the entity fields and ``to_payload`` into the stored
article; the TUI and the CLI rebuild mentions with ``from_payload`` without loading spaCy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from briefreader.models import Article
from briefreader.text.entities.extract import (
    EntityCache,
    Extraction,
    cached_entities,
    extract_entities,
)
from briefreader.text.entities.keys import name_key
from briefreader.text.entities.model import (
    DATE,
    GROUP,
    ORG,
    PERSON,
    PLACE,
    EntityMention,
    mention_forms,
)
from briefreader.text.entities.recogniser import Choice

# Index field for each type; LAW and EVENT are only in the general ``entity`` field.
TYPE_FIELDS = {PERSON: "person", ORG: "org", PLACE: "place", GROUP: "group", DATE: "when"}
PAYLOAD_KEY = "entities"


def mention_terms(mention: EntityMention) -> set[str]:
    """Index terms of a mention: the keys of its text and of the name it stands for."""
    return form_terms(mention.text, mention.name)


def form_terms(text: str, name: str) -> set[str]:
    """Index terms of a name form (surface text, the name it stands for): their keys."""
    return {key for key in (name_key(text), name_key(name)) if key}


def index_fields(mentions: Sequence[EntityMention]) -> dict[str, list[str]]:
    """Terms per entity field (``entity`` holds all types) for a KEYWORD(commas=True) field."""
    fields: dict[str, set[str]] = {"entity": set()}
    for mention in mentions:
        terms = mention_terms(mention)
        fields["entity"] |= terms
        type_field = TYPE_FIELDS.get(mention.type)
        if type_field:
            fields.setdefault(type_field, set()).update(terms)
    return {name: sorted(terms) for name, terms in fields.items() if terms}


def passage_index_fields(
    article: Article, mentions: Sequence[EntityMention]
) -> dict[str, dict[str, list[str]]]:
    """``index_fields`` for each passage of the article (mentions inside its span)."""
    result = {}
    for passage in article.passages:
        inside = [m for m in mentions if passage.start <= m.start and m.end <= passage.end]
        if inside:
            result[passage.id] = index_fields(inside)
    return result


def to_payload(mentions: Sequence[EntityMention], recogniser: str) -> dict[str, Any]:
    """Compact JSON-able payload for the stored article."""
    return {PAYLOAD_KEY: {"recogniser": recogniser, "mentions": [m.to_row() for m in mentions]}}


def from_payload(article: Article, payload: dict[str, Any]) -> list[EntityMention] | None:
    """Mentions stored with an article (None if the payload has none)."""
    data = payload.get(PAYLOAD_KEY)
    if not isinstance(data, dict):
        return None
    return [EntityMention.from_row(article.id, article.text, row) for row in data["mentions"]]


def payload_recogniser(payload: dict[str, Any]) -> str | None:
    """Which recogniser produced the stored mentions."""
    data = payload.get(PAYLOAD_KEY)
    return str(data.get("recogniser")) if isinstance(data, dict) else None


def enrichment_for(
    articles: Sequence[Article],
    cache_path: Path | None,
    options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    choice: Choice | None = None,
) -> tuple[dict[str, dict[str, Any]], Extraction]:
    """What the indexer stores per article: ``fields``, ``passage_fields``, ``payload``, and the
    name ``forms`` the catalog keeps for resolving entities across the corpus.

    The keys match the indexer's ``Enrichment`` dataclass, so it can build one with
    ``Enrichment(**data)``; the ``Extraction`` tells which recogniser ran and any fallback notice.
    ``choice``: a recogniser chosen (and loaded) before, kept across batches.
    """
    extraction = extract_entities(articles, cache_path, progress, options, choice)
    return stored_enrichments(articles, extraction), extraction


def cached_enrichment_for(
    articles: Sequence[Article], cache: EntityCache, choice: Choice
) -> tuple[dict[str, dict[str, Any]], Extraction]:
    """``enrichment_for`` of the articles whose entities ``cache`` holds for ``choice``'s
    recogniser (no model is loaded); the others are left out."""
    extraction = cached_entities(articles, cache, choice)
    found = [article for article in articles if article.id in extraction.mentions]
    return stored_enrichments(found, extraction), extraction


def stored_enrichments(
    articles: Sequence[Article], extraction: Extraction
) -> dict[str, dict[str, Any]]:
    """What the indexer stores for each article, from the extraction's mentions (the keys
    of the indexer's ``Enrichment``)."""
    result = {}
    for article in articles:
        mentions = extraction.mentions[article.id]
        result[article.id] = {
            "fields": index_fields(mentions),
            "passage_fields": passage_index_fields(article, mentions),
            "payload": to_payload(mentions, extraction.recogniser),
            "forms": tuple(mention_forms(mentions)),
        }
    return result
