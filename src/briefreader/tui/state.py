"""Remembered reading positions per workspace: the last article and a paragraph per article."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = "reader.json"
MAX_POSITIONS = 2000


@dataclass
class ReaderState:
    """The last open article, the paragraph number last read in each article, and the theme
    last picked in the palette."""

    last_article: str | None = None
    positions: dict[str, int] = field(default_factory=dict)
    theme: str | None = None

    def remember(self, article_id: str, passage_number: int) -> None:
        """Record the position in an article and make it the last one read."""
        self.positions.pop(article_id, None)
        self.positions[article_id] = passage_number
        self.last_article = article_id
        while len(self.positions) > MAX_POSITIONS:
            self.positions.pop(next(iter(self.positions)))


def load_state(folder: Path) -> ReaderState:
    """Read the state file; a missing or damaged file gives an empty state."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ReaderState()
    if not isinstance(data, dict):
        return ReaderState()
    last = data.get("last_article")
    positions = data.get("positions")
    clean = (
        {str(k): int(v) for k, v in positions.items() if isinstance(v, int)}
        if isinstance(positions, dict)
        else {}
    )
    theme = data.get("theme")
    return ReaderState(
        last if isinstance(last, str) else None, clean, theme if isinstance(theme, str) else None
    )


def save_state(folder: Path, state: ReaderState) -> None:
    """Write the state file atomically (a temporary file renamed over the old one)."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(
        {"last_article": state.last_article, "positions": state.positions, "theme": state.theme}
    )
    handle, temporary = tempfile.mkstemp(prefix=".reader-", suffix=".json", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(payload)
        os.replace(temporary, folder / STATE_FILE)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
