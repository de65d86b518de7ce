-- No foreign key to documents, on purpose: documents are deleted without their chunks.
CREATE TABLE chunks (
  id            bigint PRIMARY KEY,
  document_id   bigint NOT NULL,
  ordinal       integer NOT NULL,
  content       text NOT NULL,
  content_hash  text NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX chunks_document_id_idx ON chunks (document_id);
