"""Who draws a folder's figures: ``plot_folder`` here, or a ``Drawer`` started before the computation — a
forked process that imports matplotlib on the other core meanwhile, then draws the one folder it is handed."""

from __future__ import annotations

import atexit
import os
import pickle
import threading
from pathlib import Path

from .. import io
from .folders import load_config
from .formats import check_format
from .processes import fork, forking_allowed, result
from .run import plot_run
from .sweep import plot_sweep


def check_folder(path: str | Path, fmt: str) -> Path:
    """``path`` as a Path, once it is a writable run or sweep folder whose config.json the figures can read
    and ``fmt`` a format oco can write here (a FolderError or ValueError with one line otherwise)."""
    path = Path(path)
    if not path.is_dir():
        why = "is a file" if path.exists() else "does not exist"
        raise io.FolderError(f"{path} {why}: not an oco run or sweep folder")
    if not (path / "config.json").exists():
        raise io.FolderError(f"{path} has no config.json: not an oco run or sweep folder")
    io.check_writable(path, "the folder")
    check_format(fmt)
    load_config(path)
    return path


def draw_folder(path: Path, fmt: str) -> list[Path]:
    """Every figure of a checked folder (``check_folder``), drawn from its files in this process (and a
    forked child: ``two_processes``)."""
    return (plot_sweep if load_config(path)["kind"] == "sweep" else plot_run)(path, fmt)


def plot_folder(path: str | Path, fmt: str = "png") -> list[Path]:
    """Make every figure of a run or sweep folder from its files."""
    path = check_folder(path, fmt)
    return draw_folder(path, fmt)


def import_matplotlib() -> None:
    """The matplotlib modules the figures use."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.patches  # noqa: F401


class Drawer:
    """Gets matplotlib imported while a command computes, before its figures are drawn (``start``), then
    draws the folder it is handed (``plot_folder``).

    Where forking is allowed (``forking_allowed``) it is a forked process that imports matplotlib now, on the
    other core, and waits for the one folder ``plot_folder`` hands it: it draws the figures there and sends back
    their paths, and this process never imports matplotlib for them. If it never gets a folder (an error,
    Ctrl-C), it sees its pipe close (``close``, also at exit) and exits; if it fails, ``plot_folder`` draws
    here. Otherwise the import runs on a background thread (it then overlaps the run where the compiled
    kernels release the GIL) and ``plot_folder`` draws here once it is done. A failure of the import is met
    again, and reported, where the figures are drawn."""

    def __init__(self, pid: int | None = None, request: int | None = None, reply: int | None = None,
                 thread: threading.Thread | None = None):
        self.pid, self.request, self.reply, self.thread = pid, request, reply, thread

    @classmethod
    def start(cls) -> Drawer:
        """A drawer at work: call it before anything starts threads (the kernels, a progress bar), it forks."""
        if forking_allowed():
            request_r, request_w = os.pipe()
            pid, reply_r = fork(lambda: _draw_when_asked(request_r, request_w))
            os.close(request_r)
            drawer = cls(pid, request_w, reply_r)
            atexit.register(drawer.close)
            return drawer
        thread = threading.Thread(target=_import_quietly, name="oco-import-matplotlib", daemon=True)
        thread.start()
        return cls(thread=thread)

    def plot_folder(self, path: str | Path, fmt: str = "png") -> list[Path]:
        """Every figure of a run or sweep folder (checked here first, as ``plot_folder``), drawn by the
        drawer's process, or here where there is none or it failed."""
        path = check_folder(path, fmt)
        drawn = self._ask(path, fmt) if self.pid is not None else None
        if drawn is not None:
            return drawn
        if self.thread is not None:  # an import on another thread would leave a forked child locked out
            self.thread.join()
        return draw_folder(path, fmt)

    def _ask(self, path: Path, fmt: str) -> list[Path] | None:
        """The drawer process's figures of ``path`` (None where it failed)."""
        pid, request, reply = self.pid, self.request, self.reply
        self.pid = self.request = self.reply = None
        try:
            with os.fdopen(request, "wb") as f:
                pickle.dump((str(path), fmt), f)
        except OSError:  # the process is gone
            pass
        return result(pid, reply)

    def close(self) -> None:
        """A drawer process never handed a folder: close its pipes (it exits when it reads their end; not
        waited for, so that an early exit — bad input — is not held up by its import)."""
        if self.pid is None:
            return
        for fd in (self.request, self.reply):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pass
        self.pid = self.request = self.reply = None


def _draw_when_asked(request_r: int, request_w: int) -> list[Path] | None:
    """The drawer process: import matplotlib, then read the request (a folder, or nothing when this
    process's end closes) and draw its figures."""
    os.close(request_w)
    import_matplotlib()
    with os.fdopen(request_r, "rb") as f:
        request = f.read()
    if not request:
        return None
    path, fmt = pickle.loads(request)
    return draw_folder(Path(path), fmt)


def _import_quietly() -> None:
    try:
        import_matplotlib()
    except Exception:
        pass
