# The image every Airflow service of docker-compose.yml runs: Python 3.11, the pinned lock,
# Kizuna installed from this repository.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    AIRFLOW_HOME=/opt/airflow \
    KIZUNA_HOME=/data

WORKDIR /opt/kizuna
COPY requirements.txt pyproject.toml README.md ./
RUN pip install --no-cache-dir uv==0.13.9 \
    && uv pip install --system --no-cache -r requirements.txt
COPY . .
RUN uv pip install --system --no-cache --no-deps -e . \
    && kizuna dbt-parse --quiet

USER 50000
