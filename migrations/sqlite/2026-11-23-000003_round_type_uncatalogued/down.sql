ALTER TABLE draws DROP COLUMN uncatalogued;
