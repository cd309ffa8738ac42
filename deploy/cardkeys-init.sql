-- The card-key store's own database and role (docker-compose.temporal.yml,
-- job cardkeys-db). Idempotent. psql -v pw=<password> sets the role's
-- password; the tables are the application's own migrations, applied at
-- start-up by every worker and codec server (cardvault/pgstore).
SELECT 'CREATE ROLE cardkeys LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cardkeys')\gexec
ALTER ROLE cardkeys WITH LOGIN PASSWORD :'pw';
SELECT 'CREATE DATABASE cardkeys OWNER cardkeys'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cardkeys')\gexec
-- Nobody else connects to the keys.
REVOKE ALL ON DATABASE cardkeys FROM PUBLIC;
GRANT CONNECT ON DATABASE cardkeys TO cardkeys;
