"""The long-running service: per-company pipeline stages on a scheduler, ops endpoints, signals."""
