"""The local mirror of Bokio: what syncd last saw, and what it derives from it.

Owns the tables (:mod:`~syncd.mirror.tables`), typed Bokio models → columns and content hashes
(:mod:`~syncd.mirror.mapping`), upserts and lookups (:mod:`~syncd.mirror.repo`, including moving an
invoice's paid amount and status after syncd's own writes), derived gross and outstanding amounts
(:mod:`~syncd.mirror.derive`), per-stream sync state (:mod:`~syncd.mirror.syncstate`), the dirty
marks the pusher leaves for the puller (:mod:`~syncd.mirror.dirty`) and company pauses
(:mod:`~syncd.mirror.pauses`). It reads Bokio only through :mod:`syncd.bokio.models`; the raw
payload is stored for replay and audit. Repositories never commit; the jobs above (pull, outbox)
own the transactions. It imports neither of them.
"""
