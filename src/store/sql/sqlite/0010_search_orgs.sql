-- The search index carries, on every row that belongs to an incident, the
-- tokens "org<ID>" of the incident's constituent organisations (column
-- orgs). A constituent's search then intersects its query with its own
-- organisation's token inside FTS5, instead of walking every match of a
-- common word; user queries are confined to title and body.
--
-- The table is rebuilt from the base tables; the triggers are those of
-- 0006 plus the orgs column, and incident_org keeps it in step.

DROP TRIGGER search_incident_ins;
DROP TRIGGER search_incident_upd;
DROP TRIGGER search_incident_del;
DROP TRIGGER search_report_ins;
DROP TRIGGER search_report_upd;
DROP TRIGGER search_entry_ins;
DROP TRIGGER search_entry_del;
DROP TRIGGER search_observable_ins;
DROP TRIGGER search_observable_del;
DROP TABLE search;

CREATE VIRTUAL TABLE search USING fts5(
	title, body, orgs, kind UNINDEXED, incident UNINDEXED,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
);

-- The orgs tokens of one incident.
CREATE VIEW search_org_tokens (incident_id, tokens) AS
	SELECT incident_id, group_concat('org' || org_id, ' ')
	FROM incident_org GROUP BY incident_id;

INSERT INTO search (rowid, title, body, orgs, kind, incident)
	SELECT i.id * 4, i.ref || ' ' || i.title, i.summary,
	       coalesce(t.tokens, ''), 0, i.id
	FROM incident i LEFT JOIN search_org_tokens t ON t.incident_id = i.id;
INSERT INTO search (rowid, title, body, orgs, kind, incident)
	SELECT r.id * 4 + 1, r.subject, r.reporter || ' ' || r.body, '', 1,
	       r.incident_id
	FROM report r;
INSERT INTO search (rowid, title, body, orgs, kind, incident)
	SELECT e.id * 4 + 2, '', e.body, coalesce(t.tokens, ''), 2,
	       e.incident_id
	FROM entry e LEFT JOIN search_org_tokens t ON t.incident_id = e.incident_id;
INSERT INTO search (rowid, title, body, orgs, kind, incident)
	SELECT o.id * 4 + 3, o.value, o.comment, coalesce(t.tokens, ''), 3,
	       o.incident_id
	FROM observable o
	LEFT JOIN search_org_tokens t ON t.incident_id = o.incident_id;

CREATE TRIGGER search_incident_ins AFTER INSERT ON incident BEGIN
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4, new.ref || ' ' || new.title, new.summary,
	        coalesce((SELECT tokens FROM search_org_tokens
	                  WHERE incident_id = new.id), ''), 0, new.id);
END;
CREATE TRIGGER search_incident_upd AFTER UPDATE OF title, summary ON incident
BEGIN
	DELETE FROM search WHERE rowid = old.id * 4;
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4, new.ref || ' ' || new.title, new.summary,
	        coalesce((SELECT tokens FROM search_org_tokens
	                  WHERE incident_id = new.id), ''), 0, new.id);
END;
CREATE TRIGGER search_incident_del AFTER DELETE ON incident BEGIN
	DELETE FROM search WHERE rowid = old.id * 4;
END;

CREATE TRIGGER search_report_ins AFTER INSERT ON report BEGIN
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4 + 1, new.subject, new.reporter || ' ' || new.body,
	        '', 1, new.incident_id);
END;
CREATE TRIGGER search_report_upd AFTER UPDATE OF incident_id ON report BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 1;
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4 + 1, new.subject, new.reporter || ' ' || new.body,
	        '', 1, new.incident_id);
END;

CREATE TRIGGER search_entry_ins AFTER INSERT ON entry BEGIN
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4 + 2, '', new.body,
	        coalesce((SELECT tokens FROM search_org_tokens
	                  WHERE incident_id = new.incident_id), ''),
	        2, new.incident_id);
END;
CREATE TRIGGER search_entry_del AFTER DELETE ON entry BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 2;
END;

CREATE TRIGGER search_observable_ins AFTER INSERT ON observable BEGIN
	INSERT INTO search (rowid, title, body, orgs, kind, incident)
	VALUES (new.id * 4 + 3, new.value, new.comment,
	        coalesce((SELECT tokens FROM search_org_tokens
	                  WHERE incident_id = new.incident_id), ''),
	        3, new.incident_id);
END;
CREATE TRIGGER search_observable_del AFTER DELETE ON observable BEGIN
	DELETE FROM search WHERE rowid = old.id * 4 + 3;
END;

-- A change of the incident's organisations rewrites the orgs column of
-- the incident's rows (its entries and observables included).
CREATE TRIGGER search_org_ins AFTER INSERT ON incident_org BEGIN
	UPDATE search SET orgs = coalesce((SELECT tokens FROM search_org_tokens
	                                   WHERE incident_id = new.incident_id), '')
	WHERE rowid IN (SELECT new.incident_id * 4
	                UNION ALL SELECT id * 4 + 2 FROM entry
	                          WHERE incident_id = new.incident_id
	                UNION ALL SELECT id * 4 + 3 FROM observable
	                          WHERE incident_id = new.incident_id);
END;
CREATE TRIGGER search_org_del AFTER DELETE ON incident_org BEGIN
	UPDATE search SET orgs = coalesce((SELECT tokens FROM search_org_tokens
	                                   WHERE incident_id = old.incident_id), '')
	WHERE rowid IN (SELECT old.incident_id * 4
	                UNION ALL SELECT id * 4 + 2 FROM entry
	                          WHERE incident_id = old.incident_id
	                UNION ALL SELECT id * 4 + 3 FROM observable
	                          WHERE incident_id = old.incident_id);
END;
