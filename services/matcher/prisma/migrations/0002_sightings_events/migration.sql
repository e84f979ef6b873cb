-- Sightings, merge aliases and the event outbox (issue #4). See src/sighting.repository.ts and src/events/.

-- Bumped by every change to a person (rename, enroll, merge, face moved in or out): it versions event ids.
ALTER TABLE persons ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Consecutive detections of one person in one stream. The open one has ended_at NULL.
CREATE TABLE sightings (
  id            uuid           PRIMARY KEY,
  person_id     uuid           NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
  source        text           NOT NULL,
  started_at    timestamptz(3) NOT NULL,
  last_seen_at  timestamptz(3) NOT NULL,
  ended_at      timestamptz(3),
  frames        integer        NOT NULL DEFAULT 1,
  best_face_id  uuid           REFERENCES faces (id) ON DELETE SET NULL,
  best_score    float8         NOT NULL DEFAULT 0,
  -- When sighting.started/updated was last announced (matcher clock), for the update throttle.
  announced_at  timestamptz(3) NOT NULL
);
CREATE INDEX sightings_open_idx ON sightings (person_id, source, last_seen_at DESC) WHERE ended_at IS NULL;
CREATE INDEX sightings_quiet_idx ON sightings (last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX sightings_started_at_idx ON sightings (started_at DESC, id DESC);
CREATE INDEX sightings_person_idx ON sightings (person_id, started_at DESC);
CREATE INDEX sightings_source_idx ON sightings (source, started_at DESC);
-- ON DELETE SET NULL looks sightings up by face.
CREATE INDEX sightings_best_face_idx ON sightings (best_face_id);

-- Persons merged into another: erasing the survivor must also erase the events published under these ids.
CREATE TABLE person_aliases (
  alias_id  uuid PRIMARY KEY,
  person_id uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE
);
CREATE INDEX person_aliases_person_idx ON person_aliases (person_id);

-- Transactional outbox: events are written with the change they describe and relayed to JetStream in seq
-- order; `erase` rows purge a person's earlier events at their place in that order.
CREATE TABLE event_outbox (
  seq        bigserial      PRIMARY KEY,
  kind       text           NOT NULL CHECK (kind IN ('publish', 'erase')),
  event_id   text           NOT NULL,
  subject    text,
  payload    text           NOT NULL, -- the JSON exactly as published (jsonb would reorder its keys)
  person_id  uuid,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX event_outbox_person_idx ON event_outbox (person_id);

-- One relay at a time when several matchers share a Postgres.
CREATE TABLE event_relay_lease (
  id         integer        PRIMARY KEY CHECK (id = 1),
  owner      text           NOT NULL,
  expires_at timestamptz(3) NOT NULL
);

CREATE INDEX faces_source_created_at_idx ON faces (source, created_at DESC);
