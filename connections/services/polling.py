"""Who the poll syncs each minute, and in which order, for a fleet of many partners' companies.

- Staggered: a connection is polled every `interval` minutes, in its own minute of the interval
  (its id modulo the interval), so a fleet's polls spread evenly instead of all landing at the
  top of the hour. A connection not synced for two intervals (the scheduler was down, a worker
  died) and one whose sync was asked for while another worker held it are due at once.
- Fair: the due syncs are queued round-robin across partners (then companies), so one partner's
  5,000 companies cannot all sit in the queue ahead of another partner's 50.
- Nothing stranded: a verified webhook still `received` long after it arrived lost its task (a
  worker killed with it in hand: django-q2's Redis broker keeps no acknowledgement, so a task a
  dead cluster had taken is gone); the poll queues it again (processing is safe to repeat).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from itertools import zip_longest

from django.db.models import F, IntegerField, Q
from django.db.models.functions import Mod

from connections.models import Connection, ConnectionStatus, WebhookEvent, WebhookStatus

POLLABLE = (ConnectionStatus.PENDING_INITIAL_SYNC, ConnectionStatus.READY, ConnectionStatus.ERROR)


def _round_robin(groups: list[list[int]]) -> list[int]:
    return [x for batch in zip_longest(*groups) for x in batch if x is not None]


def connections_due(*, now: datetime, interval_minutes: int) -> list[int]:
    """Ids of the connections to sync in the minute of `now`, in fair queue order."""
    interval = max(1, interval_minutes)
    slot = int(now.timestamp() // 60) % interval
    overdue = now - timedelta(minutes=2 * interval)
    rows = (Connection.objects.filter(status__in=POLLABLE)
            .annotate(phase=Mod(F("pk"), interval, output_field=IntegerField()))
            .filter(Q(phase=slot) | Q(resync_requested_at__isnull=False) | Q(last_synced_at__isnull=True)
                    | Q(last_synced_at__lt=overdue))
            .order_by("pk").values_list("pk", "company_id", "company__partner_id"))
    partners: OrderedDict[int, OrderedDict[int, list[int]]] = OrderedDict()
    for pk, company_id, partner_id in rows:
        partners.setdefault(partner_id, OrderedDict()).setdefault(company_id, []).append(pk)
    # Within a partner, round-robin over its companies; across partners, round-robin over those.
    return _round_robin([_round_robin(list(companies.values())) for companies in partners.values()])



def webhook_events_stranded(*, now: datetime, older_than: timedelta, limit: int = 1000) -> list[int]:
    """Ids of verified webhook events still waiting to be processed `older_than` after arrival."""
    return list(WebhookEvent.objects.filter(status=WebhookStatus.RECEIVED, signature_ok=True,
                                            received_at__lt=now - older_than)
                .order_by("received_at").values_list("pk", flat=True)[:limit])
