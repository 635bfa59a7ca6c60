-- Full-text search over incidents, reports, journal entries and
-- observables (FTS5, diacritics folded so "policia" finds "policía").
-- Triggers keep it in step with the tables. rowid = id * 4 + kind, with
-- kind 0 incident, 1 report, 2 entry, 3 observable; incident is the
-- incident a row belongs to (NULL for a report not yet attached).

CREATE VIRTUAL TABLE search USING fts5(
	title, body, kind UNINDEXED, incident UNINDEXED,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
);

CREATE TRIGGER search_incident_ins AFTER INSERT ON incident BEGIN
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4, new.ref || ' ' || new.title, new.summary, 0, new.id);
END;
CREATE TRIGGER search_incident_upd AFTER UPDATE OF title, summary ON incident
BEGIN
	DELETE FROM search WHERE rowid = old.id * 4;
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4, new.ref || ' ' || new.title, new.summary, 0, new.id);
END;
CREATE TRIGGER search_incident_del AFTER DELETE ON incident BEGIN
	DELETE FROM search WHERE rowid = old.id * 4;
END;

CREATE TRIGGER search_report_ins AFTER INSERT ON report BEGIN
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4 + 1, new.subject, new.reporter || ' ' || new.body, 1,
	        new.incident_id);
END;
CREATE TRIGGER search_report_upd AFTER UPDATE OF incident_id ON report BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 1;
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4 + 1, new.subject, new.reporter || ' ' || new.body, 1,
	        new.incident_id);
END;

CREATE TRIGGER search_entry_ins AFTER INSERT ON entry BEGIN
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4 + 2, '', new.body, 2, new.incident_id);
END;
CREATE TRIGGER search_entry_del AFTER DELETE ON entry BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 2;
END;

CREATE TRIGGER search_observable_ins AFTER INSERT ON observable BEGIN
	INSERT INTO search (rowid, title, body, kind, incident)
	VALUES (new.id * 4 + 3, new.value, new.comment, 3, new.incident_id);
END;
CREATE TRIGGER search_observable_del AFTER DELETE ON observable BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 3;
END;
