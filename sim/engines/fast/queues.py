"""The fast engine's queue structures: a binary heap of timed events (simultaneous events in
the order scheduled) and the ring-buffer index, plus the heap benchmark `growthsim bench`
compares the kernel with."""

from __future__ import annotations

import math

import numpy as np

from sim.engines.fast import layout as L
from sim.engines.fast.jit import helper
from sim.engines.fast.random import GOLDEN, unif


@helper(inline=True)
def wrap(i: int, n: int) -> int:
    """i % n for 0 <= i < 2n, the position in a ring buffer of n: without the integer division
    `%` costs (several per contact)."""
    return i - n if i >= n else i


@helper(inline=True)
def push(HT: np.ndarray, HI: np.ndarray, ST: np.ndarray, at: int, t: float, kind: int,
         ident: int) -> None:
    """Schedule (t, kind, ident) on the heap whose size is ST[at]; simultaneous events come
    out in the order scheduled."""
    n = ST[at]
    if n >= HT.shape[0]:
        ST[L.ST_OVERFLOW] |= 1 << L.CAP_HEAP
        return
    seq = ST[L.ST_SEQ]
    ST[L.ST_SEQ] = seq + 1
    ST[at] = n + 1
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        pt = HT[parent]
        if pt < t or (pt == t and HI[parent, 0] < seq):
            break
        HT[i] = pt
        HI[i, 0], HI[i, 1], HI[i, 2] = HI[parent, 0], HI[parent, 1], HI[parent, 2]
        i = parent
    HT[i] = t
    HI[i, 0], HI[i, 1], HI[i, 2] = seq, kind, ident


@helper(inline=True)
def pop(HT: np.ndarray, HI: np.ndarray, ST: np.ndarray, at: int) -> tuple[float, int, int]:
    t0, kind, ident = HT[0], HI[0, 1], HI[0, 2]
    n = ST[at] - 1
    ST[at] = n
    if n > 0:
        t, s, k, d = HT[n], HI[n, 0], HI[n, 1], HI[n, 2]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (HT[c + 1] < HT[c] or (HT[c + 1] == HT[c]
                                                     and HI[c + 1, 0] < HI[c, 0])):
                c += 1
            if HT[c] > t or (HT[c] == t and HI[c, 0] > s):
                break
            HT[i] = HT[c]
            HI[i, 0], HI[i, 1], HI[i, 2] = HI[c, 0], HI[c, 1], HI[c, 2]
            i = c
        HT[i] = t
        HI[i, 0], HI[i, 1], HI[i, 2] = s, k, d
    return t0, kind, ident


@helper(refcount=True)
def plain_heap_loop(events: int, size: int, seed: int) -> float:
    """The benchmark's reference: `events` pops and pushes on a heap of `size` entries with the
    kernel's own push and pop (each popped event schedules one a random delay later)."""
    HT = np.empty(size + 1)
    HI = np.zeros((size + 1, 3), dtype=np.int64)
    ST = np.zeros(16, dtype=np.int64)
    return _plain_heap_core(events, size, seed, HT, HI, ST)


@helper()
def _plain_heap_core(events: int, size: int, seed: int, HT: np.ndarray, HI: np.ndarray,
                     ST: np.ndarray) -> float:
    key = np.uint64(seed) * GOLDEN
    for i in range(size):
        push(HT, HI, ST, L.ST_HEAP, unif(key, i), 0, i)
    total = 0.0
    for i in range(events):
        t, _, ident = pop(HT, HI, ST, L.ST_HEAP)
        total += t
        push(HT, HI, ST, L.ST_HEAP, t - math.log(1.0 - unif(key, size + i)), 0, ident)
    return total
