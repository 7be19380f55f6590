//! Call recordings: stereo WAV spooled while the call runs, repaired after a crash, uploaded to the tenant's object store with retries.
