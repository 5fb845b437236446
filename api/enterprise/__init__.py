"""Enterprise data: profiles, filings, credit, risk findings and policy claims, as the tax, market-regulation,
social-security and bank systems share them (信息共享) — the facts the reminder rules are evaluated on.

Modules: ``models`` (tables; every row says which system it came from and when it was synced) ·
``periods`` (the "2025" / "2025Q3" / "2025-07" period strings) · ``schemas`` (wire shapes) · ``service``
(look-ups, the enterprise's own credit and its text, the staff profile and picture; ``session=`` in, never
commits) · ``facts`` (``load_facts`` / ``iter_facts``: rows → ``knowledge.rules.facts.EnterpriseFacts`` in a
constant number of queries per batch) · ``validation`` (the import columns and value checks) · ``importer``
(CSV / JSON Lines import that upserts the good rows and reports the bad ones; CLI) · ``showcase`` (which demo
enterprise is the showcase; the generator of the demo data is ``tools.demo.enterprises``, not part of the
service) · ``router`` (staff's enterprise profile; the demo routes, only in demo mode; ``install_enterprise``
wires the feature into the app) · ``internal`` (the action server's own-credit route). Formats, demo mode and
the showcase enterprise: docs/enterprise-data.md.
"""
