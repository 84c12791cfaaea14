-- The tables the Music Tools CLI keeps in library_index.db (docs/legacy-schema.md).
-- The one copy of this DDL: the v2.0.0 migration creates them IF NOT EXISTS on a fresh
-- install, the tests build legacy files from it, and tests/musicquality/test_models_ddl.py
-- checks that the unmanaged models in quality/models/legacy.py match it column for column.
CREATE TABLE IF NOT EXISTS library_index (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT UNIQUE NOT NULL,
    filename TEXT NOT NULL,
    artist TEXT,
    title TEXT,
    album TEXT,
    year INTEGER,
    duration REAL,
    file_format TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    metadata_hash TEXT NOT NULL,
    file_content_hash TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    file_mtime TEXT NOT NULL,
    last_verified TEXT,
    is_active INTEGER DEFAULT 1
);
CREATE INDEX IF NOT EXISTS idx_metadata_hash ON library_index(metadata_hash);
CREATE INDEX IF NOT EXISTS idx_content_hash ON library_index(file_content_hash);
CREATE INDEX IF NOT EXISTS idx_is_active ON library_index(is_active);
CREATE INDEX IF NOT EXISTS idx_file_format ON library_index(file_format);
CREATE INDEX IF NOT EXISTS idx_active_metadata_hash ON library_index(is_active, metadata_hash);
CREATE INDEX IF NOT EXISTS idx_active_content_hash ON library_index(is_active, file_content_hash);
CREATE INDEX IF NOT EXISTS idx_active_format ON library_index(is_active, file_format);
CREATE INDEX IF NOT EXISTS idx_artist_title ON library_index(artist, title);
CREATE INDEX IF NOT EXISTS idx_artist_album ON library_index(artist, album);
CREATE INDEX IF NOT EXISTS idx_active_artist ON library_index(is_active, artist);
CREATE INDEX IF NOT EXISTS idx_active_album ON library_index(is_active, album);
CREATE TABLE IF NOT EXISTS library_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    total_files INTEGER,
    total_size INTEGER,
    formats_breakdown TEXT,
    artists_count INTEGER,
    albums_count INTEGER,
    last_index_time TEXT,
    index_duration REAL,
    created_at TEXT
);
CREATE TABLE IF NOT EXISTS vetting_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_folder TEXT NOT NULL,
    total_files INTEGER,
    duplicates_found INTEGER,
    new_songs INTEGER,
    uncertain_matches INTEGER,
    threshold_used REAL,
    vetted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_vetting_history_date ON vetting_history(vetted_at DESC);
