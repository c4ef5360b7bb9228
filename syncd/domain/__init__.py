"""Pure domain values: standard library and Decimal only, no I/O."""
