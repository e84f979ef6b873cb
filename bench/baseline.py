"""The baseline peer: face_recognition's own default pipeline, called directly in Python.

Usage: baseline.py N image...  -> prints JSON {"ms": [...per call...], "faces": [...], "encodeMsPerFace": x, "dlib": {...}}
Each call decodes the image bytes, runs face_locations (HOG, upsample 1) and face_encodings,
which is what a face_recognition user writes. encodeMsPerFace is face_encodings alone with the
boxes already known: the floor that no detector trick can beat.
"""
import io
import json
import sys
import time

import dlib
import face_recognition
import numpy as np
from PIL import Image


def main() -> None:
    n = int(sys.argv[1])
    blobs = [open(p, "rb").read() for p in sys.argv[2:]]
    ms, faces = [], []
    for i in range(n):
        data = blobs[i % len(blobs)]
        t = time.perf_counter()
        img = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
        locs = face_recognition.face_locations(img)
        encs = face_recognition.face_encodings(img, locs)
        ms.append((time.perf_counter() - t) * 1000)
        faces.append(len(encs))
    encode_ms, encoded = 0.0, 0
    for data in blobs:
        img = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
        locs = face_recognition.face_locations(img)
        t = time.perf_counter()
        face_recognition.face_encodings(img, locs)
        encode_ms += (time.perf_counter() - t) * 1000
        encoded += len(locs)
    build = {"blas": bool(dlib.DLIB_USE_BLAS), "path": dlib.__file__}
    print(json.dumps({"ms": ms, "faces": faces, "encodeMsPerFace": encode_ms / max(1, encoded), "dlib": build}))


if __name__ == "__main__":
    main()
