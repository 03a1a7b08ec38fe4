"""The instantiations of every file in kernels/ that the simulator and NVRTC tests compile."""
import numpy as np

ADD = (("GG_OP(a, b)", "((a) + (b))"),)
MUL_ADD = (("GG_OP(a, b)", "((a) * (b) + C(1))"),)
FLOATS = (np.float32, np.float64, np.complex64, np.complex128)

INSTANTIATIONS = {
    "sum_rows": [({"T": dt}, ()) for dt in (*FLOATS, np.int32, np.int64)],
    "scatter_add": [({"T": dt}, ()) for dt in FLOATS],
    "elementwise2": [({"A": dt, "B": dt, "C": dt}, ADD) for dt in (*FLOATS, np.int32, np.int64)]
                    + [({"A": np.float64, "B": np.float32, "C": np.float64}, MUL_ADD),
                       ({"A": np.complex64, "B": np.float32, "C": np.complex64}, MUL_ADD),
                       ({"A": np.bool_, "B": np.bool_, "C": np.bool_}, (("GG_OP(a, b)", "((a) && !(b))"),))],
}
