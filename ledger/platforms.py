"""The platform catalogue: everything Tieout knows about each commerce platform, in one table.

Django-free, in the lowest app that may be read by every other one: the sync asks it which Rutter
endpoints a platform has, the books which kind of fee a sale carries, the dashboard what to call a
platform and which stores a user may connect, and the reconciliation engine receives its bank
descriptor keywords as data (`descriptor_keywords`).

Endpoint support follows Rutter's OpenAPI: the `x-supported-platforms` of each operation in
`rutter.yaml` of github.com/speakeasy-sdks/rutter-ts (commit fa7a76c9, API 2023-03-14, the newest
published spec; docs.rutter.com/rest/2024-08-31 agrees where it shows support). `/payouts` is listed
only for AMAZON, EBAY, MOLLIE, PAYPAL, SHOPIFY, SQUARE, STRIPE and WALMART; `/transactions` not for
BIG_COMMERCE, SQUARESPACE, WIX, SHOPEE or GUMROAD. Deposits of a platform without payouts are
inferred from its transactions, or from its orders where it has no transactions either. Platforms
the spec does not list (TikTok Shop, Faire) are asked for everything; Rutter answers 404 for an
endpoint a platform does not support.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ORDERS, TRANSACTIONS, PAYOUTS = "orders", "transactions", "payouts"
_ALL = frozenset({ORDERS, TRANSACTIONS, PAYOUTS})
_NO_PAYOUTS = frozenset({ORDERS, TRANSACTIONS})
_ORDERS_ONLY = frozenset({ORDERS})

# Payment gateways that pay out for stores without a payout rail of their own: a deposit from one
# of them may belong to such a store.
GATEWAYS = ("STRIPE", "PAYPAL", "BRAINTREE", "SQUARE", "AUTHORIZE.NET", "ADYEN", "WOOPAYMENTS")


@dataclass(frozen=True)
class Platform:
    code: str  # Rutter's platform enum ("STRIPE" for accounts linked directly through Connect)
    name: str  # what a person calls it
    marketplace: bool  # the fee taken from a sale is a commission, not card processing
    endpoints: frozenset[str]  # the Rutter list endpoints it supports
    keywords: tuple[str, ...]  # what its own ACH originator is called in bank descriptors
    paid_by_gateway: bool = False  # no payout rail of its own: paid out by one of GATEWAYS
    linkable: bool = False  # offered when a user connects a store through Rutter Link

    @property
    def has_payouts(self) -> bool:
        return PAYOUTS in self.endpoints


def _p(code, name, marketplace, endpoints, keywords, paid_by_gateway=False, linkable=False):
    return Platform(code, name, marketplace, endpoints, tuple(keywords), paid_by_gateway, linkable)


CATALOGUE: dict[str, Platform] = {p.code: p for p in (
    _p("SHOPIFY", "Shopify", False, _ALL, ["SHOPIFY"], linkable=True),
    _p("AMAZON", "Amazon", True, _ALL, ["AMAZON", "AMZN"], linkable=True),
    _p("EBAY", "eBay", True, _ALL, ["EBAY"], linkable=True),
    _p("SQUARE", "Square", False, _ALL, ["SQUARE", "SQ *", "SQ*", "SQUAREUP", "BLOCK INC"], linkable=True),
    _p("ETSY", "Etsy", True, _NO_PAYOUTS, ["ETSY"], linkable=True),
    _p("WOO_COMMERCE", "WooCommerce", False, _NO_PAYOUTS,
       ["WOOCOMMERCE", "WOOPAYMENTS", "WOO PAYMENTS", "WCPAY"], paid_by_gateway=True, linkable=True),
    _p("BIG_COMMERCE", "BigCommerce", False, _ORDERS_ONLY, ["BIGCOMMERCE"],
       paid_by_gateway=True, linkable=True),
    _p("SQUARESPACE", "Squarespace", False, _ORDERS_ONLY, ["SQUARESPACE", "SQSP"],
       paid_by_gateway=True, linkable=True),
    _p("WIX", "Wix", False, _ORDERS_ONLY, ["WIX"], paid_by_gateway=True, linkable=True),
    _p("MAGENTO", "Magento", False, _NO_PAYOUTS, ["MAGENTO"], paid_by_gateway=True, linkable=True),
    _p("PRESTASHOP", "PrestaShop", False, _NO_PAYOUTS, ["PRESTASHOP"], paid_by_gateway=True),
    _p("WALMART", "Walmart", True, _ALL, ["WALMART", "WAL-MART"]),
    _p("MERCADOLIBRE", "Mercado Libre", True, _NO_PAYOUTS, ["MERCADO", "MERCADOLIBRE", "MERCADOPAGO"]),
    _p("SHOPEE", "Shopee", True, _ORDERS_ONLY, ["SHOPEE"]),
    _p("TIKTOK_SHOP", "TikTok Shop", False, _ALL, ["TIKTOK"]),
    _p("FAIRE", "Faire", True, _ALL, ["FAIRE"]),
    _p("GUMROAD", "Gumroad", False, _ORDERS_ONLY, ["GUMROAD"]),
    _p("PAYPAL", "PayPal", False, frozenset({TRANSACTIONS, PAYOUTS}), ["PAYPAL"]),
    _p("STRIPE", "Stripe", False, frozenset({PAYOUTS, TRANSACTIONS}), ["STRIPE"]),
)}


@lru_cache(maxsize=256)
def platform(code: str) -> Platform:
    """The catalogue's entry; an unknown platform is a store with every endpoint, named after its
    code (Rutter adds platforms faster than we write them down)."""
    code = (code or "").upper()
    known = CATALOGUE.get(code)
    if known is not None:
        return known
    return _p(code, code.replace("_", " ").title(), False, _ALL, [code.replace("_", " ")])


def has_payout_objects(code: str) -> bool:
    return platform(code).has_payouts


def supports(code: str, endpoint: str) -> bool:
    return endpoint in platform(code).endpoints


def fee_category(code: str) -> str:
    return "marketplace" if platform(code).marketplace else "processing"


def display_name(code: str) -> str:
    return platform(code).name if code else ""


def linkable_platforms() -> tuple[Platform, ...]:
    return tuple(p for p in CATALOGUE.values() if p.linkable)


# Documented per-order card rates (rate, fixed) of the gateways that pay an orders-only store,
# the engine's default rate cards (`Inputs.fee_cards`; engine/orders.py also fits other rates
# from the deposits themselves):
# - Stripe and Squarespace Payments, US online cards: 2.9% + $0.30 (stripe.com/pricing;
#   support.squarespace.com "Transaction fees and payment processing fees": North America 2.9% +
#   $0.30 on Basic/Core plans, 2.5% + $0.30 on Advanced);
# - Braintree standard 2.9% + $0.30, fees rounded down to the cent (paypal.com/us/webapps/mpp/
#   bigcommerce/get-started/pricing-fees); BigCommerce's negotiated PayPal powered by Braintree
#   rates 2.59% + $0.49 (Standard/Plus) and 2.35% + $0.49 (Pro) (bigcommerce.com/pricing);
# - PayPal Checkout 3.49% + $0.49 (paypal.com/us/business/paypal-business-fees);
# - a third number is a platform transaction fee taken from the same payout and rounded on its
#   own: Squarespace's Business plan adds 3% of the order ("Fees for payment processing and
#   transactions are taken out of your total payout, unless you use PayPal",
#   support.squarespace.com/hc/articles/27853679334157, "Transaction fees").
_STRIPE, _PAYPAL = ("0.029", "0.30"), ("0.0349", "0.49")
FEE_CARDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "BIG_COMMERCE": (("0.0259", "0.49"), ("0.0235", "0.49"), _STRIPE, _PAYPAL),
    "SQUARESPACE": (_STRIPE, ("0.025", "0.30"), _PAYPAL, ("0.029", "0.30", "0.03")),
    "WIX": (_STRIPE, _PAYPAL),
    "GUMROAD": (("0.10", "0.50"),),  # Gumroad's flat 10% + $0.50 (gumroad.com/pricing)
}


def fee_cards() -> dict[str, tuple[tuple[str, ...], ...]]:
    return dict(FEE_CARDS)


def descriptor_keywords() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """platform -> (its own originator keywords, the gateways that may pay for it): the engine's
    `Inputs.platform_keywords`."""
    return {p.code: (p.keywords, GATEWAYS if p.paid_by_gateway else ()) for p in CATALOGUE.values()}
