"""Tax units (bureaus and their departments) and the staff accounts that work in them.

Petitions are accepted, summarised, handled and approved by units and people recorded here.
Models and creation services only; log-in and role checks on routes come with the auth package.
"""
