"""Reader settings from ``[reader]`` and ``[keys]`` in the workspace or user config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from briefreader.workspace import Workspace, WorkspaceError


@dataclass(frozen=True)
class ReaderSettings:
    """What the reader takes from the settings file.

    ``animations`` and ``cursor_blink`` default to on, and to off over SSH (each costs bytes
    on the wire); ``changes_only`` (send the terminal only the cells that change) to on over
    SSH only; ``keymap`` maps binding ids to keys (``"article.next-hit" = "n,f3"``).
    """

    animations: bool = True
    cursor_blink: bool = True
    changes_only: bool = False
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def load_reader_settings(
    workspace: Workspace, environ: dict[str, str] | None = None
) -> ReaderSettings:
    """Read the settings, tolerating a broken file (reported in ``problems``)."""
    env = os.environ if environ is None else environ
    remote = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))
    problems: list[str] = []
    try:
        settings = workspace.settings()
        reader, keys = settings.section("reader"), settings.section("keys")
    except WorkspaceError as error:
        problems.append(str(error))
        reader, keys = {}, {}
    return ReaderSettings(
        animations=_flag(reader, "animations", not remote, problems),
        cursor_blink=_flag(reader, "cursor_blink", not remote, problems),
        changes_only=_flag(reader, "changes_only", remote, problems),
        theme=str(reader["theme"]) if isinstance(reader.get("theme"), str) else None,
        keymap=_keymap(keys, problems),
        problems=tuple(problems),
    )


def _flag(section: dict[str, Any], name: str, default: bool, problems: list[str]) -> bool:
    value = section.get(name, default)
    if isinstance(value, bool):
        return value
    problems.append(f"[reader] {name} should be true or false, not {value!r}")
    return default


def _keymap(section: dict[str, Any], problems: list[str]) -> dict[str, str]:
    keymap = {}
    for binding_id, keys in _flat(section).items():
        if isinstance(keys, list):
            keys = ",".join(str(key) for key in keys)
        if isinstance(keys, str) and keys.strip():
            keymap[binding_id] = normal_keys(keys)
        else:
            problems.append(f'[keys] {binding_id} should be a key such as "ctrl+n", not {keys!r}')
    return keymap


def _flat(section: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``article.next-hit = "n"`` without quotes is a dotted TOML key (a nested table):
    the same binding id as ``"article.next-hit" = "n"``."""
    flat: dict[str, Any] = {}
    for name, value in section.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def normal_keys(keys: str) -> str:
    """Key names as Textual spells them: ``F2`` is ``f2``, ``Ctrl+N`` is ``ctrl+n``, ``PageDown``
    is ``pagedown``; a single character keeps its case (``G`` is shift+g)."""
    return ",".join(
        key if len(key) == 1 else key.lower() for key in keys.replace(" ", "").split(",") if key
    )
