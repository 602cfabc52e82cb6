"""The three forms of a kernel's rounds inside a block of configurations, written from an ``Emitter``.

    fused, by round (d = 1, many configurations; the sweeps), ``by_round``:
        for each round:  for each configuration of the block:      (LLVM vectorises across the block)
            the per-configuration clock, f and g (the loss piece), φ, ψ, η, x̂, projection, loss
            (compensated), diagnostics
        First without the divergence masks; if any value comes out non-finite, the block starts over from
        its copies with them (a configuration that diverges stops there, as in the engine).
    split, by configuration (d = 1, a handful of configurations; one run is a latency chain), ``split``:
        per tile of ``TILE`` rounds, the pieces in three phases (``phases``): B, the elementwise ones
        (vectorised across the rounds: the square roots and divisions), then C, those that read the
        iterate, interleaved with A, the state's recurrences, for the next tile (``by_config`` where the
        order of the pieces forbids the split).
    passes (any d, the ball), ``passes``: per round, a pass per step over the block (clock, loss and
        gradient per configuration — the sum over coordinates as NumPy's pairwise sum, ``rowsum`` — pieces
        per coordinate, projection, commit).

The arithmetic is the NumPy engine's, operation for operation, so results agree with it bit for bit; the
compensated loss uses TwoSum, whose error term is the exact rounding error of each addition, as Neumaier's in
the engine. Inside a kernel, block copies are plain loops (NumPy slicing there costs seconds of compilation).
"""

from __future__ import annotations

CONFIG_BLOCK = 128  # configurations a kernel block holds (vectorised across them)
TILE = 256  # rounds per tile of the split form
TWOSUM = ["s = cu + f", "bb = s - cu", "co += (cu - (s - bb)) + (f - bb)", "cu = s"]


def indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + ln for ln in lines]


def _outs(p) -> set:
    return {n for names in p.outs for n in names}


# ---------------------------------------------------------------- fused: one coordinate, scalars
def _scalars(e) -> dict[str, str]:
    """A configuration's scalars in the fused forms and the block arrays they live in."""
    return {"x_c": "x_", "a_": "active_", "dv": "div_at_", "cu": "cum_", "co": "comp_", "lmin": "lrmin_",
            "lmax": "lrmax_", "gn": "gneg_", "pe": "prev_", **{f"s_{s}": f"S_{s}_" for s in e.state},
            **{f"cs_{c}": f"c_{c}" for c in e.percs}}


def _load(e) -> list[str]:
    return [f"{v} = {a}[ii]" for v, a in _scalars(e).items()] + [f"p_{k} = H_{k}_[ii]" for k in e.hyper]


def _store(e) -> list[str]:
    return [f"{a}[ii] = {v}" for v, a in _scalars(e).items()]


def _data(e) -> list[str]:
    """The names of a round's data values (d = 1: g itself for a linear loss)."""
    return ["g"] if e.loss.kind == "linear" else [f"xi{c}" for c in range(e.loss.width(1))]


def _round(e) -> list[str]:
    """A round's reads: t, the batch's clock values, the data values."""
    rows = "0" if e.one_seed else "sidx_[ii]"
    return ["t = t0 + k", *[f"u_{c} = U_{c}[k0 + k]" for c in e.uouts],
            *[f"{v} = G[{rows}, k0 + k, {c}]" for c, v in enumerate(_data(e))]]


def _iterate(e, pieces: list, buf=(), fast=False) -> list[str]:
    """The round from the iterate on: the loss, the pieces that read x, projection, divergence, commit;
    fast: every configuration running, and (checked) every value finite: no masks."""
    out = ["x = x_c", *e.loss.scalar(_data(e))]
    if e.decay == "coupled":
        out.append(f"g = g + {e.arg('weight_decay', 'fused', buf)} * x")
    out.append(f"xb = x * (1.0 - {e.arg('a', 'fused', buf)} * {e.arg('weight_decay', 'fused', buf)})"
               if e.decay == "decoupled" else "xb = x")
    for p in pieces:
        out += e.call(p, "fused", buf)
    xh = e.arg("xhat", "fused", buf)
    if e.domain_kind == "box":  # bounds are finite: a cheap clamp, and a NaN step is caught by the check
        out += [f"xh_ = min(max({xh}, lo0), hi0)", f"ok_ = math.isfinite(f) & ({xh} == {xh})"]
    else:
        out += [f"xh_ = {xh}", "ok_ = math.isfinite(f) & math.isfinite(xh_)"]
    out.append(f"e = {e.arg('eta', 'fused', buf)}")
    if fast:
        return out + ["nbad += 0 if (ok_ & (e == e)) else 1", *TWOSUM, "x_c = xh_",
                      "lmin = e if e < lmin else lmin", "lmax = e if e > lmax else lmax",
                      "gn += 1 if e > pe else 0", "pe = e"]
    # divergence: a configuration whose loss or next iterate is not finite stops here (& rather than and: no
    # branches, so LLVM vectorises)
    return out + [
        "dv = t if (a_ & (not ok_)) else dv",
        "a_ = a_ & ok_",
        "f = f if a_ else 0.0",
        *TWOSUM,  # the loss, compensated: TwoSum's error term is the exact rounding error
        "x_c = xh_ if a_ else x",
        "lmin = e if (a_ & ((e < lmin) | (e != e))) else lmin",  # NaN-propagating, as np.minimum
        "lmax = e if (a_ & ((e > lmax) | (e != e))) else lmax",
        "gn += 1 if (a_ & (e > pe)) else 0",  # pe starts at +inf: round 1 never counts
        "pe = e",
    ]


