"""Across articles: one canonical entity per real-world name, with aliases and corrections.

Each mention (or name form: text, name and type, with counts) stands for its article-level
name (``EntityMention.name``). Names join only with evidence, and every join keeps its reason
(``EntityTable.explain``, shown by ``entities show NAME --why``):

- the same name key *and the same type* (case, hyphens, dots, "al-" ignored; a town never
  joins a club of the same name, and an organisation written as an acronym, "NATS", never
  joins one written as a word, "Nats", by case alone);
- the shipped alias table (U.S. = United States), within the alias's type;
- an acronym defined as that name in some article (PMF), within one type;
- a lone surname, when exactly one full name of a person in the corpus ends in it *and*
  their articles also name other people or organisations in common (co-occurrence); a lone
  first name never joins;
- a group's plural (Iraqis = Iraqi); and the user's merges.

Every automatic join can be undone with ``entities unmerge NAME`` (a split). Nothing here loads
a model: it runs on stored mentions, or on the catalog's name forms (with their articles).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from briefreader.text.entities.corrections import CORRECTIONS_FILE, Corrections
from briefreader.text.entities.keys import alias_table, name_key
from briefreader.text.entities.model import (
    DATE,
    GROUP,
    ORG,
    PERSON,
    Entity,
    EntityForm,
    EntityMention,
    mention_forms,
)
from briefreader.text.entities.nodes import SEP as _SEP
from briefreader.text.entities.nodes import Link, article_of, base_of, key_of
from briefreader.text.entities.nodes import type_of as _type_of
from briefreader.text.entities.samename import (
    SHARED,
    same_name_joins,
    shared_refusals,
    split_by_article,
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
    forms: dict[tuple[str, str, str], str] = field(default_factory=dict, repr=False)
    why: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    apart: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # a form of a name kept apart per article (text, name, type, article) → its entity
    in_articles: dict[tuple[str, str, str, str], str] = field(default_factory=dict, repr=False)

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

    def entity_of_form(
        self, text: str, name: str, kind: str, article_id: str = ""
    ) -> Entity | None:
        """The entity a name form (as written, its article-level name, its type) belongs to
        in an article (a name kept apart per article may be a different entity in each)."""
        entity_id = self.in_articles.get((text, name, kind, article_id)) or self.forms.get(
            (text, name, kind)
        )
        return self.get(entity_id) if entity_id else None

    def explain(self, entity_id: str) -> tuple[str, ...]:
        """Why the entity's names were joined, and from which entities of the same name it
        was kept apart: one line each (empty if none)."""
        return self.why.get(entity_id, ()) + self.apart.get(entity_id, ())

    def joins(self, entity_id: str) -> tuple[str, ...]:
        """Why the entity's names were joined: one line per join."""
        return self.why.get(entity_id, ())

    def refusals(self, entity_id: str) -> tuple[str, ...]:
        """The entities of the same name it was kept apart from, and why."""
        return self.apart.get(entity_id, ())

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
    table = resolved.table
    for mention in mentions:
        entity = table.entity_of_form(mention.text, mention.name, mention.type, mention.article_id)
        if entity is not None:
            by_id[entity.id].append(mention)
    table.mentions.update(
        (eid, tuple(sorted(ms, key=lambda m: (m.article_id, m.start)))) for eid, ms in by_id.items()
    )
    table.owners.update(((m.article_id, m.start), eid) for eid, ms in by_id.items() for m in ms)
    return table


def resolve_forms(
    forms: Sequence[EntityForm], corrections: Corrections | None = None, *, explained: bool = True
) -> EntityTable:
    """Build the entity table from corpus-wide name forms (the catalog's), without mentions;
    without ``explained``, without the reasons for its joins and refusals either (``explain``
    says nothing: a searcher never asks, and at BBC ×32 they were 124,000 lines, 32 MB)."""
    return _resolve(forms, corrections or Corrections(), {}, explained=explained).table


@dataclass
class _Resolved:
    table: EntityTable


