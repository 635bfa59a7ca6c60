-- The constituency: organisations, their contacts and their network assets
-- (CIDR blocks, AS numbers, domains). asset_version counts every change to
-- assets so each process can tell when its in-memory lookup index is stale.

CREATE TABLE org (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	short_name TEXT    NOT NULL UNIQUE,
	sector     TEXT    NOT NULL DEFAULT '',
	country    TEXT    NOT NULL DEFAULT '',
	languages  TEXT    NOT NULL DEFAULT '',
	parent_id  INTEGER REFERENCES org(id) ON DELETE RESTRICT,
	notes      TEXT    NOT NULL DEFAULT '',
	version    INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (parent_id IS NULL OR parent_id <> id)
) STRICT;
CREATE INDEX org_parent ON org(parent_id);

CREATE TABLE contact (
	id              INTEGER PRIMARY KEY,
	org_id          INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	name            TEXT    NOT NULL DEFAULT '',
	email           TEXT    NOT NULL,
	phone           TEXT    NOT NULL DEFAULT '',
	role            TEXT    NOT NULL
	                CHECK (role IN ('security', 'abuse', 'management')),
	language        TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	UNIQUE (org_id, email, role)
) STRICT;

CREATE TABLE asset (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL CHECK (kind IN ('cidr', 'asn', 'domain')),
	value      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (org_id, kind, value)
) STRICT;
CREATE INDEX asset_value ON asset(kind, value);

CREATE TABLE asset_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
) STRICT;
INSERT INTO asset_version VALUES (1, 1);

CREATE TRIGGER asset_changed_insert AFTER INSERT ON asset
BEGIN
	UPDATE asset_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER asset_changed_delete AFTER DELETE ON asset
BEGIN
	UPDATE asset_version SET version = version + 1 WHERE id = 1;
END;
