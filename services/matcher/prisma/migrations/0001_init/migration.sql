-- Applied by src/database/migrator.ts (Prisma's migrate needs the schema engine, which is not available offline).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE persons (
  id           uuid        PRIMARY KEY,
  number       serial      NOT NULL UNIQUE,
  name         text,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  last_seen_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX persons_last_seen_at_idx ON persons (last_seen_at DESC);

CREATE TABLE faces (
  id          uuid        PRIMARY KEY,
  person_id   uuid        NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
  embedding   vector(128) NOT NULL,
  box_x       integer     NOT NULL,
  box_y       integer     NOT NULL,
  box_width   integer     NOT NULL,
  box_height  integer     NOT NULL,
  source      text        NOT NULL,
  frame_seq   integer     NOT NULL,
  captured_at timestamptz(3) NOT NULL,
  crop        bytea       NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX faces_person_id_created_at_idx ON faces (person_id, created_at DESC);

-- Prisma cannot declare HNSW indexes; m/ef_construction are pgvector's defaults, spelled out for reviewers.
CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64);
