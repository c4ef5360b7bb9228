"""Bank data in: imports files into bank transactions and PSP payouts (parsers live in syncd.bankfiles)."""
