"""Accuracy guard: identification on the fixture faces for the baseline and each fast-path setting.

Usage: accuracy.py FRAME SETTING...   FRAME: photo | 640x480 | 1280x720; SETTING: blaze | <detect_max_side>:<upsample>[:<detect_min_scale>] (HOG)
  ("baseline" = face_recognition called directly: face_locations(img) then face_encodings(img, locs)).
Prints JSON {frame, results: [{setting, accuracy, correct, total, missed, detectMs, encodeMs, ...}]}.

Protocol: each fixture photo is placed on a grey frame of the given size (as a camera would frame a
face); the first photo of each person is enrolled, every other photo must come out as that person
(nearest enrolled face within 0.6), and every stranger must come out new (none within 0.6).
A face the detector misses counts as wrong.
"""
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

WORKER = Path(__file__).resolve().parent.parent / "services" / "recognizer" / "worker"
sys.path.insert(0, str(WORKER))
THRESHOLD = 0.6
FACE_SIDE = 300  # the 250 px LFW photo scaled to this on the frame: faces come out ~120 px tall


def fixtures() -> Path:
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "faces"
    return Path(os.environ.get("GLIMPSE_FIXTURES") or default)


def photos() -> list[tuple[str, Path]]:
    root = fixtures()
    with (root / "MANIFEST.tsv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("faces_expected", "1") == "1"]
    return [(r["identity"], root / r["relative_path"]) for r in rows]


def frame_of(path: Path, kind: str) -> np.ndarray:
    with Image.open(path) as im:
        photo = im.convert("RGB")
    if kind == "photo":
        return np.asarray(photo)
    w, h = (int(v) for v in kind.split("x"))
    canvas = Image.new("RGB", (w, h), (119, 119, 119))
    face = photo.resize((FACE_SIDE, FACE_SIDE), Image.Resampling.BILINEAR)
    canvas.paste(face, ((w - FACE_SIDE) // 2, (h - FACE_SIDE) // 2))
    return np.asarray(canvas)


def largest(locs, encs):
    if not encs:
        return None
    areas = [(b - t) * (r - l) for t, r, b, l in locs]
    return encs[int(np.argmax(areas))]


def score(identities: list[str], encodings: list) -> dict:
    """Enroll first photos, identify the rest; a person seen once (a stranger) must come out new."""
    counts: dict[str, int] = {}
    for who in identities:
        counts[who] = counts.get(who, 0) + 1
    gallery: dict[str, np.ndarray] = {}
    first_seen: set[str] = set()
    correct = total = missed = 0
    for who, enc in zip(identities, encodings):
        enrolled_now = counts[who] > 1 and who not in first_seen
        first_seen.add(who)
        if enrolled_now:
            if enc is not None:
                gallery[who] = enc
            continue
        total += 1
        if enc is None:
            missed += 1
            continue
        names = list(gallery)
        if names:
            d = np.linalg.norm(np.stack([gallery[n] for n in names]) - enc, axis=1)
            best = int(np.argmin(d))
            got = names[best] if d[best] < THRESHOLD else None
        else:
            got = None
        expected = who if counts[who] > 1 else None
        correct += int(got == expected)
    return {"accuracy": round(correct / total, 4), "correct": correct, "total": total, "missed": missed}


def run_setting(setting: str, frames: list[np.ndarray]) -> dict:
    import face_recognition

    detect, encode, encs = [], [], []
    if setting == "baseline":
        for img in frames:
            t0 = time.perf_counter()
            locs = face_recognition.face_locations(img)
            t1 = time.perf_counter()
            e = face_recognition.face_encodings(img, locs)
            t2 = time.perf_counter()
            detect.append((t1 - t0) * 1000)
            encode.append((t2 - t1) * 1000)
            encs.append(largest(locs, e))
    else:
        from app.faces import FaceEngine

        if setting == "blaze":
            detector, max_side, upsample, min_scale = "blaze", 0, 0, 0.0
        else:
            parts = setting.split(":")
            detector, max_side, upsample = "hog", int(parts[0]), int(parts[1])
            min_scale = float(parts[2]) if len(parts) > 2 else 0.0
        engine = _engine(FaceEngine)
        if detector == "blaze" and not engine.blaze:
            raise SystemExit("the BlazeFace packages are missing from the worker venv (run services/recognizer/worker/setup.sh)")
        for img in frames:
            a = engine.analyze(img, detector, upsample, 1, max_side, min_scale)
            detect.append(a.detect_ms)
            encode.append(a.encode_ms)
            encs.append(largest(a.locations, a.encodings))
    return {"detectMs": round(float(np.mean(detect)), 1), "encodeMs": round(float(np.mean(encode)), 1), "encs": encs}


_ENGINE = None


def _engine(cls):
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = cls()
        _ENGINE.load()
    return _ENGINE


def main() -> None:
    kind, settings = sys.argv[1], sys.argv[2:] or ["baseline"]
    items = photos()
    limit = int(os.environ.get("ACCURACY_LIMIT", "0"))
    if limit:
        items = items[:limit]
    identities = [who for who, _ in items]
    frames = [frame_of(p, kind) for _, p in items]
    results = []
    for s in settings:
        r = run_setting(s, frames)
        results.append({"setting": s, **score(identities, r.pop("encs")), **r})
        print(json.dumps(results[-1]), file=sys.stderr)
    print(json.dumps({"frame": kind, "photos": len(items), "results": results}))


if __name__ == "__main__":
    main()
