-- Additive tables for what the earlier schema has no place for (treaties, nominations, the
-- continuation days of a meeting): created where missing, on a new and an earlier database alike.

CREATE TABLE IF NOT EXISTS hearing_treaties (
    hearing_treaty_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    congress INTEGER,                         -- the Congress the treaty was submitted in
    treaty_number TEXT NOT NULL,
    part TEXT,                                -- part of a partitioned treaty (e.g. "A")
    url TEXT,                                 -- API reference URL
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
);

CREATE TABLE IF NOT EXISTS hearing_nominations (
    hearing_nomination_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    congress INTEGER,                         -- the Congress the nomination was received in
    nomination_number TEXT NOT NULL,
    part TEXT,                                -- "00" when the nomination is not partitioned
    url TEXT,                                 -- API reference URL
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
);

CREATE TABLE IF NOT EXISTS hearing_continuations (
    continuation_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    continuation_date DATE NOT NULL,          -- a later day of a multi-day meeting (UTC)
    continuation_time TIME,                   -- HH:MM:SS (UTC), NULL when only a date is given
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
);

CREATE INDEX IF NOT EXISTS idx_hearing_treaties_hearing ON hearing_treaties(hearing_id);
CREATE INDEX IF NOT EXISTS idx_hearing_nominations_hearing ON hearing_nominations(hearing_id);
CREATE INDEX IF NOT EXISTS idx_hearing_continuations_hearing ON hearing_continuations(hearing_id);
