ALTER TABLE stakeholders DROP COLUMN left_on;
