"""Conversation review: the search of conversations (text, enterprise, intent, topic, outcome, rating, tags), the
transcript of one, tags, marks on wrong bot turns, and the audit log of unmasked views.

See docs/dashboard-api.md for the routes. Modules: models (review tags and marks, migration 0007) · search (the
positioned-bigram text index the analytics aggregation stores and the search queries) · service · schemas ·
router. The per-conversation facts searched are kept by :mod:`api.analytics.aggregate`.
"""