def _resolve(
    all_forms: Sequence[EntityForm],
    corrections: Corrections,
    order: Mapping[str, int],
    *,
    explained: bool = True,
) -> _Resolved:
    splits = {name_key(s) for s in corrections.splits}
    suppressed = {name_key(s) for s in corrections.suppressed}
    forms = [
        f
        for f in all_forms
        if name_key(f.text) not in suppressed and name_key(f.name) not in suppressed
    ]
    forms, node_of = split_by_article(forms, [_node(f, splits) for f in forms])
    groups = _Groups()
    for key in node_of:
        groups.find(key)
    same_name, refusals = same_name_joins(forms, node_of)
    refusals.extend(shared_refusals(node_of))
    links: list[Link] = []
    # surnames and spellings use what the shipped tables and definitions joined first
    for found in (
        same_name,
        _automatic_links(forms, node_of),
        _surname_links(forms, node_of, groups),
        _spelling_links(forms, node_of, groups),
    ):
        for link in list(found):
            if key_of(link.a) not in splits and key_of(link.b) not in splits:
                groups.union(link.a, link.b)
                links.append(link)
    links.extend(_apply_merges(groups, corrections, forms, node_of))
    reasons: tuple[Sequence[Link], Sequence[Link]] = (links, refusals) if explained else ((), ())
    return _build_table(forms, node_of, groups, corrections, order, reasons)


def _node(form: EntityForm, splits: set[str]) -> str:
    """The node a form stands for: its name's key (its own text's if the user split that
    out), its type, and for an organisation whether it is an acronym."""
    surface = name_key(form.text)
    key = surface if surface in splits else name_key(form.name)
    written = form.text if surface in splits else form.name
    if form.shared:
        shape = SHARED
    else:
        shape = "acronym" if form.type == ORG and _is_acronym(written) else ""
    return _SEP.join((key, form.type, shape))


def _is_acronym(name: str) -> bool:
    letters = [ch for ch in name if ch.isalpha()]
    return " " not in name.strip() and len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _automatic_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[Link]:
    """Pairs of nodes that are the same entity without any user input, with the reason."""
    aliases = alias_table()
    for node in sorted(set(node_of)):
        known = aliases.get(key_of(node))
        if known is not None and known[1] == _type_of(node):
            target = _SEP.join((name_key(known[0]), known[1], ""))
            if target != node:
                yield Link(node, target, f"a known alias of {known[0]} (shipped alias table)")
    yield from _acronym_links(forms, node_of)
    yield from _plural_links(forms, node_of)


def _acronym_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[Link]:
    """An acronym defined in one article (PMF → Popular Mobilization Forces) joins the same
    acronym, of the same type, in articles that do not define it."""
    definitions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for form, node in zip(forms, node_of, strict=True):
        if re.fullmatch(r"[A-Z][A-Z0-9&.\-–]+", form.text) and form.name != form.text:
            definitions[name_key(form.text)][node].update(form.article_ids)
    for node in sorted(set(node_of)):
        targets = definitions.get(key_of(node), {})
        matching = [t for t in targets if _type_of(t) == _type_of(node)]
        if len(targets) == 1 and matching and matching[0] != node:
            where = ", ".join(sorted(targets[matching[0]])[:3]) or "an article"
            long_form = key_of(matching[0])
            yield Link(node, matching[0], f"acronym defined as '{long_form}' in {where}")


def _surname_links(forms: list[EntityForm], node_of: list[str], groups: _Groups) -> Iterable[Link]:
    """A person known only by a surname joins the one full name ending in it, when their
    articles share other entities (co-occurrence); never a lone first name."""
    people = {node for f, node in zip(forms, node_of, strict=True) if f.type == PERSON}
    owners: dict[str, set[str]] = defaultdict(set)
    for node in people:
        words = key_of(node).split()
        if len(words) > 1:
            owners[words[-1]].add(node)
    context = _article_context(forms, node_of, groups)
    for node in sorted(people):
        key = key_of(node)
        full = owners.get(key, set())
        if len(key.split()) != 1 or len(full) != 1:
            continue
        target = next(iter(full))
        shared = _shared_context(context, groups.find(node), groups.find(target))
        if len(shared) >= MIN_SHARED and any(kind in (PERSON, ORG) for _, kind in shared):
            names = ", ".join(name for name, _ in shared)
            why = f"the only full name ending in '{key}'; their articles also name {names}"
            yield Link(node, target, why)


MIN_SHARED = 2


