import numpy as np
from PIL import Image


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
    assert [e.tolist() for e in ours] == [e.tolist() for e in theirs]
