-- Incidents and their journal and tasks. References are <TEAM>-<YEAR>-<seq>
-- with seq from ref_counter, taken inside the creating transaction so they
-- are unique and gap-free per year. tlp_rank orders TLP levels for filters
-- (CLEAR 0 .. RED 4).

CREATE TABLE ref_counter (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
) STRICT;

CREATE TABLE incident (
	id                INTEGER PRIMARY KEY,
	ref               TEXT    NOT NULL UNIQUE,
	title             TEXT    NOT NULL,
	summary           TEXT    NOT NULL DEFAULT '',
	rsit_class        TEXT,
	rsit_type         TEXT,
	tlp               TEXT    NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN',
	                          'AMBER', 'AMBER+STRICT', 'RED')),
	pap               TEXT    NOT NULL CHECK (pap IN ('CLEAR', 'GREEN',
	                          'AMBER', 'RED')),
	impact            TEXT    NOT NULL,
	urgency           TEXT    NOT NULL,
	priority          INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
	status            TEXT    NOT NULL CHECK (status IN ('new', 'open',
	                          'stalled', 'resolved', 'closed')),
	resolution        TEXT,
	owner_id          INTEGER REFERENCES user(id),
	response_due      INTEGER NOT NULL,
	resolve_due       INTEGER NOT NULL,
	first_response_at INTEGER,
	resolved_at       INTEGER,
	version           INTEGER NOT NULL DEFAULT 1,
	created_by        TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX incident_status ON incident(status, id);
CREATE INDEX incident_owner ON incident(owner_id, id);
CREATE INDEX incident_due ON incident(resolve_due);

CREATE TABLE incident_member (
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
	PRIMARY KEY (incident_id, user_id)
) STRICT;
CREATE INDEX incident_member_user ON incident_member(user_id);

CREATE TABLE incident_org (
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	org_id      INTEGER NOT NULL REFERENCES org(id) ON DELETE RESTRICT,
	PRIMARY KEY (incident_id, org_id)
) STRICT;
CREATE INDEX incident_org_org ON incident_org(org_id);

CREATE TABLE incident_tag (
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	tag         TEXT    NOT NULL,
	PRIMARY KEY (incident_id, tag)
) STRICT;
CREATE INDEX incident_tag_tag ON incident_tag(tag);

CREATE TABLE entry (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	kind        TEXT    NOT NULL CHECK (kind IN ('note', 'status',
	                    'correspondence')),
	visibility  TEXT    NOT NULL CHECK (visibility IN ('internal',
	                    'shared')),
	author      TEXT    NOT NULL,
	body        TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX entry_incident ON entry(incident_id, id);

CREATE TABLE task (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	title       TEXT    NOT NULL,
	assignee_id INTEGER REFERENCES user(id),
	due_at      INTEGER,
	state       TEXT    NOT NULL DEFAULT 'open'
	            CHECK (state IN ('open', 'done', 'cancelled')),
	version     INTEGER NOT NULL DEFAULT 1,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX task_incident ON task(incident_id, id);
