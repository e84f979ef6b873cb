import numpy as np
from PIL import Image

# Encodings are float32 sums computed by OpenBLAS, whose kernels (and so summation order) depend on the
# CPU: the same face differs between machines in the 7th decimal. 1e-5 is ~100x that rounding noise and
# ~1000x below what a real change in the encoder moves (a box shifted by a few pixels, another landmark
# model or one jitter moves elements by 1e-3 to 1e-1).
ATOL = 1e-5


def pairwise(encodings: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack(encodings).astype(np.float64)
    return np.linalg.norm(stacked[:, None, :] - stacked[None, :, :], axis=-1)


def test_batched_encoding_gives_face_recognitions_numbers(engine, photos):
    import face_recognition

    canvas = Image.new("RGB", (1280, 720), (119, 119, 119))
    for i, (_, path) in enumerate(photos[:3]):
        with Image.open(path) as im:
            canvas.paste(im.convert("RGB").resize((280, 280)), (40 + i * 400, 200))
    frame = np.asarray(canvas)
    locations = face_recognition.face_locations(frame, 1, "hog")
    assert len(locations) == 3
    ours = engine._encode(frame, locations, 1)
    theirs = face_recognition.face_encodings(frame, locations, 1, "small")
    assert len(ours) == len(theirs) == 3
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), rtol=0, atol=ATOL)
    # What the product does with encodings: distances between faces, and the 0.6 decision on each.
    np.testing.assert_allclose(pairwise(ours), pairwise(theirs), rtol=0, atol=ATOL)
    assert ((pairwise(ours) < 0.6) == (pairwise(theirs) < 0.6)).all()
