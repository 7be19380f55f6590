-- CRM-link tickets already spent: a ticket starts one sign-in. Only a digest of the ticket is kept
-- (never the ticket itself), until the ticket would have expired anyway.
CREATE TABLE spent_link_tickets (
    ticket_digest TEXT NOT NULL PRIMARY KEY,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX spent_link_tickets_by_expiry ON spent_link_tickets (expires_at);
