//! (being filled in: see docs/ARCHITECTURE.md)
