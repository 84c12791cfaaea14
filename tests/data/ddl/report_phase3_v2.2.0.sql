-- Verbatim from the design report, §9.2 "Phase 3 Features (v2.2.0)".
CREATE TABLE IF NOT EXISTS streaming_matches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library_file_id INTEGER NOT NULL,
    service TEXT NOT NULL,
    service_track_id TEXT NOT NULL,
    match_confidence REAL NOT NULL,
    available_quality TEXT,
    checked_at TEXT NOT NULL,
    FOREIGN KEY (library_file_id) REFERENCES library_index(id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS upgrade_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id INTEGER NOT NULL,
    job_status TEXT DEFAULT 'pending',
    download_source TEXT,
    download_started_at TEXT,
    download_completed_at TEXT,
    error_message TEXT,
    FOREIGN KEY (candidate_id) REFERENCES upgrade_candidates(id) ON DELETE CASCADE
);
