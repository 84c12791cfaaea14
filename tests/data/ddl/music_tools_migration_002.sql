-- The Music Tools CLI's own "migration 002" (add_quality_tables), as it runs on music_tools.db:
-- three tables named like ours with another layout, 20 indexes, and three settings keys.
--
-- Where it comes from: the CLI's migration
-- packages/common/music_tools_common/database/migrations/002_add_quality_tables.py and its
-- README (the loungecrasher/music-tools repository on GitHub, migration dated 2026-01-08),
-- summarised in the design notes (DESIGN.md section 3: "dedup_history with original_path,
-- kept_path, ..., upgrade_candidates with suggested_format, upgrade_status, ..., settings
-- keys migration_version_002, migration_002_name"). Column names, types, NULL-ness,
-- defaults, foreign keys and index definitions are the migration's, only the layout of this
-- file is ours. The migration requires the playlists, tracks and settings tables of
-- musicquality/ddl/legacy_music_tools.sql to exist first.
--
-- Used by tests/legacy.py (music_tools_migration_002_apply) to build the music_tools.db of
-- the import_legacy_history tests, and by the migrate tests as the same-named tables of
-- another layout that the migration refuses. musicquality/legacy_history.py reads the columns
-- of dedup_history and upgrade_candidates it needs, and tests/musicquality/test_legacy_history.py
-- checks them against this file.

CREATE TABLE IF NOT EXISTS file_quality (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL UNIQUE,
    file_hash TEXT NOT NULL,
    file_size INTEGER NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT 'unknown',
    bitrate INTEGER DEFAULT NULL,
    sample_rate INTEGER DEFAULT NULL,
    bit_depth INTEGER DEFAULT NULL,
    channels INTEGER DEFAULT 2,
    duration REAL DEFAULT 0.0,
    codec TEXT DEFAULT NULL,
    quality_score REAL DEFAULT 0.0,
    is_lossy BOOLEAN DEFAULT 1,
    has_metadata BOOLEAN DEFAULT 0,
    track_id TEXT DEFAULT NULL,
    scan_date TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (track_id) REFERENCES tracks(id) ON DELETE SET NULL
);

CREATE TABLE IF NOT EXISTS dedup_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    original_path TEXT NOT NULL,
    original_hash TEXT NOT NULL,
    original_size INTEGER NOT NULL DEFAULT 0,
    original_quality_score REAL DEFAULT 0.0,
    kept_path TEXT NOT NULL,
    kept_hash TEXT NOT NULL,
    kept_size INTEGER NOT NULL DEFAULT 0,
    kept_quality_score REAL DEFAULT 0.0,
    deletion_reason TEXT NOT NULL DEFAULT 'duplicate',
    space_saved INTEGER DEFAULT 0,
    track_id TEXT DEFAULT NULL,
    deleted_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_by TEXT DEFAULT 'system',
    can_restore BOOLEAN DEFAULT 0,
    restore_location TEXT DEFAULT NULL,
    notes TEXT DEFAULT NULL,
    FOREIGN KEY (track_id) REFERENCES tracks(id) ON DELETE SET NULL
);

CREATE TABLE IF NOT EXISTS upgrade_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL,
    current_format TEXT NOT NULL DEFAULT 'unknown',
    current_bitrate INTEGER DEFAULT NULL,
    current_quality_score REAL DEFAULT 0.0,
    suggested_format TEXT DEFAULT 'flac',
    suggested_bitrate INTEGER DEFAULT NULL,
    potential_improvement REAL DEFAULT 0.0,
    priority_score REAL DEFAULT 0.0,
    track_id TEXT DEFAULT NULL,
    track_name TEXT DEFAULT NULL,
    artist_name TEXT DEFAULT NULL,
    availability_checked BOOLEAN DEFAULT 0,
    available_sources TEXT DEFAULT NULL,
    estimated_cost REAL DEFAULT 0.0,
    upgrade_status TEXT DEFAULT 'pending',
    identified_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_checked TEXT DEFAULT NULL,
    upgraded_at TEXT DEFAULT NULL,
    notes TEXT DEFAULT NULL,
    FOREIGN KEY (track_id) REFERENCES tracks(id) ON DELETE CASCADE
);

-- file_quality: 7 indexes
CREATE INDEX IF NOT EXISTS idx_file_quality_path ON file_quality(file_path);
CREATE INDEX IF NOT EXISTS idx_file_quality_hash ON file_quality(file_hash);
CREATE INDEX IF NOT EXISTS idx_file_quality_track_id ON file_quality(track_id);
CREATE INDEX IF NOT EXISTS idx_file_quality_format_bitrate ON file_quality(format, bitrate DESC);
CREATE INDEX IF NOT EXISTS idx_file_quality_score ON file_quality(quality_score DESC);
CREATE INDEX IF NOT EXISTS idx_file_quality_scan_date ON file_quality(scan_date DESC);
CREATE INDEX IF NOT EXISTS idx_file_quality_format_lossy ON file_quality(format, is_lossy);

-- dedup_history: 6 indexes
CREATE INDEX IF NOT EXISTS idx_dedup_history_original_hash ON dedup_history(original_hash);
CREATE INDEX IF NOT EXISTS idx_dedup_history_kept_hash ON dedup_history(kept_hash);
CREATE INDEX IF NOT EXISTS idx_dedup_history_track_id ON dedup_history(track_id);
CREATE INDEX IF NOT EXISTS idx_dedup_history_deleted_at ON dedup_history(deleted_at DESC);
CREATE INDEX IF NOT EXISTS idx_dedup_history_can_restore ON dedup_history(can_restore, deleted_at DESC);
CREATE INDEX IF NOT EXISTS idx_dedup_history_reason ON dedup_history(deletion_reason, deleted_at DESC);

-- upgrade_candidates: 7 indexes
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_track_id ON upgrade_candidates(track_id);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_priority ON upgrade_candidates(priority_score DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_status ON upgrade_candidates(upgrade_status, priority_score DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_quality_improvement ON upgrade_candidates(potential_improvement DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_format ON upgrade_candidates(current_format, current_quality_score);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_artist ON upgrade_candidates(artist_name, priority_score DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_candidates_identified ON upgrade_candidates(identified_at DESC);
