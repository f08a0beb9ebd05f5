"""What Tieout knows about each commerce platform, in one place (engine inputs and booking)."""

# Rutter exposes no payout objects for these: their deposits are inferred from transactions.
NO_PAYOUT_PLATFORMS = frozenset(
    {"WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE", "ETSY", "WIX", "MAGENTO", "PRESTASHOP"}
)
# Marketplaces: the fee deducted from a sale is the marketplace's commission, not card processing.
MARKETPLACES = frozenset({"AMAZON", "EBAY", "ETSY", "WALMART", "MERCADO_LIBRE", "SHOPEE", "FAIRE"})


def has_payout_objects(platform: str) -> bool:
    return platform.upper() not in NO_PAYOUT_PLATFORMS


def fee_category(platform: str) -> str:
    return "marketplace" if platform.upper() in MARKETPLACES else "processing"
