-- The warehouse database and its owner, next to Airflow's metadata database.
-- The owner's password is KIZUNA_PG_PASSWORD from this psql's environment (docker-compose.yml
-- passes the one from .env): no password is written here. Runs once, on an empty volume.
\set ON_ERROR_STOP on
\getenv kizuna_password KIZUNA_PG_PASSWORD
\if :{?kizuna_password}
\else
\set kizuna_password ''
\endif
SELECT :'kizuna_password' = '' AS kizuna_password_missing \gset
\if :kizuna_password_missing
DO $$ BEGIN
    RAISE EXCEPTION 'KIZUNA_PG_PASSWORD is not set: write it to .env next to docker-compose.yml';
END $$;
\endif
CREATE ROLE kizuna LOGIN PASSWORD :'kizuna_password';
CREATE DATABASE kizuna OWNER kizuna;
