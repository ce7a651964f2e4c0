-- +goose Up
-- Timestamps are unix milliseconds. seq orders rows by insertion, breaking
-- ties between rows created in the same millisecond. JSON columns hold the
-- domain slices as json.Marshal renders them.

CREATE TABLE users (
	seq             INTEGER PRIMARY KEY,
	uid             TEXT NOT NULL UNIQUE,
	email           TEXT NOT NULL UNIQUE,
	first_name      TEXT NOT NULL DEFAULT '',
	last_name       TEXT NOT NULL DEFAULT '',
	username        TEXT NOT NULL DEFAULT '',
	org_uid         TEXT NOT NULL DEFAULT '',
	password_hash   TEXT NOT NULL DEFAULT '',
	failed_attempts INTEGER NOT NULL DEFAULT 0,
	locked_until    INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
	seq        INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	user_uid   TEXT NOT NULL REFERENCES users (uid) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_uid, created_at);

CREATE TABLE stacks (
	seq           INTEGER PRIMARY KEY,
	uid           TEXT NOT NULL UNIQUE,
	api_key       TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	org_uid       TEXT NOT NULL DEFAULT '',
	owner_uid     TEXT NOT NULL REFERENCES users (uid),
	master_locale TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	UNIQUE (owner_uid, name)
);

CREATE TABLE members (
	seq      INTEGER PRIMARY KEY,
	stack_uid TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	user_uid  TEXT NOT NULL REFERENCES users (uid) ON DELETE CASCADE,
	UNIQUE (stack_uid, user_uid)
);
CREATE INDEX members_user ON members (user_uid);

CREATE TABLE roles (
	seq         INTEGER PRIMARY KEY,
	stack_uid   TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid         TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT,
	system      INTEGER NOT NULL DEFAULT 0,
	rules       TEXT NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	updated_by  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	UNIQUE (stack_uid, name)
);

-- Deleting a role takes it from its holders; removing a member drops their roles.
CREATE TABLE member_roles (
	stack_uid TEXT NOT NULL,
	user_uid  TEXT NOT NULL,
	role_uid  TEXT NOT NULL,
	PRIMARY KEY (stack_uid, user_uid, role_uid),
	FOREIGN KEY (stack_uid, user_uid) REFERENCES members (stack_uid, user_uid) ON DELETE CASCADE,
	FOREIGN KEY (stack_uid, role_uid) REFERENCES roles (stack_uid, uid) ON DELETE CASCADE
);
CREATE INDEX member_roles_role ON member_roles (stack_uid, role_uid);

CREATE TABLE environments (
	seq        INTEGER PRIMARY KEY,
	stack_uid  TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	urls       TEXT NOT NULL,
	version    INTEGER NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	UNIQUE (stack_uid, name)
);

CREATE TABLE locales (
	seq             INTEGER PRIMARY KEY,
	stack_uid       TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid             TEXT NOT NULL,
	code            TEXT NOT NULL,
	name            TEXT NOT NULL DEFAULT '',
	fallback_locale TEXT NOT NULL DEFAULT '',
	version         INTEGER NOT NULL DEFAULT 1,
	created_by      TEXT NOT NULL DEFAULT '',
	updated_by      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	UNIQUE (stack_uid, code)
);

CREATE TABLE branches (
	seq        INTEGER PRIMARY KEY,
	stack_uid  TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid        TEXT NOT NULL,
	source     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (stack_uid, uid)
);

-- The foreign key keeps an alias from outliving its target; the store checks
-- first so that the refusal carries a field.
CREATE TABLE branch_aliases (
	seq           INTEGER PRIMARY KEY,
	stack_uid     TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid           TEXT NOT NULL,
	target_branch TEXT NOT NULL,
	created_by    TEXT NOT NULL DEFAULT '',
	updated_by    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	FOREIGN KEY (stack_uid, target_branch) REFERENCES branches (stack_uid, uid)
);

CREATE TABLE delivery_tokens (
	seq            INTEGER PRIMARY KEY,
	stack_uid      TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid            TEXT NOT NULL,
	name           TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	scope          TEXT NOT NULL,
	token_hash     BLOB NOT NULL UNIQUE,
	token_cipher   BLOB,
	key_id         TEXT NOT NULL DEFAULT '',
	preview_hash   BLOB UNIQUE,
	preview_cipher BLOB,
	preview_key_id TEXT NOT NULL DEFAULT '',
	created_by     TEXT NOT NULL DEFAULT '',
	updated_by     TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	UNIQUE (stack_uid, name)
);

CREATE TABLE management_tokens (
	seq                INTEGER PRIMARY KEY,
	stack_uid          TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	uid                TEXT NOT NULL,
	name               TEXT NOT NULL,
	description        TEXT NOT NULL DEFAULT '',
	scope              TEXT NOT NULL,
	expires_on         INTEGER,
	email_notification INTEGER NOT NULL DEFAULT 0,
	token_hash         BLOB NOT NULL UNIQUE,
	created_by         TEXT NOT NULL DEFAULT '',
	updated_by         TEXT NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	UNIQUE (stack_uid, uid),
	UNIQUE (stack_uid, name)
);

-- refs records what each token or role references, by canonical uid, so a
-- referenced environment, locale, branch or alias cannot be deleted. The
-- owner is polymorphic, so the store deletes an owner's refs with the owner.
CREATE TABLE refs (
	stack_uid   TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	owner_kind  TEXT NOT NULL,
	owner_uid   TEXT NOT NULL,
	target_kind TEXT NOT NULL,
	target_uid  TEXT NOT NULL,
	PRIMARY KEY (stack_uid, owner_kind, owner_uid, target_kind, target_uid)
);
CREATE INDEX refs_target ON refs (stack_uid, target_kind, target_uid);

-- +goose Down
DROP TABLE refs;
DROP TABLE management_tokens;
DROP TABLE delivery_tokens;
DROP TABLE branch_aliases;
DROP TABLE branches;
DROP TABLE locales;
DROP TABLE environments;
DROP TABLE member_roles;
DROP TABLE roles;
DROP TABLE members;
DROP TABLE stacks;
DROP TABLE sessions;
DROP TABLE users;
