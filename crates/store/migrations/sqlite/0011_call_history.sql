-- The supervisor's call history pages through call records newest first with a keyset cursor
-- (started_at, call_id), never OFFSET, optionally filtered by one of these columns. Each index
-- leads with the tenant and the filtered column and ends with the paging order, so a filtered
-- page is an index range read backwards, whatever the number of rows.
CREATE INDEX call_records_page ON call_records (tenant, started_at, call_id);
CREATE INDEX call_records_by_customer ON call_records (tenant, customer, started_at, call_id);
CREATE INDEX call_records_by_queue ON call_records (tenant, queue, started_at, call_id);
CREATE INDEX call_records_by_first_agent ON call_records (tenant, first_agent, started_at, call_id);
CREATE INDEX call_records_by_last_agent ON call_records (tenant, last_agent, started_at, call_id);
CREATE INDEX call_records_by_outcome ON call_records (tenant, outcome, started_at, call_id);
CREATE INDEX call_records_by_direction ON call_records (tenant, direction, started_at, call_id);
-- call_records_page covers what this one did.
DROP INDEX call_records_by_start;