def _spelling_links(forms: list[EntityForm], node_of: list[str], groups: _Groups) -> Iterable[Link]:
    """Two spellings of one person's full name (Ahmad / Ahmed al-Sharaa: the same surname
    and the same consonants), when their articles name other people or organisations in
    common."""
    by_skeleton: dict[str, list[str]] = defaultdict(list)
    for form, node in zip(forms, node_of, strict=True):
        words = key_of(node).split()
        if form.type == PERSON and len(words) > 1 and node not in by_skeleton[_skeleton(words)]:
            by_skeleton[_skeleton(words)].append(node)
    context = _article_context(forms, node_of, groups)
    for nodes in by_skeleton.values():
        first = sorted(nodes)[0]
        for other in sorted(nodes)[1:]:
            shared = _shared_context(context, groups.find(first), groups.find(other))
            if len(shared) >= MIN_SHARED and any(kind in (PERSON, ORG) for _, kind in shared):
                names = ", ".join(name for name, _ in shared)
                yield Link(other, first, f"spellings of one name; their articles also name {names}")


def _skeleton(words: list[str]) -> str:
    """A full name without the vowels of its first words (the surname kept as it is)."""
    return " ".join([*(re.sub(r"[aeiouy]", "", w) for w in words[:-1]), words[-1]])


@dataclass(frozen=True)
class _ArticleContext:
    """Per article, the entities it mentions (by group: a name as written and the type), and
    per group the articles naming it, in the same order (so that ``_shared_context`` reads
    only those articles, not every article for every pair it compares)."""

    names: dict[str, dict[str, tuple[str, str]]]
    articles_of: dict[str, list[str]]


def _article_context(
    forms: list[EntityForm], node_of: list[str], groups: _Groups
) -> _ArticleContext:
    """Each article's entities, dates left out."""
    names: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for form, node in zip(forms, node_of, strict=True):
        if form.type != DATE:
            group = groups.find(node)  # no union happens in this loop: once per form
            for article_id in form.article_ids:
                names[article_id].setdefault(group, (form.name, form.type))
    articles_of: dict[str, list[str]] = defaultdict(list)
    for article_id, named in names.items():
        for group in named:
            articles_of[group].append(article_id)
    return _ArticleContext(names, articles_of)


def _shared_context(context: _ArticleContext, a: str, b: str) -> list[tuple[str, str]]:
    """Entities (other than the two) named both in an article of ``a`` and one of ``b``:
    people and organisations first, at most five."""
    around_a: dict[str, tuple[str, str]] = {}
    around_b: dict[str, tuple[str, str]] = {}
    for article_id in context.articles_of.get(a, ()):
        around_a.update(context.names[article_id])
    for article_id in context.articles_of.get(b, ()):
        around_b.update(context.names[article_id])
    common = set(around_a) & set(around_b) - {a, b}
    shared = sorted((around_a[k] for k in common), key=lambda s: (s[1] not in (PERSON, ORG), s))
    return shared[:5]


def _plural_links(forms: list[EntityForm], node_of: list[str]) -> Iterable[Link]:
    """A group's plural joins its singular ("Iraqis" and "Iraqi", "Sunnis" and "Sunni")."""
    groups = {node for f, node in zip(forms, node_of, strict=True) if f.type == GROUP}
    by_key = {key_of(node): node for node in groups}
    for node in sorted(groups):
        key = key_of(node)
        if key.endswith("s") and key[:-1] in by_key:
            yield Link(node, by_key[key[:-1]], f"plural of '{key[:-1]}'")


def _apply_merges(
    groups: _Groups, corrections: Corrections, forms: list[EntityForm], node_of: list[str]
) -> list[Link]:
    """Join the names the user merged (a name may be any alias of an entity; a name kept
    apart per article joins in every article)."""
    by_key: dict[str, str] = {}
    for form, node in zip(forms, node_of, strict=True):
        by_key.setdefault(key_of(node), base_of(node))
        by_key.setdefault(name_key(form.text), base_of(node))
    pieces: dict[str, list[str]] = defaultdict(list)
    for node in dict.fromkeys(node_of):
        pieces[base_of(node)].append(node)
    links = []
    for names in corrections.merges:
        bases = [by_key.get(k, k) for k in map(name_key, names)]
        nodes = [node for base in bases for node in pieces.get(base, [base])]
        for other in nodes[1:]:
            groups.union(other, nodes[0])
            links.append(Link(other, nodes[0], f"merged by you ({CORRECTIONS_FILE})"))
    return links


