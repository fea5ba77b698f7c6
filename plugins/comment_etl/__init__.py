"""comment_etl: turn raw comment dumps into a DuckDB analytics warehouse.

Stages, one subpackage each: ``formats`` (read dumps) -> ``sources`` (fetch dumps) ->
``normalize`` (clean text, detect language) -> ``load`` (parse to Parquet, load DuckDB in one
transaction, publish the BI snapshot). The DAGs in ``dags/`` only wire these together.
"""
