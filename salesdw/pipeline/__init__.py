"""The build: input check, dbt invocation, locking, write-audit-publish, run log and summary."""
