-- The warehouse database and its owner, next to Airflow's metadata database; run by psql as
-- the superuser (compose's warehouse-init, on every start). It makes what is missing and
-- sets the passwords again, so a password changed in .env takes effect at the next start.
-- The owner's password is KIZUNA_PG_PASSWORD from this psql's environment (docker-compose.yml
-- passes the one from .env): no password is written here.
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
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kizuna') AS kizuna_missing \gset
\if :kizuna_missing
CREATE ROLE kizuna;
\endif
ALTER ROLE kizuna LOGIN PASSWORD :'kizuna_password';
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = 'kizuna') AS database_missing \gset
\if :database_missing
CREATE DATABASE kizuna OWNER kizuna;
\endif

-- The read-only role BI tools use (kizuna.bi): the warehouse grants it schema marts after
-- each build, and nothing below it (raw, staging, restricted personal data, audit...).
-- With KIZUNA_BI_PASSWORD in the environment it logs in with that password; without, it
-- is a group role: grant it to each BI tool's own login (GRANT kizuna_bi TO metabase).
\getenv bi_password KIZUNA_BI_PASSWORD
\if :{?bi_password}
\else
\set bi_password ''
\endif
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kizuna_bi') AS bi_missing \gset
\if :bi_missing
CREATE ROLE kizuna_bi NOLOGIN;
\endif
SELECT :'bi_password' <> '' AS bi_logs_in \gset
\if :bi_logs_in
ALTER ROLE kizuna_bi LOGIN PASSWORD :'bi_password';
\else
ALTER ROLE kizuna_bi NOLOGIN PASSWORD NULL;
\endif
