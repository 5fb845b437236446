"""Machine-readable rules over one enterprise's facts: policy eligibility, risk indicators, credit repair.

- `facts.py`: EnterpriseFacts and its parts (plain frozen dataclasses; api/enterprise/ builds them).
- `policies.yml`, `risks.yml`, `credit.yml`: the rules, with sources, validity and reminder texts.
- `engine.py`: load_rules / get_rules, evaluate, evaluate_all, render_message.
- `derived.py`: the derived values conditions can name; `display.py`: 万元, %, period labels.
- Timing evaluate_all over N synthetic enterprises: `python -m tools.bench_rules --n 100000` (not part of this package).

Nothing is read at import: the rule files are loaded on the first get_rules().
"""
