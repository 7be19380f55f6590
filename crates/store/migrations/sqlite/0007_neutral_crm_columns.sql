-- Neutral names for the CRM's record ids: the store serves any CRM adapter, not only ServiceNow.
-- A rename keeps every row (and the primary keys, which do not involve these columns).
ALTER TABLE agent_links RENAME COLUMN crm_user_sys_id TO crm_user_id;
ALTER TABLE call_cases RENAME COLUMN sys_id TO case_id;
ALTER TABLE call_cases RENAME COLUMN number TO case_label;
