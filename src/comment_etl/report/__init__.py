"""The run report: charts of the BI snapshot in one offline HTML page per run.

queries (read the snapshot, read-only) -> charts (plotly figures) -> page (escaped HTML) ->
build (files next to the snapshot: reports/report_<run>.html and report_latest.html).
"""
