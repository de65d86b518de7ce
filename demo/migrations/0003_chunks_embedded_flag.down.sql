ALTER TABLE chunks DROP COLUMN embedded;
