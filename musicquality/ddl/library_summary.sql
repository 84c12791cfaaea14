-- Our summary of the library (docs/summary.md): derived data, rebuilt from library_index,
-- file_quality and audio_verification at any time; never part of the legacy tables, which
-- get no trigger, index or column from us. Maintained by our writers in their own
-- transactions (quality.services.summary.library_summary_refresh) and reconciled with what
-- the Music Tools CLI wrote (library_summary_reconcile).
--
-- summary_file: one row per library_index row, with what every page counts, sorts and
-- filters on. Sort keys are never NULL ('' for no tag, -1 for "not analysed"), so that a
-- sort through an index includes every file and a keyset compares plain values.
CREATE TABLE IF NOT EXISTS summary_file (
    id INTEGER PRIMARY KEY,
    active INTEGER NOT NULL,
    file_size INTEGER NOT NULL,
    file_format TEXT NOT NULL,
    artist TEXT NOT NULL COLLATE NOCASE,
    title TEXT NOT NULL,
    album TEXT NOT NULL,
    file_path TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    file_content_hash TEXT NOT NULL,
    duration REAL,
    indexed_at TEXT,
    analysed INTEGER NOT NULL,
    quality_format TEXT NOT NULL,
    codec TEXT NOT NULL,
    bitrate INTEGER NOT NULL,
    sample_rate INTEGER NOT NULL,
    bit_depth INTEGER,
    quality_score REAL NOT NULL,
    lossless INTEGER NOT NULL,
    hires INTEGER NOT NULL,
    analyzed_at TEXT,
    has_fingerprint INTEGER NOT NULL,
    backlog INTEGER NOT NULL,
    verify_backlog INTEGER NOT NULL,
    verdict TEXT,
    verdict_current TEXT,
    verdict_unchanged TEXT,
    pcm_hash TEXT
);
CREATE INDEX IF NOT EXISTS idx_summary_artist ON summary_file(artist, title, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_title ON summary_file(title, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_album ON summary_file(album, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_format ON summary_file(file_format, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_codec ON summary_file(codec, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_bitrate ON summary_file(bitrate, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_sample_rate ON summary_file(sample_rate, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_score ON summary_file(quality_score, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_size ON summary_file(file_size, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_path ON summary_file(file_path, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_verdict ON summary_file(verdict, id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS idx_summary_metadata_hash ON summary_file(metadata_hash) WHERE active = 1 AND analysed = 1;
CREATE INDEX IF NOT EXISTS idx_summary_analyzed_at ON summary_file(analyzed_at) WHERE analyzed_at IS NOT NULL;
-- summary_count: the whole library's counts and sums, one row per bucket
-- (quality.summary.file_buckets says which buckets a file counts in).
CREATE TABLE IF NOT EXISTS summary_count (
    bucket TEXT PRIMARY KEY,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    score_units INTEGER NOT NULL
);
-- summary_pair: the report's query 4 at threshold 0 (active analysed files sharing a
-- metadata hash, scores differing), with the first file's names for the sorts by artist and title, and the
-- difference negated (report_order) so that the report's order (difference descending,
-- then ids ascending) is one index read in one direction.
CREATE TABLE IF NOT EXISTS summary_pair (
    id1 INTEGER NOT NULL,
    id2 INTEGER NOT NULL,
    score1 REAL NOT NULL,
    score2 REAL NOT NULL,
    score_diff REAL NOT NULL,
    report_order REAL NOT NULL,
    artist TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (id1, id2)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_summary_pair_id2 ON summary_pair(id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_diff ON summary_pair(score_diff, id1, id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_report ON summary_pair(report_order, id1, id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_artist ON summary_pair(artist, id1, id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_title ON summary_pair(title, id1, id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_score1 ON summary_pair(score1, id1, id2);
CREATE INDEX IF NOT EXISTS idx_summary_pair_score2 ON summary_pair(score2, id1, id2);
-- summary_state: one row. generation grows with every change our writers or a
-- reconciliation make to the summary; versions say which analyser and verifier the backlog
-- flags were computed for (another version: the summary is rebuilt).
CREATE TABLE IF NOT EXISTS summary_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    layout TEXT NOT NULL,
    analyzer_version TEXT NOT NULL,
    verifier_version TEXT NOT NULL,
    generation INTEGER NOT NULL,
    built_at TEXT NOT NULL
);
-- summary_search: full-text search over artist, title, album and path (trigram: any
-- substring of three characters or more, case-insensitive; docs/summary.md), reading its
-- text from summary_file.
CREATE VIRTUAL TABLE IF NOT EXISTS summary_search USING fts5(
    artist, title, album, file_path,
    content='summary_file', content_rowid='id', tokenize='trigram'
);
-- summary_deletion: dedup_history counted per day, session, reason, match, recoverability and
-- whether the move finished (done is 0 while the row's notes start with 'PENDING:'), and
-- summary_deletion_session: each session's first and last deletion. dedup_history is written
-- only by this app (dedupe, recover, purge, the history import, the admin), so triggers on it
-- (musicquality.schema.SUMMARY_TRIGGERS) keep both exact for every writer; /dedup/'s chart,
-- reasons and sessions read a few dozen rows instead of the history. Scores are summed as
-- integer millionths (no drift), sizes as REAL (exact below 2**53; no overflow can fail the
-- writer).
CREATE TABLE IF NOT EXISTS summary_deletion (
    day TEXT NOT NULL,
    session TEXT NOT NULL,
    reason TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    can_recover INTEGER NOT NULL,
    done INTEGER NOT NULL,
    files INTEGER NOT NULL,
    bytes REAL NOT NULL,
    scored INTEGER NOT NULL,
    score_units INTEGER NOT NULL,
    PRIMARY KEY (day, session, reason, matched_by, can_recover, done)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summary_deletion_session (
    session TEXT PRIMARY KEY,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL
) WITHOUT ROWID;
-- summary_upgrade: upgrade_candidates counted per user_action ('' for NULL) and service
-- ('' for none), kept by triggers the same way.
CREATE TABLE IF NOT EXISTS summary_upgrade (
    user_action TEXT NOT NULL,
    service TEXT NOT NULL,
    candidates INTEGER NOT NULL,
    PRIMARY KEY (user_action, service)
) WITHOUT ROWID;
-- summary_upgrade_album: upgrade_candidates per user_action ('' for NULL), artist and album as
-- tagged (candidates without an album are left out), with their summed priority in integer
-- millionths: /upgrades/albums/ reads one page of albums through an index of its sort.
CREATE TABLE IF NOT EXISTS summary_upgrade_album (
    user_action TEXT NOT NULL,
    artist TEXT NOT NULL,
    album TEXT NOT NULL,
    candidates INTEGER NOT NULL,
    priority_units INTEGER NOT NULL,
    PRIMARY KEY (user_action, artist, album)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_summary_upgrade_album_priority
    ON summary_upgrade_album(user_action, priority_units, artist COLLATE NOCASE, album COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS idx_summary_upgrade_album_artist
    ON summary_upgrade_album(user_action, artist COLLATE NOCASE, album COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS idx_summary_upgrade_album_album
    ON summary_upgrade_album(user_action, album COLLATE NOCASE, artist COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS idx_summary_upgrade_album_tracks
    ON summary_upgrade_album(user_action, candidates, priority_units);
-- summary_unreadable: the files the analysis could not read, as they were when it tried
-- (their library_index file_mtime then): out of the analysis backlog until they change,
-- counted apart and shown with the reason (quality.selectors.BACKLOG_CONDITION). Dropped
-- with the rest of the summary on a rebuild (a new analyser, a new layout): those files are
-- then simply tried again.
CREATE TABLE IF NOT EXISTS summary_unreadable (
    id INTEGER PRIMARY KEY,
    file_mtime TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
