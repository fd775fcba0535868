-- Administration: the department tree, roles as named permission sets with a data scope, and
-- each user's department and role. users.role stays the built-in kind of the user's role (it
-- drives the device sync policy); users.role_id names the role (NULL only until startup has
-- created the system roles and backfilled it).

CREATE TABLE departments (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    parent_id   TEXT NULL REFERENCES departments (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX departments_parent_idx ON departments (parent_id);

-- kind: admin|manager|office|rep|engineer|partner; data_scope: self|department|department_tree|all;
-- system: 1 for the one role per kind created at startup (not deletable, kind fixed).
CREATE TABLE roles (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    data_scope  TEXT NOT NULL,
    system      BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX roles_kind_idx ON roles (kind, system);

-- The permissions of a role, by their stable names (customers.view, admin.users, …).
CREATE TABLE role_permissions (
    role_id     TEXT NOT NULL REFERENCES roles (id),
    permission  TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

ALTER TABLE users ADD COLUMN role_id TEXT NULL REFERENCES roles (id);
ALTER TABLE users ADD COLUMN department_id TEXT NULL REFERENCES departments (id);
CREATE INDEX users_role_idx ON users (role_id);
CREATE INDEX users_department_idx ON users (department_id);

-- The audit viewer filters by action and verdict, newest first.
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_verdict_idx ON audit_log (verdict, id);
