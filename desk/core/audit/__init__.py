"""The audit log: one append-only, hash-chained table that every part of the desk records to."""
