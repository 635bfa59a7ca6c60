-- Reports: what comes in (web form, API, e-mail, feed) before triage turns
-- it into an incident or attaches it to one. Nothing is deleted: rejected
-- and spam reports stay, searchable.

CREATE TABLE report (
	id          INTEGER PRIMARY KEY,
	source      TEXT    NOT NULL CHECK (source IN ('web', 'api', 'email',
	                    'feed')),
	reporter    TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL,
	body        TEXT    NOT NULL,
	language    TEXT    NOT NULL DEFAULT '',
	tlp         TEXT    NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER',
	                    'AMBER+STRICT', 'RED')),
	status      TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new',
	                    'triaged', 'merged', 'rejected', 'spam')),
	incident_id INTEGER REFERENCES incident(id),
	received_at INTEGER NOT NULL,
	created_by  TEXT    NOT NULL,
	triaged_by  TEXT,
	triaged_at  INTEGER,
	version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX report_status ON report(status, id);
CREATE INDEX report_incident ON report(incident_id);
