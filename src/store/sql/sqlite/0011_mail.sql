-- E-mail in and out. Raw messages and attachments are artefacts: stored
-- once under their SHA-256, in the database itself, so a message and
-- everything it carried commit in one transaction and are in every backup.
-- A thread is the correspondence of one incident with one counterpart.
-- Every message, in or out, is a mail row; quarantined ones keep the raw
-- bytes and the reason.

CREATE TABLE artefact (
	sha256       TEXT    PRIMARY KEY,
	size         INTEGER NOT NULL,
	content_type TEXT    NOT NULL,
	data         BLOB    NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE thread (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
	kind        TEXT    NOT NULL CHECK (kind IN ('reporter', 'constituent',
	                    'third_party')),
	counterpart TEXT    NOT NULL,
	contact_id  INTEGER REFERENCES contact(id) ON DELETE SET NULL,
	language    TEXT    NOT NULL DEFAULT 'en',
	subject     TEXT    NOT NULL,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (incident_id, counterpart)
) STRICT;

CREATE TABLE mail (
	id          INTEGER PRIMARY KEY,
	direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	state       TEXT    NOT NULL CHECK (state IN ('received', 'ignored',
	                    'quarantined', 'queued', 'sent', 'failed')),
	message_id  TEXT    NOT NULL,
	in_reply_to TEXT    NOT NULL DEFAULT '',
	sender      TEXT    NOT NULL DEFAULT '',
	recipients  TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL DEFAULT '',
	raw_sha256  TEXT    REFERENCES artefact(sha256),
	incident_id INTEGER REFERENCES incident(id) ON DELETE SET NULL,
	thread_id   INTEGER REFERENCES thread(id) ON DELETE SET NULL,
	report_id   INTEGER REFERENCES report(id),
	entry_id    INTEGER REFERENCES entry(id) ON DELETE SET NULL,
	encrypted   INTEGER NOT NULL DEFAULT 0 CHECK (encrypted IN (0, 1)),
	signature   TEXT    NOT NULL DEFAULT 'none' CHECK (signature IN
	                    ('none', 'good', 'bad', 'unknown_key', 'error')),
	signer      TEXT    NOT NULL DEFAULT '',
	auto_reply  INTEGER NOT NULL DEFAULT 0 CHECK (auto_reply IN (0, 1)),
	error       TEXT    NOT NULL DEFAULT '',
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER
) STRICT;
CREATE INDEX mail_message_id ON mail(message_id);
CREATE INDEX mail_incident ON mail(incident_id, id);
CREATE INDEX mail_state ON mail(state, id);

CREATE TABLE mail_attachment (
	mail_id      INTEGER NOT NULL REFERENCES mail(id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	sha256       TEXT    NOT NULL REFERENCES artefact(sha256),
	filename     TEXT    NOT NULL,
	content_type TEXT    NOT NULL,
	size         INTEGER NOT NULL,
	PRIMARY KEY (mail_id, seq)
) STRICT;
CREATE INDEX mail_attachment_sha ON mail_attachment(sha256);
