"""The transactional outbox: Bokio writes stored with the decision that caused them, sent exactly once.

Generic: a command is a typed Bokio write (:mod:`.payloads`) in a group with an owner; the outbox
claims, sends, reads back lost answers and records outcomes (:mod:`.store`, :mod:`.pusher`,
:mod:`.resolve`, :mod:`.apply`), finds and repairs duplicates (:mod:`.duplicates`), and tells the
group's owner what became of each command through :class:`.owner.CommandOwner`. It never imports
the allocations that own its groups (``syncd.allocations`` sits above it).
"""
