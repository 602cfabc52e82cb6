"""Kernels compiled ahead, in worker processes, while this process runs (``oco.backends.compile_ahead``)."""

from __future__ import annotations

import os

from . import cached, supports
from .cache import key, write
from .emit import kernel_source
from .runner import compile_only
from .shared import shared_source


def _compile_pickled(blob: bytes) -> bool:
    """``compile_only`` in a worker process, on arguments pickled by the parent: what cannot be unpickled
    here (a user's method loaded from a file, which a new process cannot import by name) is a False, not a
    worker that dies and breaks the pool."""
    import pickle

    try:
        args = pickle.loads(blob)
    except Exception:
        return False
    compile_only(*args)
    return True


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _needed(jobs) -> list[tuple]:
    """(job, its kernel's arguments, its source) for each distinct kernel the jobs on numba need and the
    cache lacks, in the jobs' order."""
    need, seen = [], set()
    for job in jobs:
        if job.runner is None or job.runner.name != "numba" or supports(job.problem, job.domain):
            continue
        args = (job.problem, job.method, job.h, job.seeds, job.x0, job.domain)
        try:
            source = kernel_source(*args)
        except (OSError, TypeError):  # a user's piece whose source cannot be read
            continue
        k = key(source)
        if k not in seen and not cached(*args):
            seen.add(k)
            need.append((job, args, source))
    return need


class Ahead:
    """Kernels compiled ahead, in worker processes, while this process runs.

    Of the jobs (``oco.api.Job``) that will run on numba with a kernel not cached yet (one per distinct
    kernel), this process compiles the first as it runs it; the others go to ``cores − 1`` worker processes
    (numba compiles on one core, holding the GIL: threads would not help), which leave them in the disk
    cache. ``ready(job)`` before a job runs: a kernel no worker has started is compiled here (taken back
    from the queue); one a worker is compiling is waited for — while this process compiles another queued
    one. A worker's failure (a user's piece that cannot be pickled or compiled) only means this process
    compiles that kernel itself, as it would have. Nothing is done where it would not pay: fewer than two
    kernels to compile, one core, or kernels that cannot be cached (NUMBA_OPT=0, the tests' setting).
    """

    def __init__(self, jobs):
        self.pending: dict[int, tuple] = {}
        self.pool = None
        cores = _cores()
        if cores < 2 or not any(j.runner is not None and j.runner.name == "numba" for j in jobs):
            return
        import numba

        if numba.config.OPT == 0:
            return
        need = _needed(jobs)
        if len(need) < 2:
            return
        # every module file written here first: a file written twice would invalidate numba's cache entries
        write(shared_source(), "oco_ops")
        for _, _, source in need:
            write(source, "oco_kernel")
        self._submit(need[1:], min(cores - 1, len(need) - 1))

    def _submit(self, need: list[tuple], workers: int) -> None:
        import multiprocessing
        import pickle
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"))
        for job, args, _ in need:
            try:
                blob = pickle.dumps(args)
            except Exception:  # a user's piece defined in a script: this process compiles it as it runs
                continue
            self.pending[id(job)] = (args, self.pool.submit(_compile_pickled, blob))

    def ready(self, job) -> None:
        """Before ``job`` runs: its kernel is cached, or is this process's to compile."""
        _, future = self.pending.pop(id(job), (None, None))
        if future is None or future.cancel():
            return
        while not future.done():  # a worker has it: meanwhile, take back a queued one and compile it here
            other = next((k for k, (_, f) in self.pending.items() if f.cancel()), None)
            if other is None:
                break
            self._here(self.pending.pop(other)[0])
        try:
            future.result()
        except Exception:  # the worker could not (or said False): this process compiles it as it runs it
            pass

    @staticmethod
    def _here(args) -> None:
        try:
            compile_only(*args)
        except Exception:  # the job itself will meet it again, and say so
            pass

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
