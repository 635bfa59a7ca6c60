-- Files sent with a report through the portal or the API, stored as
-- artefacts (by SHA-256) like mail attachments.

CREATE TABLE report_attachment (
	report_id    INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	sha256       TEXT    NOT NULL REFERENCES artefact(sha256),
	filename     TEXT    NOT NULL,
	content_type TEXT    NOT NULL,
	size         INTEGER NOT NULL,
	PRIMARY KEY (report_id, seq)
) STRICT;
CREATE INDEX report_attachment_sha ON report_attachment(sha256);

-- Intake recognises a message delivered twice by its hash.
CREATE INDEX mail_raw ON mail(raw_sha256);

-- The workspace sorts incidents by priority and by last change.
CREATE INDEX incident_priority ON incident(priority, id);
CREATE INDEX incident_updated ON incident(updated_at, id);
