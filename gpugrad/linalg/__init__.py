"""Linear algebra with gradients and R-ops, real and complex, on stacks of matrices.

One module per family: expm (expm, expm_frechet), logm, solve (solve, solve_triangular),
inverse (matrix_inverse, pinv), det (det, slogdet), decompositions (cholesky, eigh,
eigvalsh), norm; base holds what they share. Users reach them as ``T.slinalg`` and
``T.nlinalg`` (Theano's split: SciPy's functions and NumPy's).
"""
from ..errors import LinAlgError

__all__ = ["LinAlgError"]
