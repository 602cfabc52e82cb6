"""Figures drawn in forked processes: whether forking is allowed here, a child's work and its pickled result,
and a folder's figures shared between this process and one child (``two_processes``)."""

from __future__ import annotations

import os
import pickle
import sys
import threading


def forking_allowed() -> bool:
    """Figures may be drawn in forked processes: on Linux (macOS forks badly with its system frameworks), in a
    process with no other Python thread running (a fork copies none of them, and whatever lock one holds
    stays locked in the child: a Jupyter kernel, say, draws in its own process), and not with
    OCO_FIGURE_PROCESSES=1 (the test suite's setting: its tests read the Figure objects in-process)."""
    return (sys.platform.startswith("linux") and os.environ.get("OCO_FIGURE_PROCESSES") != "1"
            and threading.active_count() == 1)


def fork(work) -> tuple[int, int]:
    """work() in a forked child, which sends its pickled result through a pipe and exits: (its pid, the pipe's
    end to read, for ``result``)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child; never returns
        code = 1
        try:
            os.close(read)
            out = work()
            with os.fdopen(write, "wb") as f:
                pickle.dump(out, f)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def result(pid: int, read: int):
    """What the child ``fork`` started sent, once it has exited; None where it failed or sent nothing."""
    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    try:
        return pickle.loads(data) if status == 0 and data else None
    except Exception:
        return None


def two_processes(items: list, work, weight=None) -> list:
    """[work(item) for item in items], shared with a forked child process (``fork``): a folder's figures are
    independent, each ~0.1–0.25 s of CPU that holds the GIL, and writes its own files. ``weight(item)``: its
    relative cost (default 1); the heaviest are dealt first, each to the process with less so far. Where the
    child fails, or forking is not allowed (``forking_allowed``), this process does its items itself. The
    files are the same either way."""
    if len(items) < 2 or not forking_allowed():
        return [work(item) for item in items]
    load, share = [0.0, 0.0], ([], [])  # this process's indices, the child's
    for i in sorted(range(len(items)), key=lambda i: -(weight(items[i]) if weight else 1.0)):
        k = int(load[1] <= load[0])  # ties to the child: this process has the pipe to read besides
        share[k].append(i)
        load[k] += weight(items[i]) if weight else 1.0
    mine_i, theirs_i = sorted(share[0]), sorted(share[1])
    pid, read = fork(lambda: [work(items[i]) for i in theirs_i])
    try:
        mine = [work(items[i]) for i in mine_i]
    finally:  # also when this process's share raises: the child is waited for
        theirs = result(pid, read)
    if theirs is None:
        theirs = [work(items[i]) for i in theirs_i]
    out = [None] * len(items)
    for i, r in zip(mine_i + theirs_i, mine + theirs):
        out[i] = r
    return out
