import pickle

import numpy as np

from app.models import Box, EncodeReply, EncodeRequest, Face, FaceQuality, Timings
from app.tracking import Track, TrackPolicy


def reply(**face) -> EncodeReply:
    timings = Timings(decode_ms=1.5, queue_ms=0, detect_ms=2, encode_ms=3, tracked_faces=0)
    quality = FaceQuality(face_width=40, sharpness=12.5)
    faces = [Face(box=Box(x=1, y=2, width=40, height=50), encoding=[0.1] * 128, quality=quality, **face)]
    return EncodeReply(width=640, height=480, faces=faces, timings=timings)


def test_the_reply_is_camel_case_on_the_wire_and_leaves_out_what_is_none():
    wire = reply().model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(wire) == {"width", "height", "faces", "timings"}
    assert wire["timings"] == {"decodeMs": 1.5, "queueMs": 0, "detectMs": 2, "encodeMs": 3, "trackedFaces": 0}
    [face] = wire["faces"]
    assert set(face) == {"box", "encoding", "quality"}
    assert face["quality"] == {"faceWidth": 40, "sharpness": 12.5}


def test_optional_face_fields_appear_under_their_contract_names():
    crop_box = Box(x=0, y=0, width=60, height=70)
    wire = reply(crop="aGk=", crop_box=crop_box, tracked=True, track="abc").model_dump(by_alias=True, exclude_none=True)
    face = wire["faces"][0]
    assert (face["crop"], face["cropBox"], face["tracked"], face["track"]) == (
        "aGk=",
        crop_box.model_dump(),
        True,
        "abc",
    )


def test_a_request_with_tracks_survives_the_trip_to_an_engine_process():
    track = Track((1, 2, 3, 4), np.ones(128), np.zeros(256, np.float32), encoded_at=5.0, id="t1")
    job = EncodeRequest(b"jpeg", "hog", 1, 1, True, 400, 0.5, [track], TrackPolicy(min_iou=0.6))
    back = pickle.loads(pickle.dumps(job))
    assert (back.body, back.detector, back.detect_max_side, back.policy.min_iou) == (b"jpeg", "hog", 400, 0.6)
    assert back.tracks is not None and back.tracks[0].id == "t1"
    assert np.array_equal(back.tracks[0].encoding, track.encoding)
