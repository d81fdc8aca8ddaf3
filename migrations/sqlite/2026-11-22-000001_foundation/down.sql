DROP TABLE instance_settings;
DROP TABLE rate_limits;
DROP TABLE account_tokens;
DROP TABLE sessions;
DROP TABLE accounts;
DROP TABLE actors;
