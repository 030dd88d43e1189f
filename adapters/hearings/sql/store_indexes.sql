-- The store's witness lookup (by name, case-insensitive): new, added on every database.

CREATE INDEX IF NOT EXISTS idx_witnesses_full_name ON witnesses(full_name COLLATE NOCASE);
