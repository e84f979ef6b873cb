#!/bin/sh
# Runs once, when the Postgres volume is first initialized (docker-entrypoint-initdb.d), as the superuser:
# the application gets its own role that owns the glimpse database and nothing else (no superuser, no
# CREATEDB/CREATEROLE). pgvector is created here because creating an extension may need the superuser.
set -eu
: "${GLIMPSE_DB_PASSWORD:?set GLIMPSE_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v app_password="$GLIMPSE_DB_PASSWORD" <<'SQL'
CREATE ROLE glimpse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
CREATE EXTENSION IF NOT EXISTS vector;
ALTER DATABASE glimpse OWNER TO glimpse;
ALTER SCHEMA public OWNER TO glimpse;
REVOKE ALL ON DATABASE glimpse FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE glimpse TO glimpse;
SQL
