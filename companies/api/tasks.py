"""Queueing django-q tasks from API views, and telling when the queue ran them inline."""

import logging

from django.conf import settings
from django.utils import timezone
from django_q.tasks import async_task

logger = logging.getLogger("tieout.api")


def queue_task(func: str, *args):
    """Queue `func`; returns (task id, start time if the queue ran it inline, else None).

    With django-q's `sync` option (tests, single-process setups) the task runs inside async_task
    and its errors propagate. The run rows it writes record any failure, so the view reports
    the run rather than failing the request.
    """
    if not settings.Q_CLUSTER.get("sync"):
        return async_task(func, *args), None
    started = timezone.now()
    try:
        return async_task(func, *args), started
    except Exception:
        logger.warning("inline task %s%r failed", func, args, exc_info=True)
        return None, started
