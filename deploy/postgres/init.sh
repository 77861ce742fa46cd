#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d), as the
# postgres user. One database per service, each owned by that service's own login role, so no
# service can read another's tables. The roles' passwords come from the environment
# (PACTUM_<SERVICE>_DB_PASSWORD, from deploy/.env), the same values the services' URLs carry.
# On an existing volume it does not run again: docs/deployment.md says how to add a role later.
set -eu

for service in ${PACTUM_DATABASE_SERVICES:-identity agreements audit notifier console}; do
    variable="PACTUM_$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password=$(printenv "$variable" || true)
    if [ -z "$password" ]; then
        echo "init.sh: $variable is not set: no role for $service" >&2
        exit 1
    fi
    # psql variables (:"name" quoted identifier, :'value' quoted literal): nothing is spliced
    # into SQL text by the shell.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-postgres}" \
        -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
    echo "init.sh: database and role $service created"
done
