ALTER TABLE documents DROP COLUMN tags;
