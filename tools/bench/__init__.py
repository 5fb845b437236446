"""The bot bench's data and pure helpers: the issue-13 sets (``*.yml``), the stored "before" figures, the plain-Rasa
baseline's config, the reply scorer (``score``, used by ``tools.bench_bot``), the verifier's calibration
(``python -m tools.bench.calibrate``), and ``stack``, the launcher of the real stack the hub and fault benchmarks use."""
