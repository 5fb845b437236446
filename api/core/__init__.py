"""What every feature of the API uses; no feature package is imported from here (``api.core.runtime`` names the
hub's types only for type checking).

``time``          aware UTC moments, Shanghai dates, working days left and due dates
``sqltime``       the aware-UTC column type and Shanghai calendar expressions in SQL (PostgreSQL and SQLite)
``database``      engine, session factory, declarative base, the request's session (``SessionDep``)
``redis_client``  the configured Redis server or the embedded one
``runtime``       what a running instance holds (``Runtime``) and the dependencies that reach it
``scheduling``    the periodic runner and ``held_lock``, the one way to take a Redis lock
``errors``        the error hierarchy and its handlers (Chinese messages, HTTP status, machine code)
``rasa``          the Rasa client (REST channel, tracker, liveness)
"""
