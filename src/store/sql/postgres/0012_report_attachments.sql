-- Files sent with a report through the portal or the API, stored as
-- artefacts (by SHA-256) like mail attachments.
-- The PostgreSQL dialect of sqlite/0012_report_attachments.sql.

CREATE TABLE report_attachment (
	report_id    bigint  NOT NULL REFERENCES report(id) ON DELETE CASCADE,
	seq          bigint  NOT NULL,
	sha256       text    NOT NULL REFERENCES artefact(sha256),
	filename     text    NOT NULL,
	content_type text    NOT NULL,
	size         bigint  NOT NULL,
	PRIMARY KEY (report_id, seq)
);
CREATE INDEX report_attachment_sha ON report_attachment(sha256);

-- Intake recognises a message delivered twice by its hash.
CREATE INDEX mail_raw ON mail(raw_sha256);

-- The workspace sorts incidents by priority and by last change.
CREATE INDEX incident_priority ON incident(priority, id);
CREATE INDEX incident_updated ON incident(updated_at, id);
