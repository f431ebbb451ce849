-- A feed page is one range of `events_feed` in order. Until the table has
-- statistics the planner guesses a page's range holds a hundred rows and
-- reads the whole rest of the feed through a bitmap to sort it (60 ms a page
-- at 100,000 events instead of 1 ms). `events_tx` was one of the bitmaps it
-- chose, and PostgreSQL never needs it (a row's `tx` is its transaction's id,
-- not the table's maximum plus one as on SQLite); and the outbox is analysed
-- after every 10,000 rows written, not after a tenth of the table, so a bulk
-- import's events are planned from statistics within the autovacuum cycle.
DROP INDEX events_tx;
ALTER TABLE events SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000);
