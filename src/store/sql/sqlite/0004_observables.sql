-- Observables (IOCs) of incidents. value is the canonical form written by
-- ioc_normalise(), so the same indicator seen twice is the same row:
-- UNIQUE (incident_id, type, value) makes adding it again a sighting that
-- moves last_seen. The (type, value) index finds the other incidents that
-- hold the same observable (correlation). tlp is NULL when the observable
-- has no marking of its own (the incident's applies).

CREATE TABLE observable (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	type        TEXT    NOT NULL CHECK (type IN ('ipv4', 'ipv6', 'cidr',
	                    'domain', 'url', 'email', 'md5', 'sha1', 'sha256',
	                    'asn', 'cve', 'filename', 'user-agent')),
	value       TEXT    NOT NULL CHECK (length(value) > 0),
	to_ids      INTEGER NOT NULL DEFAULT 0 CHECK (to_ids IN (0, 1)),
	tlp         TEXT    CHECK (tlp IS NULL OR tlp IN ('CLEAR', 'GREEN',
	                    'AMBER', 'AMBER+STRICT', 'RED')),
	comment     TEXT    NOT NULL DEFAULT '',
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (incident_id, type, value)
) STRICT;
CREATE INDEX observable_value ON observable(type, value);
CREATE INDEX observable_incident ON observable(incident_id, id);
