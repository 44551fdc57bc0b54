-- The event log: every change to a round, written in the same transaction as the change.
-- Writers are serialised, so ids are assigned and committed in increasing order.
CREATE TABLE draw_events (
    event_id    INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('created', 'updated')),
    number      TEXT NOT NULL,
    draw        TEXT NOT NULL,
    previous    TEXT,
    recorded_at TIMESTAMP NOT NULL
);
