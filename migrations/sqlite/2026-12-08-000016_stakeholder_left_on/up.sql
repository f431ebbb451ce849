-- The day a stakeholder left the customer: from then on their view no longer
-- counts in the account's alignment.
ALTER TABLE stakeholders ADD COLUMN left_on TEXT;
