"""comment_etl: turn raw comment dumps into a DuckDB analytics warehouse.

Stages, one subpackage each, in the order data flows:
``landing`` (the folder dumps arrive in: naming rules, discovery) -> ``sources`` (scrapers that
write into it) -> ``formats`` (read a dump into canonical records) -> ``normalize`` (clean text,
detect language) -> ``parse`` (one file to Parquet, a mapped task) -> ``warehouse`` (connect,
schema, the one-transaction load, the BI snapshot) -> ``transform`` (one ``dbt build``).
The DAGs in ``dags/`` only wire these together through ``pipeline``.
"""
