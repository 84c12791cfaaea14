-- Verbatim from the design report, "APPENDIX A: SQL Schema Reference".
-- =====================================================
-- QUALITY METRICS SCHEMA v2.0.0
-- =====================================================

-- File Quality Metrics Table
CREATE TABLE IF NOT EXISTS file_quality (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library_file_id INTEGER NOT NULL,
    file_format TEXT NOT NULL,
    codec TEXT,
    bitrate INTEGER,
    sample_rate INTEGER,
    bit_depth INTEGER,
    channels INTEGER DEFAULT 2,
    quality_score REAL NOT NULL,
    is_lossless INTEGER DEFAULT 0,
    is_hires INTEGER DEFAULT 0,
    bitrate_mode TEXT,
    analyzed_at TEXT NOT NULL,
    analyzer_version TEXT,
    FOREIGN KEY (library_file_id) REFERENCES library_index(id) ON DELETE CASCADE,
    UNIQUE(library_file_id)
);

-- Deduplication History Table
CREATE TABLE IF NOT EXISTS dedup_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deletion_session_id TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    file_path TEXT NOT NULL,
    filename TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_format TEXT NOT NULL,
    artist TEXT,
    title TEXT,
    album TEXT,
    year INTEGER,
    duration REAL,
    bitrate INTEGER,
    sample_rate INTEGER,
    quality_score REAL,
    metadata_hash TEXT NOT NULL,
    file_content_hash TEXT NOT NULL,
    deletion_reason TEXT NOT NULL,
    kept_file_path TEXT,
    kept_file_id INTEGER,
    confidence_score REAL,
    matched_by TEXT,
    original_library_id INTEGER,
    can_recover INTEGER DEFAULT 0,
    recovery_path TEXT,
    deleted_by TEXT DEFAULT 'system',
    notes TEXT
);

-- Upgrade Candidates Table
CREATE TABLE IF NOT EXISTS upgrade_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library_file_id INTEGER NOT NULL,
    file_path TEXT NOT NULL,
    current_format TEXT NOT NULL,
    current_bitrate INTEGER,
    current_quality_score REAL NOT NULL,
    artist TEXT NOT NULL,
    title TEXT NOT NULL,
    album TEXT,
    duration REAL,
    isrc TEXT,
    recommended_format TEXT NOT NULL,
    potential_quality_gain REAL,
    priority_score REAL NOT NULL,
    available_on_service TEXT,
    service_quality TEXT,
    checked_at TEXT,
    user_action TEXT DEFAULT 'pending',
    action_at TEXT,
    notes TEXT,
    identified_at TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    FOREIGN KEY (library_file_id) REFERENCES library_index(id) ON DELETE CASCADE,
    UNIQUE(library_file_id)
);

-- =====================================================
-- INDEXES
-- =====================================================

-- file_quality indexes (6 total)
CREATE INDEX IF NOT EXISTS idx_quality_file_id ON file_quality(library_file_id);
CREATE INDEX IF NOT EXISTS idx_quality_score ON file_quality(quality_score DESC);
CREATE INDEX IF NOT EXISTS idx_quality_format ON file_quality(file_format);
CREATE INDEX IF NOT EXISTS idx_quality_lossless ON file_quality(is_lossless, quality_score DESC);
CREATE INDEX IF NOT EXISTS idx_quality_upgrade_candidates ON file_quality(file_format, is_lossless, quality_score);
CREATE INDEX IF NOT EXISTS idx_quality_hires ON file_quality(is_hires, sample_rate DESC);

-- dedup_history indexes (7 total)
CREATE INDEX IF NOT EXISTS idx_dedup_session ON dedup_history(deletion_session_id);
CREATE INDEX IF NOT EXISTS idx_dedup_deleted_at ON dedup_history(deleted_at DESC);
CREATE INDEX IF NOT EXISTS idx_dedup_content_hash ON dedup_history(file_content_hash);
CREATE INDEX IF NOT EXISTS idx_dedup_metadata_hash ON dedup_history(metadata_hash);
CREATE INDEX IF NOT EXISTS idx_dedup_recoverable ON dedup_history(can_recover, deleted_at DESC);
CREATE INDEX IF NOT EXISTS idx_dedup_reason ON dedup_history(deletion_reason, deleted_at DESC);
CREATE INDEX IF NOT EXISTS idx_dedup_artist ON dedup_history(artist, title);

-- upgrade_candidates indexes (7 total)
CREATE INDEX IF NOT EXISTS idx_upgrade_file_id ON upgrade_candidates(library_file_id);
CREATE INDEX IF NOT EXISTS idx_upgrade_priority ON upgrade_candidates(priority_score DESC, user_action);
CREATE INDEX IF NOT EXISTS idx_upgrade_action ON upgrade_candidates(user_action, priority_score DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_current_format ON upgrade_candidates(current_format, priority_score DESC);
CREATE INDEX IF NOT EXISTS idx_upgrade_service ON upgrade_candidates(available_on_service, user_action);
CREATE INDEX IF NOT EXISTS idx_upgrade_artist_title ON upgrade_candidates(artist, title);
CREATE INDEX IF NOT EXISTS idx_upgrade_identified ON upgrade_candidates(identified_at DESC);
