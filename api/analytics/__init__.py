"""The operator dashboard's analytics: daily figures of the conversations, charts, CSV export.

See docs/dashboard-api.md for the routes. Modules: models (tables of migration 0007, indexes on the hub's
tables) · aggregate (the daily aggregation job and its CLI; it also stores each conversation's facts and search
document, which the conversation review reads) · scheduled (the sweep in every instance, under a Redis lock) ·
service (dashboard figures from the daily tables; petition statistics and campaign funnels reused) · clustering
(unanswered questions grouped by term-set similarity) · export (CSV) · deps (roles, period, scope and masking
shared with :mod:`api.review` and :mod:`api.improvement`) · router · demo (demo traffic).
Masking and the audit log of unmasked views belong to :mod:`api.privacy` (one policy for every feature).
"""
