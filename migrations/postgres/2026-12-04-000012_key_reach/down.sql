ALTER TABLE api_keys DROP COLUMN account_ids;
