"""Philox-4x32-10 in NumPy, and how its words become uniform and normal floats: the CPU
half of ``kernels/philox.cu``, operation for operation, so that every device draws the
same bits for the same state.

Philox (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC11; Random123's ``philox4x32_R(10, ...)``, also cuRAND's and JAX's) maps a 128-bit
counter and a 64-bit key to four 32-bit words. A draw's state is four uint32 words
``[k0, k1, c2, c3]``: the key and the call counter. Block ``j`` of a draw is
``philox((j mod 2^32, j div 2^32, c2, c3), (k0, k1))``, the words ``W[4j .. 4j+3]``; the
next state counts the call: ``c2 + 2^32 c3`` plus one.

Words to floats, each step exact or rounded once in the draw's dtype:

==================  ==========================================================================
float32 uniform     element e from word e: ``u = (2 (w >> 9) + 1) 2^-24``, in (0, 1)
float64 uniform     element e from words 2e, 2e+1 (a, b):
                    ``u = (2 ((a >> 6) 2^26 + (b >> 6)) + 1) 2^-53``, in (0, 1)
normal              Box-Muller on the uniforms of the same dtype taken in pairs: elements
                    2p and 2p+1 are ``r cos(2 pi v)`` and ``r sin(2 pi v)`` with
                    ``r = sqrt(-2 log u)``, ``u, v`` uniforms 2p and 2p+1
==================  ==========================================================================

``log`` and ``sincos`` are polynomials written with + - * / and sqrt only (``_log``,
``_sincos``): those round the same in NumPy and in CUDA (the kernel spells each one as an
``__f*_rn``/``__d*_rn`` intrinsic, so nothing is contracted into an FMA), where the math
libraries of the two differ in the last bit. Their coefficients are ``COEFFICIENTS``,
written out in the kernel as exact hexadecimal literals (a test compares the two).
"""
import math

import numpy as np

ROUNDS = 10
MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
WEYL = (0x9E3779B9, 0xBB67AE85)  # the key's increments between rounds
STATE_WORDS = 4
_KEY_DOMAIN = 0x6B657973  # counter word 2 of the blocks that derive a stream's key from a seed


def philox4x32(counter, key):
    """Random123's ``philox4x32_R(10, counter, key)``: ``counter`` four uint32 arrays (or
    ints, broadcasting together), ``key`` two ints; four uint32 arrays back."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint32) for c in counter)
    k0, k1 = int(key[0]), int(key[1])
    m0, m1 = np.uint64(MULTIPLIERS[0]), np.uint64(MULTIPLIERS[1])
    for _ in range(ROUNDS):
        p0, p1 = m0 * c0.astype(np.uint64), m1 * c2.astype(np.uint64)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)).astype(np.uint32) ^ c1 ^ np.uint32(k0), p1.astype(np.uint32),
                          (p0 >> np.uint64(32)).astype(np.uint32) ^ c3 ^ np.uint32(k1), p0.astype(np.uint32))
        k0, k1 = (k0 + WEYL[0]) & 0xFFFFFFFF, (k1 + WEYL[1]) & 0xFFFFFFFF
    return c0, c1, c2, c3


def stream_state(seed, stream):
    """The first state of stream number ``stream`` of a generator seeded with ``seed``: a key
    made by Philox itself from both (keyed by the seed), the call counter at zero."""
    seed = int(seed)
    words = philox4x32((stream & 0xFFFFFFFF, stream >> 32, _KEY_DOMAIN, 0), (seed & 0xFFFFFFFF, seed >> 32))
    return np.array([words[0], words[1], 0, 0], dtype=np.uint32)


def advance(state):
    """The state after one more call: the 64-bit counter ``c2 + 2^32 c3`` plus one."""
    k0, k1, c2, c3 = (int(w) for w in state)
    count = (c2 + (c3 << 32) + 1) & 0xFFFFFFFFFFFFFFFF
    return np.array([k0, k1, count & 0xFFFFFFFF, count >> 32], dtype=np.uint32)


def words(state, n):
    """The first ``n`` words of the draw of ``state`` (rounded up to whole blocks)."""
    blocks = np.arange(-(-n // 4), dtype=np.uint64)
    w = philox4x32((blocks & np.uint64(0xFFFFFFFF), blocks >> np.uint64(32), state[2], state[3]), state[:2])
    return np.stack(w, axis=1).reshape(-1)


def uniform(state, n, dtype):
    """``n`` uniforms in (0, 1) of ``dtype`` (float32 or float64), as the module docstring says."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        w = words(state, n)[:n]
        return ((w >> np.uint32(9)) * np.uint32(2) + np.uint32(1)).astype(np.float32) * np.float32(2.0 ** -24)
    w = words(state, 2 * n)[:2 * n].astype(np.uint64)
    k = ((w[0::2] >> np.uint64(6)) << np.uint64(26)) | (w[1::2] >> np.uint64(6))
    return (k * np.uint64(2) + np.uint64(1)).astype(np.float64) * 2.0 ** -53


