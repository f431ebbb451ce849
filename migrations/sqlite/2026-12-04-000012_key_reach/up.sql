-- A key may be limited to some accounts (a customer's own): their ids as a
-- JSON array of strings; NULL for a key that reaches the whole workspace.
ALTER TABLE api_keys ADD COLUMN account_ids TEXT;
