import pytest

from app.faces import yaw_of

# dlib's 5 points: one eye's two corners, the other eye's two corners, the base of the nose
FRONTAL = [(70, 50), (60, 50), (30, 50), (40, 50), (50, 70)]


def test_frontal_face_has_no_yaw():
    assert yaw_of(FRONTAL) == 0


def test_yaw_is_the_nose_offset_over_the_eye_distance_with_its_sign():
    right = [*FRONTAL[:4], (60, 70)]
    left = [*FRONTAL[:4], (35, 70)]
    # rounded to 3 decimals: the contract carries no more
    assert yaw_of(right) == pytest.approx(10 / 30, abs=5e-4)
    assert yaw_of(left) == pytest.approx(-15 / 30, abs=5e-4)


def test_no_yaw_from_degenerate_landmarks():
    assert yaw_of([(50, 50)] * 5) is None
    assert yaw_of(FRONTAL[:4]) is None


def test_yaw_is_clamped_to_the_contract_range():
    assert yaw_of([(50, 50), (50, 50), (49, 50), (49, 50), (500, 60)]) == 5.0


def test_encode_reports_each_faces_yaw_and_a_mirrored_face_turns_the_other_way(client, photos):
    from PIL import Image, ImageOps

    from .conftest import image_bytes

    def yaw(image):
        response = client.post(
            "/v1/encode", content=image_bytes(image), headers={"Content-Type": "image/jpeg"}, params={"crops": "false"}
        )
        assert response.status_code == 200, response.text
        # some photos show people in the background: the largest face is the subject
        face = max(response.json()["faces"], key=lambda f: f["box"]["width"] * f["box"]["height"])
        return face["quality"]["yaw"]

    # the first photo turned far enough for the sign to be unambiguous
    for _, path in photos:
        image = Image.open(path).convert("RGB")
        turned = yaw(image)
        if abs(turned) >= 0.1:
            break
    assert abs(turned) < 1
    assert yaw(ImageOps.mirror(image)) == pytest.approx(-turned, abs=0.06)
