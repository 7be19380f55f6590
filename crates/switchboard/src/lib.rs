//! Sans-IO call routing: queues (ACD), agent states, ring timeouts, transfers, click-to-dial and call-detail records, as events in and commands out.
