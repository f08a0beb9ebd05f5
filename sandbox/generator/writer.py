"""Streaming JSON output: objects go straight to disk, so a world with a million transactions
never sits in memory. Each array of a connection is spooled to its own temporary file and the
pieces are stitched into the world file once the connection is complete."""

from __future__ import annotations

import json
import shutil
import tempfile
from typing import IO


class ArraySpool:
    """A JSON array written one object at a time to a temporary file."""

    def __init__(self):
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.count = 0

    def append(self, obj: dict) -> None:
        if self.count:
            self._file.write(",")
        self._file.write(json.dumps(obj, separators=(",", ":")))
        self.count += 1

    def copy_into(self, out: IO[str]) -> None:
        out.write("[")
        self._file.seek(0)
        shutil.copyfileobj(self._file, out, 1 << 20)
        out.write("]")
        self._file.close()


class WorldWriter:
    """Writes {"format", "company", "rutter": [...], "stripe": [...], "plaid": [...], "events": [...]}
    section by section; each connection's header fields come first, then its spooled arrays."""

    def __init__(self, out: IO[str], company: dict):
        self.out = out
        out.write('{"format":"tieout.world/1","company":' + json.dumps(company))
        self._section: str | None = None
        self._first = True

    def section(self, name: str) -> None:
        if self._section is not None:
            self.out.write("]")
        self.out.write(f',"{name}":[')
        self._section = name
        self._first = True

    def connection(self, header: dict, arrays: dict[str, ArraySpool]) -> None:
        if not self._first:
            self.out.write(",")
        self._first = False
        self.out.write(json.dumps(header, separators=(",", ":"))[:-1])
        for name, spool in arrays.items():
            self.out.write(f',"{name}":')
            spool.copy_into(self.out)
        self.out.write("}")

    def item(self, obj: dict) -> None:
        if not self._first:
            self.out.write(",")
        self._first = False
        self.out.write(json.dumps(obj, separators=(",", ":")))

    def close(self) -> None:
        if self._section is not None:
            self.out.write("]")
        self.out.write("}\n")
