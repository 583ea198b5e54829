"""One name, several entities: same-name joins across articles that need evidence.

Most names are the same entity wherever they are written (Reuters, Bristol City, Baghdad).
Some are evidence-poor, because each may name a different entity in each article:

- an organisation or place name made only of generic words ("National League", "Foreign
  Ministry", "Red Star", "Treasury", "Gulf");
- a one-word organisation name, or a place name the corpus also uses for an organisation (a
  town and its club), in an article that lists sides (four or more one-word organisations: a
  results table, a round-up of clubs): "Northampton" the rugby club and the football club.

Such a name gets one node per article (``nodes.in_article``). Two articles' nodes of a
generic name, or of a town or club name when either article lists sides, join only when the
articles share evidence: two specific names in common (a person's full name, an acronym, an
organisation name of several words that are not all generic), or three names or more that
make up 30% of the smaller article's names (the same competition). A name in the shipped alias
table is never evidence-poor. Every join and every refusal keeps its reason, for
``entities show NAME --why``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from briefreader.text.entities.gazetteer import generic_words
from briefreader.text.entities.keys import alias_table
from briefreader.text.entities.model import DATE, ORG, PERSON, PLACE, EntityForm
from briefreader.text.entities.nodes import (
    SEP,
    Link,
    article_of,
    base_of,
    in_article,
    key_of,
    type_of,
)

SHARED = "shared"  # the shape of a name its article uses for two entities: never joined
SIDES_LIST = 4  # one-word organisations that make an article a list of sides
MIN_SPECIFIC = 2  # specific names in common that are evidence on their own
MIN_COMMON = 3  # or names in common, if they are a large share of the smaller article's
COMMON_SHARE = 0.3
SHOWN = 5  # names in common shown in a reason


def is_generic(key: str) -> bool:
    """Whether every word of a name key is generic ("national league", "treasury")."""
    words = key.split()
    return bool(words) and all(word in generic_words() for word in words)


def _shape(node: str) -> str:
    return node.split(SEP)[2]


def _one_word_org(node: str) -> bool:
    return type_of(node) == ORG and _shape(node) != "acronym" and " " not in key_of(node)


def _specific(node: str) -> bool:
    """A name that points at one entity: a person's full name, an acronym, an organisation
    name of several words not all generic."""
    words = key_of(node).split()
    if type_of(node) == PERSON:
        return len(words) > 1
    if type_of(node) == ORG:
        return _shape(node) == "acronym" or (len(words) > 1 and not is_generic(key_of(node)))
    return False


def split_by_article(
    forms: Sequence[EntityForm], node_of: Sequence[str]
) -> tuple[list[EntityForm], list[str]]:
    """The forms and their nodes, the evidence-poor names' forms split one per article."""
    poor = _poor_nodes(forms, node_of)
    if not poor:
        return list(forms), list(node_of)
    new_forms: list[EntityForm] = []
    new_nodes: list[str] = []
    for form, node in zip(forms, node_of, strict=True):
        if node not in poor:
            new_forms.append(form)
            new_nodes.append(node)
            continue
        for article_id, used in zip(form.article_ids, _per_article(form), strict=True):
            new_forms.append(
                replace(form, mentions=used, article_ids=(article_id,), article_mentions=(used,))
            )
            new_nodes.append(in_article(node, article_id))
    return new_forms, new_nodes


def _poor_nodes(forms: Sequence[EntityForm], node_of: Sequence[str]) -> set[str]:
    """Organisation and place nodes in several articles whose name alone is not evidence:
    generic names; a one-word organisation, or a place also named as an organisation in the
    corpus (a town and its club), used in a list of sides; and any name an article uses for
    two entities (shape ``SHARED``), which is never joined."""
    articles_of: dict[str, set[str]] = defaultdict(set)
    for form, node in zip(forms, node_of, strict=True):
        articles_of[node].update(form.article_ids)
    lists = sides_lists(forms, node_of)
    clubs = {key_of(node) for node in articles_of if type_of(node) == ORG}
    aliases = alias_table()
    return {
        node
        for node, articles in articles_of.items()
        if len(articles) > 1
        and (_shape(node) == SHARED or _poor_name(node, articles, lists, clubs, aliases))
    }


