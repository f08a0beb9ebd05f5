"""Fallback load generator for bench/api.py when `wrk` is not installed: keep-alive clients in
threads of this separate process. Prints {"rps", "p95_ms", "errors"} as JSON."""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def main(url, headers, seconds, connections):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies, errors, stop = [], [0], time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status >= 300:
                errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0
    print(json.dumps({"rps": len(latencies) / seconds, "p95_ms": p95, "errors": errors[0]}))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
