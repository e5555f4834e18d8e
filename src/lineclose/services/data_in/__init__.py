"""Data from an operator's own systems: bulk files and the sync API share one validator and one
idempotent, set-based upsert, so a row means the same thing whichever way it arrives."""
