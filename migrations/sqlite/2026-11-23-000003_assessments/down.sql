DROP TABLE prioritization_policies;
DROP TABLE classifications;
DROP TABLE assessments;
