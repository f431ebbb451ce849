DROP TABLE successes;
DROP TABLE success_plan_metrics;
DROP TABLE success_plans;
DROP TABLE success_plan_templates;
