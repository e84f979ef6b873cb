import math

import numpy as np
from PIL import Image

from app import blazeface
from app.blazeface import VARIANTS, BlazeFace, anchors, weighted_nms
from app.fastpath import iou

from .conftest import image_bytes


def on_canvas(photo: Image.Image, size: tuple[int, int], side: int, at: tuple[int, int] | None = None) -> np.ndarray:
    canvas = Image.new("RGB", size, (119, 119, 119))
    face = photo.resize((side, side))
    canvas.paste(face, at or ((size[0] - side) // 2, (size[1] - side) // 2))
    return np.asarray(canvas)


def test_the_anchor_grids_match_the_models_outputs():
    assert len(anchors(VARIANTS["short"])) == 896
    assert len(anchors(VARIANTS["full"])) == 2304
    a = anchors(VARIANTS["full"])
    assert a.min() > 0 and a.max() < 1
    assert tuple(a[0]) == (0.5 / 48, 0.5 / 48)


def test_weighted_nms_merges_overlapping_boxes_and_keeps_separate_ones():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    out = weighted_nms(boxes, np.array([0.9, 0.6, 0.8]))
    assert len(out) == 2
    merged, score = out[0]
    assert score == 0.9
    assert 0 < merged[0] < 1 and 10 < merged[2] < 11  # the average, weighted by score


def test_the_weights_come_from_an_installed_package_not_the_network():
    path = blazeface.model_path(VARIANTS["full"].file)
    assert path.endswith(".tflite") and "site-packages" in path


def test_finds_the_face_hog_finds_on_camera_sized_frames(engine, face_photo):
    import face_recognition

    det = BlazeFace("full")
    for size, side in [((640, 480), 300), ((1280, 720), 300), ((1280, 720), 120)]:
        frame = on_canvas(face_photo, size, side)
        found = det.detect(frame)
        hog = face_recognition.face_locations(frame, 1, "hog")
        assert len(found) == 1 and len(hog) == 1, (size, side, found, hog)
        assert iou(found[0][0], hog[0]) > 0.5, (size, side)


def test_an_empty_frame_has_no_faces():
    det = BlazeFace("full")
    assert det.detect(np.full((480, 640, 3), 119, np.uint8)) == []
    noise = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    assert det.detect(noise) == []


def test_several_faces_are_found_apart(photos):
    det = BlazeFace("full")
    canvas = Image.new("RGB", (1280, 720), (119, 119, 119))
    for i, (_, path) in enumerate(photos[:4]):
        with Image.open(path) as im:
            canvas.paste(im.convert("RGB").resize((280, 280)), (20 + i * 315, 200))
    found = det.detect(np.asarray(canvas))
    assert len(found) == 4
    lefts = sorted(loc[3] for loc, _ in found)
    assert all(b - a > 200 for a, b in zip(lefts, lefts[1:]))


def test_encodings_from_blaze_boxes_match_hog_boxes(engine, photos):
    """The same person's encoding whichever detector found the face: well inside the 0.6 threshold."""
    gaps = []
    for _, path in photos[:8]:
        with Image.open(path) as im:
            frame = on_canvas(im.convert("RGB"), (640, 480), 300)
        blaze = engine.analyze(frame, "blaze", 0, 1)
        hog = engine.analyze(frame, "hog", 1, 1)
        if len(blaze.encodings) == 1 and len(hog.encodings) == 1:
            gaps.append(float(np.linalg.norm(blaze.encodings[0] - hog.encodings[0])))
    assert len(gaps) >= 6
    assert max(gaps) < 0.2, gaps
    assert sum(gaps) / len(gaps) < 0.1, gaps


def test_the_http_api_uses_blaze_by_default_and_takes_hog(client, face_photo):
    frame = Image.fromarray(on_canvas(face_photo, (640, 480), 300))
    by_default = client.post("/v1/encode", content=image_bytes(frame), headers={"content-type": "image/jpeg"}).json()
    hog = client.post(
        "/v1/encode?detector=hog", content=image_bytes(frame), headers={"content-type": "image/jpeg"}
    ).json()
    assert len(by_default["faces"]) == 1 and len(hog["faces"]) == 1
    d = math.dist(by_default["faces"][0]["encoding"], hog["faces"][0]["encoding"])
    assert d < 0.2


def test_without_its_packages_blaze_falls_back_to_hog(engine, face_photo, monkeypatch):
    monkeypatch.setattr(engine, "_blaze", None)
    frame = on_canvas(face_photo, (640, 480), 300)
    assert not engine.blaze
    assert len(engine.analyze(frame, "blaze", 1, 1).encodings) == 1


def test_where_blaze_finds_nobody_hog_looks_again(engine, face_photo, monkeypatch):
    monkeypatch.setattr(engine._blaze, "detect", lambda image, min_score=None: [])
    frame = on_canvas(face_photo, (640, 480), 300)
    assert len(engine.analyze(frame, "blaze", 1, 1, 400, 0.5).encodings) == 1
