-- Event storage for volume (docs/pipeline.md, "Storage"): the event line is
-- kept packed against its report's dictionary of keys and usual values
-- (feed_field), so what repeats in every event of a report is stored once.

-- One row per key met in a report: its code in the packed lines and the
-- value it had first (the JSON text as written; '' when too long to keep).
CREATE TABLE feed_field (
	report_id INTEGER NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	code      INTEGER NOT NULL,
	name      TEXT    NOT NULL,
	value     TEXT    NOT NULL,
	PRIMARY KEY (report_id, code)
) STRICT;

-- data becomes the packed line (src/store/event_pack.h); a stored form
-- starting with '{' is the line itself, as every row written before.
CREATE TABLE feed_event_new (
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
	data        BLOB    NOT NULL,
	stored_at   INTEGER NOT NULL
) STRICT;
INSERT INTO feed_event_new
	SELECT id, report_id, org_id, feed, time_source, source_ip, source_asn,
	       taxonomy, type, identifier, tlp, notify, CAST(data AS BLOB),
	       stored_at
	FROM feed_event ORDER BY id;
DROP TABLE feed_event;
ALTER TABLE feed_event_new RENAME TO feed_event;
CREATE INDEX feed_event_org ON feed_event(org_id, id);
CREATE INDEX feed_event_report ON feed_event(report_id);
-- The address index leads with the id's range of 65,536 (id >> 16): a
-- batch of events then inserts into the newest range only, a few hundred
-- pages, instead of into random pages of an index as large as the table
-- (which made every commit rewrite most of that index). A search by
-- address probes each range, newest first (sqlite_events.c).
CREATE INDEX feed_event_ip ON feed_event((id >> 16), source_ip);
