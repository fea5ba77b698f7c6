# Airflow image with the project's locked dependency set (same lock as `make venv`).
FROM apache/airflow:3.3.2-python3.11
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
