"""The host loop, written once for every runner: rounds 1..T in chunks of the problem's data, stopping at the
checkpoints, reporting progress.

    for each chunk of rounds (``Rounds.chunk`` of them: the problem's data of every unique seed, (U, n, …)):
        for each piece of it (``Rounds.piece`` rounds; the whole chunk unless a runner says otherwise):
            p = rounds.prepare(t, data)            the runner's form of the piece (made a piece ahead where
                                                   ``Rounds.ahead`` says so)
            for each stretch t..s of the piece that ends at a checkpoint or at the piece's end:
                rounds.run(p, t, s − t + 1, j)     the rounds t..s (j: round t's row in the piece)
                rounds.record(k)                   where s is the k-th checkpoint
            progress(n)

How the rounds are run is the runner's own (a ``Rounds``): the NumPy engine's pieces (``oco.engine``), a
foreign optimizer's step (``oco.foreign``), a jitted optax scan over a piece (``oco.foreign.optax_optim``), a
compiled kernel (``oco.backends.numba.runner``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

CHUNK = 4096  # rounds of problem data fetched at once (a multiple of problems.DRAW_BLOCK keeps blocks whole)


class Rounds(ABC):
    """What a runner does in the host loop (``host_loop``): how it prepares a piece of data, runs rounds and
    records a checkpoint. ``chunk``: rounds of data fetched at once; ``piece``: rounds prepared at once, a
    divisor of ``chunk`` (None: the chunk); ``ahead``: None — a piece is prepared when its rounds come;
    "call" — the next piece is prepared before this one's rounds run (its preparation dispatches work that
    runs asynchronously: a jitted scan); "thread" — the next piece is fetched and prepared on a thread of its
    own while this one's rounds run (rounds that release the GIL: a compiled kernel)."""

    chunk: int = CHUNK
    piece: int | None = None
    ahead: str | None = None

    def prepare(self, t: int, data: np.ndarray) -> Any:
        """The runner's form of the data of rounds t..t+n−1 ((U, n, …), one row per unique seed)."""
        return data

    @abstractmethod
    def run(self, piece: Any, t: int, n: int, j: int) -> None:
        """Rounds t..t+n−1, rows j..j+n−1 of the prepared piece."""

    @abstractmethod
    def record(self, k: int) -> None:
        """The k-th checkpoint, after its round."""


def fetch(problem, seeds: np.ndarray, t: int, n: int) -> np.ndarray:
    """The problem's data for rounds t..t+n−1 of each seed, (U, n, …), C-contiguous: one seed's as the
    problem hands it out where it is (no copy)."""
    if len(seeds) == 1:
        return np.ascontiguousarray(np.asarray(problem.data(int(seeds[0]), t, n)))[None]
    return np.stack([problem.data(int(s), t, n) for s in seeds])


def pieces(problem, seeds: np.ndarray, T: int, chunk: int, piece: int) -> Iterator[tuple[int, np.ndarray]]:
    """(t, data (U, m ≤ piece, …)): rounds 1..T, fetched ``chunk`` rounds at a time and cut into pieces."""
    t = 1
    while t <= T:
        n = min(chunk - (t - 1) % chunk, T - t + 1)
        data = fetch(problem, seeds, t, n)
        for j in range(0, n, piece):
            yield t + j, data[:, j:j + piece] if piece < n else data
        t += n


def prepared(rounds: Rounds, source: Iterator[tuple[int, np.ndarray]]) -> Iterator[tuple[int, int, Any]]:
    """(t, n, the prepared piece) for each piece of ``source``, made ahead where ``rounds.ahead`` says so."""

    def make():
        nxt = next(source, None)
        return None if nxt is None else (nxt[0], nxt[1].shape[1], rounds.prepare(*nxt))

    if rounds.ahead == "thread":
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as io:
            future = io.submit(make)
            while (item := future.result()) is not None:
                future = io.submit(make)
                yield item
        return
    item = make()
    while item is not None:
        if rounds.ahead == "call":
            nxt = make()
            yield item
            item = nxt
        else:
            yield item
            item = make()


def host_loop(problem, seeds: np.ndarray, T: int, checkpoints: np.ndarray, rounds: Rounds,
              progress: Callable[[int], None] | None = None) -> None:
    """Run rounds 1..T with ``rounds`` (the module's docstring): the problem's data of each unique seed, a
    piece at a time; a stretch of rounds up to each checkpoint (sorted, in 1..T), then its record."""
    ks = [*np.asarray(checkpoints).tolist(), T + 1]  # the checkpoint rounds, then one past the end
    k = 0
    source = pieces(problem, np.unique(seeds), T, rounds.chunk, rounds.piece or rounds.chunk)
    with np.errstate(all="ignore"):  # non-finite values are the runners' to detect (engine.Tallies.add)
        for t0, n, piece in prepared(rounds, source):
            t, end = t0, t0 + n - 1
            while t <= end:
                stop = min(end, ks[k])
                rounds.run(piece, t, stop - t + 1, t - t0)
                if stop == ks[k]:
                    rounds.record(k)
                    k += 1
                t = stop + 1
            if progress is not None:
                progress(n)
