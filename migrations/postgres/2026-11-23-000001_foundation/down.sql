DROP TABLE idempotency_keys;
DROP TABLE external_refs;
DROP TABLE stakeholders;
DROP TABLE accounts;
DROP TABLE api_keys;
DROP TABLE workspaces;
