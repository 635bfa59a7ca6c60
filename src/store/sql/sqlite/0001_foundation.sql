-- Users, sessions, API tokens, login throttling, idempotency keys, the
-- hash-chained audit log and the durable job queue.
-- Times are Unix seconds (UTC). 0 or NULL means "never".

CREATE TABLE user (
	id            INTEGER PRIMARY KEY,
	login         TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL DEFAULT '',
	email         TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL
	              CHECK (role IN ('admin', 'handler', 'viewer', 'constituent')),
	org           TEXT,
	pw_hash       TEXT    NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	version       INTEGER NOT NULL DEFAULT 1,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	last_login_at INTEGER,
	CHECK ((role = 'constituent') = (org IS NOT NULL))
) STRICT;

CREATE TABLE session (
	hash         TEXT    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX session_user ON session(user_id);
CREATE INDEX session_expires ON session(expires_at);

CREATE TABLE token (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	hash         TEXT    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX token_user ON token(user_id, id);

CREATE TABLE login_throttle (
	key          TEXT    PRIMARY KEY,
	failures     INTEGER NOT NULL,
	window_start INTEGER NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE idempotency (
	user_id      INTEGER NOT NULL,
	key          TEXT    NOT NULL,
	req_hash     TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	done         INTEGER NOT NULL DEFAULT 0,
	status       INTEGER,
	content_type TEXT,
	body         TEXT,
	PRIMARY KEY (user_id, key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency(created_at);

CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor       TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	object_type TEXT    NOT NULL,
	object_id   TEXT    NOT NULL,
	detail      TEXT    NOT NULL,
	prev_hash   TEXT    NOT NULL,
	hash        TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_action ON audit(action, seq);

CREATE TABLE job (
	id           INTEGER PRIMARY KEY,
	kind         TEXT    NOT NULL,
	payload      TEXT    NOT NULL DEFAULT '{}',
	state        TEXT    NOT NULL DEFAULT 'queued'
	             CHECK (state IN ('queued', 'running', 'done', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	run_after    INTEGER NOT NULL,
	lease_until  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT,
	created_at   INTEGER NOT NULL,
	finished_at  INTEGER
) STRICT;
CREATE INDEX job_runnable ON job(state, run_after, id);
