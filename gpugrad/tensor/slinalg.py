"""``T.slinalg``: Theano's names for SciPy's linear algebra (``theano.tensor.slinalg``)."""
from ..errors import LinAlgError
from ..linalg.decompositions import Cholesky, cholesky, eigvalsh
from ..linalg.expm import Expm, ExpmFrechet, expm, expm_frechet
from ..linalg.logm import Logm, logm
from ..linalg.solve import Solve, SolveTriangular, solve, solve_triangular

__all__ = ["Cholesky", "cholesky", "eigvalsh", "Expm", "ExpmFrechet", "expm", "expm_frechet", "Logm", "logm",
           "Solve", "SolveTriangular", "solve", "solve_triangular", "LinAlgError"]
