"""Where a corpus lives: the workspace folder (articles/, index/, notes.db) and its settings."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

WORKSPACE_ENV = "BRIEFREADER_WORKSPACE"
CONFIG_ENV = "BRIEFREADER_CONFIG"
SETTINGS_FILE = "briefreader.toml"


class WorkspaceError(Exception):
    """No usable workspace; the message says how to get one."""


class SettingsError(WorkspaceError, ValueError):
    """A settings file is not TOML or a key has the wrong type; one line naming the file,
    the key and the type expected."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# Every key briefreader reads: (check, what it must be). A key not listed here is ignored.
SETTINGS_SCHEMA: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "cleaning": {"boilerplate": (_is_text_list, "a list of strings (regular expressions)")},
    "limits": {
        "max_file_mb": (lambda v: _is_number(v) and v > 0, "a number of megabytes above 0"),
        "follow_symlinks": (lambda v: isinstance(v, bool), "true or false"),
    },
    "entities": {
        "enabled": (lambda v: isinstance(v, bool), "true or false"),
        "max_chars": (
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a whole number above 0",
        ),
        "processes": (
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a whole number above 0",
        ),
        "recogniser": (lambda v: v in ("spacy", "rules"), '"spacy" or "rules"'),
        "model": (lambda v: isinstance(v, str), "a string (a spaCy model name)"),
    },
    "related": {
        "semantic": (lambda v: isinstance(v, bool), "true or false"),
        "threshold": (lambda v: _is_number(v) and 0 <= v <= 1, "a number from 0 to 1"),
    },
    "reader": {
        "animations": (lambda v: isinstance(v, bool), "true or false"),
        "cursor_blink": (lambda v: isinstance(v, bool), "true or false"),
        "theme": (lambda v: isinstance(v, str), "a string (a theme name)"),
    },
    "keys": {},  # binding ids: checked by the reader, which knows them
}


def check_settings(path: Path, data: dict[str, Any]) -> None:
    """Check every known key of one settings file against ``SETTINGS_SCHEMA``.

    Raises:
        SettingsError: at the first key of the wrong type (or a section that is not a table).
    """
    for section, keys in SETTINGS_SCHEMA.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: [{section}] must be a table, not {_shown(table)}")
        for key, (valid, expected) in keys.items():
            if key in table and not valid(table[key]):
                raise SettingsError(
                    f"{path}: [{section}] {key} must be {expected}, not {_shown(table[key])}"
                )


def _shown(value: Any) -> str:
    """A setting's value as TOML would spell it, cut short."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, str):
        text = '"' + "".join(_toml_char(char) for char in value) + '"'
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _toml_char(char: str) -> str:
    """One character of a TOML basic string: escaped when it is not printable (a value with
    a newline or an escape sequence stays one line and sends no control to the terminal)."""
    if char in _TOML_ESCAPES:
        return _TOML_ESCAPES[char]
    return char if char.isprintable() else f"\\u{ord(char):04x}"


@dataclass(frozen=True)
class Settings:
    """User settings: the workspace's ``briefreader.toml`` over the user config file.

    ``boilerplate`` adds regular expressions for lines to drop as site chrome;
    ``max_file_mb`` bounds the size of an article file; ``follow_symlinks`` allows links that
    point outside the workspace; ``raw`` keeps every table for features to read.
    """

    boilerplate: tuple[str, ...] = ()
    max_file_mb: float = 20.0
    follow_symlinks: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """Return one table of the settings (``[reader]``, ``[entities]``…), empty if absent."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Workspace:
    """A folder holding ``articles/`` (the corpus) and ``index/`` (the Whoosh index)."""

    root: Path

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def notes_db(self) -> Path:
        return self.root / "notes.db"

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def state_dir(self) -> Path:
        """Per-workspace reader state (last article, positions): kept beside the index."""
        return self.root / "index" / "state"

    def own_file_reason(self, path: Path | str) -> str | None:
        """Why ``path`` must never be written by an export (None when it may be).

        The workspace's own files are refused: ``notes.db`` (and its -wal/-shm/-journal),
        anything under ``index/`` or ``articles/``, ``briefreader.toml``, ``entities.toml``.
        Symbolic links and hard links to them are refused too.
        """
        target = _resolved(Path(path).expanduser())
        if target is None:
            return "the path cannot be resolved (a link loop or a name too long)"
        for folder, what in ((self.index_dir, "the index"), (self.articles_dir, "the articles")):
            if target.is_relative_to(_resolved(folder) or folder):
                return f"it is part of {what} ({folder.name}/)"
        for own in self.own_files():
            if target == _resolved(own) or _same_file(target, own):
                return f"it is the workspace's {own.name}"
        if _hard_link_into(target, (self.index_dir, self.articles_dir)):
            return "it is a hard link to a file of the index or the articles"
        return None

    def own_files(self) -> tuple[Path, ...]:
        """The workspace's own files beside its folders (notes database, settings)."""
        notes = [self.root / f"notes.db{suffix}" for suffix in ("", "-wal", "-shm", "-journal")]
        return (*notes, self.settings_path, self.root / "entities.toml")

    def settings(self) -> Settings:
        """Read settings from the user config file and the workspace file (workspace wins)."""
        merged: dict[str, Any] = {}
        for path in (user_config_path(), self.settings_path):
            if path is not None and path.is_file():
                merged = _merge(merged, _read_toml(path))
        cleaning = merged.get("cleaning", {})
        limits = merged.get("limits", {})
        return Settings(  # types checked per file by ``check_settings``
            boilerplate=tuple(cleaning.get("boilerplate", ())),
            max_file_mb=float(limits.get("max_file_mb", 20.0)),
            follow_symlinks=limits.get("follow_symlinks", False),
            raw=merged,
        )


