-- Frames already matched and stored, by the id their sender gave them (issue #6, faults). Written in the
-- transaction that stores the frame's faces, so a retried MatchFaces (the reply was lost: a matcher killed
-- after its commit, a timeout) gets the first reply back and stores nothing twice. Pruned after 24 h.
CREATE TABLE matched_frames (
  frame_id   text           PRIMARY KEY,
  reply      text           NOT NULL, -- MatchFaces.Reply as JSON
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX matched_frames_created_at_idx ON matched_frames (created_at);
