"""
How many threads dlib's BLAS (OpenBLAS, which runs the ResNet encoder's matrix products) may use.

Each engine process encodes one face batch at a time. With one process per core, a BLAS thread per process
keeps them from fighting over the cores; a single process on a bigger machine may take several.
"""

import ctypes
import os

from .pool import available_cpus

_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def blas_threads(configured: int, processes: int, cpus: int | None = None) -> int:
    """0 means the CPUs shared out among the engine processes, at least one each."""
    if configured > 0:
        return configured
    if cpus is None:
        cpus = available_cpus()
    return max(1, cpus // max(1, processes))


def limit_blas_threads(threads: int) -> None:
    """
    For this process and the engine processes it starts: OpenBLAS reads the variable when it loads, and
    a library that is already loaded is told directly.
    """
    for name in _ENV:
        os.environ[name] = str(threads)
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(threads)
    except (OSError, AttributeError):
        pass  # no OpenBLAS here (dlib-bin has no BLAS): the variable is all there is
