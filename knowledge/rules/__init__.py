"""Machine-readable rules over one enterprise's facts: policy eligibility, risk indicators, credit repair.

- `facts.py`: EnterpriseFacts and its parts (plain frozen dataclasses; api/enterprise/ builds them).
- `policies.yml`, `risks.yml`, `credit.yml`: the rules, with sources, validity and reminder texts.
- `engine.py`: load_rules / get_rules, evaluate, evaluate_all, render_message.
- `derived.py`: the derived values conditions can name; `display.py`: 万元, %, period labels.
- `bench.py`: `python -m knowledge.rules.bench --n 100000` times evaluate_all.

Nothing is read at import: the rule files are loaded on the first get_rules().
"""
