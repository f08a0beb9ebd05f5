"""Tiny request/response types shared by the simulated providers (no framework: stdlib only)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str  # without the provider prefix, e.g. "/orders"
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("authorization") or ""
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def bearer(self) -> str | None:
        value = self.header("authorization") or ""
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        return None


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def json_response(status: int, data, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(data).encode(), dict(headers or {}))


def raw_json_response(status: int, body: bytes, headers: dict | None = None) -> Response:
    return Response(status, body, dict(headers or {}))


def html_response(status: int, html: str, headers: dict | None = None) -> Response:
    return Response(status, html.encode(), dict(headers or {}), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(302, b"", {"Location": location}, "text/plain")


def int_param(value: str | None, name: str) -> int | None:
    """Parse an integer query parameter; raises ValueError naming the parameter."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Opaque cursor -> list position; raises ValueError for anything we did not issue."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    prefix, _, number = text.partition(":")
    if prefix != "pos" or not number.isdigit():
        raise ValueError("invalid cursor")
    return int(number)
