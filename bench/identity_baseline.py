"""The identity protocol (bench/identity.mjs) with face_recognition called directly, as its README shows:
face_locations + face_encodings, each face given the person of its nearest stored face when that is
closer than 0.6, else a new person; every face is stored. Faces of one photo are handled one by one.

Usage: identity_baseline.py PLAN.json   (PLAN: {"distractors": [path...], "steps": [{"path": ...}...]})
Prints JSON {"distractors": enrolled, "steps": [[{"box": {...}, "personId", "isNew", "decision"}...]...]}.
"""
import json
import sys

import face_recognition
import numpy as np

THRESHOLD = 0.6


def faces_of(path):
    image = face_recognition.load_image_file(path)
    locations = face_recognition.face_locations(image)
    return locations, face_recognition.face_encodings(image, locations)


def main() -> None:
    plan = json.load(open(sys.argv[1]))
    encodings: list[np.ndarray] = []
    owners: list[str] = []
    persons = 0

    def new_person(enc) -> str:
        nonlocal persons
        persons += 1
        encodings.append(enc)
        owners.append(f"p{persons}")
        return owners[-1]

    enrolled = 0
    for path in plan["distractors"]:
        locations, encs = faces_of(path)
        if encs:  # the largest face, as enrollment takes one face per photo
            areas = [(b - t) * (r - l) for t, r, b, l in locations]
            new_person(encs[int(np.argmax(areas))])
            enrolled += 1
    steps = []
    for step in plan["steps"]:
        locations, encs = faces_of(step["path"])
        out = []
        for (t, r, b, l), enc in zip(locations, encs):
            box = {"x": int(l), "y": int(t), "width": int(r - l), "height": int(b - t)}
            if encodings:
                d = np.linalg.norm(np.stack(encodings) - enc, axis=1)
                i = int(np.argmin(d))
                if d[i] < THRESHOLD:
                    encodings.append(enc)
                    owners.append(owners[i])
                    out.append({"box": box, "personId": owners[i], "isNew": False, "decision": "match"})
                    continue
            out.append({"box": box, "personId": new_person(enc), "isNew": True, "decision": "new"})
        steps.append(out)
    json.dump({"distractors": enrolled, "steps": steps}, sys.stdout)


if __name__ == "__main__":
    main()
