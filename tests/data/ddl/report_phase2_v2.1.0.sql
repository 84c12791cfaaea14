-- Verbatim from the design report, §9.1 "Phase 2 Features (v2.1.0)".
-- Add to file_quality table
ALTER TABLE file_quality ADD COLUMN acoustid_fingerprint TEXT;
ALTER TABLE file_quality ADD COLUMN acoustid_id TEXT;

CREATE INDEX IF NOT EXISTS idx_quality_acoustid
ON file_quality(acoustid_id);

CREATE TABLE IF NOT EXISTS quality_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library_file_id INTEGER NOT NULL,
    quality_score REAL NOT NULL,
    measured_at TEXT NOT NULL,
    analyzer_version TEXT,
    FOREIGN KEY (library_file_id) REFERENCES library_index(id) ON DELETE CASCADE
);