def fused(e) -> list[str]:
    """One coordinate (d = 1, the counterexamples): the block's columns, then a configuration's whole round
    on scalars in one pass — by round across the block, or, configuration by configuration, in the split
    form (or whole rounds where the pieces' order forbids the split)."""
    columns = [
        *[f"{a} = column({v}, lo, hi)" for a, v in (("x_", "X"), ("prev_", "prev_eta"))],
        *[f"S_{s}_ = column(S_{s}, lo, hi)" for s in e.state],
    ]
    if e.order == "round":
        return columns + by_round(e, columns)
    coupled = e.decay == "coupled" or e.loss.kind != "linear"  # g from x: a non-linear loss
    split_ = phases([*e.cclock, *e.update], {*e.state, *e.percs}, coupled)
    return columns + (by_config(e) if split_ is None else split(e, *split_))


def _rounds(e, body: list[str]) -> list[str]:
    """For each round of the call, ``body`` for every configuration of the block (its data gathered first
    where configurations read different seeds: an indexed load in the loop stops vectorisation)."""
    m, xi, rnd = e.loss.width(1), _data(e), _round(e)
    if e.one_seed:
        return ["for k in range(n):", *indent(rnd), "    for ii in range(nbk):", *indent(body, 2)]
    gather = ["for ii in range(nbk):", *[f"    gb{c}[ii] = G[sidx_[ii], k0 + k, {c}]" for c in range(m)]]
    return ["for k in range(n):", *indent(rnd[:-m] + gather), "    for ii in range(nbk):",
            *[f"        {v} = gb{c}[ii]" for c, v in enumerate(xi)], *indent(body, 2)]


def by_round(e, columns: list[str]) -> list[str]:
    """Round by round across the block, optimistic: the block's rounds without the divergence masks; should
    any value come out non-finite, the block starts over from its copies (the caller's arrays are untouched
    until the write-back) with them."""
    pieces = [*e.cclock, *e.update]
    quick = [ln for ln in _load(e) if not ln.startswith(("a_ ", "dv "))]
    kept = [ln for ln in _store(e) if not ln.startswith(("active_", "div_at_"))]
    return [
        *[f"gb{c} = np.empty({CONFIG_BLOCK})" for c in range(e.loss.width(1))],
        "fast = True",
        "for ii in range(nbk):",
        "    fast = fast & active_[ii]",
        "if fast:",
        "    nbad = 0",
        *indent(_rounds(e, quick + _iterate(e, pieces, fast=True) + kept)),
        "    if nbad > 0:",
        "        fast = False",
        *indent(e.copies() + columns, 2),
        "if not fast:",
        *indent(_rounds(e, _load(e) + _iterate(e, pieces) + _store(e))),
    ]


def by_config(e) -> list[str]:
    """Configuration by configuration, every round whole."""
    return [
        "for ii in range(nbk):",
        *indent(_load(e)),
        "    for k in range(n):",
        *indent(_round(e) + _iterate(e, [*e.cclock, *e.update]), 2),
        *indent(_store(e)),
    ]


