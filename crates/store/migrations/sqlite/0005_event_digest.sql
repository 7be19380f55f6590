-- SHA-256 (hex) of the event's canonical body, so an event id that comes back with another body
-- is told apart from a plain retry. NULL for events recorded before this column existed.
ALTER TABLE processed_events ADD COLUMN digest TEXT;
