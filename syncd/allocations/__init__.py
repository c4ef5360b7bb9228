"""Allocations: the matcher's proposals, a person's decisions, and the whole life of a booking.

- :mod:`.match_stage` -- the match stage: mirror + bank lines → pure matcher → proposals;
- :mod:`.review`, :mod:`.assign`, :mod:`.dismissals`, :mod:`.unmatched`, :mod:`.reversals` --
  what a person decides, and what is left for them;
- :mod:`.push` -- the Bokio writes an accepted allocation enqueues, and the deletes of its undo
  (:mod:`.undo`);
- :mod:`.lifecycle` -- the only owner of an allocation's push state and Bokio ids: the outbox
  reports through it (:class:`syncd.outbox.owner.CommandOwner`), and it reflects a finished
  booking on the mirror's invoice (:mod:`.reflect`);
- :mod:`.held` -- the bank money allocations hold, for ingest (through its port) and the matcher.
"""
