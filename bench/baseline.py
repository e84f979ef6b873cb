"""The baseline peer: face_recognition's own default pipeline, called directly in Python.

Usage: baseline.py PROCS ROUNDS PER_ROUND [--floor] image...
Each call decodes the image bytes, runs face_locations (HOG, upsample 1) and face_encodings, which is what a
face_recognition user writes. PROCS 1: one call after another in this process. PROCS > 1: a
multiprocessing pool over the frames, as face_recognition's CLI does with --cpus (pool.starmap over the
images, default chunking); the pool is started and warm before the clock starts. Each round takes the next
PER_ROUND frames of the list, cycling. --floor adds face_encodings alone with the boxes already known: the
floor that no detector trick can beat.

Prints JSON {"rounds": [{"frames", "faces", "s"}], "ms": [...per call...], "faces": [...per call...],
"encodeMsPerFace": x | null, "dlib": {...}}.
"""

import io
import json
import multiprocessing
import sys
import time
from pathlib import Path

import dlib
import face_recognition
import numpy as np
from PIL import Image

_blobs: list[bytes] = []


def _init(blobs: list[bytes]) -> None:
    global _blobs
    _blobs = blobs


def recognize(i: int) -> tuple[float, int]:
    t = time.perf_counter()
    img = np.array(Image.open(io.BytesIO(_blobs[i])).convert("RGB"))
    locs = face_recognition.face_locations(img)
    encs = face_recognition.face_encodings(img, locs)
    return (time.perf_counter() - t) * 1000, len(encs)


def encode_floor(blobs: list[bytes]) -> float:
    encode_ms, encoded = 0.0, 0
    for data in blobs:
        img = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
        locs = face_recognition.face_locations(img)
        t = time.perf_counter()
        face_recognition.face_encodings(img, locs)
        encode_ms += (time.perf_counter() - t) * 1000
        encoded += len(locs)
    return encode_ms / max(1, encoded)


def main() -> None:
    procs, rounds, per_round = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    floor = "--floor" in sys.argv[4:]
    paths = [p for p in sys.argv[4:] if p != "--floor"]
    blobs = [Path(p).read_bytes() for p in paths]
    _init(blobs)
    pool = (
        multiprocessing.get_context("fork").Pool(procs, _init, (blobs,))
        if procs > 1
        else None
    )
    run = (
        (lambda idx: pool.map(recognize, idx))
        if pool
        else (lambda idx: [recognize(i) for i in idx])
    )
    run(
        list(range(min(len(blobs), max(2, procs * 2))))
    )  # warm: models loaded in every process
    out = {"rounds": [], "ms": [], "faces": []}
    nxt = 0
    for _ in range(rounds):
        idx = [(nxt + k) % len(blobs) for k in range(per_round)]
        nxt += per_round
        t = time.perf_counter()
        res = run(idx)
        s = time.perf_counter() - t
        out["rounds"].append(
            {"frames": len(res), "faces": sum(f for _, f in res), "s": s}
        )
        out["ms"] += [ms for ms, _ in res]
        out["faces"] += [f for _, f in res]
    if pool:
        pool.close()
        pool.join()
    out["encodeMsPerFace"] = encode_floor(blobs[:8]) if floor else None
    out["dlib"] = {"blas": bool(dlib.DLIB_USE_BLAS), "path": dlib.__file__}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
