CREATE TABLE documents (
  id          bigint PRIMARY KEY,
  title       text NOT NULL,
  status      text NOT NULL CHECK (status IN ('published', 'draft', 'archived')),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
