"""Byte identity of oco's numbers across a change that must not move them.

    python scripts/identity.py record /tmp/before          # on the commit before the change
    python scripts/identity.py record /tmp/after           # on the commit after it
    python scripts/identity.py compare /tmp/before /tmp/after

``record`` runs a fixed list of commands (runs of every problem kind and convention on NumPy and numba, user
methods, torch and optax optimizers, a file of coefficients, sweeps, check, diff, reproduce) with the ``oco``
importable from the repository this script lies in, and keeps what they wrote: their ``--json`` output,
``config.json``, ``results.json``, ``sweep.csv``, verdicts, the figures' CSV and JSON sidecars and the traces.
``compare`` says which of those differ, byte for byte; only the fields that record when and where a command ran
(``created``, ``platform``, ``versions``, …) are left out, and timings (``seconds``). Exit status 1 when any
file differs or is missing on one side.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# fields that say when, where and how fast a command ran, not what it computed
VOLATILE = {"created", "platform", "versions", "seconds", "elapsed", "wall", "time", "took", "started",
            "finished", "cache"}

USER_METHOD = '''
import oco
from oco.methods import Method, P, pieces

def second(v, g, beta2):
    """v_t = β2 v_{t−1} + (1 − β2)|g_t|."""
    return beta2 * v + (1.0 - beta2) * abs(g)

mine = Method("mine", "paper", P(pieces.ema, "m=d"), P(second, "v=V"), P(pieces.root, "eta"),
              state={"m": 0.0, "v": 0.0}, hypers=oco.get_method("adam").hypers,
              formula="m = β1 m + (1 − β1) g; v = β2 v + (1 − β2)|g|", source="identity.py")
'''

# (name, argv after `oco`); {out} is the command's own folder
COMMANDS = [
    ("run-online-numpy", "run reddi-online -m adam -m amsgrad -T 20000 --backend numpy --out {out}"),
    ("run-online-numba", "run reddi-online -m adam -m amsgrad -T 20000 --backend numba --out {out}"),
    ("run-online-json", "run reddi-online -m adam:torch -m amsgrad:torch -m adamw:torch -T 3000 --json"),
    ("run-stochastic", "run reddi-stochastic -m adam:torch -m amsgrad:torch -m nadam:torch --seeds 3 -T 5000 "
                       "--out {out}"),
    ("run-thm1-authors", "run reddi-thm1 -m adabound -m yogi:authors -m padam:authors -m adabelief:authors "
                         "-m ademamix:authors -T 5000 --out {out}"),
    ("run-thm2", "run reddi-thm2 -m adam -m adamnc -m radam:torch --beta1 0.5 --beta2 0.9 -T 4000 --out {out}"),
    ("run-thm3-numba", "run reddi-thm3 -m adam -m amsgrad -m adopt --seeds 2 -T 6000 --backend numba --out {out}"),
    ("run-small-lr", "run adabound-small-lr -m adam -m adabound:torch -m amsbound:torch -m sgd:torch -T 3000 "
                     "--out {out}"),
    ("run-adopt-toy", "run adopt-toy -m adopt -m adam -m lion -m signum -m signsgd --seeds 2 -T 4000 --out {out}"),
    ("run-zhang", "run zhang-divergence -m adam -m rmsprop:torch -T 2000 --out {out}"),
    ("run-sparse-numba", "run sparse-gradients -m adam:torch -m adagrad:torch -m adamax:torch -T 3000 "
                         "--backend numba --out {out}"),
    ("run-scaled", "run scaled-coordinates -m adadelta:torch -m ogd -m ftrl -m ons -T 3000 --out {out}"),
    ("run-quadratic", "run stochastic-quadratic -m adam -m adagrad -m amsgrad:torch --seeds 2 -T 3000 --out {out}"),
    ("run-quadratic-numba", "run stochastic-quadratic -m adam -m adagrad --seeds 2 -T 3000 --backend numba "
                            "--out {out}"),
    ("run-logistic", "run logistic-goog -m adam -m amsgrad -m sgd -T 2000 --out {out}"),
    ("run-periodic-ball", "run periodic-linear -m adam -m amsgrad --domain ball --radius 2 --x0 0.5 "
                          "--schedule const --checkpoint-every 50 -T 2000 --out {out}"),
    ("run-two-point", "run two-point-linear -m adam --param p=0.2 --set eps=1e-8 --seeds 2 -T 2000 --out {out}"),
    ("run-file", "run {work}/coefficients.npy -m adam -m {work}/mine.py:mine -T 500 --out {out}"),
    ("run-torch", "run reddi-online -m torch:torch.optim.Adam -m adam:torch --alpha 0.1 -T 1500 --out {out}"),
    ("run-optax", "run reddi-online -m optax:optax.adam -m adam:torch --alpha 0.1 -T 1500 --out {out}"),
    ("sweep-online", "sweep reddi-online -m adam -m amsgrad --grid beta1=0,0.5,0.9 --grid beta2=0.9:0.999:4 "
                     "-T 5000 --out {out}"),
    ("sweep-numba", "sweep reddi-thm1 -m adam --grid beta2=0.5:0.99:5 --grid alpha=0.1,0.5 -T 3000 "
                    "--backend numba --out {out}"),
    ("sweep-stochastic", "sweep reddi-stochastic -m adam:torch --grid beta1=0,0.9 --seeds 2 -T 3000 --out {out}"),
    ("check", "check adam amsgrad --problems reddi-online,reddi-thm1,reddi-thm3 --quick --out {out}"),
    ("check-json", "check adagrad --problems reddi-online,adopt-toy --quick --json"),
    ("diff", "diff adam:paper adam:torch --out {out} --json"),
    ("diff-same", "diff adam:torch amsgrad:torch --set beta2=0.0 --json"),
    ("reproduce", "reproduce reddi-thm1 --out {out}"),
]


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _digest(path: Path, root: Path) -> str:
    """sha256 of the file, its paths under the record's folder written relative to it."""
    data = path.read_bytes().replace(str(root).encode(), b"<root>")
    if path.suffix == ".json" or path.name == "stdout":
        try:
            doc = json.loads(data)
        except ValueError:
            return hashlib.sha256(data).hexdigest()
        data = json.dumps(_canonical(doc), sort_keys=True).encode()
    if path.suffix == ".npz":
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            h = hashlib.sha256()
            for name in sorted(z.files):
                a = z[name]
                h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
            return h.hexdigest()
    return hashlib.sha256(data).hexdigest()


