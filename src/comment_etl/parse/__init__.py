"""Parse one dump file into Parquet: the work of one mapped task, never touching the warehouse."""
