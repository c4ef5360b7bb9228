"""The transactional outbox: commands to Bokio written with the allocation, sent exactly once."""
