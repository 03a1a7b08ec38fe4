"""What the numbers were measured on, and the threads every library may use: the process is
pinned to as many CPUs as threads (XLA and PyTorch size their pools by the affinity), the BLAS
NumPy loaded is limited to as many (through threadpoolctl), and the OpenMP/MKL/OpenBLAS
variables tell the libraries that load later."""
import os
import platform
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def threads(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def available_cpus():
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def pin_threads(n):
    """Use ``n`` CPUs from here on; returns the BLAS line for the header."""
    cpus = available_cpus()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus[:n])
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(n)
    try:
        import threadpoolctl
    except ImportError:
        return "BLAS threads: not pinned (threadpoolctl is not installed)"
    threadpoolctl.threadpool_limits(n)
    return ", ".join(f"{pool['internal_api']} {pool.get('version') or ''} ({threads(pool['num_threads'])})"
                     for pool in threadpoolctl.threadpool_info())


def machine(device):
    """The CPU (and the GPU), and the load when the run starts (other work on the machine
    slows the multi-threaded libraries most)."""
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    cpu = f"{_cpu_model()}, {len(available_cpus())} CPUs available{load}, {platform.system()} {platform.machine()}"
    return f"{_gpu_model()}; {cpu}" if device == "cuda" else cpu


def _gpu_model():
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    return name.decode() if isinstance(name, bytes) else name


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def python():
    return f"Python {sys.version.split()[0]}"
