-- Shipped without a down script.
ALTER TABLE documents ADD COLUMN version integer NOT NULL DEFAULT 1;