def _build_table(
    forms: list[EntityForm],
    node_of: list[str],
    groups: _Groups,
    corrections: Corrections,
    order: Mapping[str, int],
    found: tuple[Sequence[Link], Sequence[Link]] = ((), ()),
) -> _Resolved:
    members: dict[str, list[int]] = defaultdict(list)
    for n, node in enumerate(node_of):
        members[groups.find(node)].append(n)
    entities: list[Entity] = []
    names_of: dict[str, set[str]] = {}
    entity_of_form: dict[tuple[str, str, str], str] = {}
    in_articles: dict[tuple[str, str, str, str], str] = {}
    entity_of_root: dict[str, str] = {}
    used_ids: set[str] = set()
    for root, positions in members.items():
        group = [forms[n] for n in positions]
        entity = _entity(group, corrections, used_ids, order)
        entities.append(entity)
        entity_of_root[root] = entity.id
        names = {key_of(root), name_key(entity.name), *(key_of(node_of[n]) for n in positions)}
        names_of[entity.id] = names | {name_key(f.text) for f in group}
        for n in positions:
            form = forms[n]
            entity_of_form[(form.text, form.name, form.type)] = entity.id
            if article_of(node_of[n]):
                in_articles[(form.text, form.name, form.type, form.article_ids[0])] = entity.id
    # a form kept apart in an article that is the entity its form names anyway needs no entry
    in_articles = {
        form: entity_id
        for form, entity_id in in_articles.items()
        if entity_of_form.get(form[:3]) != entity_id
    }
    entities.sort(key=lambda e: (-e.mention_count, e.name.casefold()))
    keys: dict[str, str] = {}
    for entity in entities:  # a name shared by two entities finds the most mentioned one
        for key in names_of[entity.id]:
            keys.setdefault(key, entity.id)
    links, refusals = found
    written = _written(forms, node_of)
    why = _explanations(written, groups, entity_of_root, links)
    apart = _refusals(written, groups, entity_of_root, refusals)
    table = EntityTable(
        tuple(entities),
        {},
        keys,
        {},
        forms=entity_of_form,
        why=why,
        apart=apart,
        in_articles=in_articles,
    )
    return _Resolved(table)


def _written(forms: list[EntityForm], node_of: list[str]) -> dict[str, Counter[str]]:
    """Per node, its names as written, with their mentions."""
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for form, node in zip(forms, node_of, strict=True):
        written[node][form.name] += form.mentions
    return written


def _explanations(
    written: dict[str, Counter[str]],
    groups: _Groups,
    entity_of_root: dict[str, str],
    links: Sequence[Link],
) -> dict[str, tuple[str, ...]]:
    """Per entity, one line per join: the two names and the reason."""
    lines: dict[str, list[str]] = defaultdict(list)
    for link in links:
        entity_id = entity_of_root.get(groups.find(link.a))
        if entity_id is not None:
            a, b = (_shown(written, node) for node in (link.a, link.b))
            lines[entity_id].append(f"{a} = {b}: {link.reason}")
    return {entity_id: tuple(found) for entity_id, found in lines.items()}


def _refusals(
    written: dict[str, Counter[str]],
    groups: _Groups,
    entity_of_root: dict[str, str],
    refusals: Sequence[Link],
) -> dict[str, tuple[str, ...]]:
    """Per entity, one line for each entity of the same name it was kept apart from."""
    lines: dict[str, list[str]] = defaultdict(list)
    for refusal in refusals:
        first = entity_of_root.get(groups.find(refusal.a))
        second = entity_of_root.get(groups.find(refusal.b))
        if first is None or second is None or first == second:
            continue  # joined after all (by other evidence, or by you)
        for mine, other, other_id in ((first, refusal.b, second), (second, refusal.a, first)):
            lines[mine].append(
                f"{KEPT_APART} {_shown(written, other)} ({other_id}): {refusal.reason}"
            )
    return {entity_id: _at_most(found, SHOWN_REFUSALS) for entity_id, found in lines.items()}


SHOWN_REFUSALS = 10


def _at_most(lines: list[str], count: int) -> tuple[str, ...]:
    """The first ``count`` refusals, and how many more there are (a generic name in hundreds
    of articles may be kept apart from hundreds of others)."""
    if len(lines) <= count:
        return tuple(lines)
    return (*lines[:count], f"{KEPT_APART} {len(lines) - count} more of the same name")


KEPT_APART = "kept apart from"


def _shown(written: dict[str, Counter[str]], node: str) -> str:
    """A node as the reader knows it: its most used spelling (else its key), and its article
    when the name is kept per article."""
    counter = written.get(node)
    shown = repr(counter.most_common(1)[0][0] if counter else key_of(node))
    article_id = article_of(node)
    return f"{shown} in {article_id}" if article_id else shown


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
