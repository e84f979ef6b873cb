-- "Not this person" and "different people" (issue 13): pairs of faces that must never belong to one person.
-- Stored as face pairs, so they follow the faces through merges and moves; each pair once, smaller id first.
-- ON DELETE CASCADE: erasing a person (or a face) removes every link of its faces.
CREATE TABLE cannot_links (
  face_a     uuid           NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
  face_b     uuid           NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (face_a, face_b),
  CHECK (face_a < face_b)
);
-- Lookups come from either side; the primary key serves face_a.
CREATE INDEX cannot_links_face_b_idx ON cannot_links (face_b);

-- Operator settings that outlive a restart (the applied matching threshold, from calibration).
CREATE TABLE matcher_settings (
  key        text           PRIMARY KEY,
  value      text           NOT NULL,
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
