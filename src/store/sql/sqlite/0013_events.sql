-- The event pipeline: feed reports (one file, upload or download each),
-- the events parsed from them, the records that could not be read, and
-- the digests sent to organisations.

-- A report is known by its feed and the SHA-256 of its content, so the
-- same content is never processed twice. records is the checkpoint: the
-- number of records whose events are committed; a report interrupted
-- (a crash, a kill) resumes after it.
CREATE TABLE feed_report (
	id          INTEGER PRIMARY KEY,
	feed        TEXT    NOT NULL,
	report      TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL,
	sha256      TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	state       TEXT    NOT NULL
	            CHECK (state IN ('queued', 'running', 'done', 'failed')),
	records     INTEGER NOT NULL DEFAULT 0,
	events      INTEGER NOT NULL DEFAULT 0,
	stored      INTEGER NOT NULL DEFAULT 0,
	malformed   INTEGER NOT NULL DEFAULT 0,
	dropped     INTEGER NOT NULL DEFAULT 0,
	duplicates  INTEGER NOT NULL DEFAULT 0,
	error       TEXT,
	spool       TEXT,
	received_at INTEGER NOT NULL,
	started_at  INTEGER,
	finished_at INTEGER,
	UNIQUE (feed, sha256)
) STRICT;
CREATE INDEX feed_report_received ON feed_report(feed, received_at);

-- Records that could not be read, with their line (the first ones of a
-- report: the count is in feed_report.malformed).
CREATE TABLE feed_malformed (
	report_id INTEGER NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	line      INTEGER NOT NULL,
	reason    TEXT    NOT NULL,
	PRIMARY KEY (report_id, line)
) STRICT;

-- One row per event and organisation concerned (org_id NULL: none).
-- source_ip is 16 bytes, IPv4 as ::ffff:a.b.c.d, so that a CIDR block is
-- a range. data is the event as an IntelMQ JSON line.
CREATE TABLE feed_event (
	id          INTEGER PRIMARY KEY,
	report_id   INTEGER NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	org_id      INTEGER REFERENCES org(id) ON DELETE CASCADE,
	feed        TEXT    NOT NULL,
	time_source INTEGER,
	source_ip   BLOB,
	source_asn  INTEGER,
	taxonomy    TEXT,
	type        TEXT,
	identifier  TEXT,
	tlp         TEXT    NOT NULL
	            CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict',
	                           'red')),
	notify      INTEGER NOT NULL,
	data        TEXT    NOT NULL,
	stored_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX feed_event_org ON feed_event(org_id, id);
CREATE INDEX feed_event_report ON feed_event(report_id);
CREATE INDEX feed_event_ip ON feed_event(source_ip);

-- How often an organisation hears about its events, and test mode (the
-- digests go to the team's own address, marked as tests).
ALTER TABLE org ADD COLUMN notify_interval TEXT NOT NULL DEFAULT 'daily'
	CHECK (notify_interval IN ('immediate', 'hourly', 'daily', 'never'));
ALTER TABLE org ADD COLUMN notify_test INTEGER NOT NULL DEFAULT 0;

-- Digests: one per contact, organisation and feed, covering that
-- organisation's events of the feed with ids first_event..last_event.
CREATE TABLE notification (
	id          INTEGER PRIMARY KEY,
	org_id      INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	contact_id  INTEGER REFERENCES contact(id) ON DELETE SET NULL,
	address     TEXT    NOT NULL,
	language    TEXT    NOT NULL,
	feed        TEXT    NOT NULL,
	first_event INTEGER NOT NULL,
	last_event  INTEGER NOT NULL,
	events      INTEGER NOT NULL,
	test        INTEGER NOT NULL DEFAULT 0,
	mail_id     INTEGER REFERENCES mail(id) ON DELETE SET NULL,
	resent_from INTEGER REFERENCES notification(id) ON DELETE SET NULL,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX notification_org ON notification(org_id, id);

-- Per organisation and feed: the last event a digest covered.
CREATE TABLE notify_cursor (
	org_id     INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	feed       TEXT    NOT NULL,
	last_event INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL,
	PRIMARY KEY (org_id, feed)
) STRICT;
