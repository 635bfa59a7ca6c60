-- The search index carries, on every row that belongs to an incident, the
-- ids of the incident's constituent organisations (column orgs). A
-- constituent's search then intersects its query with its own
-- organisation inside the index, instead of walking every match of a
-- common word; user queries are confined to title and body.
--
-- The PostgreSQL dialect of sqlite/0010_search_orgs.sql: where FTS5 holds
-- "org<ID>" tokens in a third column, this table holds an array of ids
-- with a GIN index of its own (never reachable from a user's query). The
-- triggers of 0006 are replaced by the same ones plus orgs, and
-- incident_org keeps it in step.

ALTER TABLE search ADD COLUMN orgs bigint[] NOT NULL DEFAULT '{}';

-- The organisations of one incident.
CREATE FUNCTION search_orgs(incident bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(io.org_id ORDER BY io.org_id), '{}')
	FROM incident_org io WHERE io.incident_id = search_orgs.incident
$$;

UPDATE search SET orgs = search_orgs(incident)
WHERE kind <> 1 AND incident IS NOT NULL;
CREATE INDEX search_orgs_gin ON search USING gin (orgs);

CREATE OR REPLACE FUNCTION search_incident() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words, orgs)
	VALUES (new.id * 4, 0, new.id, new.ref || ' ' || new.title,
	        new.summary,
	        search_vector(new.ref || ' ' || new.title, new.summary),
	        search_orgs(new.id))
	ON CONFLICT (rowid) DO UPDATE SET title = excluded.title,
	    body = excluded.body, words = excluded.words,
	    orgs = excluded.orgs;
	RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION search_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4 + 2;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words, orgs)
	VALUES (new.id * 4 + 2, 2, new.incident_id, '', new.body,
	        search_vector('', new.body), search_orgs(new.incident_id));
	RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION search_observable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4 + 3;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words, orgs)
	VALUES (new.id * 4 + 3, 3, new.incident_id, new.value, new.comment,
	        search_vector(new.value, new.comment),
	        search_orgs(new.incident_id));
	RETURN NULL;
END;
$$;

-- A change of the incident's organisations rewrites the orgs column of
-- the incident's rows (its entries and observables included; a report
-- attached to it keeps none, as in SQLite).
CREATE FUNCTION search_org() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	x bigint := CASE WHEN TG_OP = 'DELETE' THEN old.incident_id
	                 ELSE new.incident_id END;
BEGIN
	UPDATE search SET orgs = search_orgs(x) WHERE incident = x AND kind <> 1;
	RETURN NULL;
END;
$$;
CREATE TRIGGER search_org_ins AFTER INSERT ON incident_org
	FOR EACH ROW EXECUTE FUNCTION search_org();
CREATE TRIGGER search_org_del AFTER DELETE ON incident_org
	FOR EACH ROW EXECUTE FUNCTION search_org();
