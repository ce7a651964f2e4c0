-- +goose Up
-- stack_invitations are the pending invitations of POST /v3/stacks/share, one
-- per (stack, e-mail address), replaced when the address is invited again.
-- Nothing says whether the address has an account: the user whose e-mail it
-- is (now or after registering) accepts with their own credentials, which
-- makes them a member and deletes the row, or declines, which deletes it.
CREATE TABLE stack_invitations (
	seq        INTEGER PRIMARY KEY,
	uid        TEXT NOT NULL UNIQUE,
	stack_uid  TEXT NOT NULL REFERENCES stacks (uid) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (stack_uid, email)
);
CREATE INDEX stack_invitations_email ON stack_invitations (email);

-- The roles an invitation gives; a role deleted meanwhile is not given.
CREATE TABLE stack_invitation_roles (
	invitation_uid TEXT NOT NULL REFERENCES stack_invitations (uid) ON DELETE CASCADE,
	stack_uid      TEXT NOT NULL,
	role_uid       TEXT NOT NULL,
	PRIMARY KEY (invitation_uid, role_uid),
	FOREIGN KEY (stack_uid, role_uid) REFERENCES roles (stack_uid, uid) ON DELETE CASCADE
);
CREATE INDEX stack_invitation_roles_role ON stack_invitation_roles (stack_uid, role_uid);

-- +goose Down
DROP TABLE stack_invitation_roles;
DROP TABLE stack_invitations;
