-- Incident templates: per RSIT type, the defaults and the task checklist
-- (the playbook) applied when an incident of that type is opened.

CREATE TABLE incident_template (
	id         INTEGER PRIMARY KEY,
	rsit_type  TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	tlp        TEXT    CHECK (tlp IS NULL OR tlp IN ('CLEAR', 'GREEN',
	                   'AMBER', 'AMBER+STRICT', 'RED')),
	pap        TEXT    CHECK (pap IS NULL OR pap IN ('CLEAR', 'GREEN',
	                   'AMBER', 'RED')),
	impact     TEXT,
	urgency    TEXT,
	tags       TEXT    NOT NULL DEFAULT '',
	tasks      TEXT    NOT NULL DEFAULT '',
	version    INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
