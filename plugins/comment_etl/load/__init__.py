"""Parse dumps to Parquet, load them into DuckDB in one transaction, publish the BI snapshot."""
