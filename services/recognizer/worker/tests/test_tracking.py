import itertools
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from app.tracking import Track, TrackPolicy, TrackStore, follow, reusable, signature

from .conftest import image_bytes, make_client

BOX = (100, 300, 300, 100)


def sig(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(256).astype(np.float32)
    v -= v.mean()
    return v / np.linalg.norm(v)


def track(loc=BOX, seed=1, age=0.0) -> Track:
    return Track(loc, np.full(128, seed, np.float32), sig(seed), time.monotonic() - age)


def test_a_face_at_the_same_spot_that_looks_the_same_continues_its_track():
    t = track()
    assert follow([t], [(104, 304, 304, 104)], [sig(1)], TrackPolicy(), time.monotonic()) == [t]


def test_a_different_face_at_the_same_spot_does_not():
    assert follow([track()], [BOX], [sig(2)], TrackPolicy(), time.monotonic()) == [None]


def test_a_face_elsewhere_or_a_stale_track_does_not():
    now = time.monotonic()
    assert follow([track()], [(100, 600, 300, 400)], [sig(1)], TrackPolicy(), now) == [None]
    assert follow([track(age=3.0)], [BOX], [sig(1)], TrackPolicy(max_age_s=2.0), now) == [None]


def test_a_stale_track_still_names_the_face_when_asked():
    stale = track(age=3.0)
    now = time.monotonic()
    assert follow([stale], [BOX], [sig(1)], TrackPolicy(max_age_s=2.0), now, fresh_only=False) == [stale]
    assert follow([stale], [BOX], [sig(2)], TrackPolicy(max_age_s=2.0), now, fresh_only=False) == [None]


def test_a_fresh_encoding_is_reused_only_for_a_face_no_clearer_than_it():
    t = Track(BOX, np.zeros(128, np.float32), sig(1), time.monotonic(), sharpness=4.0, width=100)
    now, policy = time.monotonic(), TrackPolicy(better_ratio=1.5)
    assert reusable(t, 5.0, 110, policy, now)
    assert not reusable(t, 40.0, 100, policy, now)  # much sharper: encode it
    assert not reusable(t, 4.0, 160, policy, now)  # much closer: encode it
    assert not reusable(None, 4.0, 100, policy, now)


def test_a_blurred_first_look_is_re_encoded_when_the_face_turns_sharp_and_keeps_its_track(engine, face_photo):
    blurred = face_photo.filter(ImageFilter.GaussianBlur(3))
    with make_client(engine) as client:
        first = post(client, frame(blurred), "s_blur")
        sharp = post(client, frame(face_photo), "s_blur")
    assert sharp["timings"]["trackedFaces"] == 0
    assert sharp["faces"][0]["encoding"] != first["faces"][0]["encoding"]
    assert sharp["faces"][0]["track"] == first["faces"][0]["track"]


def test_a_track_is_continued_by_one_face_only():
    t = track()
    out = follow([t], [BOX, (102, 302, 302, 102)], [sig(1), sig(1)], TrackPolicy(), time.monotonic())
    assert out.count(t) == 1 and None in out


def test_the_store_forgets_the_oldest_and_idle_streams():
    store = TrackStore(max_streams=2, idle_s=60)
    for key in "abc":
        store.put(key, [track()])
    assert len(store) == 2 and store.get("a") == [] and len(store.get("c")) == 1
    idle = TrackStore(idle_s=0)
    idle.put("a", [track()])
    idle.put("b", [track()])
    assert idle.get("a") == []


def test_different_people_never_look_alike_enough_to_share_a_track(photos):
    """The similarity bar against the fixture set: no two different people at the same spot pass it."""
    sigs = []
    for who, path in photos[:60]:
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))
        sigs.append((who, signature(pixels, (70, 180, 180, 70))))
    pairs = [(a, b) for a, b in itertools.combinations(sigs, 2) if a[0] != b[0]]
    assert len(pairs) > 1000
    worst = max(float(a[1] @ b[1]) for a, b in pairs)
    assert worst < TrackPolicy().min_similarity, worst


def frame(photo: Image.Image, dx: int = 0) -> bytes:
    canvas = Image.new("RGB", (640, 480), (119, 119, 119))
    canvas.paste(photo.resize((300, 300)), (170 + dx, 90))
    return image_bytes(canvas)


def post(client, body: bytes, track: str | None = None) -> dict:
    url = "/v1/encode" + (f"?track={track}" if track else "")
    r = client.post(url, content=body, headers={"content-type": "image/jpeg"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_stream_reuses_encodings_and_an_a_b_a_cut_is_re_encoded(engine, photos):
    people: dict[str, Path] = {}
    for who, path in photos:
        people.setdefault(who, path)
        if len(people) == 2:
            break
    a, b = (Image.open(p).convert("RGB") for p in people.values())
    with make_client(engine) as client:
        first = post(client, frame(a), "s_aba")
        again = post(client, frame(a, dx=5), "s_aba")
        other = post(client, frame(b), "s_aba")
        back = post(client, frame(a), "s_aba")
        untracked = post(client, frame(a, dx=5))
    assert first["timings"]["trackedFaces"] == 0
    assert again["timings"]["trackedFaces"] == 1 and again["faces"][0]["tracked"] is True
    # exact on purpose: a tracked face reuses the stored encoding itself, nothing is recomputed
    assert again["faces"][0]["encoding"] == first["faces"][0]["encoding"]
    assert other["timings"]["trackedFaces"] == 0
    assert math.dist(other["faces"][0]["encoding"], first["faces"][0]["encoding"]) > 0.6
    assert back["timings"]["trackedFaces"] == 0
    assert math.dist(back["faces"][0]["encoding"], first["faces"][0]["encoding"]) < 0.2
    assert untracked["timings"]["trackedFaces"] == 0 and "tracked" not in untracked["faces"][0]
    # the track id names the face for the matcher: kept while it is followed, new for someone else
    ids = [r["faces"][0]["track"] for r in (first, again, other, back)]
    assert ids[0] == ids[1] and len({ids[1], ids[2], ids[3]}) == 3
    assert "track" not in untracked["faces"][0]


def test_tracks_are_re_encoded_after_their_age_and_can_be_turned_off(engine, face_photo):
    with make_client(engine, track_max_age_s=0) as client:
        first = post(client, frame(face_photo), "s_age")
        again = post(client, frame(face_photo), "s_age")
        assert again["timings"]["trackedFaces"] == 0
        # encoded again, yet still the same face followed: the same track
        assert again["faces"][0]["track"] == first["faces"][0]["track"]
    with make_client(engine, tracking=False) as client:
        post(client, frame(face_photo), "s_off")
        assert post(client, frame(face_photo), "s_off")["timings"]["trackedFaces"] == 0


def test_a_bad_track_key_is_a_400(client, face_photo):
    r = client.post("/v1/encode?track=a%20b", content=frame(face_photo), headers={"content-type": "image/jpeg"})
    assert r.status_code == 400
