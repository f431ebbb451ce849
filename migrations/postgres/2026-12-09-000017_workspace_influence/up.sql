-- A workspace's stakeholder influence weights as JSON
-- ({buyer_and_sponsor, champion, others, purchase_multiplier}); NULL: the
-- built-in 3, 2, 1 and 1.5.
ALTER TABLE workspaces ADD COLUMN influence TEXT;
