-- Portfolio types an admin defines beyond the built-in ones: a name and extra fields
-- ([{name, kind: text|number|date|url|choice, choices}]).
CREATE TABLE portfolio_types (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX portfolio_types_name ON portfolio_types (name);

-- Templates to start a portfolio from: a type and sections with fields.
CREATE TABLE portfolio_templates (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    portfolio_type TEXT NOT NULL,
    sections TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX portfolio_templates_name ON portfolio_templates (name);

-- A portfolio is an Organization actor (title, summary, links and keys live in actors); this
-- row holds the rest. Remote portfolios (from other Kogi instances) have a row too.
-- visibility: public | unlisted | members | private. state: draft | published | archived.
CREATE TABLE portfolios (
    id INTEGER PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    local BOOLEAN NOT NULL,
    portfolio_type TEXT NOT NULL,
    visibility TEXT NOT NULL,
    state TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    cover_path TEXT,
    cover_url TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    sections TEXT NOT NULL DEFAULT '[]',
    template TEXT,
    owners TEXT NOT NULL DEFAULT '[]',
    items_url TEXT,
    projects_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX portfolios_actor ON portfolios (actor_id);

-- The team of a local portfolio. role: owner | editor | viewer.
CREATE TABLE portfolio_members (
    id INTEGER PRIMARY KEY NOT NULL,
    portfolio_id BIGINT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX portfolio_members_pair ON portfolio_members (portfolio_id, actor_id);
CREATE INDEX portfolio_members_actor ON portfolio_members (actor_id);

-- Work samples. visibility: public | unlisted | members | private; state: draft | published |
-- archived. post_id is the federated copy (an Article) once the item left the draft state.
CREATE TABLE portfolio_items (
    id INTEGER PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL,
    portfolio_id BIGINT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '[]',
    started_on TEXT,
    ended_on TEXT,
    media TEXT NOT NULL DEFAULT '[]',
    video_url TEXT,
    external_url TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    visibility TEXT NOT NULL,
    state TEXT NOT NULL,
    section TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX portfolio_items_ap_id ON portfolio_items (ap_id);
CREATE INDEX portfolio_items_portfolio ON portfolio_items (portfolio_id, position);
CREATE INDEX portfolio_items_post ON portfolio_items (post_id);

-- Projects of a portfolio. status: planned | active | paused | done.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL,
    portfolio_id BIGINT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    goals TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL DEFAULT '{}',
    links TEXT NOT NULL DEFAULT '[]',
    visibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX projects_ap_id ON projects (ap_id);
CREATE INDEX projects_portfolio ON projects (portfolio_id);

-- People on a project's team, with what they do on it.
CREATE TABLE project_members (
    id INTEGER PRIMARY KEY NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX project_members_pair ON project_members (project_id, actor_id);

-- Project updates are posts by the portfolio; this says which project each belongs to.
CREATE TABLE project_updates (
    id INTEGER PRIMARY KEY NOT NULL,
    project_ap_id TEXT NOT NULL,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX project_updates_post ON project_updates (post_id);
CREATE INDEX project_updates_project ON project_updates (project_ap_id);

-- Local people watching a portfolio (a notification on every update).
CREATE TABLE portfolio_watches (
    id INTEGER PRIMARY KEY NOT NULL,
    portfolio_id BIGINT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX portfolio_watches_pair ON portfolio_watches (portfolio_id, actor_id);

-- Named bookmark folders and what is in them. target_kind: portfolio | item | project.
CREATE TABLE bookmark_folders (
    id INTEGER PRIMARY KEY NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX bookmark_folders_name ON bookmark_folders (owner_id, name_norm);
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY NOT NULL,
    folder_id BIGINT NOT NULL REFERENCES bookmark_folders (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX bookmarks_once ON bookmarks (folder_id, target_kind, target_id);

-- Page views of a portfolio by other people per day (known bots excluded; no addresses kept).
CREATE TABLE portfolio_views (
    id INTEGER PRIMARY KEY NOT NULL,
    portfolio_id BIGINT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views BIGINT NOT NULL
);
CREATE UNIQUE INDEX portfolio_views_day ON portfolio_views (portfolio_id, day);