def phases(pieces: list, carried: set, coupled: bool):
    """Split a round's pieces into A, B, C for the split form, or None where the order forbids it.

    C reads the iterate — directly, through a name computed from it, or through a state such a piece
    writes. A is the rest that carries state from round to round, with what it reads. B is the remainder:
    elementwise in the round, so LLVM vectorises it across rounds.
    """
    xdep = {"x", "xb"} | ({"g"} if coupled else set())
    changed = True
    while changed:
        changed = False
        for p in pieces:
            if set(p.args) & xdep and not _outs(p) <= xdep:
                xdep |= _outs(p)
                changed = True
    C = [p for p in pieces if set(p.args) & xdep]
    A = [p for p in pieces if p not in C and _outs(p) & carried]
    for p in reversed(pieces):  # what an A piece reads is computed in A
        if p not in C and p not in A and any(_outs(p) & set(q.args) for q in A):
            A.append(p)
    A = [p for p in pieces if p in A]
    B = [p for p in pieces if p not in A and p not in C]
    # a later phase reads a name at the end of an earlier phase's round: no earlier-phase piece may write
    # it after the reader in the round's order
    phase = {id(p): i for i, ps in enumerate((A, B, C)) for p in ps}
    for i, p in enumerate(pieces):
        for q in pieces[i + 1:]:
            if phase[id(q)] < phase[id(p)] and _outs(q) & set(p.args):
                return None
    return A, B, C


def split(e, A: list, B: list, C: list) -> list[str]:
    """Configuration by configuration, per tile of rounds: B (vectorised), then C of this tile interleaved
    with A of the next, so the state's recurrences and the iterate's run side by side (``phases``)."""
    a_out, b_out = set().union(*map(_outs, A)), set().union(*map(_outs, B))
    read_c = {n for p in C for n in p.args} | {"eta", "xhat", "a", "weight_decay"}
    buf_a = sorted(a_out & ({n for p in B for n in p.args} | read_c))
    buf_b = sorted(b_out & read_c)
    rnd = _round(e)
    from_a = [f"b_{n} = BA_{n}[cur, kk]" for n in buf_a]

    def phase_a(slot):
        return rnd + [ln for p in A for ln in e.call(p, "fused")] + [
            f"BA_{n}[{slot}, kk] = {e.arg(n, 'fused')}" for n in buf_a]

    return [
        *[f"BA_{n} = np.empty((2, {TILE}))" for n in buf_a],
        *[f"BB_{n} = np.empty({TILE})" for n in buf_b],
        "for ii in range(nbk):",
        *indent(_load(e)),
        f"    nn = min({TILE}, n)",
        "    for kk in range(nn):",
        "        k = kk",
        *indent(phase_a(0), 2),
        f"    for tile in range((n + {TILE} - 1) // {TILE}):",
        f"        k0_ = tile * {TILE}",
        f"        nn = min({TILE}, n - k0_)",
        "        cur = tile & 1",
        "        for kk in range(nn):",
        "            k = k0_ + kk",
        *indent(rnd + from_a + [ln for p in B for ln in e.call(p, "fused", set(buf_a))], 3),
        *[f"            BB_{n}[kk] = {e.arg(n, 'fused', set(buf_a))}" for n in buf_b],
        f"        n1 = n - k0_ - {TILE}",
        "        for kk in range(nn):",
        "            if kk < n1:",
        f"                k = k0_ + {TILE} + kk",
        *indent(phase_a("1 - cur"), 4),
        "            k = k0_ + kk",
        *indent(rnd + from_a + [f"b_{n} = BB_{n}[kk]" for n in buf_b], 3),
        *indent(_iterate(e, C, set(buf_a) | set(buf_b)), 3),
        *indent(_store(e)),
    ]


# ---------------------------------------------------------------- passes: any d, the ball
def passes(e) -> list[str]:
    """Any number of coordinates (and the ball): a round in passes over the block — the clock per
    configuration, the loss and gradient, the pieces per coordinate, the projection, then the commit."""
    return [
        *[f"S_{s}_ = transpose(S_{s}, lo, hi)" for s in e.state],
        "x_ = transpose(X, lo, hi)",
        "prev_ = transpose(prev_eta, lo, hi)",
        f"xh = np.empty((d, {CONFIG_BLOCK}))",
        f"et = np.empty((d, {CONFIG_BLOCK}))",
        f"loss = np.empty({CONFIG_BLOCK})",
        f"gb = np.empty({CONFIG_BLOCK})",
        "pr = np.empty(d)",
        f"gr = np.empty((d, {CONFIG_BLOCK}))",
        f"ok = np.empty({CONFIG_BLOCK}, dtype=np.bool_)",
        f"up = np.empty({CONFIG_BLOCK}, dtype=np.bool_)",
        "xr = np.empty(d)",
        "for k in range(n):",
        "    t = t0 + k",
        *[f"    u_{c} = U_{c}[k0 + k]" for c in e.uouts],
        *indent(_clock_pass(e) + _loss_pass(e) + _element_pass(e) + _projection_pass(e) + _commit_pass()),
    ]


