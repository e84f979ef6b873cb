"""The baseline peer: face_recognition's own default pipeline, called directly in Python.

Usage: baseline.py N image...  -> prints JSON {"ms": [...per call...], "faces": [...]}
Each call decodes the image bytes, runs face_locations (HOG, upsample 1) and face_encodings,
which is what a face_recognition user writes.
"""
import io
import json
import sys
import time

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
    print(json.dumps({"ms": ms, "faces": faces}))


if __name__ == "__main__":
    main()
