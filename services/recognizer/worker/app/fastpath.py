"""
Detection on a downscaled copy of the frame, encoding from the full-resolution pixels.

HOG's cost grows with the pixels it scans (and 4x per upsample step), while the encoder always
works on a 150x150 aligned chip cut from the frame, so detecting small and encoding from the
original keeps the encoding the same and cuts most of the detector's time.
"""

import numpy as np
from PIL import Image

Location = tuple[int, int, int, int]  # (top, right, bottom, left), face_recognition's css order


def detection_scale(width: int, height: int, max_side: int, min_scale: float = 0.0) -> float:
    """
    The factor the frame is shrunk by before detection: to `max_side` pixels (0 = off), but never
    below `min_scale`, which bounds the smallest face still found (HOG's ~40 px at upsample 1, / scale).
    """
    longest = max(width, height)
    if max_side <= 0 or longest <= max_side:
        return 1.0
    return min(1.0, max(max_side / longest, min_scale))


def shrink(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # BILINEAR with Pillow's reducing_gap keeps it antialiased and fast (a box filter first).
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))


def scale_location(loc: Location, scale: float, width: int, height: int) -> Location:
    """A box found on the shrunk frame, in the original frame's pixels, clipped to it."""
    if scale >= 1.0:
        return loc
    top, right, bottom, left = (v / scale for v in loc)
    return (
        max(0, round(top)),
        min(width, round(right)),
        min(height, round(bottom)),
        max(0, round(left)),
    )


def iou(a: Location, b: Location) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = lambda r: max(0, r[1] - r[3]) * max(0, r[2] - r[0])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union else 0.0
