"""An ordered, mutable set of provider objects that pages stably while events change it.

Objects keep the position they were first seen at; updates replace in place and deletes leave a
hole, so a cursor (a position) never skips or repeats an object even if events are applied while
a client is half-way through paging. Each object's JSON encoding is cached: serving a page is
then mostly joining bytes, which keeps the sandbox far from being the sync's bottleneck.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime


def iso_to_ms(value: str | None) -> int | None:
    if not value:
        return None
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class Collection:
    def __init__(self, objects: list[dict], key: str, serve: Callable[[dict], dict] | None = None):
        self.key = key
        self._serve = serve or (lambda obj: obj)
        self.items: list[dict | None] = list(objects)
        self.position = {obj[key]: i for i, obj in enumerate(self.items)}
        self._encoded: dict[int, bytes] = {}
        self._ms: dict[tuple[int, str], int | None] = {}

    def __len__(self) -> int:
        return len(self.position)

    def get(self, object_id: str) -> dict | None:
        i = self.position.get(object_id)
        return None if i is None else self.items[i]

    def upsert(self, obj: dict) -> bool:
        """Insert or replace by id; True when the object is new."""
        i = self.position.get(obj[self.key])
        if i is None:
            self.position[obj[self.key]] = len(self.items)
            self.items.append(obj)
            return True
        self.items[i] = obj
        self._forget(i)
        return False

    def delete(self, object_id: str) -> dict | None:
        i = self.position.pop(object_id, None)
        if i is None:
            return None
        obj, self.items[i] = self.items[i], None
        self._forget(i)
        return obj

    def invalidate(self) -> None:
        """Drop cached encodings (e.g. a payout embeds transactions that just changed)."""
        self._encoded.clear()

    def _forget(self, i: int) -> None:
        self._encoded.pop(i, None)
        for name in ("created_at", "updated_at", "arrival_at"):
            self._ms.pop((i, name), None)

    def served(self, i: int) -> dict:
        return self._serve(self.items[i])

    def encoded(self, i: int) -> bytes:
        data = self._encoded.get(i)
        if data is None:
            data = json.dumps(self._serve(self.items[i]), separators=(",", ":")).encode()
            self._encoded[i] = data
        return data

    def ms(self, i: int, name: str) -> int | None:
        """An ISO timestamp field of object i as Unix milliseconds (cached)."""
        k = (i, name)
        if k not in self._ms:
            obj = self.items[i]
            self._ms[k] = iso_to_ms(obj.get(name) or (obj.get("created_at") if name == "updated_at" else None))
        return self._ms[k]

    def scan(self, start: int) -> Iterator[int]:
        """Positions of live objects from `start` on."""
        items = self.items
        for i in range(start, len(items)):
            if items[i] is not None:
                yield i
