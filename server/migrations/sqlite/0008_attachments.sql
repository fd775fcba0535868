-- Attachments (photos): immutable files under <data_dir>/attachments/<aa>/<bb>/<sha256>,
-- addressed by the SHA-256 of their bytes. One metadata row per file.
CREATE TABLE attachments (
    sha256        TEXT PRIMARY KEY NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Every user who uploaded a file (the first is also attachments.uploaded_by): an uploader may
-- always read it back.
CREATE TABLE attachment_uploaders (
    sha256      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (sha256, user_id)
);

-- Which documents reference which file (a visit's photos), rewritten with the document's
-- projection: a user who may see one of these documents may read the file.
CREATE TABLE attachment_refs (
    sha256  TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    PRIMARY KEY (sha256, doc_id)
);
CREATE INDEX attachment_refs_doc_idx ON attachment_refs (doc_id);
