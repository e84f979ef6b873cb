"""
npm start's first run: the worker serves on the prebuilt dlib-bin while dlib with OpenBLAS compiles in the
background, then moves its engine processes to the new build without failing a request.

The two builds are real: the venv's own dlib (OpenBLAS) and the copy of dlib-bin that `setup.sh --dev`
installs beside it, first on the engine processes' sys.path (spawn hands them the parent's) until the
"build" is ready.
"""

import math
import os
import sys
import threading
import time
import warnings
from pathlib import Path

import dlib
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

from .conftest import image_bytes

BIN_COPY = Path(sys.prefix) / "dlib-bin"
JPEG = {"Content-Type": "image/jpeg"}


def skip_loudly(why: str) -> None:
    warnings.warn(f"SKIPPED the dlib upgrade test: {why}")
    pytest.skip(why)


def wait_for(what: str, check, timeout_s: float = 120.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout_s} s")


def test_the_worker_moves_to_the_openblas_build_without_failing_a_request(tmp_path, monkeypatch, face_photo):
    if not dlib.DLIB_USE_BLAS:
        skip_loudly("the venv's dlib has no BLAS, so there is no build to move to (run setup.sh with a compiler)")
    if not any(BIN_COPY.glob("*dlib*")):
        skip_loudly(f"no dlib-bin copy at {BIN_COPY} (run setup.sh --dev)")
    state = tmp_path / ".glimpse-dlib-build"
    state.write_text(f"building {os.getpid()}\n")
    (tmp_path / "dlib-build.log").write_text(
        "[ 12%] Building CXX object dlib_build/CMakeFiles/dlib.dir/all/source.cpp.o\n"
    )
    monkeypatch.setenv("GLIMPSE_WORKER_VENV", str(tmp_path))
    monkeypatch.syspath_prepend(str(BIN_COPY))  # dlib is imported here already; engine processes import dlib-bin
    body = image_bytes(face_photo)

    with TestClient(create_app(Settings(processes=1, dlib_watch_s=0.05))) as client:
        ping = client.get("/ping").json()
        assert (ping["dlib"], ping["blas"]) == ("bin", False)
        assert ping["dlibBuild"] == {"state": "building", "percent": 12}
        [before] = client.post("/v1/encode", content=body, headers=JPEG).json()["faces"]

        results: list[tuple[int, float, str]] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                r = client.post("/v1/encode", content=body, headers=JPEG)
                build = client.get("/ping").json()["dlib"]
                faces = r.json().get("faces", []) if r.status_code == 200 else []
                moved = math.dist(faces[0]["encoding"], before["encoding"]) if faces else math.inf
                results.append((r.status_code, moved, build))

        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_for("requests on dlib-bin", lambda: len(results) >= 3)
            sys.path.remove(str(BIN_COPY))  # the fresh engine processes import the venv's OpenBLAS dlib
            state.write_text("ready\n")
            wait_for("the move to OpenBLAS", lambda: client.get("/ping").json()["dlib"] == "openblas")
            switched = len(results)
            wait_for("requests on OpenBLAS", lambda: len(results) >= switched + 3)
        finally:
            stop.set()
            loader.join(60)

        ping = client.get("/ping").json()
        assert (ping["dlib"], ping["blas"]) == ("openblas", True)
        assert "dlibBuild" not in ping
    statuses = [s for s, _, _ in results]
    assert statuses.count(200) == len(statuses), f"failed requests during the move: {statuses}"
    assert {b for _, _, b in results} == {"bin", "openblas"}
    # the same face gives the same encoding on both builds (README: largest difference 3e-7 per value)
    assert max(d for _, d, _ in results) < 1e-4
