-- A round whose label names a round type the release's catalogue does not know (a category IRCC invented after
-- the release): kept with the type derived from its label, and relabelled at start once the catalogue knows it.
ALTER TABLE draws ADD COLUMN uncatalogued BOOLEAN NOT NULL DEFAULT FALSE;
