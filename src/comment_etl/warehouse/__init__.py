"""The DuckDB warehouse: connect, schema, the one-transaction load and the BI snapshot."""
