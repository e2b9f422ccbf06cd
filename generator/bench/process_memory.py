"""The memory of a process and of every process it started, read from /proc (Linux).

A forked worker shares most of its parent's pages, so the resident sizes of a
process tree, summed, count those pages once per worker. The proportional set
size splits each shared page among the processes that map it, so its sum is
the memory the tree really holds; ``zebench bench`` reports both.
"""

from __future__ import annotations

import os
import threading
import time

RSS_EVERY = 0.05  # seconds between two samples of the resident sizes
PSS_EVERY = 0.5  # and of the proportional set sizes


class Sampler:
    """Samples the memory of a process and all its descendants (see tree_memory)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_rss = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Resident sizes are cheap to read. Proportional sizes make the kernel walk
        # every page of every process (40 ms of CPU for four 500 MB processes):
        # sampled every 50 ms they took half a core from the step being timed.
        last_pss = 0.0
        while not self._done.wait(RSS_EVERY):
            processes = tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(map(_rss, processes)))
            if time.perf_counter() - last_pss >= PSS_EVERY:
                last_pss = time.perf_counter()
                self.peak = max(self.peak, sum(map(_pss, processes)))

    def stop(self) -> None:
        """Stop sampling."""
        self._done.set()
        self._thread.join()


def tree_memory(pid: int) -> int:
    """Memory of *pid* and its descendants, in bytes (0 once it has exited).

    Each process counts its proportional set size: its private pages plus its
    share of pages it shares. Forked workers share most of their parent's
    memory, so summing resident sizes counts those pages once per worker;
    the bench reports that sum too, as the resident size.
    """
    return sum(map(_pss, tree(pid)))


def tree(pid: int) -> list[int]:
    """*pid* and the pids of its descendants that are still running."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):  # exited between two reads
            continue
        found.append(current)
    return found


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):  # exited meanwhile
        pass
    return 0


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # exited meanwhile
        return 0
