"""``simcupy.cuda``: the simulated ``cupy.cuda`` namespace: devices (device.py), memory and
allocators (memory.py), streams and graphs (streams.py)."""
from .device import (DEVICES, CUDADriverError, CUDARuntimeError, Counts, Device, compiler, current, driver,  # noqa: F401
                     refuse_in_capture, runtime, simulated)
from .memory import (Memory, MemoryPointer, UnownedMemory, alloc, get_allocator, malloc, set_allocator,  # noqa: F401
                     using_allocator)
from .streams import Graph, Stream, capturing, enqueue, get_current_stream, transfer  # noqa: F401