def _resolved(path: Path) -> Path | None:
    """``path`` made absolute with links followed (None when it cannot be: a loop, a name
    too long…)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _same_file(path: Path, other: Path) -> bool:
    """Are both names links to one file (a hard link)?"""
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False


def _hard_link_into(path: Path, folders: tuple[Path, ...]) -> bool:
    """Is ``path`` a second name of a file inside one of ``folders``? (Walks them only when
    the file has more than one link, which is rare.)"""
    try:
        info = path.stat()
    except OSError:
        return False
    if info.st_nlink < 2:
        return False
    for folder in folders:
        for parent, _dirs, files in os.walk(folder):
            for name in files:
                with contextlib.suppress(OSError):
                    other = os.stat(os.path.join(parent, name), follow_symlinks=False)
                    if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                        return True
    return False


def user_config_path() -> Path | None:
    """The user's config file: ``$BRIEFREADER_CONFIG`` or the platform config folder."""
    override = os.environ.get(CONFIG_ENV)
    if override is not None:
        return Path(override) if override else None
    import platformdirs

    return Path(platformdirs.user_config_dir("briefreader")) / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    """One settings file, parsed and type-checked (one-line ``SettingsError`` otherwise)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"cannot read settings file {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path} is not UTF-8 text (byte {error.start})") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from error
    check_settings(path, data)
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def not_a_workspace(root: Path) -> str | None:
    """Why ``root`` is not a workspace and how to make one (None when it is one): what the
    CLI and the reader say, before either writes anything there."""
    if (root / "articles").is_dir():
        return None
    return (
        f"{root} is not a workspace (no articles/ folder); "
        f"create one with: briefreader init {root} --sample"
    )


def find_workspace(explicit: str | os.PathLike[str] | None = None) -> Workspace:
    """Resolve the workspace: ``--workspace``, else ``$BRIEFREADER_WORKSPACE``, else the cwd.

    Raises:
        WorkspaceError: when none of them is a folder with ``articles/``.
    """
    for candidate, origin in (
        (explicit, "--workspace"),
        (os.environ.get(WORKSPACE_ENV) or None, f"${WORKSPACE_ENV}"),
    ):
        if candidate is not None:
            root = Path(candidate).expanduser()
            problem = not_a_workspace(root)
            if problem is not None:
                raise WorkspaceError(f"{origin} {problem}")
            return Workspace(root.resolve())
    cwd = Path.cwd()
    if (cwd / "articles").is_dir():
        return Workspace(cwd.resolve())
    raise WorkspaceError(
        "no workspace here (no articles/ folder); create one with "
        "'briefreader init DIR --sample', then use --workspace DIR or cd DIR"
    )


def sample_articles_dir() -> Path:
    """The sample corpus shipped inside the package."""
    return Path(str(resources.files("briefreader") / "sample"))


def init_workspace(root: Path, sample: bool = False) -> Workspace:
    """Create a workspace folder (``articles/``, ``index/``), with the sample articles if asked.

    Raises:
        WorkspaceError: ``root``, a folder above it, ``articles`` or ``index`` is there but
            is not a folder (nothing is created then).
    """
    workspace = Workspace(root.expanduser().resolve())
    for path in (workspace.articles_dir, workspace.index_dir):
        blocker = _not_a_folder(path)
        if blocker is not None:
            raise WorkspaceError(f"cannot create the workspace: {blocker} is a file, not a folder")
    workspace.articles_dir.mkdir(parents=True, exist_ok=True)
    workspace.index_dir.mkdir(parents=True, exist_ok=True)
    if sample:
        for source in sorted(sample_articles_dir().iterdir()):
            if source.is_file() and not source.name.startswith("."):
                target = workspace.articles_dir / source.name
                if not target.exists():
                    shutil.copyfile(source, target)
    return workspace


def _not_a_folder(path: Path) -> Path | None:
    """The nearest of ``path`` and the folders above it that exists, if it is not a folder."""
    for place in (path, *path.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None