def _poor_name(
    node: str, articles: set[str], lists: set[str], clubs: set[str], aliases: Mapping[str, Any]
) -> bool:
    """An organisation or place name that is not evidence on its own (see ``_poor_nodes``)."""
    return (
        type_of(node) in (ORG, PLACE)
        and _shape(node) != "acronym"
        and key_of(node) not in aliases
        and (
            is_generic(key_of(node))
            or (bool(articles & lists) and (_one_word_org(node) or _town_of_a_club(node, clubs)))
        )
    )


def _town_of_a_club(node: str, clubs: set[str]) -> bool:
    """A place whose name the corpus also uses for an organisation."""
    return type_of(node) == PLACE and key_of(node) in clubs


def sides_lists(forms: Sequence[EntityForm], node_of: Sequence[str]) -> set[str]:
    """The articles that list sides: four or more one-word organisations (a results table,
    a round-up of clubs)."""
    one_word: dict[str, set[str]] = defaultdict(set)
    for form, node in zip(forms, node_of, strict=True):
        if _one_word_org(node):
            for article_id in form.article_ids:
                one_word[article_id].add(key_of(node))
    return {article_id for article_id, keys in one_word.items() if len(keys) >= SIDES_LIST}


def _per_article(form: EntityForm) -> tuple[int, ...]:
    """A form's mentions in each of its articles (shared out evenly when not known)."""
    if len(form.article_mentions) == len(form.article_ids):
        return form.article_mentions
    share, extra = divmod(form.mentions, max(len(form.article_ids), 1))
    return tuple(share + (n < extra) for n in range(len(form.article_ids)))


def same_name_joins(
    forms: Sequence[EntityForm], node_of: Sequence[str]
) -> tuple[list[Link], list[Link]]:
    """Joins of the per-article nodes of each evidence-poor name, where their articles share
    evidence, and the refusals (links not made: one for each pair of parts left apart)."""
    pieces: dict[str, list[str]] = defaultdict(list)
    for node in dict.fromkeys(node_of):
        if article_of(node):
            pieces[base_of(node)].append(node)
    if not pieces:
        return [], []
    wanted = {article_of(node) for nodes in pieces.values() for node in nodes}
    context = _Context(_names_by_article(forms, node_of, wanted), sides_lists(forms, node_of))
    links: list[Link] = []
    refusals: list[Link] = []
    for nodes in pieces.values():
        found, refused = _join_pieces(sorted(nodes), context)
        links.extend(found)
        refusals.extend(refused)
    return links, refusals


SHARED_REASON = (
    "a name its article uses for two entities (two sides of one table) or types two ways"
)


def shared_refusals(node_of: Sequence[str]) -> list[Link]:
    """A refusal between each node of a name some article uses for two entities and each
    node of the same name and type that is not shared (the plain name, an acronym), so that
    ``--why`` explains why they are apart. Shared nodes of several articles are refused in
    ``same_name_joins``."""
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for node in dict.fromkeys(node_of):
        by_name[(key_of(node), type_of(node))].append(node)
    refusals: list[Link] = []
    for nodes in by_name.values():
        shared = [n for n in nodes if _shape(n) == SHARED]
        plain = {base_of(n): n for n in nodes if _shape(n) != SHARED}
        refusals.extend(Link(a, b, SHARED_REASON) for a in shared for b in plain.values())
    return refusals


def _names_by_article(
    forms: Sequence[EntityForm], node_of: Sequence[str], wanted: set[str]
) -> dict[str, dict[str, tuple[str, str]]]:
    """Per wanted article, the names it mentions: key → (the name as written, its node
    without the article), dates left out."""
    context: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for form, node in zip(forms, node_of, strict=True):
        if form.type == DATE:
            continue
        key, entry = key_of(node), (form.name, base_of(node))
        for article_id in form.article_ids:
            if article_id in wanted:
                context[article_id].setdefault(key, entry)
    return context


