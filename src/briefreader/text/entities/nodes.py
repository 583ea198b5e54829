"""Nodes of entity resolution: a name key with its type and shape, and joins between them.

A node is ``key SEP type SEP shape``: names are the same entity by key only within one type,
so a town never joins a club, and "NATS" (an acronym: shape "acronym") never joins "Nats" (a
word) by case alone. An evidence-poor organisation name (``samename``) gets one node per
article, ``key SEP type SEP shape SEP article``, joined only with evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

SEP = "\x1f"


@dataclass(frozen=True)
class Link:
    """Two nodes joined, and why (shown by ``entities show NAME --why``)."""

    a: str
    b: str
    reason: str


def key_of(node: str) -> str:
    """The name key of a node."""
    return node.split(SEP, 1)[0]


def type_of(node: str) -> str:
    """The entity type of a node."""
    return node.split(SEP)[1] if SEP in node else ""


def base_of(node: str) -> str:
    """The node without its article (the same node for a name not split by article)."""
    return SEP.join(node.split(SEP)[:3])


def article_of(node: str) -> str:
    """The article of a node split by article, else ""."""
    parts = node.split(SEP)
    return parts[3] if len(parts) > 3 else ""


def in_article(node: str, article_id: str) -> str:
    """The node of one article's uses of a name."""
    return SEP.join((base_of(node), article_id))
