-- Written, reviewed, not deployed yet.
ALTER TABLE documents ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
