#!/usr/bin/env bash
# The team stack's one-shot set-up (compose service airflow-init). Every other Airflow
# service waits for it to finish, so none of them races the migration.
#
# Run as root: it hands the bind-mounted folders (which Docker creates as root) to
# AIRFLOW_UID and group 0, then does the rest as that UID, as every other service runs:
# migrate Airflow's metadata DB, size the warehouse pool, and write the admin's password
# (AIRFLOW_ADMIN_PASSWORD) where the API server's simple auth manager reads it. Safe to run
# again: a changed password or pool size in .env takes effect on the next `up`.
set -euo pipefail

uid="${AIRFLOW_UID:-50000}"
passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?the admin password file is not configured}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
# DuckDB takes one writer at a time; PostgreSQL many (the pool's name stays, its size changes)
if [[ "${KIZUNA_WAREHOUSE:-duckdb}" == duckdb ]]; then
    slots=1
else
    slots="${KIZUNA_POSTGRES_WRITERS:-8}"
fi

as_airflow() {
    if [[ "$(id -u)" == 0 ]]; then
        setpriv --reuid "$uid" --regid 0 --clear-groups -- "$@"
    else
        "$@"
    fi
}

folders=("$AIRFLOW_HOME/logs" "$(dirname "$passwords")" "$KIZUNA_HOME"
         "$KIZUNA_HOME/landing" "$KIZUNA_HOME/reports" "$KIZUNA_HOME/models"
         "$KIZUNA_HOME/exports")
mkdir -p "${folders[@]}"
if [[ "$(id -u)" == 0 ]]; then
    chown -R "$uid:0" "${folders[@]}"
    chmod -R g+rwX "${folders[@]}"
fi

as_airflow airflow version
as_airflow airflow db migrate
as_airflow airflow pools set kizuna_duckdb "$slots" "warehouse writers at a time"
# the simple auth manager's file {"user": "password"}, for the first configured user (the
# admin); the API server alone mounts it
as_airflow python -c '
import json, os, sys
admin = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")[0].split(":")[0]
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({admin.strip(): os.environ["AIRFLOW_ADMIN_PASSWORD"]}, f)
' "$passwords"
echo "airflow-init: metadata DB migrated, pool kizuna_duckdb has $slots slot(s), login $(
    cut -d: -f1 <<<"$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS") set"
