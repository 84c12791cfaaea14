-- Verbatim from the design report, §10.2 "Performance Tuning Recommendations", item 3.
CREATE INDEX idx_quality_lossy_files
   ON file_quality(quality_score DESC)
   WHERE is_lossless = 0;
