DROP TABLE frameworks;
