"""The instantiations of every file in kernels/ that the simulator and NVRTC tests compile."""
import numpy as np

FLOATS = (np.float32, np.float64, np.complex64, np.complex128)
INTEGERS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)

INSTANTIATIONS = {
    "int_matmul": [({"T": dt}, ()) for dt in (*INTEGERS, np.bool_)],
    "arange": [({"T": dt}, ()) for dt in (*INTEGERS, np.float32, np.float64)],
    "gather_nd": [({"T": dt}, ()) for dt in (np.bool_, np.int16, np.float32, np.complex128)],
    "scatter_nd": [({"T": dt}, (("GG_SET", "0"),)) for dt in (np.bool_, *INTEGERS, *FLOATS)]  # every atomic add
                  + [({"T": dt}, (("GG_SET", "1"),)) for dt in (np.int8, np.complex128)],
    "mask_positions": [({}, (("GG_WRITE", "0"),)), ({}, (("GG_WRITE", "1"),))],
    "im2col": [({"T": dt}, ()) for dt in (np.float32, np.float64, np.complex64)],
    "col2im": [({"T": dt}, ()) for dt in (np.float32, np.float64, np.complex128)],
    "pool_window": [({"T": t, "U": u}, (("GG_POOL", mode),)) for t, u, mode in [  # modes: ops/pool.py
        (np.float32, np.float32, "0"), (np.int32, np.int32, "0"), (np.int64, np.float64, "0"),
        (np.int16, np.int16, "1"), (np.float32, np.float32, "2"), (np.float64, np.float64, "3")]],
    "pool_backward": [({"T": t, "U": u}, (("GG_POOL", mode),)) for t, u, mode in [
        (np.float64, np.float64, "0"), (np.int32, np.float32, "0"), (np.float32, np.float32, "1"),
        (np.float32, np.float32, "2"), (np.float64, np.float64, "3")]],
    "philox": [({"T": dt}, (("GG_NORMAL", normal),)) for dt in (np.float32, np.float64) for normal in "01"],
    "philox_advance": [({}, ())],
}
