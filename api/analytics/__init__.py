"""The operator dashboard's backend: conversation analytics, conversation review, and improving the bot.

See docs/dashboard-api.md for the routes. Modules: models (tables of migration 0007, indexes on the hub's
tables) · aggregate (the daily aggregation job and its CLI) · scheduled (the sweep in every instance, under a
Redis lock) · charts (dashboard figures from the daily tables; petition statistics and campaign funnels
reused) · clustering (unanswered questions grouped by term-set similarity) · review (search, transcripts,
tags, marks, the audit log's page) · improvements (drafts → approval) · files (writing approved changes to the NLU and knowledge files, validated) · export (CSV) · router.
Masking and the audit log of unmasked views belong to :mod:`api.privacy` (one policy for every feature).
"""
