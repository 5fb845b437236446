"""Identity: staff log-in (password → JWT), the current staff account and its role on every route,
enterprise tokens issued by the e-tax bureau, and the service credential of the Rasa action server.

Modules: ``security`` (password hashing, token signing and checking — no FastAPI), ``deps``
(``CurrentStaff``, ``require_roles``, ``ServiceCaller``), ``router`` (``/api/auth``).
"""
