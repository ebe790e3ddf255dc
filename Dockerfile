# The image every Airflow service of docker-compose.yml runs: Python 3.11, the pinned lock,
# Kizuna installed from this repository.
#
# Any UID can run it, as with Airflow's own image (compose's AIRFLOW_UID): what it writes
# belongs to group 0 and is group-writable, and HOME, USER and LOGNAME are set, so a UID
# with no passwd entry still has a home and a name (Airflow refuses to start without one).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    AIRFLOW_HOME=/opt/airflow \
    KIZUNA_HOME=/data \
    HOME=/home/airflow \
    USER=airflow \
    LOGNAME=airflow

RUN useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home --shell /bin/bash airflow \
    && mkdir -p /opt/airflow/logs /data \
    && chown -R 50000:0 /home/airflow /opt/airflow /data \
    && chmod -R g+rwX /home/airflow /opt/airflow /data

WORKDIR /opt/kizuna
COPY requirements.txt pyproject.toml README.md ./
# bytecode compiled here (UV_COMPILE_BYTECODE): a process under any UID cannot write it
RUN pip install --no-cache-dir uv==0.13.9 \
    && uv pip install --system --no-cache -r requirements.txt
COPY . .
# the manifest every dbt task starts from; dbt_project/ and the data folder stay writable by
# group 0 (the manifest is rewritten under a lock, caches go to /data/cache)
RUN uv pip install --system --no-cache --no-deps -e . \
    && kizuna dbt-parse --quiet \
    && python -m compileall -q include models_ml dags \
    && chown -R 50000:0 dbt_project /data \
    && chmod -R g+rwX dbt_project /data

USER 50000:0
