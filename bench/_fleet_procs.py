"""The processes of a `bench fleet` run and what is sampled from them.

The sandbox (`manage.py sandbox serve`), gunicorn (`config.wsgi`) and K qcluster processes (each
a cluster of Q_WORKERS worker processes, like K worker machines) all run as children in their own
process groups, with the queue probe installed in gunicorn and the clusters. A sampler thread reads
PostgreSQL's connection count (pg_stat_activity) and every cluster's resident memory from /proc.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import bench._fleet_probe as p; p.main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: it is up
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} did not come up at {url}") from None
            time.sleep(0.5)


def _rss_mb(pid: int, field: str = "VmRSS:") -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


class Fleet:
    """Start/stop the sandbox, gunicorn and the clusters; env carries the database, Redis and the
    provider settings pointing at the sandbox."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.logs = logs
        self.clusters: list[subprocess.Popen] = []
        self.killed: list[int] = []
        self.others: list[subprocess.Popen] = []

    def _spawn(self, args: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, **(env or {})}, stdout=log, stderr=log,
                                start_new_session=True)
        return proc

    def sandbox(self, world: Path, webhook_url: str, port: int) -> tuple[str, float]:
        began = time.perf_counter()
        proc = self._spawn([sys.executable, "manage.py", "sandbox", "serve", str(world), "--port", str(port),
                            "--webhook-url", webhook_url], "sandbox")
        self.others.append(proc)
        self.sandbox_proc = proc
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/_sandbox/ping", proc, "sandbox")
        return base, time.perf_counter() - began

    def gunicorn(self, port: int, workers: int = 2) -> None:
        self.gunicorn_proc = self._spawn([sys.executable, "-c", PROBE, "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
                            "-w", str(workers)], "gunicorn")
        self.others.append(self.gunicorn_proc)

    def wait_gunicorn(self, port: int) -> None:
        _wait_http(f"http://127.0.0.1:{port}/webhooks/rutter", self.gunicorn_proc, "gunicorn", timeout=120)

    def start_clusters(self, k: int, q_workers: int) -> None:
        for n in range(k):
            self.clusters.append(self._spawn([sys.executable, "-c", PROBE, "qcluster"], f"qcluster{n}",
                                             env={"Q_WORKERS": str(q_workers)}))

    def kill9(self, n: int) -> list[int]:
        """SIGKILL cluster n's whole process group (the machine dies): its running task and the
        tasks its pusher had taken from Redis die with it."""
        proc = self.clusters[n]
        pids = _group(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.killed.append(n)
        return pids

    def alive_pids(self) -> set[int]:
        pids: set[int] = set()
        for n, proc in enumerate(self.clusters):
            if n not in self.killed:
                pids.update(_group(proc.pid))
        return pids

    def stop(self) -> None:
        for n, proc in enumerate(self.clusters):
            if n not in self.killed and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.others:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.clusters, *self.others]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Sampler(threading.Thread):
    """Every `every` seconds: PostgreSQL connections to the database, and for each cluster the
    largest resident set of any of its processes and the group's sum (peaks kept)."""

    def __init__(self, fleet: Fleet, dsn: str, dbname: str, every: float = 0.5):
        super().__init__(daemon=True, name="fleet-sampler")
        self.fleet, self.dsn, self.dbname, self.every = fleet, dsn, dbname, every
        self.pg_peak = 0
        self.pg_series: list[tuple[float, int]] = []
        self.rss_peak: dict[int, float] = {}      # cluster -> largest process
        self.group_peak: dict[int, float] = {}    # cluster -> sum of its processes
        self.load_series: list[float] = []
        self._halt = threading.Event()

    def run(self):
        import psycopg

        with psycopg.connect(self.dsn, dbname="postgres", autocommit=True) as conn:
            while not self._halt.is_set():
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                     [self.dbname]).fetchone()[0]
                self.pg_peak = max(self.pg_peak, count)
                self.pg_series.append((time.time(), count))
                for n, proc in enumerate(self.fleet.clusters):
                    if n in self.fleet.killed:
                        continue
                    pids = _group(proc.pid)
                    if pids:  # a process's own high-water mark, and the group's resident sum now
                        high = max(_rss_mb(pid, "VmHWM:") for pid in pids)
                        self.rss_peak[n] = max(self.rss_peak.get(n, 0.0), high)
                        self.group_peak[n] = max(self.group_peak.get(n, 0.0), sum(_rss_mb(p) for p in pids))
                self.load_series.append(os.getloadavg()[0])
                self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join(timeout=10)
