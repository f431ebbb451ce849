ALTER TABLE events RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
CREATE INDEX events_tx ON events (tx);
