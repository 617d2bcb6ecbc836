"""Readings stored by month: PostgreSQL range partitions of ``energy_reading``, created ahead, a
watched default partition, and whole months archived to Parquet and restored
(docs/readings-storage.md)."""
