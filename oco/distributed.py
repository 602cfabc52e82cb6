"""Sweeps on a Dask cluster: the shards of ``oco.sweeps`` computed by Dask workers, written here as they come.

``oco sweep … --scheduler ADDRESS`` uses a running cluster (``dask scheduler`` on one machine, ``dask worker
ADDRESS`` on each machine that computes); ``--workers N`` starts a cluster of N processes on this machine.
Either way the unit of work is the shard of the local sweep: ``runner(client)`` submits ``oco.sweeps.run_shard``
for every unfinished shard and yields the results as they finish, and ``oco.sweeps.run_sweep`` writes them and
assembles sweep.csv exactly as it does for a local run, so the files are byte-identical and ``--resume`` works
across both paths. A worker returns the traces of all its shard's rows; which of them are kept (``--traces``) is
decided here, when the shard is written, as for a local run.

A worker that dies takes its running shard with it; the scheduler gives that shard to another worker (a shard
may be lost with its worker up to ``distributed.scheduler.allowed-failures`` times, 3 by default), and a shard
that raises is tried again ``RETRIES`` times. The configuration travels once, as a task of its own that every
shard depends on, so the scheduler can recompute it too if the worker holding it dies.

dask and distributed are an optional extra (``pip install 'oco[dask]'``); they are imported only here, and only
when a cluster is asked for. Every worker needs the same oco (and numpy, and the sweep's backend) installed.
"""

from __future__ import annotations

import gc
import logging
import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from . import sweeps as sw
from .config import Config, ConfigError

CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler before giving up
RETRIES = 2  # extra tries for a shard whose computation raised (a dead worker is handled by the scheduler)
INSTALL_HINT = "pip install 'oco[dask]' (or: pip install 'dask[distributed]')"


class ClusterError(RuntimeError):
    """The cluster failed during a sweep; the shards already written are kept, and --resume finishes it."""


def _distributed(flag: str = "--scheduler/--workers"):
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"{flag} needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT}") from None
    return distributed


def check_options(scheduler: str | None, workers: int | None) -> None:
    """Bad --scheduler/--workers input (both given, N < 1, no address, dask missing) as a ConfigError."""
    if scheduler is not None and workers is not None:
        raise ConfigError("--scheduler and --workers exclude each other: --scheduler ADDRESS uses a running "
                          "Dask cluster, --workers N starts one on this machine")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None and not scheduler.strip():
        raise ConfigError("--scheduler needs the scheduler's address, e.g. tcp://HOST:8786")
    _distributed("--scheduler" if scheduler is not None else "--workers")


def _client(address: str, timeout: float):
    distributed = _distributed("--scheduler")
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except ValueError as e:
        why = f"not a scheduler address ({e}); expected e.g. tcp://HOST:8786"
    except (OSError, TimeoutError):
        why = (f"no Dask scheduler answered within {timeout:g} s (start one with 'dask scheduler' and give the "
               "address it prints)")
    except Exception as e:  # noqa: BLE001 (something answered, but not as a Dask scheduler does)
        why = f"what answered is not a Dask scheduler ({type(e).__name__}: {e})"
    # Raised outside the except clause, and after a collection: the half-made Client (held by the traceback)
    # closes now, while its event loop still runs, instead of at exit with a 10 s wait and a traceback.
    gc.collect()
    raise ConfigError(f"--scheduler {address}: {why}")


def _oco_version() -> str:
    from importlib import metadata

    return metadata.version("oco")


def _check_workers(client, address: str) -> None:
    """Every worker already connected can import oco, of the same version as here."""
    try:
        found = client.run(_oco_version)
    except Exception as e:  # noqa: BLE001 (whatever the worker raised, it cannot run oco)
        raise ConfigError(f"--scheduler {address}: a worker cannot run oco ({type(e).__name__}: {e}); install "
                          "the same oco on every worker") from None
    mine = _oco_version()
    for worker, v in found.items():
        if v != mine:
            raise ConfigError(f"--scheduler {address}: worker {worker} has oco {v}, this machine {mine}; install "
                              "the same oco on every worker")


def _quiet_closing(stack: ExitStack) -> Callable[[], None]:
    """Closing a client whose scheduler is gone logs the reconnection it cancels as an error: a traceback after
    our one-line message. Returns a function that silences distributed's client-side loggers; ``stack``
    restores their levels when it closes."""
    loggers = [logging.getLogger(f"distributed.{name}") for name in ("client", "core", "comm", "batched")]
    levels = [lg.level for lg in loggers]

    def restore() -> None:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)

    def silence() -> None:
        for lg in loggers:
            lg.setLevel(logging.CRITICAL + 1)

    stack.callback(restore)
    return silence


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, timeout: float | None = None) -> Iterator:
    """A ``distributed.Client`` to the scheduler at ``scheduler``, or to a new local cluster of ``workers``
    processes (one thread each); closed (and the local cluster shut down) on leaving. Bad input and an
    unreachable scheduler raise ConfigError before anything runs (within ``timeout``, CONNECT_TIMEOUT s)."""
    check_options(scheduler, workers)
    distributed = _distributed()
    with ExitStack() as stack:
        silence = _quiet_closing(stack)  # levels restored last, after the client has closed
        if scheduler is not None:
            timeout = CONNECT_TIMEOUT if timeout is None else timeout
            client = stack.enter_context(_client(scheduler.strip(), timeout))
            _check_workers(client, scheduler)
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                dashboard_address=None))
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        stack.callback(silence)  # first on the way out, before the client closes
        yield client


def threads(client) -> int:
    """Threads of the workers connected now (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def default_shard_size(n_rows: int, n_threads: int) -> int:
    """Rows per shard on a cluster when --shard-size is not given: about four shards per worker thread, so
    that every worker has work and a lost worker costs little, but at least 256 rows (smaller batches spend
    their time in the engine's per-round overhead) and at most the local default (1024)."""
    return max(1, min(n_rows, 1024, max(256, math.ceil(n_rows / (4 * max(1, n_threads))))))


def _identity(x):
    return x


def runner(client, retries: int = RETRIES) -> sw.ShardRunner:
    """A shard runner for ``oco.sweeps.run_sweep`` that computes the shards on ``client``'s cluster."""
    distributed = _distributed()

    def run(cfg: Config, pending: list[sw.Shard], progress: Callable[[int], None] | None = None):
        if not pending:
            return
        token = uuid.uuid4().hex[:12]  # keys of this run only: two sweeps on one cluster never share results
        config = client.submit(_identity, cfg, key=f"oco-config-{token}")
        # priority: the shards in their order (as here), so an interrupted sweep leaves mostly the first ones
        futures = {client.submit(sw.run_shard, config, s, key=f"oco-{s.stem}-{token}", retries=retries,
                                 priority=-s.index): s
                   for s in pending}
        try:
            for f in distributed.as_completed(list(futures), loop=client.loop):
                s = futures.pop(f)
                try:
                    result = f.result()
                except distributed.KilledWorker:
                    raise ClusterError(f"{s.stem} was lost with its worker too many times "
                                       "(distributed.scheduler.allowed-failures); the finished shards are kept: "
                                       "run the same command with --resume") from None
                except distributed.CancelledError:
                    raise ClusterError(f"{s.stem} was cancelled: the connection to the Dask scheduler was lost; "
                                       "the finished shards are kept: run the same command with --resume") from None
                f.release()
                if progress is not None:
                    progress(sw.shard_rounds(cfg, s))
                yield s, result
        finally:
            if futures:
                client.cancel(list(futures))
            config.release()

    return run
