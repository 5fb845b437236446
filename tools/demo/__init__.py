"""Demo data: made-up enterprises (``enterprises``, from the words of ``enterprise_vocab``), made-up chat traffic
(``conversations``) and the seeding of ``make run`` (``seed``). No real taxpayer is in any of it; every generated
enterprise is marked ``demo``, the only kind the demo routes of the API (``DEMO_MODE``) will hand a token for."""
