"""Across articles: one canonical entity per real-world name, with aliases and corrections.

Each mention (or name form: text, name and type, with counts) stands for its article-level
name (``EntityMention.name``). Names are joined when their keys are equal (case, hyphens, dots,
"al-"), when the shipped alias table says so (U.S. = United States), when an acronym was
defined as that name in some article (PMF), when a lone surname matches exactly one full name
of a person, and when the user merged them. Nothing here loads a model: it runs on stored
mentions, or on the catalog's name forms (the same result without the offsets).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from briefreader.text.entities.corrections import Corrections
from briefreader.text.entities.keys import alias_table, name_key
from briefreader.text.entities.model import (
    GROUP,
    PERSON,
    Entity,
    EntityForm,
    EntityMention,
    mention_forms,
)


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
    """The resolved entities of a corpus, and how to find them by any of their names.

    ``mentions`` and ``owners`` are filled only when the table was built from mentions
    (``resolve_entities``); a table built from catalog forms (``resolve_forms``) has names,
    aliases and counts, which is all that searching needs.
    """

    entities: tuple[Entity, ...]
    mentions: dict[str, tuple[EntityMention, ...]]
    keys: dict[str, str]
    owners: dict[tuple[str, int], str]
    by_id: dict[str, Entity] = field(default_factory=dict, repr=False, compare=False)
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_id.update((e.id, e) for e in self.entities)
        grouped: dict[str, list[str]] = defaultdict(list)
        for key, entity_id in self.keys.items():
            grouped[entity_id].append(key)
        self.terms.update((eid, tuple(sorted(keys))) for eid, keys in grouped.items())

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None."""
        return self.by_id.get(entity_id)

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
        return self.terms.get(entity_id, ())

    def query_terms(self, text: str) -> tuple[str, ...]:
        """Index terms to search for a user's ``entity:text`` (its key if it is unknown)."""
        entity = self.find(text)
        return self.index_terms(entity.id) if entity else (name_key(text),)


def resolve_entities(
    mentions_by_article: Mapping[str, Sequence[EntityMention]],
    corrections: Corrections | None = None,
) -> EntityTable:
    """Build the canonical entity table from per-article mentions and user corrections."""
    mentions = [m for ms in mentions_by_article.values() for m in ms]
    order = {article_id: n for n, article_id in enumerate(mentions_by_article)}
    resolved = _resolve(mention_forms(mentions), corrections or Corrections(), order)
    by_id: dict[str, list[EntityMention]] = defaultdict(list)
    for mention in mentions:
        entity_id = resolved.entity_of_form.get((mention.text, mention.name, mention.type))
        if entity_id is not None:
            by_id[entity_id].append(mention)
    table = resolved.table
    table.mentions.update(
        (eid, tuple(sorted(ms, key=lambda m: (m.article_id, m.start)))) for eid, ms in by_id.items()
    )
    table.owners.update(((m.article_id, m.start), eid) for eid, ms in by_id.items() for m in ms)
    return table


def resolve_forms(
    forms: Sequence[EntityForm], corrections: Corrections | None = None
) -> EntityTable:
    """Build the entity table from corpus-wide name forms (the catalog's), without mentions."""
    return _resolve(forms, corrections or Corrections(), {}).table


@dataclass
class _Resolved:
    table: EntityTable
    entity_of_form: dict[tuple[str, str, str], str]


def _resolve(
    all_forms: Sequence[EntityForm], corrections: Corrections, order: Mapping[str, int]
) -> _Resolved:
    splits = {name_key(s) for s in corrections.splits}
    suppressed = {name_key(s) for s in corrections.suppressed}
    forms = [
        f
        for f in all_forms
        if name_key(f.text) not in suppressed and name_key(f.name) not in suppressed
    ]
    node_of = [_node(f, splits) for f in forms]
    groups = _Groups()
    for key in node_of:
        groups.find(key)
    for a, b in _automatic_links(forms, node_of):
        if a not in splits and b not in splits:
            groups.union(a, b)
    _apply_merges(groups, corrections, forms, node_of)
    return _build_table(forms, node_of, groups, corrections, order)


def _node(form: EntityForm, splits: set[str]) -> str:
    """The name key a form stands for (its own text if the user split that out)."""
    surface = name_key(form.text)
    return surface if surface in splits else name_key(form.name)


def _automatic_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[tuple[str, str]]:
    """Pairs of name keys that are the same entity without any user input."""
    aliases = alias_table()
    for key in set(node_of):
        if key in aliases:
            yield key, name_key(aliases[key][0])
    yield from _acronym_links(forms, node_of)
    yield from _surname_links(forms, node_of)
    yield from _plural_links(forms, node_of)


