"""Queue probe for `bench fleet`, installed in every process that enqueues or runs tasks (the
bench, gunicorn, each qcluster) through django-q2's own signals; it changes no task.

django-q2 stamps `task["started"]` when a task is enqueued; at `pre_execute` the probe records
(now - started) in Redis (FLEET_PROBE_REDIS), and keeps a set of the tasks each process is running,
so the bench can tell a drained queue from a busy one. Run a process with it:

    python -c "import bench._fleet_probe as p; p.main()" qcluster|gunicorn ARGS…
"""

from __future__ import annotations

import json
import os
import sys
import time

KEY = "fleet:probe"
_redis = None


def _r():
    global _redis
    if _redis is None or _redis[0] != os.getpid():  # one client per process (after fork)
        import redis

        _redis = (os.getpid(), redis.Redis.from_url(os.environ["FLEET_PROBE_REDIS"]))
    return _redis[1]


def _func(task) -> str:
    func = task.get("func")
    return func if isinstance(func, str) else getattr(func, "__name__", str(func))


def _on_enqueue(sender, task, **kwargs):
    _r().hincrby(f"{KEY}:enqueued", _func(task), 1)


def _on_execute(sender, func, task, **kwargs):
    started = task.get("started")
    wait = time.time() - started.timestamp() if started else -1.0
    pipe = _r().pipeline()
    pipe.rpush(f"{KEY}:waits", json.dumps([_func(task), round(wait, 4), round(time.time(), 3)]))
    pipe.hset(f"{KEY}:busy", str(os.getpid()), _func(task))
    pipe.execute()


def _on_done(sender, func, task, **kwargs):
    pipe = _r().pipeline()
    pipe.hdel(f"{KEY}:busy", str(os.getpid()))
    pipe.hincrby(f"{KEY}:done", _func(task), 1)
    if not task.get("success", True):
        pipe.rpush(f"{KEY}:failed", json.dumps([_func(task), str(task.get("result"))[:500]]))
    pipe.execute()


def install() -> None:
    from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

    pre_enqueue.connect(_on_enqueue, dispatch_uid="fleet-probe-enqueue")
    pre_execute.connect(_on_execute, dispatch_uid="fleet-probe-execute")
    post_execute_in_worker.connect(_on_done, dispatch_uid="fleet-probe-done")


def main() -> None:
    """`qcluster` or `gunicorn ARGS…` with the probe installed (argv after the program name)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    install()
    what, args = sys.argv[1], sys.argv[2:]
    if what == "qcluster":
        from django.core.management import call_command

        call_command("qcluster")
    else:
        from gunicorn.app.wsgiapp import run

        sys.argv = ["gunicorn", *args]
        run()


if __name__ == "__main__":
    main()
