"""Scripts that operate the product, each run as a module from the repository root (no script edits ``sys.path``):

* ``python -m scripts.run`` — ``make run``: migrations, the demo seats in development, action server, Rasa, API;
* ``python -m scripts.retrain`` — ``make retrain``: faq.yml regenerated, ``rasa train``, the new model put live;
* ``python -m scripts.build_nlu`` — ``make nlu``: faq.yml from the knowledge entries (``--check`` in ``make validate``);
* ``python -m scripts.create_staff`` — create a unit and a staff account.

``find_python.sh`` finds the Python ``make setup`` builds the environment with. Demo data generators and
benchmarks are not part of operating the product: they live in ``tools/``.
"""
