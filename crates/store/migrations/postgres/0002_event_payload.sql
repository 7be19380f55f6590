-- The accepted call event itself, so events whose effects were still in memory when the process
-- stopped can be replayed at the next start.
ALTER TABLE processed_events ADD COLUMN payload TEXT;
