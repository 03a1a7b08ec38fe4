"""``T.nlinalg``: Theano's names for NumPy's linear algebra (``theano.tensor.nlinalg``).
``inv`` is NumPy's name for Theano's ``matrix_inverse``; both are kept so code written
for either ports unchanged."""
from ..errors import LinAlgError
from ..linalg.decompositions import Eigh, eigh
from ..linalg.det import Det, SLogDet, det, slogdet
from ..linalg.inverse import MatrixInverse, Pinv, matrix_inverse, pinv
from ..linalg.norm import norm
from ..ops.blas import trace

inv = matrix_inverse

__all__ = ["Eigh", "eigh", "Det", "SLogDet", "det", "slogdet", "MatrixInverse", "Pinv", "matrix_inverse", "inv",
           "pinv", "norm", "trace", "LinAlgError"]
