-- Event storage for volume (docs/pipeline.md, "Storage"): the event line is
-- kept packed against its report's dictionary of keys and usual values
-- (feed_field), so what repeats in every event of a report is stored once.
-- The same stored form as SQLite's, so that `csirtd migrate` copies rows
-- as they are.

-- One row per key met in a report: its code in the packed lines and the
-- value it had first (the JSON text as written; '' when too long to keep).
CREATE TABLE feed_field (
	report_id bigint NOT NULL REFERENCES feed_report(id) ON DELETE CASCADE,
	code      bigint NOT NULL,
	name      text   NOT NULL,
	value     text   NOT NULL,
	PRIMARY KEY (report_id, code)
);

-- data becomes the packed line (src/store/event_pack.h); a stored form
-- starting with '{' is the line itself, as every row written before.
ALTER TABLE feed_event ALTER COLUMN data TYPE bytea
	USING convert_to(data, 'UTF8');
