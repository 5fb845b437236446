"""Notifications to staff: a petition clock that is about to run out, has run out, or was escalated.

A notification is addressed to one staff account (``recipient_staff_id``) or to a whole unit
(``recipient_unit_id``: everyone working there sees it). Rows are written inside the caller's
transaction (``service.create`` never commits); once the transaction has committed the caller
announces them on the Redis channel ``notifications`` with :func:`service.publish`, carrying ids
only, so every instance of the hub can push them to the staff it has connected.
"""
