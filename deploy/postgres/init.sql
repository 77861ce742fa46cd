-- Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
-- One database per service: no service reads another's tables.
CREATE DATABASE identity;
CREATE DATABASE agreements;
CREATE DATABASE audit;
CREATE DATABASE notifier;
