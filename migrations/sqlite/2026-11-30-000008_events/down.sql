DROP TABLE event_horizons;
DROP TABLE events;
