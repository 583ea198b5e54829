"""Across articles: one canonical entity per real-world name, with aliases and corrections.

Each mention stands for its article-level name (``EntityMention.name``). Names are joined when
their keys are equal (case, hyphens, dots, "al-"), when the shipped alias table says so
(U.S. = United States), when an acronym was defined as that name in some article (PMF), when
a lone surname matches exactly one full name of a person, and when the user merged them.
Nothing here loads a model: it runs on stored mentions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from briefreader.text.entities.corrections import Corrections
from briefreader.text.entities.keys import alias_table, name_key
from briefreader.text.entities.model import GROUP, PERSON, Entity, EntityMention


class _Groups:
    """Union-find over name keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass(frozen=True)
class EntityTable:
    """The resolved entities of a corpus, and how to find them by any of their names."""

    entities: tuple[Entity, ...]
    mentions: dict[str, tuple[EntityMention, ...]]
    keys: dict[str, str]
    owners: dict[tuple[str, int], str]

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None."""
        return next((e for e in self.entities if e.id == entity_id), None)

    def find(self, name: str) -> Entity | None:
        """The entity a name (or id) refers to, or None."""
        entity = self.get(name)
        if entity is not None:
            return entity
        entity_id = self.keys.get(name_key(name))
        return self.get(entity_id) if entity_id else None

    def mentions_of(self, entity_id: str) -> tuple[EntityMention, ...]:
        """Every mention of an entity, in article then text order."""
        return self.mentions.get(entity_id, ())

    def entity_of(self, mention: EntityMention) -> Entity | None:
        """The entity a mention belongs to (None if suppressed)."""
        entity_id = self.owners.get((mention.article_id, mention.start))
        return self.get(entity_id) if entity_id else None

    def in_article(self, article_id: str) -> list[Entity]:
        """Entities mentioned in one article, most mentioned first."""
        return [e for e in self.entities if article_id in e.article_ids]

    def index_terms(self, entity_id: str) -> tuple[str, ...]:
        """The index terms (name keys) of every name of the entity, for an OR query."""
        return tuple(sorted(k for k, v in self.keys.items() if v == entity_id))

    def query_terms(self, text: str) -> tuple[str, ...]:
        """Index terms to search for a user's ``entity:text`` (its key if it is unknown)."""
        entity = self.find(text)
        return self.index_terms(entity.id) if entity else (name_key(text),)


def resolve_entities(
    mentions_by_article: Mapping[str, Sequence[EntityMention]],
    corrections: Corrections | None = None,
) -> EntityTable:
    """Build the canonical entity table from per-article mentions and user corrections."""
    corrections = corrections or Corrections()
    splits = {name_key(s) for s in corrections.splits}
    suppressed = {name_key(s) for s in corrections.suppressed}
    mentions = [
        m
        for ms in mentions_by_article.values()
        for m in ms
        if name_key(m.text) not in suppressed and name_key(m.name) not in suppressed
    ]
    node_of = {id(m): _node(m, splits) for m in mentions}
    groups = _Groups()
    for key in node_of.values():
        groups.find(key)
    for a, b in _automatic_links(mentions, node_of):
        if a not in splits and b not in splits:
            groups.union(a, b)
    _apply_merges(groups, corrections, mentions, node_of)
    return _build_table(mentions, node_of, groups, corrections)


def _node(mention: EntityMention, splits: set[str]) -> str:
    """The name key a mention stands for (its own text if the user split that out)."""
    surface = name_key(mention.text)
    return surface if surface in splits else name_key(mention.name)


def _automatic_links(
    mentions: list[EntityMention], node_of: dict[int, str]
) -> Iterable[tuple[str, str]]:
    """Pairs of name keys that are the same entity without any user input."""
    nodes = set(node_of.values())
    aliases = alias_table()
    for key in nodes:
        if key in aliases:
            yield key, name_key(aliases[key][0])
    yield from _acronym_links(mentions, node_of)
    yield from _surname_links(mentions, node_of)
    yield from _plural_links(mentions, node_of)


def _acronym_links(
    mentions: list[EntityMention], node_of: dict[int, str]
) -> Iterable[tuple[str, str]]:
    """An acronym defined in one article (PMF → Popular Mobilization Forces) joins elsewhere."""
    definitions: dict[str, set[str]] = defaultdict(set)
    for mention in mentions:
        if re.fullmatch(r"[A-Z][A-Z0-9&.\-–]+", mention.text) and mention.name != mention.text:
            definitions[name_key(mention.text)].add(node_of[id(mention)])
    for acronym, targets in definitions.items():
        if len(targets) == 1 and acronym in node_of.values():
            yield acronym, next(iter(targets))


