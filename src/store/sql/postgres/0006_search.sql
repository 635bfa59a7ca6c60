-- Full-text search over incidents, reports, journal entries and
-- observables (diacritics folded so "policia" finds "policía").
-- Triggers keep it in step with the tables. rowid = id * 4 + kind, with
-- kind 0 incident, 1 report, 2 entry, 3 observable; incident is the
-- incident a row belongs to (NULL for a report not yet attached).
--
-- The PostgreSQL dialect of sqlite/0006_search.sql. FTS5 becomes a table
-- holding the indexed text and its tsvector (words, GIN-indexed), and the
-- FTS5 tokenizer (unicode61 remove_diacritics 2) becomes search_words():
-- accents removed (unaccent), lower case, and every character that is
-- neither a letter nor a digit a separator, so that "lockbit-leaks.example"
-- is three words as in FTS5 (PostgreSQL's parser would keep a host name,
-- an e-mail address or a version number whole). The words of title and
-- body are one vector with a gap between them: all terms must be found in
-- either, and a phrase never spans the two (FTS5 columns).
--
-- search_query() reads the FTS5 query built by search_query_fts() (terms
-- in double quotes, quotes doubled inside, '*' after a prefix term) into a
-- tsquery of the same meaning, and search_snippet() stands for FTS5's
-- snippet(). The user's text is only ever data: terms become lexemes of a
-- tsquery built from to_tsvector(), never SQL.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- The text as words separated by single spaces. Letters are lowered with
-- ICU when PostgreSQL has it, so that case folds whatever the database's
-- locale (lower() of a "C" database folds ASCII only). The separators are
-- listed rather than taken from [[:alnum:]] for the same reason: ASCII and
-- Latin-1 punctuation and symbols, general punctuation, currency, arrows,
-- mathematical and technical symbols, box drawing, shapes, dingbats, CJK
-- and full-width punctuation, emoji.
DO $do$
DECLARE
	fold text := 'lower(unaccent(t))';
BEGIN
	IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')
	THEN
		fold := 'lower(unaccent(t) COLLATE "und-x-icu")';
	END IF;
	EXECUTE format($f$
CREATE FUNCTION search_words(t text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT regexp_replace(%s,
	    '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\xa9\xab-\xb1\xb4\xb6-\xb8\xbb\xbf'
	    '\xd7\xf7\u2000-\u206f\u207a-\u207e\u208a-\u208e\u20a0-\u20cf'
	    '\u2190-\u245f\u2500-\u2775\u2794-\u2bff\u2e00-\u2e7f\u3000-\u3004'
	    '\u3008-\u3020\u3030\u303d-\u303f\u30fb\ufe10-\ufe19\ufe30-\ufe6b'
	    '\ufeff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65'
	    '\uffe0-\uffee\ufff9-\ufffd\U0001f000-\U0001faff]+', ' ', 'g')
$$ $f$, fold);
END
$do$;

-- The vector of a row: the words of title, then two positions further
-- those of body. A vector holds at most 1 MB of distinct words: past that
-- (never under 300 kB of text, the usual case, which needs no
-- subtransaction) only the beginning of the text is indexed.
CREATE FUNCTION search_vector(title text, body text) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
	keep integer := 2147483647; -- characters of each text indexed
BEGIN
	IF octet_length(title) + octet_length(body) < 300000 THEN
		RETURN ts_delete(to_tsvector('simple', search_words(title)) ||
		                 '_:1'::tsvector ||
		                 to_tsvector('simple', search_words(body)), '_');
	END IF;
	LOOP
		BEGIN
			RETURN ts_delete(
			    to_tsvector('simple', search_words(left(title, keep))) ||
			    '_:1'::tsvector ||
			    to_tsvector('simple', search_words(left(body, keep))),
			    '_');
		EXCEPTION WHEN program_limit_exceeded THEN
			keep := least(keep, 524288) / 2;
		END;
	END LOOP;
END;
$$;

-- The FTS5 query as a tsquery: each term a phrase of its words (the last
-- one a prefix after '*'), all terms required. A term without words is
-- ignored, as in FTS5; NULL (matching nothing) when no term has one. A
-- query that is not of search_query_fts()'s form is refused (22023).
CREATE FUNCTION search_query(fts text) RETURNS tsquery
LANGUAGE plpgsql STABLE AS $$
DECLARE
	q tsquery;
BEGIN
	IF fts IS NULL THEN
		RETURN NULL;
	END IF;
	IF fts !~ '^"([^"]|"")*"\*?( "([^"]|"")*"\*?)*$' THEN
		RAISE EXCEPTION 'malformed search query' USING ERRCODE = '22023';
	END IF;
	SELECT string_agg('(' || phrase || ')', ' & ' ORDER BY n)::tsquery
	INTO q
	FROM (
		SELECT m.n, string_agg(
		    CASE WHEN w.prev IS NULL THEN ''
		         ELSE ' <' || (w.pos - w.prev) || '> ' END ||
		    '''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') ||
		    '''' ||
		    CASE WHEN m.g[2] = '*' AND w.pos = w.last THEN ':*'
		         ELSE '' END, '' ORDER BY w.pos) AS phrase
		FROM regexp_matches(fts, '"((?:[^"]|"")*)"(\*?)', 'g')
		     WITH ORDINALITY AS m(g, n)
		CROSS JOIN LATERAL (
			SELECT l.lexeme, p.pos,
			       lag(p.pos) OVER (ORDER BY p.pos) AS prev,
			       max(p.pos) OVER () AS last
			FROM unnest(to_tsvector('simple', search_words(
			         replace(m.g[1], '""', '"')))) AS l,
			     unnest(l.positions) AS p(pos)
		) AS w
		GROUP BY m.n
	) AS terms;
	RETURN q;
END;
$$;

-- FTS5's snippet(search, 1, '«', '»', '…', 16): some sixteen words of
-- body around the best match, matches marked, '…' where text was cut, the
-- text before the first word and after the last one kept when reached.
-- The headline configuration folds accents as search_words() does. The
-- headline's own marks are noncharacters (U+FDD1, U+FDD2) so that the
-- fragment can be found in body whatever body holds, and '<' travels as
-- U+FDD0: the parser would take "<...>" for a tag and leave it out.
CREATE TEXT SEARCH CONFIGURATION search_headline (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION search_headline
	ALTER MAPPING FOR asciiword, word, numword, asciihword, hword,
	                  numhword, hword_asciipart, hword_part, hword_numpart
	WITH unaccent, simple;

CREATE FUNCTION search_snippet(body text, q tsquery) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	lt constant text := chr(64976);        -- U+FDD0
	mark_on constant text := chr(64977);   -- U+FDD1
	mark_off constant text := chr(64978);  -- U+FDD2
	word constant text := '[0-9A-Za-z\u00c0-\U0010ffff]';
	doc text := replace(body, '<', lt);
	h text;
	plain text;
	pos integer;
	head text;
	tail text;
BEGIN
	IF body = '' OR q IS NULL THEN
		RETURN body;
	END IF;
	h := ts_headline('search_headline', doc, q,
	                 'StartSel=' || mark_on || ', StopSel=' || mark_off ||
	                 ', MaxFragments=1, MaxWords=16, MinWords=15, '
	                 'ShortWord=0');
	plain := replace(replace(h, mark_on, ''), mark_off, '');
	pos := strpos(doc, plain);
	IF plain <> '' AND pos > 0 THEN
		head := left(doc, pos - 1);
		tail := substr(doc, pos + length(plain));
		h := CASE WHEN head ~ word THEN '…' ELSE head END || h ||
		     CASE WHEN tail ~ word THEN '…' ELSE tail END;
	END IF;
	RETURN replace(replace(replace(h, mark_on, '«'), mark_off, '»'), lt, '<');
END;
$$;

CREATE TABLE search (
	rowid    bigint   PRIMARY KEY,
	kind     integer  NOT NULL CHECK (kind BETWEEN 0 AND 3),
	incident bigint,
	title    text     NOT NULL,
	body     text     NOT NULL,
	words    tsvector NOT NULL
);
CREATE INDEX search_words_gin ON search USING gin (words);
CREATE INDEX search_incident ON search(incident);

CREATE FUNCTION search_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words)
	VALUES (new.id * 4, 0, new.id, new.ref || ' ' || new.title,
	        new.summary,
	        search_vector(new.ref || ' ' || new.title, new.summary))
	ON CONFLICT (rowid) DO UPDATE SET title = excluded.title,
	    body = excluded.body, words = excluded.words;
	RETURN NULL;
END;
$$;
CREATE TRIGGER search_incident_ins AFTER INSERT ON incident
	FOR EACH ROW EXECUTE FUNCTION search_incident();
CREATE TRIGGER search_incident_upd AFTER UPDATE OF title, summary ON incident
	FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title OR
	                   old.summary IS DISTINCT FROM new.summary)
	EXECUTE FUNCTION search_incident();
