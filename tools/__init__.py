"""Tools around the product, not part of it: demo data generators and benchmarks. Nothing in ``api``,
``actions``, ``bot``, ``common`` or ``knowledge`` imports from here; the service runs without this folder.

Each runs as a module from the repository root (``python -m tools.<name>``; no file edits ``sys.path``):

* ``demo/`` — ``python -m tools.demo.seed`` (what ``make run`` seeds in development: demo seats, and in demo
  mode the demo enterprises and 90 days of their conversations), ``python -m tools.demo.enterprises`` (demo
  enterprises only); ``conversations`` is the chat traffic generator ``bench_analytics`` also uses.
* ``bench_bot`` (``make bench-bot``), ``bench_hub``, ``bench_petitions``, ``bench_reminders``,
  ``bench_analytics``, ``bench_pages``, ``bench_faults`` — the benchmarks (``make bench-*``); ``benchdb`` gives each
  its own PostgreSQL database; ``bench.stack`` starts the real stack (and, for ``bench_faults``, a private PostgreSQL
  cluster and redis-server it may kill).
* ``bench/`` — the bot bench's data (issue-13 sets, the stored "before" figures, the baseline config), its
  scorer, and the verifier's calibration (``python -m tools.bench.calibrate``).
"""
