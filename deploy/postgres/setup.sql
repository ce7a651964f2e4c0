-- stackgate on PostgreSQL: two roles and one database, run once as a
-- superuser:  psql -v owner_password="$OWNER_PW" -v app_password="$APP_PW" -f setup.sql
--   stackgate_owner  owns the schema; only `stackgate migrate` (each upgrade) logs in as it
--   stackgate        what every node runs as: reads and writes rows, creates nothing
CREATE ROLE stackgate_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE stackgate LOGIN PASSWORD :'app_password';
CREATE DATABASE stackgate OWNER stackgate_owner;
REVOKE ALL ON DATABASE stackgate FROM PUBLIC;
GRANT CONNECT ON DATABASE stackgate TO stackgate;
\connect stackgate
-- PostgreSQL 15+: the public schema belongs to the database owner, and no
-- one else may create in it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO stackgate;
-- Every table and sequence a migration creates is usable by the nodes.
ALTER DEFAULT PRIVILEGES FOR ROLE stackgate_owner IN SCHEMA public
	GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO stackgate;
ALTER DEFAULT PRIVILEGES FOR ROLE stackgate_owner IN SCHEMA public
	GRANT USAGE, SELECT ON SEQUENCES TO stackgate;
