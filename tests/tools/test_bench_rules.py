"""tools/bench_rules.py (timing the reminder rules over synthetic enterprises) runs and finds something to time."""
from knowledge.rules.engine import get_rules
from tools.bench_rules import run


def test_the_benchmark_runs_on_a_few_enterprises():
    result = run(200)
    assert result["n"] == 200 and result["rules"] == len(get_rules()) and sum(result["matched"].values()) > 0
