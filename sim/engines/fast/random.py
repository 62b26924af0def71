"""The fast engine's random numbers: counter-based SplitMix64 streams (a 64-bit key and a
counter) and the draws made from them (uniform, exponential by a ziggurat, gamma, beta).

A lead's row of uniforms is a pure function of its channel's key and its number in the channel
(slot k of lead i: mix(seed_i + k * golden)), so lead i of a channel makes the same choices in
every run of the same seed (common random numbers across bets), and a client's stream is keyed
by its lead's (`CLIENT_SALT`). Exponential waits are drawn by a ziggurat (`exponential`: no
logarithm 98.9% of the time; in a lead's row on the slot's own stream, `row_exponential`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engines.fast.jit import helper

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
CLIENT_SALT = np.uint64(0xC11E47C11E47C11E)  # a client's stream: its lead's key, salted
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@helper(inline=True)
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that scrambles every bit."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@helper(inline=True)
def unif(key: np.uint64, counter: int) -> float:
    """Uniform [0, 1) number `counter` of the stream `key`. (The top 53 bits go through int64:
    a signed conversion to float is one instruction, an unsigned one a branch and several.)"""
    return float(np.int64(mix(key + GOLDEN * np.uint64(counter)) >> _S11)) * _TO_UNIT


@helper(inline=True)
def sub_key(key: np.uint64, index: int) -> np.uint64:
    """The key of the `index`-th member of a stream family (lead i's row, client j's stream)."""
    return mix(key + GOLDEN * np.uint64(index + 1)) ^ GOLDEN


def _exponential_ziggurat() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia and Tsang's 256-layer ziggurat for Exp(1) (J. Stat. Softw. 5(8), 2000), with
    53-bit layer coordinates: KE the acceptance bounds, WE the scales, FE the densities at the
    layers' edges. Layer 0 is the base strip with the tail beyond R."""
    m = 2.0 ** 53
    de = _ZIG_R
    te = de
    ve = 3.949659822581572e-3  # each layer's area
    q = ve / math.exp(-de)
    ke, we, fe = np.zeros(256), np.zeros(256), np.zeros(256)
    ke[0], ke[1] = de / q * m, 0.0
    we[0], we[255] = q / m, de / m
    fe[0], fe[255] = 1.0, math.exp(-de)
    for i in range(254, 0, -1):
        de = -math.log(ve / de + math.exp(-de))
        ke[i + 1] = de / te * m
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m
    return ke, we, fe


_ZIG_R = 7.697117470131487  # where the tail starts
_ZIG_KE, _ZIG_WE, _ZIG_FE = _exponential_ziggurat()
_MASK8 = np.uint64(0xFF)


@helper(inline=True)
def exponential(key: np.uint64, ctr: int) -> tuple[float, int]:
    """Exp(1) from the stream `key` at counter `ctr` by the ziggurat (`_exponential_ziggurat`):
    one 64-bit word (8 bits pick the layer, 53 place the point) and no logarithm 98.9% of the
    time, exact in distribution; returns the draw and the stream's next counter. For streams
    read in sequence (a lead's row has fixed slots: there `row_exponential`)."""
    while True:
        r = mix(key + GOLDEN * np.uint64(ctr))
        ctr += 1
        i = int(r & _MASK8)
        ri = float(np.int64(r >> _S11))
        x = ri * _ZIG_WE[i]
        if ri < _ZIG_KE[i]:
            return x, ctr
        if i == 0:  # the tail beyond R: R plus an Exp(1)
            u = unif(key, ctr)
            return _ZIG_R - math.log(1.0 - u), ctr + 1
        u = unif(key, ctr)
        ctr += 1
        if _ZIG_FE[i] + u * (_ZIG_FE[i - 1] - _ZIG_FE[i]) < math.exp(-x):
            return x, ctr


@helper(inline=True)
def row_exponential(seed: np.uint64, slot: int) -> float:
    """Exp(1) for slot `slot` of a lead's row: the ziggurat (`exponential`) on the slot's own
    stream, since a row's slots are fixed and the ziggurat now and then reads a second word."""
    x, _ = exponential(sub_key(seed, slot), 0)
    return x


@helper()
def gamma(shape: float, key: np.uint64, ctr: int) -> tuple[float, int]:
    """Gamma(shape, 1) (Marsaglia-Tsang; shape < 1 boosted by U^(1/shape)); returns the draw and
    the stream's next counter."""
    boost = 1.0
    a = shape
    if a < 1.0:
        boost = unif(key, ctr) ** (1.0 / a)
        ctr += 1
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        u1, u2 = unif(key, ctr), unif(key, ctr + 1)
        ctr += 2
        x = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = 1.0 - unif(key, ctr)  # (0, 1]
        ctr += 1
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost, ctr


@helper()
def beta(a: float, b: float, key: np.uint64, ctr: int) -> tuple[float, int]:
    x, ctr = gamma(a, key, ctr)
    y, ctr = gamma(b, key, ctr)
    return x / (x + y), ctr
