DROP TABLE risks;
ALTER TABLE workspaces DROP COLUMN renewal_window_days;
DROP INDEX accounts_renewal;
ALTER TABLE accounts DROP COLUMN current_arr, DROP COLUMN contract_end, DROP COLUMN renewal_date;
