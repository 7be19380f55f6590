//! Single-use CRM-link tickets. A link ticket is a bearer credential for "link a CRM account to
//! this agent"; spending it records its digest, so the same ticket cannot start a second sign-in
//! (from a browser history, a forwarded e-mail or a proxy log) while it is still unexpired.

use time::OffsetDateTime;

use crate::time_conv::to_micros;
use crate::{with_pool, Result, Store, StoreError};

impl Store {
    /// Spends the ticket whose digest is `digest` (the caller hashes the ticket; the store never
    /// sees it). `true` the first time, `false` if it was already spent. Tickets that expired
    /// before `now` are forgotten on the way: they are refused for their expiry anyway.
    pub async fn spend_link_ticket(
        &self,
        digest: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool> {
        with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM spent_link_tickets WHERE expires_at < $1"
        )
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("forget expired link tickets"))?
        .rows_affected());
        let inserted = with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO spent_link_tickets (ticket_digest, expires_at) VALUES ($1, $2) \
             ON CONFLICT (ticket_digest) DO NOTHING"
        )
        .bind(digest)
        .bind(to_micros(expires_at))
        .execute(p)
        .await
        .map_err(StoreError::db("spend a link ticket"))?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// Gives a spent ticket back, so it can start one more sign-in. For a sign-in refused
    /// because of the CRM account that signed in (the agent signs out and opens the same link
    /// again); `true` if the ticket was spent.
    pub async fn refund_link_ticket(&self, digest: &str) -> Result<bool> {
        let deleted = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM spent_link_tickets WHERE ticket_digest = $1"
        )
        .bind(digest)
        .execute(p)
        .await
        .map_err(StoreError::db("refund a link ticket"))?
        .rows_affected());
        Ok(deleted == 1)
    }
}
