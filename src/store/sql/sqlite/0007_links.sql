-- Links between incidents. kind 'related' is symmetric and stored with
-- from_id < to_id; 'parent' means from_id is the parent of to_id;
-- 'duplicate' means from_id duplicates to_id.

CREATE TABLE incident_link (
	id         INTEGER PRIMARY KEY,
	from_id    INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	to_id      INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL CHECK (kind IN ('related', 'parent',
	                   'duplicate')),
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	CHECK (from_id <> to_id),
	CHECK (kind <> 'related' OR from_id < to_id),
	UNIQUE (from_id, to_id, kind)
) STRICT;
CREATE INDEX incident_link_to ON incident_link(to_id);
