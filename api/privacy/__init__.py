"""Personal data: one masking policy for every route and export, and the audit log of unmasked views.

Modules: masking (the masked forms of phones, USCCs, ID numbers, names, in fields and free text) · policy
(who sees what unmasked and why; the audit row of every unmasked view) · models (``AuditEntry``).
The policy's table is in :mod:`api.privacy.policy` and docs/privacy.md.
"""