def normal(state, n, dtype):
    """``n`` standard normals of ``dtype``: Box-Muller on pairs of ``uniform``s."""
    dtype = np.dtype(dtype)
    pairs = -(-n // 2)
    u = uniform(state, 2 * pairs, dtype)
    r = np.sqrt(dtype.type(-2) * _log(u[0::2]))
    cos, sin = _sincos(u[1::2])
    return np.stack([r * cos, r * sin], axis=1).reshape(-1)[:n]


def _coefficients(dtype):
    """The polynomials of ``_log`` and ``_sincos``, each coefficient rounded once to ``dtype``
    from exact operands: 2/(2k+1) (log), (-1)^k/(2k+1)! (sin), (-1)^k/(2k)! (cos), with as
    many terms as the dtype's precision needs on their ranges. ``ln2``, ``pi/2`` and
    ``sqrt(1/2)`` (the mantissa's cut) are the nearest values of the dtype."""
    t = np.dtype(dtype).type
    single = t is np.float32
    return {"log": tuple(t(2) / t(2 * k + 1) for k in range(1, 7 if single else 12)),
            "sin": tuple(t((-1) ** k) / t(math.factorial(2 * k + 1)) for k in range(1, 6 if single else 10)),
            "cos": tuple(t((-1) ** k) / t(math.factorial(2 * k)) for k in range(2, 7 if single else 11)),
            "ln2": t(math.log(2)), "half_pi": t(math.pi / 2), "sqrt_half": t(math.sqrt(0.5))}


COEFFICIENTS = {np.dtype(dt): _coefficients(dt) for dt in (np.float32, np.float64)}


def _horner(z, coefficients):
    p = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        p = p * z + c
    return p


def _log(x):
    """log x for x in (0, 1), fdlibm's reduction: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
    f = m - 1 (exact), s = f / (2 + f), log m = f - (f^2/2 - s (f^2/2 + R(s^2)))."""
    t, c = x.dtype.type, COEFFICIENTS[x.dtype]
    m, e = np.frexp(x)
    low = m < c["sqrt_half"]
    m, e = np.where(low, m + m, m), e - low
    f = m - t(1)
    hfsq = t(0.5) * f * f
    s = f / (t(2) + f)
    z = s * s
    r = z * _horner(z, c["log"])
    return e.astype(x.dtype) * c["ln2"] + (f - (hfsq - s * (hfsq + r)))


def _sincos(u):
    """cos and sin of 2 pi u for u in (0, 1): the nearest quarter turn q of 4u (exact), the
    rest r = 4u - q in [-1/2, 1/2] (exact) as the angle r pi/2, Taylor polynomials there."""
    t, c = u.dtype.type, COEFFICIENTS[u.dtype]
    four_u = t(4) * u
    q = np.rint(four_u)
    x = (four_u - q) * c["half_pi"]
    z = x * x
    sin = x + x * (z * _horner(z, c["sin"]))
    cos = t(1) - (t(0.5) * z - z * (z * _horner(z, c["cos"])))
    quadrant = q.astype(np.int64) % 4
    return (np.choose(quadrant, [cos, -sin, -cos, sin]), np.choose(quadrant, [sin, cos, -sin, -cos]))
