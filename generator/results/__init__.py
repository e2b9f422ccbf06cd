"""Results in: read payload files, validate them, and write them (ingest, merge, the
recorder, the demo)."""
