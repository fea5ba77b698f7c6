# Airflow image with the project's locked dependency set (same lock as `make venv`) and the
# comment_etl package installed (not mounted into the plugins folder: see plugins/README.md).
FROM apache/airflow:3.3.2-python3.11
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY --chown=airflow:0 pyproject.toml README.md /opt/comments/
COPY --chown=airflow:0 src /opt/comments/src
RUN pip install --no-cache-dir --no-deps --no-build-isolation /opt/comments
