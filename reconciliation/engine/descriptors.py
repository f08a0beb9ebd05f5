"""What a bank descriptor says: which platform sent the money, which identifiers it carries.

Banks print the ACH originator's name ("SHOPIFY PAYMENTS DES:TRANSFER ...", "AMAZON.COM SERVICES
DES:SETTLEMENT ...", "STRIPE DES:TRANSFER ..."), so the originator is the strongest cheap signal
after an explicit identifier. Platforms that have no payout rail of their own are paid through a
gateway, so their keyword sets include the usual gateways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9_\-]*")


def normalize(text: str) -> str:
    return " ".join(text.upper().split())


def _contains_keyword(text: str, keyword: str) -> bool:
    # Word-ish boundary on the left so "SQUARESPACE" does not read as "SQUARE" by accident is
    # handled by the caller (longest keyword wins); here only avoid matching inside a word.
    start = text.find(keyword)
    while start != -1:
        before_ok = start == 0 or not text[start - 1].isalnum()
        if before_ok:
            return True
        start = text.find(keyword, start + 1)
    return False


class Descriptors:
    """Which platform a descriptor names, from the caller's keyword table (the platform catalogue,
    passed in as data): platform -> (its own originator keywords, the gateways that may pay it)."""

    def __init__(self, table: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]):
        self._own = {p.upper(): tuple(own) for p, (own, _) in table.items()}
        self._all = {p.upper(): tuple(own) + tuple(gw) for p, (own, gw) in table.items()}
        # Every keyword that names *some* platform: a descriptor carrying one of these but none
        # of the payout's own platform belongs to someone else.
        self._keywords = sorted({k for ks in self._all.values() for k in ks}, key=len, reverse=True)

    def own(self, platform: str) -> tuple[str, ...]:
        platform = platform.upper()
        return self._own.get(platform, (platform.replace("_", " "),))

    def keywords(self, platform: str) -> tuple[str, ...]:
        platform = platform.upper()
        return self._all.get(platform, (platform.replace("_", " "),))

    def named(self, text: str) -> frozenset[str]:
        """The keywords found in a normalized descriptor (longest first, no overlaps)."""
        found: list[str] = []
        taken = text
        for kw in self._keywords:
            if _contains_keyword(taken, kw):
                found.append(kw)
                taken = taken.replace(kw, " " * len(kw))
        return frozenset(found)

    def signal(self, platform: str, named: frozenset[str]) -> str:
        """'own' when the descriptor names this platform (or its gateway), 'other' when it names
        only other platforms, 'none' when it names no platform at all."""
        if not named:
            return "none"
        return "own" if set(self.keywords(platform)) & named else "other"

    def strength(self, platform: str, named: frozenset[str]) -> int:
        """2: the descriptor names the platform itself; 1: only a gateway it may be paid through;
        0: neither. A gateway's name is weaker evidence for a platform paid through it than for
        the gateway's own account (a "SQUARE" deposit is first of all a Square payout)."""
        if set(self.own(platform)) & named:
            return 2
        return 1 if set(self.keywords(platform)) & named else 0


def tokens(text: str) -> frozenset[str]:
    """Identifier-looking tokens: 'ID:ST-K2L3M4' yields 'ST-K2L3M4' and 'K2L3M4'."""
    out: set[str] = set()
    for tok in _TOKEN.findall(text.upper()):
        out.add(tok)
        for part in re.split(r"[_\-]", tok):
            if part:
                out.add(part)
    return frozenset(out)


_PRINTED = re.compile(r"(?<![A-Z])([A-Z]{3}) ?(-?\d[\d,]*(?:\.\d{1,3})?)(?![\d.])")


def printed_amounts(text: str, currencies: frozenset[str]) -> frozenset[tuple[str, str]]:
    """Original amounts banks print on converted credits: "... CAD 3009.29 FX" -> (CAD, 3009.29)."""
    out = set()
    for cur, amount in _PRINTED.findall(text):
        if cur in currencies:
            out.add((cur, amount.replace(",", "")))
    return frozenset(out)
