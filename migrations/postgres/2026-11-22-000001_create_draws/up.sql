-- Rounds of invitations. Times are UTC, to the second.
CREATE TABLE draws (
    number            TEXT PRIMARY KEY NOT NULL,
    number_key        BIGINT NOT NULL,
    held_at           TIMESTAMP NOT NULL,
    round_kind        TEXT NOT NULL CHECK (round_kind IN ('general', 'program', 'category')),
    program           TEXT,
    category_id       TEXT,
    category_version  INTEGER,
    round_name        TEXT NOT NULL,
    invitations       BIGINT NOT NULL CHECK (invitations > 0),
    minimum_crs       INTEGER NOT NULL CHECK (minimum_crs BETWEEN 0 AND 1200),
    tie_break_at      TIMESTAMP,
    eligible_programs TEXT NOT NULL,
    pool_distribution TEXT,
    recorded_at       TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE INDEX draws_held_at ON draws (held_at DESC, number_key DESC);
CREATE INDEX draws_category ON draws (category_id, category_version);