CREATE TRIGGER search_incident_del AFTER DELETE ON incident
	FOR EACH ROW EXECUTE FUNCTION search_incident();

CREATE FUNCTION search_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		UPDATE search SET incident = new.incident_id
		WHERE rowid = new.id * 4 + 1;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words)
	VALUES (new.id * 4 + 1, 1, new.incident_id, new.subject,
	        new.reporter || ' ' || new.body,
	        search_vector(new.subject, new.reporter || ' ' || new.body));
	RETURN NULL;
END;
$$;
CREATE TRIGGER search_report_ins AFTER INSERT ON report
	FOR EACH ROW EXECUTE FUNCTION search_report();
CREATE TRIGGER search_report_upd AFTER UPDATE OF incident_id ON report
	FOR EACH ROW WHEN (old.incident_id IS DISTINCT FROM new.incident_id)
	EXECUTE FUNCTION search_report();

CREATE FUNCTION search_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4 + 2;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words)
	VALUES (new.id * 4 + 2, 2, new.incident_id, '', new.body,
	        search_vector('', new.body));
	RETURN NULL;
END;
$$;
CREATE TRIGGER search_entry_ins AFTER INSERT ON entry
	FOR EACH ROW EXECUTE FUNCTION search_entry();
CREATE TRIGGER search_entry_del AFTER DELETE ON entry
	FOR EACH ROW EXECUTE FUNCTION search_entry();

CREATE FUNCTION search_observable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM search WHERE rowid = old.id * 4 + 3;
		RETURN NULL;
	END IF;
	INSERT INTO search (rowid, kind, incident, title, body, words)
	VALUES (new.id * 4 + 3, 3, new.incident_id, new.value, new.comment,
	        search_vector(new.value, new.comment));
	RETURN NULL;
END;
$$;
CREATE TRIGGER search_observable_ins AFTER INSERT ON observable
	FOR EACH ROW EXECUTE FUNCTION search_observable();
CREATE TRIGGER search_observable_del AFTER DELETE ON observable
	FOR EACH ROW EXECUTE FUNCTION search_observable();
