#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d), as the
# postgres user; safe to run again on an existing volume (docs/deployment.md, "Database roles"):
#   docker compose --env-file deploy/.env exec postgres sh /docker-entrypoint-initdb.d/10-pactum.sh
# One database per service and two login roles (shared/database_roles.py):
# - <service>, the migration role: owns the database, its schema and tables; only the `migrate`
#   job (and the operator's migrate, backup and restore) logs in as it;
# - <service>_runtime, what the service runs as: it may connect to its own database and nothing
#   else, owns nothing, and holds only the rights each migration grants it.
# No role can connect to another service's database. The passwords come from the environment
# (PACTUM_<SERVICE>_DB_PASSWORD and PACTUM_<SERVICE>_RUNTIME_DB_PASSWORD, from deploy/.env), the
# same values the URLs carry. A role that exists keeps its password (ALTER ROLE changes it).
set -eu

password_of() {
    password=$(printenv "$1" || true)
    if [ -z "$password" ]; then
        echo "init.sh: $1 is not set: no roles for $2" >&2
        exit 1
    fi
    echo "$password"
}

for service in ${PACTUM_DATABASE_SERVICES:-identity agreements audit notifier console}; do
    upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
    password=$(password_of "PACTUM_${upper}_DB_PASSWORD" "$service")
    runtime_password=$(password_of "PACTUM_${upper}_RUNTIME_DB_PASSWORD" "$service")
    # psql variables (:"name" quoted identifier, :'value' quoted literal, format's %I and %L):
    # nothing is spliced into SQL text by the shell. \gexec runs each statement generated, so a
    # role or database that exists already is left as it is.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-postgres}" \
        -v role="$service" -v password="$password" \
        -v runtime="${service}_runtime" -v runtime_password="$runtime_password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'runtime', :'runtime_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'runtime') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'role') \gexec
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"role" TO :"runtime";
SQL
    echo "init.sh: database $service, roles $service and ${service}_runtime ready"
done
