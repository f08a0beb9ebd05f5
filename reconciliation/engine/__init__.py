"""Tieout's reconciliation engine: pure functions over plain data (no ORM, no Django).

Public API: ``reconcile(inputs) -> Result``, ``ENGINE_VERSION`` and the types in ``types``.
"""

from .reconcile import ENGINE_VERSION, reconcile
from .types import (
    BankLine,
    Breakdown,
    Connection,
    Decision,
    FeeSchedule,
    FxConversion,
    FxRate,
    InferredGroup,
    Inputs,
    LearnedBehaviour,
    Payout,
    PlatformItem,
    PriorDecision,
    Result,
    Settings,
)

__all__ = [
    "ENGINE_VERSION",
    "BankLine",
    "Breakdown",
    "Connection",
    "Decision",
    "FeeSchedule",
    "FxConversion",
    "FxRate",
    "InferredGroup",
    "Inputs",
    "LearnedBehaviour",
    "Payout",
    "PlatformItem",
    "PriorDecision",
    "Result",
    "Settings",
    "reconcile",
]
