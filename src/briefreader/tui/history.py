"""Browser-like navigation history of reading locations (back and forward)."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_HISTORY = 200


@dataclass(frozen=True)
class Location:
    """An article and the paragraph (index into its passages) the cursor was on."""

    article_id: str
    passage: int = 0


@dataclass
class History:
    """Locations left behind by jumps; ``back`` and ``forward`` walk them."""

    _back: list[Location] = field(default_factory=list)
    _forward: list[Location] = field(default_factory=list)

    def push(self, current: Location | None) -> None:
        """Remember where we were before a jump (clears the forward list)."""
        if current is None:
            return
        if not self._back or self._back[-1] != current:
            self._back.append(current)
            del self._back[:-MAX_HISTORY]
        self._forward.clear()

    def back(self, current: Location | None) -> Location | None:
        """The previous location (``current`` becomes reachable with ``forward``)."""
        if not self._back:
            return None
        if current is not None:
            self._forward.append(current)
        return self._back.pop()

    def forward(self, current: Location | None) -> Location | None:
        """The location ``back`` left, if any."""
        if not self._forward:
            return None
        if current is not None:
            self._back.append(current)
        return self._forward.pop()
