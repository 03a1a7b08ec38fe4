"""What compiled programs run on, below the ops that use it: one backend and kernel library
per device name and the device arrays of each (device_arrays.py), the error board that
index-checking kernels flag (error_board.py), the launch of generated elementwise kernels
(elementwise.py), the device thunk of a node from its op's CUDA facet (thunks.py), and the
lazy scheduling of ``ifelse`` branches (lazy.py).

An op's CUDA facet (``Op.cuda``, graph/op.py) builds its thunk with these helpers, so ops
import this package and nothing in ``compile/``.
"""
