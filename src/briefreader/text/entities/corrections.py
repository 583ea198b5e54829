"""User corrections to entities, kept in the workspace file ``entities.toml``.

They are applied when the entity table is resolved (at read time), so a correction shows in the
next listing and search without recomputing any entity. Every edit can be undone:
``unmerge`` after ``merge`` restores the previous state.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from briefreader.text.entities.keys import name_key
from briefreader.text.entities.model import ENTITY_TYPES

CORRECTIONS_FILE = "entities.toml"
_HEADER = (
    "# Corrections to recognised entities, applied whenever entities are listed or searched.\n"
    "# Edit by hand or with: briefreader entities merge|unmerge|rename|retype|suppress\n"
)


class CorrectionError(Exception):
    """A correction that cannot be made (unknown type, unreadable file…)."""


@dataclass(frozen=True)
class Corrections:
    """Merges (groups of names), split names, renames, retypes and suppressed names."""

    merges: tuple[tuple[str, ...], ...] = ()
    splits: tuple[str, ...] = ()
    renames: dict[str, str] = field(default_factory=dict)
    retypes: dict[str, str] = field(default_factory=dict)
    suppressed: tuple[str, ...] = ()

    def merge(self, names: list[str]) -> Corrections:
        """Make the named entities one (the first name's group absorbs the others)."""
        keys = {name_key(n) for n in names}
        groups = [g for g in self.merges if keys & {name_key(n) for n in g}]
        others = [g for g in self.merges if g not in groups]
        merged = _unique([*(n for g in groups for n in g), *names])
        splits = tuple(s for s in self.splits if name_key(s) not in keys)
        return replace(self, merges=(*others, tuple(merged)), splits=splits)

    def unmerge(self, name: str) -> Corrections:
        """Undo a merge of ``name``, or split it out of an automatic merge."""
        key = name_key(name)
        groups = []
        found = False
        for group in self.merges:
            rest = tuple(n for n in group if name_key(n) != key)
            found = found or len(rest) != len(group)
            if len(rest) > 1:
                groups.append(rest)
        if found:
            return replace(self, merges=tuple(groups))
        if key in {name_key(s) for s in self.splits}:
            return self
        return replace(self, splits=(*self.splits, name))

    def rename(self, name: str, new_name: str | None) -> Corrections:
        """Show an entity under ``new_name`` (None removes the rename)."""
        renames = {k: v for k, v in self.renames.items() if name_key(k) != name_key(name)}
        renames = {k: v for k, v in renames.items() if name_key(v) != name_key(name)}
        if new_name:
            renames[name] = new_name
        return replace(self, renames=renames)

    def retype(self, name: str, kind: str | None) -> Corrections:
        """Give an entity another type (None removes the retype)."""
        retypes = {k: v for k, v in self.retypes.items() if name_key(k) != name_key(name)}
        if kind:
            kind = kind.upper()
            if kind not in ENTITY_TYPES:
                raise CorrectionError(
                    f"unknown type {kind!r}; use one of {', '.join(ENTITY_TYPES)}"
                )
            retypes[name] = kind
        return replace(self, retypes=retypes)

    def suppress(self, name: str, undo: bool = False) -> Corrections:
        """Hide a false positive (every mention with this name), or show it again."""
        kept = tuple(s for s in self.suppressed if name_key(s) != name_key(name))
        return replace(self, suppressed=kept if undo else (*kept, name))


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        if name_key(name) not in seen:
            seen.add(name_key(name))
            result.append(name)
    return result


def load_corrections(path: Path) -> Corrections:
    """Read ``entities.toml`` (no file: no corrections).

    Raises:
        CorrectionError: the file exists but is not valid TOML of the expected shape.
    """
    if not path.is_file():
        return Corrections()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Corrections(
            merges=tuple(tuple(str(n) for n in m["names"]) for m in data.get("merge", [])),
            splits=tuple(str(s) for s in data.get("split", [])),
            renames={str(k): str(v) for k, v in data.get("rename", {}).items()},
            retypes={str(k): str(v).upper() for k, v in data.get("retype", {}).items()},
            suppressed=tuple(str(s) for s in data.get("suppress", [])),
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise CorrectionError(f"cannot read {path}: {error}") from error


def save_corrections(path: Path, corrections: Corrections) -> None:
    """Write ``entities.toml`` (JSON strings are valid TOML basic strings)."""
    lines = [_HEADER]
    lines.append(f"suppress = {_array(corrections.suppressed)}")
    lines.append(f"split = {_array(corrections.splits)}")
    for group in corrections.merges:
        lines += ["", "[[merge]]", f"names = {_array(group)}"]
    for table, values in (("rename", corrections.renames), ("retype", corrections.retypes)):
        lines += ["", f"[{table}]"]
        lines += [f"{_string(k)} = {_string(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _array(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"
