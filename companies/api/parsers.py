"""The partner API's JSON parser: whatever cannot be read is a 400 with the usual error body.

DRF's JSONParser lets a RecursionError escape for deeply nested input (100,000 `[`: a 500), and
Python's json turns 1e309 into infinity and accepts NaN and Infinity, which no money or name may be.
"""

import json
import math

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH_MESSAGE = "JSON parse error - the document is nested too deeply"


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
            return json.loads(text, parse_float=_finite, parse_constant=_no_constants)
        except RecursionError as exc:
            raise ParseError(MAX_DEPTH_MESSAGE) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
