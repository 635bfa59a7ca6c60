-- The PostgreSQL dialect of sqlite/0013_events.sql.
-- The event pipeline: feed reports (one file, upload or download each),
-- the events parsed from them, the records that could not be read, and
-- the digests sent to organisations.

-- A report is known by its feed and the SHA-256 of its content, so the
-- same content is never processed twice. records is the checkpoint: the
-- number of records whose events are committed; a report interrupted
-- (a crash, a kill) resumes after it.
CREATE TABLE feed_report (
	id          bigserial PRIMARY KEY,
	feed        text    NOT NULL,
	report      text    NOT NULL DEFAULT '',
	source      text    NOT NULL,
	sha256      text    NOT NULL,
	size        bigint NOT NULL,
	state       text    NOT NULL
	            CHECK (state IN ('queued', 'running', 'done', 'failed')),
	records     bigint NOT NULL DEFAULT 0,
	events      bigint NOT NULL DEFAULT 0,
	stored      bigint NOT NULL DEFAULT 0,
	malformed   bigint NOT NULL DEFAULT 0,
	dropped     bigint NOT NULL DEFAULT 0,
	duplicates  bigint NOT NULL DEFAULT 0,
	error       text,
	spool       text,
	received_at bigint NOT NULL,
	started_at  bigint,
	finished_at bigint,
	UNIQUE (feed, sha256)
);
CREATE INDEX feed_report_received ON feed_report(feed, received_at);

-- Records that could not be read, with their line (the first ones of a
-- report: the count is in feed_report.malformed).
CREATE TABLE feed_malformed (
	report_id bigint NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	line      bigint NOT NULL,
	reason    text    NOT NULL,
	PRIMARY KEY (report_id, line)
);

-- One row per event and organisation concerned (org_id NULL: none).
-- source_ip is 16 bytes, IPv4 as ::ffff:a.b.c.d, so that a CIDR block is
-- a range. data is the event as an IntelMQ JSON line.
CREATE TABLE feed_event (
	id          bigserial PRIMARY KEY,
	report_id   bigint NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	org_id      bigint REFERENCES org(id) ON DELETE CASCADE,
	feed        text    NOT NULL,
	time_source bigint,
	source_ip   bytea,
	source_asn  bigint,
	taxonomy    text,
	type        text,
	identifier  text,
	tlp         text    NOT NULL
	            CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict',
	                           'red')),
	notify      bigint NOT NULL,
	data        text    NOT NULL,
	stored_at   bigint NOT NULL
);
CREATE INDEX feed_event_org ON feed_event(org_id, id);
CREATE INDEX feed_event_report ON feed_event(report_id);
CREATE INDEX feed_event_ip ON feed_event(source_ip);

-- How often an organisation hears about its events, and test mode (the
-- digests go to the team's own address, marked as tests).
ALTER TABLE org ADD COLUMN notify_interval text NOT NULL DEFAULT 'daily'
	CHECK (notify_interval IN ('immediate', 'hourly', 'daily', 'never'));
ALTER TABLE org ADD COLUMN notify_test bigint NOT NULL DEFAULT 0;

-- Digests: one per contact, organisation and feed, covering that
-- organisation's events of the feed with ids first_event..last_event.
CREATE TABLE notification (
	id          bigserial PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	contact_id  bigint REFERENCES contact(id) ON DELETE SET NULL,
	address     text    NOT NULL,
	language    text    NOT NULL,
	feed        text    NOT NULL,
	first_event bigint NOT NULL,
	last_event  bigint NOT NULL,
	events      bigint NOT NULL,
	test        bigint NOT NULL DEFAULT 0,
	mail_id     bigint REFERENCES mail(id) ON DELETE SET NULL,
	resent_from bigint REFERENCES notification(id) ON DELETE SET NULL,
	created_by  text    NOT NULL,
	created_at  bigint NOT NULL
);
CREATE INDEX notification_org ON notification(org_id, id);

-- Per organisation and feed: the last event a digest covered.
CREATE TABLE notify_cursor (
	org_id     bigint NOT NULL REFERENCES org(id) ON DELETE CASCADE,
	feed       text    NOT NULL,
	last_event bigint NOT NULL,
	sent_at    bigint NOT NULL,
	PRIMARY KEY (org_id, feed)
);
