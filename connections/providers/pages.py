"""The page shape every list iterator yields, so a sync can commit rows and cursor together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of provider objects.

    `cursor` is what fetched this page (None = the first page); `next_cursor` is what fetches the
    next one (None = this was the last). Save `next_cursor` in the same transaction as the rows of
    `objects`: a sync killed between pages resumes by passing it back as `cursor=`.
    For Stripe the cursor is the last object id (`starting_after`).
    """

    objects: list[dict[str, Any]]
    next_cursor: str | None
    cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None
