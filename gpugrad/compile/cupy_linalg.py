"""The linear algebra ops on a device: CuPy's cuSOLVER/cuBLAS-backed routines, one per
op class (``ROUTINES``), with the host's errors: where cuSOLVER reports a singular or
indefinite matrix only through its info, the result is checked and ``LinAlgError`` raised.
They take a backend's array module and ``cupyx`` (``cupy`` on ``cuda``, the simulated CuPy on
``cuda-sim``) and run on its device."""
import numpy as np
import scipy.linalg

from ..errors import LinAlgError, ShapeError
from ..linalg.base import check_square
from ..linalg.decompositions import Cholesky, Eigh
from ..linalg.det import Det, SLogDet
from ..linalg.expm import Expm, ExpmFrechet
from ..linalg.inverse import MatrixInverse, Pinv
from ..linalg.logm import Logm, principal_log
from ..linalg.solve import Solve, SolveTriangular, check_run


def run(be, op, values):
    """The CuPy routine of ``op`` on ``be``'s device; where cuSOLVER reports a singular or
    indefinite matrix only through its info (or a non-finite result from finite input), the
    host's LinAlgError."""
    routine, failure = ROUTINES[type(op)]
    cp, cupyx = be.xp, be.cupyx
    with be.context():
        if failure is None:
            return routine(cp, cupyx, op, *values)
        try:
            with cupyx.errstate(linalg="raise"):
                results = routine(cp, cupyx, op, *values)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"{op}: {failure}") from None
        if not all(bool(cp.isfinite(r).all()) for r in results) and all(bool(cp.isfinite(v).all()) for v in values):
            raise LinAlgError(f"{op}: {failure}")
    return results


def _mirrored(cp, a, lower, hermitian):
    """The matrix that LAPACK reads from one triangle of ``a`` (``linalg.base.hermitian_from``)."""
    strict = cp.tril(a, -1) if lower else cp.triu(a, 1)
    mirror = strict.swapaxes(-1, -2)
    diagonal = a * cp.eye(a.shape[-1], dtype=a.dtype)
    if hermitian and a.dtype.kind == "c":
        mirror, diagonal = mirror.conj(), diagonal.real.astype(a.dtype)
    return strict + mirror + diagonal


def _cupy_expm(cp, cupyx, op, a):
    """``cupyx.scipy.linalg.expm`` one matrix at a time (it takes no stacks); where the
    installed CuPy lacks it, SciPy's on a host copy: the one documented host fallback."""
    check_square(op, a)
    if a.size == 0:
        return [a.copy()]
    expm = getattr(cupyx.scipy.linalg, "expm", None)
    if expm is None:
        return [cp.asarray(scipy.linalg.expm(cp.asnumpy(a)))]
    flat = a.reshape((-1,) + a.shape[-2:])
    return [cp.stack([expm(m) for m in flat]).reshape(a.shape)]


def _cupy_expm_frechet(cp, cupyx, op, a, e):
    """L(a, e) as the top-right block of expm([[a, e], [0, a]]) (Higham, Thm 3.6)."""
    check_square(op, a)
    if a.shape != e.shape:
        raise ShapeError(f"{op}: a of shape {a.shape} and e of shape {e.shape} differ")
    n = a.shape[-1]
    block = cp.concatenate([cp.concatenate([a, e], -1), cp.concatenate([cp.zeros_like(a), a], -1)], -2)
    return [_cupy_expm(cp, cupyx, op, block)[0][..., :n, n:]]


def _columns(op, b, solve):
    """``solve`` of ``b`` as a stack of matrices (a vector right-hand side as one column)."""
    if op.b_ndim == 2:
        return [solve(b)]
    return [solve(b[..., None])[..., 0]]


def _cupy_solve(cp, cupyx, op, a, b):
    check_run(op, a, b)
    m = a if op.assume_a == "gen" else _mirrored(cp, a, op.lower, op.assume_a != "sym")
    return _columns(op, b, lambda cols: cp.linalg.solve(m, cols))


def _cupy_solve_triangular(cp, cupyx, op, a, b):
    check_run(op, a, b)
    solve = cupyx.scipy.linalg.solve_triangular
    return _columns(op, b, lambda cols: solve(a, cols, trans=op.trans, lower=op.lower,
                                              unit_diagonal=op.unit_diagonal))


