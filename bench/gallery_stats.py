"""Per-dimension mean and spread of real dlib encodings, so that the bench's pre-loaded galleries look like
real faces to the HNSW index (bench/gallery.mjs). face_recognition's own pipeline on distractor photos.

Usage: gallery_stats.py image...  -> prints JSON {"faces": n, "mean": [128], "std": [128]}
"""

import json
import sys

import face_recognition
import numpy as np


def main() -> None:
    encs = []
    for path in sys.argv[1:]:
        image = face_recognition.load_image_file(path)
        found = face_recognition.face_encodings(
            image, face_recognition.face_locations(image)
        )
        if found:
            encs.append(found[0])
    if len(encs) < 8:
        raise SystemExit(f"only {len(encs)} faces found in {len(sys.argv) - 1} photos")
    a = np.stack(encs)
    print(
        json.dumps(
            {
                "faces": len(encs),
                "mean": a.mean(axis=0).tolist(),
                "std": a.std(axis=0).tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()
