ALTER TABLE chunks ADD COLUMN embedded boolean NOT NULL DEFAULT false;
