import os

from app.blas import blas_threads, limit_blas_threads


def test_blas_threads_share_the_cpus_among_engine_processes():
    assert blas_threads(0, processes=2, cpus=2) == 1
    assert blas_threads(0, processes=1, cpus=2) == 2
    assert blas_threads(0, processes=3, cpus=8) == 2
    assert blas_threads(0, processes=4, cpus=2) == 1
    assert blas_threads(3, processes=1, cpus=2) == 3


def test_limit_reaches_the_engine_processes_through_the_environment(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    limit_blas_threads(1)
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "1"