def _clock_pass(e) -> list[str]:
    """The per-configuration clock, on scalars, kept for the element pass."""
    body = [f"    cs_{c} = c_{c}[ii]" for c in e.percs]
    body += indent([ln for p in e.cclock for ln in e.call(p, "clock")])
    return ["for ii in range(nbk):", *body, *([f"    c_{c}[ii] = cs_{c}" for c in e.cnames] or ["    pass"])]


def _loss_pass(e) -> list[str]:
    """The loss (summed over coordinates as NumPy sums) and, for a non-linear problem, the gradient."""
    row = "G[0, k0 + k" if e.one_seed else "G[sidx_[ii], k0 + k"
    return ["for ii in range(nbk):", *indent(e.loss.rows(row))]


def _element_pass(e) -> list[str]:
    """The pieces per coordinate and configuration: x̂ and η into xh and et."""
    if e.loss.kind == "linear":
        read = ["    for ii in range(nbk):",  # gather first: an indexed load in the loop stops vectorisation
                "        gb[ii] = G[sidx_[ii], k0 + k, j]", "    for ii in range(nbk):", "        g = gb[ii]"]
    else:
        read = ["    for ii in range(nbk):", "        g = gr[j, ii]"]
    body = ["x = x_[j, ii]"]
    if e.decay == "coupled":
        body.append(f"g = g + {e.arg('weight_decay', 'element')} * x")
    body.append(f"xb = x * (1.0 - {e.arg('a', 'element')} * {e.arg('weight_decay', 'element')})"
                if e.decay == "decoupled" else "xb = x")
    body += [f"s_{s} = S_{s}_[j, ii]" for s in e.state]
    body += [ln for p in e.update for ln in e.call(p, "element")]
    body += [f"S_{s}_[j, ii] = s_{s}" for s in e.state]
    body += [f"xh[j, ii] = {e.arg('xhat', 'element')}", f"et[j, ii] = {e.arg('eta', 'element')}"]
    return ["for j in range(d):", *read, *indent(body, 2)]


def _projection_pass(e) -> list[str]:
    """Π_F on the block's x̂: the box clips; the ball projects in the weighted norm (weights 1/η)."""
    if e.domain_kind == "box":
        return ["for j in range(d):", "    for ii in range(nbk):",
                "        xh[j, ii] = clip(xh[j, ii], LO[j], HI[j])"]
    if e.domain_kind == "ball":
        return [
            "for ii in range(nbk):",
            "    nn = 0.0",
            "    for j in range(d):",
            "        nn += xh[j, ii] * xh[j, ii]",
            "    if math.sqrt(nn) > radius:",
            "        weighted_ball_row(np.ascontiguousarray(xh[:, ii]), 1.0 / et[:, ii], radius, xr)",
            "        for j in range(d):",
            "            xh[j, ii] = xr[j]",
        ]
    return []


def _commit_pass() -> list[str]:
    """Divergence (a configuration whose loss or next iterate is not finite stops here), the compensated
    loss, the iterate and the diagnostics."""
    return [
        "for ii in range(nbk):",
        "    ok[ii] = math.isfinite(loss[ii])",
        "    up[ii] = False",
        "for j in range(d):",
        "    for ii in range(nbk):",
        "        ok[ii] = ok[ii] & math.isfinite(xh[j, ii])",
        "for ii in range(nbk):",
        "    div_at_[ii] = t if (active_[ii] & (not ok[ii])) else div_at_[ii]",
        "    active_[ii] = active_[ii] & ok[ii]",
        "    f = loss[ii] if active_[ii] else 0.0",
        "    s = cum_[ii] + f",
        "    bb = s - cum_[ii]",
        "    comp_[ii] += (cum_[ii] - (s - bb)) + (f - bb)",
        "    cum_[ii] = s",
        "for j in range(d):",
        "    for ii in range(nbk):",
        "        e = et[j, ii]",
        "        a_ = active_[ii]",
        "        x_[j, ii] = xh[j, ii] if a_ else x_[j, ii]",
        "        lrmin_[ii] = minimum(lrmin_[ii], e) if a_ else lrmin_[ii]",
        "        lrmax_[ii] = maximum(lrmax_[ii], e) if a_ else lrmax_[ii]",
        "        up[ii] = up[ii] | (e > prev_[j, ii])",
        "        prev_[j, ii] = e",
        "for ii in range(nbk):",  # η_0 = +∞: round 1 never counts
        "    gneg_[ii] += 1 if (active_[ii] & up[ii]) else 0",
    ]
