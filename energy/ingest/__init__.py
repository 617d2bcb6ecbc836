"""Smart-meter ingest: parse a delivered body, validate rows, store readings, roll up days."""
