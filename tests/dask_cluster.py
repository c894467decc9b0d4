"""A two-worker Dask LocalCluster on 127.0.0.1 for the tests, and a way to kill one worker."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time


@contextlib.contextmanager
def two_worker_client(distributed):
    """A ``Client`` (not the default one) of a LocalCluster of two single-thread workers."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster, set_as_default=False) as c:
            yield c
    finally:
        cluster.close()


def kill_a_busy_worker(client, stop: threading.Event, killed: list, after: float) -> None:
    """Once the run has gone ``after`` seconds, SIGKILLs a worker that holds a task."""
    start = time.monotonic()
    while not stop.is_set():
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy and time.monotonic() - start > after:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)