def _acronym_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[tuple[str, str]]:
    """An acronym defined in one article (PMF → Popular Mobilization Forces) joins elsewhere."""
    definitions: dict[str, set[str]] = defaultdict(set)
    for form, node in zip(forms, node_of, strict=True):
        if re.fullmatch(r"[A-Z][A-Z0-9&.\-–]+", form.text) and form.name != form.text:
            definitions[name_key(form.text)].add(node)
    nodes = set(node_of)
    for acronym, targets in definitions.items():
        if len(targets) == 1 and acronym in nodes:
            yield acronym, next(iter(targets))


def _surname_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[tuple[str, str]]:
    """A person known only by a surname joins the one full name ending in it."""
    people = {node for f, node in zip(forms, node_of, strict=True) if f.type == PERSON}
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


def _plural_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[tuple[str, str]]:
    """A group's plural joins its singular ("Iraqis" and "Iraqi", "Sunnis" and "Sunni")."""
    groups = {node for f, node in zip(forms, node_of, strict=True) if f.type == GROUP}
    for key in groups:
        if key.endswith("s") and key[:-1] in groups:
            yield key, key[:-1]


def _apply_merges(
    groups: _Groups, corrections: Corrections, forms: list[EntityForm], node_of: list[str]
) -> None:
    """Join the names the user merged (a name may be any alias of an entity)."""
    surface_node = {name_key(f.text): node for f, node in zip(forms, node_of, strict=True)}
    for names in corrections.merges:
        keys = [k if k in groups.parent else surface_node.get(k, k) for k in map(name_key, names)]
        for other in keys[1:]:
            groups.union(other, keys[0])


def _build_table(
    forms: list[EntityForm],
    node_of: list[str],
    groups: _Groups,
    corrections: Corrections,
    order: Mapping[str, int],
) -> _Resolved:
    members: dict[str, list[int]] = defaultdict(list)
    for n, node in enumerate(node_of):
        members[groups.find(node)].append(n)
    entities: list[Entity] = []
    keys: dict[str, str] = {}
    entity_of_form: dict[tuple[str, str, str], str] = {}
    used_ids: set[str] = set()
    for root, positions in members.items():
        group = [forms[n] for n in positions]
        entity = _entity(group, corrections, used_ids, order)
        entities.append(entity)
        names = {root, name_key(entity.name), *(node_of[n] for n in positions)}
        names |= {name_key(f.text) for f in group}
        for key in names:
            keys.setdefault(key, entity.id)
        entity_of_form.update(((f.text, f.name, f.type), entity.id) for f in group)
    entities.sort(key=lambda e: (-e.mention_count, e.name.casefold()))
    return _Resolved(EntityTable(tuple(entities), {}, keys, {}), entity_of_form)


def _entity(
    group: list[EntityForm], corrections: Corrections, used: set[str], order: Mapping[str, int]
) -> Entity:
    """One canonical entity from its forms: name, type, aliases, articles."""
    name = _canonical_name(group)
    names = {name_key(name)} | {name_key(f.text) for f in group} | {name_key(f.name) for f in group}
    kinds: Counter[str] = Counter()
    for form in group:
        kinds[form.type] += form.mentions
    kind = kinds.most_common(1)[0][0]
    entity_id = _unique_id(f"{kind.lower()}:{name_key(name).replace(' ', '-')}", used)
    kind = _override(corrections.retypes, names) or kind
    name = _override(corrections.renames, names) or name
    articles = {a for f in group for a in f.article_ids}
    ordered = sorted(articles, key=lambda a: (order.get(a, 0), a))
    mentions = sum(f.mentions for f in group)
    return Entity(entity_id, name, kind, _aliases(group, name), mentions, tuple(ordered))


def _canonical_name(group: list[EntityForm]) -> str:
    """The shipped canonical name if one applies, else the most used full name."""
    table = alias_table()
    for form in group:
        known = table.get(name_key(form.name))
        if known is not None:
            return known[0]
    counts: Counter[str] = Counter()
    for form in group:
        counts[form.name] += form.mentions
    return max(counts, key=lambda n: (counts[n], len(n), n))


def _aliases(group: list[EntityForm], name: str) -> tuple[str, ...]:
    """Distinct surface forms (by key, the most used spelling of each), the name excluded."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for form in group:
        for written in (form.text, form.name):
            spellings[written.casefold()][written] += form.mentions
    chosen = [counter.most_common(1)[0][0] for counter in spellings.values()]
    return tuple(sorted((f for f in chosen if f.casefold() != name.casefold()), key=str.casefold))


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