def record(out: Path) -> int:
    import numpy as np

    out = out.resolve()
    work = out / "_inputs"
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "coefficients.npy", np.random.default_rng(7).normal(size=(500, 3)))
    (work / "mine.py").write_text(textwrap.dedent(USER_METHOD))
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg", "OCO_FIGURE_PROCESSES": "1"}
    failed = 0
    for name, args in COMMANDS:
        folder = out / name
        argv = args.format(out=folder / "out", work=work).split()
        folder.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([sys.executable, "-m", "oco", *argv, *([] if "--json" in argv else ["--quiet"])],
                           cwd=folder, env=env, capture_output=True, text=True)
        (folder / "stdout").write_text(p.stdout if "--json" in argv else "")
        (folder / "exit").write_text(f"{p.returncode}\n")
        print(f"{name}: exit {p.returncode}", flush=True)
        if p.returncode not in (0, 1):
            failed += 1
            print(p.stderr[-2000:], file=sys.stderr)
    digests = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] != "_inputs" and path.suffix not in (".png", ".svg", ".pdf") \
                and path.name != "manifest.json":
            digests[str(rel)] = _digest(path, out)
    (out / "digests.json").write_text(json.dumps(digests, indent=1, sort_keys=True))
    print(f"{len(digests)} files recorded in {out / 'digests.json'}")
    return 1 if failed else 0


def compare(a: Path, b: Path) -> int:
    da = json.loads((a / "digests.json").read_text())
    db = json.loads((b / "digests.json").read_text())
    missing = sorted(set(da) ^ set(db))
    differ = sorted(k for k in set(da) & set(db) if da[k] != db[k])
    for k in missing:
        print(f"only in {'the first' if k in da else 'the second'}: {k}")
    for k in differ:
        print(f"differs: {k}")
    same = len(set(da) & set(db)) - len(differ)
    print(f"{same} files identical, {len(differ)} differ, {len(missing)} on one side only")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        sys.exit(record(Path(sys.argv[2])))
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    print(__doc__)
    sys.exit(2)