def _surname_links(
    mentions: list[EntityMention], node_of: dict[int, str]
) -> Iterable[tuple[str, str]]:
    """A person known only by a surname joins the one full name ending in it."""
    people = {node_of[id(m)] for m in mentions if m.type == PERSON}
    by_name: dict[str, set[str]] = defaultdict(set)
    for key in people:
        words = key.split()
        if len(words) > 1:
            by_name[words[-1]].add(key)
            by_name[words[0]].add(key)  # "Saddam" for "Saddam Hussein", if no one else
    for key in people:
        owners = by_name.get(key, set())
        if len(key.split()) == 1 and len(owners) == 1:
            yield key, next(iter(owners))


def _plural_links(
    mentions: list[EntityMention], node_of: dict[int, str]
) -> Iterable[tuple[str, str]]:
    """A group's plural joins its singular ("Iraqis" and "Iraqi", "Sunnis" and "Sunni")."""
    groups = {node_of[id(m)] for m in mentions if m.type == GROUP}
    for key in groups:
        if key.endswith("s") and key[:-1] in groups:
            yield key, key[:-1]


def _apply_merges(
    groups: _Groups,
    corrections: Corrections,
    mentions: list[EntityMention],
    node_of: dict[int, str],
) -> None:
    """Join the names the user merged (a name may be any alias of an entity)."""
    surface_node = {name_key(m.text): node_of[id(m)] for m in mentions}
    for names in corrections.merges:
        keys = [k if k in groups.parent else surface_node.get(k, k) for k in map(name_key, names)]
        for other in keys[1:]:
            groups.union(other, keys[0])


def _build_table(
    mentions: list[EntityMention],
    node_of: dict[int, str],
    groups: _Groups,
    corrections: Corrections,
) -> EntityTable:
    members: dict[str, list[EntityMention]] = defaultdict(list)
    for mention in mentions:
        members[groups.find(node_of[id(mention)])].append(mention)
    entities: list[Entity] = []
    by_id: dict[str, tuple[EntityMention, ...]] = {}
    keys: dict[str, str] = {}
    used_ids: set[str] = set()
    for root, group in members.items():
        entity = _entity(group, corrections, used_ids)
        entities.append(entity)
        by_id[entity.id] = tuple(sorted(group, key=lambda m: (m.article_id, m.start)))
        names = {root, name_key(entity.name), *(node_of[id(m)] for m in group)}
        names |= {name_key(m.text) for m in group}
        for key in names:
            keys.setdefault(key, entity.id)
    entities.sort(key=lambda e: (-e.mention_count, e.name.casefold()))
    owners = {(m.article_id, m.start): eid for eid, ms in by_id.items() for m in ms}
    return EntityTable(tuple(entities), by_id, keys, owners)


def _entity(group: list[EntityMention], corrections: Corrections, used: set[str]) -> Entity:
    """One canonical entity from its mentions: name, type, aliases, articles."""
    name = _canonical_name(group)
    names = {name_key(name)} | {name_key(m.text) for m in group} | {name_key(m.name) for m in group}
    kind = Counter(m.type for m in group).most_common(1)[0][0]
    entity_id = _unique_id(f"{kind.lower()}:{name_key(name).replace(' ', '-')}", used)
    kind = _override(corrections.retypes, names) or kind
    name = _override(corrections.renames, names) or name
    aliases = _aliases(group, name)
    articles = tuple(dict.fromkeys(m.article_id for m in group))
    return Entity(entity_id, name, kind, aliases, len(group), articles)


def _canonical_name(group: list[EntityMention]) -> str:
    """The shipped canonical name if one applies, else the most used full name."""
    table = alias_table()
    for mention in group:
        known = table.get(name_key(mention.name))
        if known is not None:
            return known[0]
    counts = Counter(m.name for m in group)
    return max(counts, key=lambda n: (counts[n], len(n), n))


def _aliases(group: list[EntityMention], name: str) -> tuple[str, ...]:
    """Distinct surface forms (by key, the most used spelling of each), the name excluded."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for mention in group:
        for form in (mention.text, mention.name):
            spellings[form.casefold()][form] += 1
    forms = [counter.most_common(1)[0][0] for counter in spellings.values()]
    return tuple(sorted((f for f in forms if f.casefold() != name.casefold()), key=str.casefold))


def _override(table: dict[str, str], names: set[str]) -> str | None:
    for key, value in table.items():
        if name_key(key) in names:
            return value
    return None


def _unique_id(candidate: str, used: set[str]) -> str:
    entity_id, number = candidate, 2
    while entity_id in used:
        entity_id, number = f"{candidate}-{number}", number + 1
    used.add(entity_id)
    return entity_id
