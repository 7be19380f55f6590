//! The call-events API for other telephony: `POST /api/v1/tenants/{tenant}/call-events`.

pub mod signature;
