"""Transformations: the dbt project that builds the marts from the staging tables."""
