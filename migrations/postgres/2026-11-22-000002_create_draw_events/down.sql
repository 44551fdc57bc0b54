DROP TABLE draw_events;
