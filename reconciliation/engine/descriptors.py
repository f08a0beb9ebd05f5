"""What a bank descriptor says: which platform sent the money, which identifiers it carries.

Banks print the ACH originator's name ("SHOPIFY PAYMENTS DES:TRANSFER ...", "AMAZON.COM SERVICES
DES:SETTLEMENT ...", "STRIPE DES:TRANSFER ..."), so the originator is the strongest cheap signal
after an explicit identifier. Platforms that have no payout rail of their own are paid through a
gateway, so their keyword sets include the usual gateways.
"""

from __future__ import annotations

import re

_GATEWAYS = ("STRIPE", "PAYPAL", "BRAINTREE", "SQUARE", "AUTHORIZE.NET", "ADYEN", "WOOPAYMENTS")

# What a platform's own ACH originator is called in bank descriptors.
_OWN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "SHOPIFY": ("SHOPIFY",),
    "AMAZON": ("AMAZON", "AMZN"),
    "STRIPE": ("STRIPE",),
    "SQUARE": ("SQUARE", "SQ *", "SQ*", "SQUAREUP", "BLOCK INC"),
    "EBAY": ("EBAY",),
    "ETSY": ("ETSY",),
    "WALMART": ("WALMART", "WAL-MART"),
    "PAYPAL": ("PAYPAL",),
    "WOO_COMMERCE": ("WOOCOMMERCE", "WOOPAYMENTS", "WOO PAYMENTS", "WCPAY"),
    "BIG_COMMERCE": ("BIGCOMMERCE",),
    "SQUARESPACE": ("SQUARESPACE", "SQSP"),
    "WIX": ("WIX",),
    "MAGENTO": ("MAGENTO",),
    "PRESTASHOP": ("PRESTASHOP",),
    "MERCADO_LIBRE": ("MERCADO", "MERCADOLIBRE", "MERCADOPAGO"),
    "SHOPEE": ("SHOPEE",),
    "TIKTOK_SHOP": ("TIKTOK",),
    "FAIRE": ("FAIRE",),
    "GUMROAD": ("GUMROAD",),
}
# Platforms without a payout rail of their own are paid through a gateway.
_PAID_BY_GATEWAY = frozenset(
    {"WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE", "WIX", "MAGENTO", "PRESTASHOP"}
)
PLATFORM_KEYWORDS: dict[str, tuple[str, ...]] = {
    p: kws + (_GATEWAYS if p in _PAID_BY_GATEWAY else ()) for p, kws in _OWN_KEYWORDS.items()
}

# Every keyword that names *some* platform: a descriptor carrying one of these but none of the
# payout's own platform belongs to someone else.
_ALL_KEYWORDS = sorted({k for ks in PLATFORM_KEYWORDS.values() for k in ks}, key=len, reverse=True)
_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9_\-]*")


def normalize(text: str) -> str:
    return " ".join(text.upper().split())


def platform_keywords(platform: str) -> tuple[str, ...]:
    platform = platform.upper()
    return PLATFORM_KEYWORDS.get(platform, (platform.replace("_", " "),))


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


def platforms_named(text: str) -> frozenset[str]:
    """The keywords found in a normalized descriptor (longest first, no overlaps)."""
    found: list[str] = []
    taken = text
    for kw in _ALL_KEYWORDS:
        if _contains_keyword(taken, kw):
            found.append(kw)
            taken = taken.replace(kw, " " * len(kw))
    return frozenset(found)


def platform_signal(platform: str, named: frozenset[str]) -> str:
    """'own' when the descriptor names this platform (or its gateway), 'other' when it names
    only other platforms, 'none' when it names no platform at all."""
    if not named:
        return "none"
    own = set(platform_keywords(platform))
    return "own" if own & named else "other"


def signal_strength(platform: str, named: frozenset[str]) -> int:
    """2: the descriptor names the platform itself; 1: only a gateway it may be paid through;
    0: neither. A gateway's name is weaker evidence for a platform paid through it than for
    the gateway's own account (a "SQUARE" deposit is first of all a Square payout)."""
    platform = platform.upper()
    own = set(_OWN_KEYWORDS.get(platform, (platform.replace("_", " "),)))
    if own & named:
        return 2
    return 1 if set(platform_keywords(platform)) & named else 0


def tokens(text: str) -> frozenset[str]:
    """Identifier-looking tokens: 'ID:ST-K2L3M4' yields 'ST-K2L3M4' and 'K2L3M4'."""
    out: set[str] = set()
    for tok in _TOKEN.findall(text.upper()):
        out.add(tok)
        for part in re.split(r"[_\-]", tok):
            if part:
                out.add(part)
    return frozenset(out)


def identifier_hit(identifiers: tuple[str, ...], descriptor_tokens: frozenset[str]) -> str | None:
    """The first payout identifier printed in the descriptor. Short ids (< 6 characters) are
    ignored: a 4-digit payout number collides with dates, check numbers and store ids."""
    for ident in identifiers:
        ident_u = ident.upper().strip()
        if len(ident_u) >= 6 and ident_u in descriptor_tokens:
            return ident
    return None


_PRINTED = re.compile(r"(?<![A-Z])([A-Z]{3}) ?(-?\d[\d,]*(?:\.\d{1,3})?)(?![\d.])")


def printed_amounts(text: str, currencies: frozenset[str]) -> frozenset[tuple[str, str]]:
    """Original amounts banks print on converted credits: "... CAD 3009.29 FX" -> (CAD, 3009.29)."""
    out = set()
    for cur, amount in _PRINTED.findall(text):
        if cur in currencies:
            out.add((cur, amount.replace(",", "")))
    return frozenset(out)