class _Context:
    """What the articles of evidence-poor names name, which are lists of sides, and the
    outcomes already worked out for a pair of name sets."""

    def __init__(self, names: dict[str, dict[str, tuple[str, str]]], lists: set[str]) -> None:
        self.names = names
        self.lists = lists
        self.signatures = {article_id: frozenset(found) for article_id, found in names.items()}
        self.tested: dict[tuple[str, frozenset[str], frozenset[str]], tuple[bool, str]] = {}

    def joined(self, a: str, b: str) -> tuple[bool, str]:
        """Whether two articles' nodes of one name join, and why."""
        if _shape(a) == SHARED:
            return False, SHARED_REASON
        first, second = article_of(a), article_of(b)
        key = key_of(a)
        if first not in self.lists and second not in self.lists and not is_generic(key):
            return True, "the same name, and neither article is a list of sides"
        seen = (key, self.signatures[first], self.signatures[second])
        outcome = self.tested.get(seen)
        if outcome is None:
            outcome = self.tested[seen] = _evidence(key, self.names[first], self.names[second])
        return outcome


def _join_pieces(nodes: list[str], context: _Context) -> tuple[list[Link], list[Link]]:
    """Join one name's per-article nodes into parts: a node joins every part one of whose
    first members shares evidence with it (or, for a name that is not generic, whose article
    and the node's are not lists of sides); one refusal for each pair of parts left apart.

    Each node is compared with a few members of each part, and two articles naming the same
    names are compared once: a name in thousands of articles stays fast."""
    parts: list[list[str]] = []
    links: list[Link] = []
    refused: list[Link] = []
    for node in nodes:
        joined: list[int] = []
        for index, part in enumerate(parts):
            for member in part[:COMPARED]:
                together, reason = context.joined(member, node)
                if together:
                    links.append(Link(node, member, reason))
                    joined.append(index)
                    break
            else:
                refused.append(Link(node, part[0], context.joined(part[0], node)[1]))
        merged = [node, *(member for index in joined for member in parts[index])]
        parts = [part for index, part in enumerate(parts) if index not in joined]
        parts.append(merged)
    part_of = {member: n for n, part in enumerate(parts) for member in part}
    return links, list(_one_per_pair(refused, part_of.__getitem__))


COMPARED = 8  # members of a part a node is compared with


def _one_per_pair(refused: list[Link], part_of: Callable[[str], int]) -> Iterator[Link]:
    seen: set[frozenset[int]] = set()
    for refusal in refused:
        pair = frozenset((part_of(refusal.a), part_of(refusal.b)))
        if len(pair) == 2 and pair not in seen:
            seen.add(pair)
            yield refusal


def _evidence(
    key: str, names_a: dict[str, tuple[str, str]], names_b: dict[str, tuple[str, str]]
) -> tuple[bool, str]:
    """Whether two articles share evidence that a name is one entity in both, and the reason
    (what they name in common)."""
    common = [k for k in names_a if k in names_b and k != key]
    specific = [k for k in common if _specific(names_a[k][1]) and _specific(names_b[k][1])]
    smaller = min(len(names_a), len(names_b))
    joined = len(specific) >= MIN_SPECIFIC or (
        len(common) >= MIN_COMMON and len(common) >= COMMON_SHARE * smaller
    )
    shown = [names_a[k][0] for k in [*specific, *(k for k in common if k not in specific)]]
    listed = ", ".join(shown[:SHOWN]) + (
        f" and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
    )
    if joined:
        return True, f"the same name, and their articles also name {listed}"
    kind = "a name of generic words" if is_generic(key) else "a town or club in a list of sides"
    if not common:
        return False, f"{kind}, and their articles name nothing else in common"
    return (
        False,
        f"{kind}, and their articles share too little ({listed}; {len(common)} of {smaller})",
    )
