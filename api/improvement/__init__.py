"""Improving the bot: drafts from a marked turn or an unanswered question, approval by someone else, and the one
job that writes approved improvements to the knowledge and NLU files, retrains and loads the model.

The database is the system of record: approving changes a row and nothing else, so any number of API instances
can serve the dashboard. One job (:mod:`api.improvement.scheduled`, under a Redis lock; ``make retrain`` runs it
by hand) writes, trains, loads and marks the improvements applied. Modules: models · schemas · service (drafts,
approval, listing, the dialog's options) · files (reading and writing the knowledge and NLU files, validated) ·
training (``rasa train`` and loading the model into the running Rasa) · scheduled (the job) · router.
"""
