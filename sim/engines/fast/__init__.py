"""The fast engine: the agent engine's model, compiled with numba.

`simulate(compiled, seed)` has the agent engine's signature and returns the same closed `Ledger`
(every field booked with the same meaning), so every metric is computed from it unchanged. The
parts: `arrays` (the compiled form as plain arrays; what the agent engine works out inline, a
client's tail value or lost revenue, is read from `models.compiled.value`), `layout` (the
arrays' columns), the kernel (one replication in numba: a lead is a lead, the sales team a FIFO
queue of a month-by-month number of managers; the model loop in `kernel`, beside it `random`,
`queues`, `booking`, `clients` and `leads`; see `kernel`'s docstring for what makes it fast),
`fill` (the kernel's arrays as a `Ledger`).

Randomness: the agent engine's stream keys (per channel arrivals and lead rows, referrals, each
starting-state group, the customer base) derived from the seed; counter-based streams inside
the kernel, so a lead's row depends only on the seed, its channel and its number in the channel
(common random numbers across bets), and the same seed gives the same ledger, bit for bit.
The numbers differ from the agent engine's: the two engines agree in distribution.

numba compiles the kernel once per machine and its sources (`jit`: later processes load it
from a cache folder named by a hash of those sources).
"""

from __future__ import annotations

import numpy as np

from models.accounting.ledger import N_STATES, Ledger
from models.compiled.form import CompiledScenario
from sim.engines.fast import arrays as _arrays
from sim.engines.fast import fill as _fill
from sim.engines.fast import layout as L
from sim.engines.randomness import K_ARRIVALS, K_CUSTOMER_BASE, K_INITIAL, K_LEADS, REFERRAL_STREAM
from sim.engines.recorder import Recorder

_MASK = (1 << 64) - 1
# Buffer sizes that sufficed so far, by scenario shape: a run that outgrows one is run again
# with it doubled (same seed, same result), and later runs start from the larger size.
_caps: dict[tuple[int, int, bool], np.ndarray] = {}
_cache: dict[int, tuple[CompiledScenario, _arrays.Arrays]] = {}


def _mix(z: int) -> int:
    """SplitMix64's finaliser on a Python int (the kernel's `mix`)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def stream_keys(cs: CompiledScenario, seed: int | np.random.SeedSequence) -> np.ndarray:
    """The run's stream keys, in the kernel's order (see `kernel.run`)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    base0, base1 = (int(x) for x in ss.generate_state(2, np.uint64))

    def key(kind: int, group: int) -> int:
        return _mix((base0 ^ _mix((kind << 32) | group)) + base1 & _MASK)

    keys = []
    for c in range(len(cs.channel_names)):
        keys += [key(K_ARRIVALS, c), key(K_LEADS, c)]
    keys += [key(K_ARRIVALS, REFERRAL_STREAM), key(K_LEADS, REFERRAL_STREAM)]
    groups = len(cs.initial_clients) + len(cs.initial_leads) + len(cs.initial_invoices)
    keys += [key(K_INITIAL, g) for g in range(groups)]
    keys.append(key(K_CUSTOMER_BASE, 0))
    return np.array(keys, dtype=np.uint64)


def arrays_of(cs: CompiledScenario) -> _arrays.Arrays:
    """The compiled scenario's arrays, kept for the few scenarios seen last (a Monte Carlo
    batch of one point value, a benchmark) so a repeated run does not convert it again."""
    hit = _cache.get(id(cs))
    if hit is not None and hit[0] is cs:
        return hit[1]
    built = _arrays.build(cs)
    if len(_cache) >= 8:
        _cache.pop(next(iter(_cache)))
    _cache[id(cs)] = (cs, built)
    return built


def simulate(compiled: CompiledScenario, seed: int | np.random.SeedSequence,
             recorder: Recorder | None = None) -> Ledger:
    """Run the fast engine once: a pure function of the compiled scenario and the seed.
    `recorder` (optional) receives per-event records (`sim.engines.recorder`), in time order,
    after the run."""
    from sim.engines.fast import kernel  # (numba loads or compiles the kernel on first use)

    a = arrays_of(compiled)
    keys = stream_keys(compiled, seed)
    horizon = compiled.horizon_months
    n_ch, n_tiers = len(compiled.channel_names), len(compiled.tier_names)
    record = recorder is not None
    G = a.G.copy()
    G[L.G_RECORD] = float(record)
    shape = (horizon, n_ch, record)
    caps = _caps.get(shape)
    if caps is None:
        caps = np.zeros(L.CAP_N, dtype=np.int64)
        caps[L.CAP_LEADS], caps[L.CAP_QUEUE], caps[L.CAP_HEAP] = 1024, 1024, 1024
        caps[L.CAP_REC], caps[L.CAP_PREC] = (1 << 16, 1 << 12) if record else (1, 1)
    while True:
        F = np.zeros((horizon, int(a.OF[L.O_WIDTH])))
        FL = np.zeros((horizon, N_STATES * N_STATES))
        OCC = np.zeros((horizon, 2, N_STATES))
        SC = np.zeros(1)
        ST = np.zeros(L.ST_N, dtype=np.int64)
        REC = np.zeros((int(caps[L.CAP_REC]), 4))
        PREC = np.zeros((int(caps[L.CAP_PREC]), 3))
        kernel.run(a.PM, a.PC, a.PS, a.PT, a.CT, a.LV, a.LC, a.HV, G, a.OF, keys, a.IC, a.IL,
                   a.II, a.CB, a.cb_tier, caps, F, FL, OCC, SC, ST, REC, PREC)
        overflow = int(ST[L.ST_OVERFLOW])
        if overflow == 0:
            break
        caps = caps.copy()
        for k in range(L.CAP_N):
            if overflow & (1 << k):
                caps[k] *= 2
    _caps[shape] = caps
    led = _fill.ledger(a, n_ch, n_tiers, a.PS.shape[1], F, FL, OCC, float(SC[0]),
                       int(ST[L.ST_EVENTS]))
    if recorder is not None:
        from sim.engines.fast.layout import ST_PREC, ST_REC

        _fill.replay(recorder, REC[:ST[ST_REC]], PREC[:ST[ST_PREC]])
    return led


__all__ = ["simulate"]
