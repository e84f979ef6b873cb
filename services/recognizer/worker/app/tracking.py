"""
Face tracks across a stream's consecutive snapshots, so that a face already encoded is not encoded again.

The encoder (~90 ms per face on a CPU core) is most of a frame's cost, and a person in front of a
camera is the same person in the next snapshot. A face reuses a track's encoding only when its box
overlaps the track's (IoU) AND a 16x16 grey thumbnail of it correlates with the track's: a different
person stepping into the same spot (A, then B, then A) looks different even where the box does not.
Every track is re-encoded after `max_age_s` anyway, so a mistake cannot outlive that.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .fastpath import Location, iou
from .imaging import SHARPNESS_WIDTH, laplacian_variance

SIGNATURE_SIDE = 16


@dataclass(frozen=True)
class TrackPolicy:
    min_iou: float = 0.5
    # thumbnails of one person in consecutive snapshots correlate at ~0.98 (median); different people
    # at the same spot at most ~0.82 on the LFW fixtures (see tests/test_tracking.py)
    min_similarity: float = 0.92
    max_age_s: float = 2.0
    # a face this much sharper (Laplacian variance) or wider than when its track was encoded is encoded
    # again: a blurred or distant first look must not stand in for the clear face that follows it
    better_ratio: float = 1.5


@dataclass
class Track:
    location: Location
    encoding: np.ndarray
    signature: np.ndarray
    # when this encoding was computed (not when it was last reused): bounds how long it is trusted
    encoded_at: float = field(default_factory=time.monotonic)
    # names the face across the stream's snapshots for the matcher, which decides a track as a whole
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    # the look the encoding was computed from (see reusable)
    sharpness: float = 0.0
    width: int = 0


def signature(image: np.ndarray, loc: Location) -> np.ndarray:
    """A face's 16x16 grey thumbnail, zero-mean and unit-length, so a dot product is a correlation."""
    top, right, bottom, left = loc
    patch = image[top:bottom, left:right]
    if patch.size == 0:
        return np.zeros(SIGNATURE_SIDE * SIGNATURE_SIDE, np.float32)
    grey = Image.fromarray(patch).convert("L").resize((SIGNATURE_SIDE, SIGNATURE_SIDE), Image.Resampling.BILINEAR)
    v = np.asarray(grey, np.float32).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-6 else v


def follow(
    tracks: list[Track],
    locations: list[Location],
    signatures: list[np.ndarray],
    policy: TrackPolicy,
    now: float,
    fresh_only: bool = True,
) -> list[Track | None]:
    """
    For each face, the track it continues (each track at most once), or None. `fresh_only`: only tracks
    whose encoding may still be reused; otherwise any (the face keeps the track's id, but is encoded again).
    """
    free = [t for t in tracks if not fresh_only or now - t.encoded_at < policy.max_age_s]
    out: list[Track | None] = []
    for loc, sig in zip(locations, signatures):
        best, best_iou = None, policy.min_iou
        for t in free:
            overlap = iou(loc, t.location)
            if overlap >= best_iou and float(sig @ t.signature) >= policy.min_similarity:
                best, best_iou = t, overlap
        if best is not None:
            free.remove(best)
        out.append(best)
    return out


def sharpness_of(image: np.ndarray, loc: Location) -> float:
    """The face's sharpness as the matcher's quality gate measures it (imaging.face_quality)."""
    top, right, bottom, left = loc
    patch = image[max(0, top) : bottom, max(0, left) : right]
    if patch.size == 0:
        return 0.0
    grey = Image.fromarray(patch).convert("L")
    height = max(1, round(grey.height * SHARPNESS_WIDTH / grey.width))
    grey = grey.resize((SHARPNESS_WIDTH, height), Image.Resampling.BILINEAR)
    return laplacian_variance(np.asarray(grey, dtype=np.float64))


def reusable(track: Track | None, sharpness: float, width: int, policy: TrackPolicy, now: float) -> bool:
    """Whether a continued track's encoding may stand for this face: fresh, and the face no clearer."""
    if track is None or now - track.encoded_at >= policy.max_age_s:
        return False
    return sharpness <= track.sharpness * policy.better_ratio and width <= track.width * policy.better_ratio


class TrackStore:
    """The latest tracks of each stream, in the worker's server process; idle streams are forgotten."""

    def __init__(self, max_streams: int = 1000, idle_s: float = 60.0) -> None:
        self._tracks: OrderedDict[str, tuple[float, list[Track]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_streams
        self._idle_s = idle_s

    def get(self, key: str) -> list[Track]:
        with self._lock:
            entry = self._tracks.get(key)
            return list(entry[1]) if entry else []

    def put(self, key: str, tracks: list[Track]) -> None:
        now = time.monotonic()
        with self._lock:
            self._tracks[key] = (now, tracks)
            self._tracks.move_to_end(key)
            while self._tracks:
                oldest_key, (seen, _) = next(iter(self._tracks.items()))
                if len(self._tracks) <= self._max and now - seen < self._idle_s:
                    break
                del self._tracks[oldest_key]

    def __len__(self) -> int:
        return len(self._tracks)
