"""`python -m bench <name> [args]` runs bench/<name>.py:main(args); no name runs them all but the
ones that take the whole machine for long (fleet: name it)."""

import importlib
import pkgutil
import sys
from pathlib import Path

names = sys.argv[1:2] or sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
    if not m.name.startswith("_") and m.name not in ("fleet",)
)
for name in names:
    print(f"== bench {name}")
    importlib.import_module(f"bench.{name}").main(sys.argv[2:])