def _cupy_cholesky(cp, cupyx, op, a):
    """CuPy's lower factor of the matrix read from the op's triangle; the upper one is its ``^H``."""
    check_square(op, a)
    low = cp.linalg.cholesky(_mirrored(cp, a, op.lower, hermitian=True))
    return [low if op.lower else low.swapaxes(-1, -2).conj()]


# Gauss-Legendre nodes and weights on [0, 1]: log(I + X) = sum_j w_j X (I + t_j X)^-1 is the
# [8/8] Pade approximant, accurate to double precision for ||X||_1 <= 0.25.
_NODES, _WEIGHTS = (np.polynomial.legendre.leggauss(8)[0] + 1) / 2, np.polynomial.legendre.leggauss(8)[1] / 2
_SQRT_STEPS, _MAX_ROOTS = 100, 64


def _norm1(cp, a):
    """The largest 1-norm over a stack, read back once (the loops below branch on it)."""
    return float(cp.abs(a).sum(axis=-2).max()) if a.size else 0.0


def _sqrtm_db(cp, a, eye):
    """The principal square root of each matrix by the product form of the Denman-Beavers
    iteration (Higham, Functions of Matrices, (6.17)): inverses only, which cuSOLVER has;
    None when it does not converge (an eigenvalue on the closed negative real axis)."""
    m, y = a, a
    for _ in range(_SQRT_STEPS):
        try:
            m_inv = cp.linalg.inv(m)
        except np.linalg.LinAlgError:  # NumPy raises; CuPy gives non-finite values (checked below)
            return None
        y = y @ (eye + m_inv) / 2
        m = (eye + (m + m_inv) / 2) / 2
        if not np.isfinite(_norm1(cp, m)):
            return None
        if _norm1(cp, m - eye) <= 1e-14 * a.shape[-1]:
            return y
    return None


def _cupy_logm(cp, cupyx, op, a):
    """Inverse scaling and squaring: square roots until A^(1/2^s) is within 1/4 of I, the
    Gauss-Legendre form of the Pade approximant of log(I + X) there (solves), times 2^s.
    It needs no Schur form (CuPy has none); where the square roots do not converge (an
    eigenvalue on the negative real axis, or 0) the op's SciPy perform runs on a host copy,
    with its branch choice and errors: the one documented host fallback of this op."""
    check_square(op, a)
    dtype = a.dtype
    if a.size == 0:
        return [a.copy()]
    work = a.astype(np.result_type(dtype, np.float64))
    eye = cp.eye(a.shape[-1], dtype=work.dtype)
    roots = 0
    while _norm1(cp, work - eye) > 0.25:
        work = _sqrtm_db(cp, work, eye) if roots < _MAX_ROOTS else None
        if work is None:
            return [cp.asarray(principal_log(op, cp.asnumpy(a), dtype))]
        roots += 1
    x = work - eye
    log = sum(w * cp.linalg.solve(eye + t * x, x) for t, w in zip(_NODES, _WEIGHTS))
    return [(log * 2.0 ** roots).astype(dtype, copy=False)]


def _square(routine):
    """A CuPy routine of one square stack, checked as the op's ``perform`` checks it."""
    def call(cp, cupyx, op, a):
        check_square(op, a)
        result = routine(cp, op, a)
        return list(result) if isinstance(result, tuple) else [result]
    return call


ROUTINES = {  # op class -> (CuPy routine, the failure a non-finite result means or None)
    Expm: (_cupy_expm, None),
    ExpmFrechet: (_cupy_expm_frechet, None),
    Solve: (_cupy_solve, "Singular matrix"),
    SolveTriangular: (_cupy_solve_triangular, "Singular matrix"),
    Cholesky: (_cupy_cholesky, "Matrix is not positive definite"),
    MatrixInverse: (_square(lambda cp, op, a: cp.linalg.inv(a)), "Singular matrix"),
    Pinv: (lambda cp, cupyx, op, a: [cp.linalg.pinv(a)], None),
    Det: (_square(lambda cp, op, a: cp.linalg.det(a)), None),
    SLogDet: (_square(lambda cp, op, a: cp.linalg.slogdet(a)), None),
    Logm: (_cupy_logm, None),
    Eigh: (_square(lambda cp, op, a: cp.linalg.eigh(a, UPLO="L" if op.lower else "U")), None),
}
