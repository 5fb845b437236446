"""Issue 17, faults, in small (the full run is `make bench-faults`, tools/bench_faults.py): 60 petition filings —
one in ten through the chat's petition form, the others through the widget's 留言 — and a campaign over 200
enterprises, while Rasa, the action server, an API instance and the campaign sender's lock holder are each killed
with SIGKILL and started again, and the private Redis and PostgreSQL are restarted (Redis killed, PostgreSQL
stopped as by a crash). Nothing may be lost or duplicated, no reminder sent twice, every widget message answered,
and the campaign and the SLA sweep must carry on.

Starts its own PostgreSQL cluster and redis-server (never the machine's: it kills them), Rasa and the action server
with BOT_PYTHON (the bot runtime) and the trained model (models/current.tar.gz)."""
from pathlib import Path

import pytest

from common.runtimes import bot_python
from tools.bench.stack import MODEL
from tools.bench_faults import FAULTS, Config, run_faults


def test_nothing_is_lost_or_duplicated_when_each_process_is_killed(tmp_path):
    if not MODEL.exists():
        pytest.fail("models/current.tar.gz is missing: run `make train` first")
    if not Path(bot_python()).exists():
        pytest.fail(f"the bot runtime's python {bot_python()} is missing: run `make bot-venv` (or set BOT_PYTHON)")
    report = run_faults(Config(filings=60, chat_every=10, workers=6, enterprises=200, campaign_batch=10,
                               out=tmp_path, give_up_s=240, settle_s=120))
    checks = report["checks"]
    assert [f["fault"] for f in report["faults"]] == list(FAULTS)
    assert all("error" not in f for f in report["faults"]), report["faults"]
    holder = report["faults"][FAULTS.index("holder")]
    assert holder["killed"] in ("api1", "api2"), holder  # the instance that held the sender's lock while sending
    assert checks["filed_by_clients"] == 60 and checks["given_up_by_clients"] == 0, checks
    assert checks["lost"] == 0 and checks["duplicated"] == 0 and checks["ticket_mismatch"] == 0, checks
    assert checks["distinct_stored"] == checks["stored"] == 60, checks
    assert checks["user_messages_stored_twice"] == 0, checks
    campaign = checks["campaign"]
    assert campaign["status"] == "sent" and campaign["enterprises_reminded_twice"] == 0, campaign
    assert campaign["counter_agrees"] and campaign["reminders"] > 0, campaign
    assert checks["reminder_chat_deliveries_twice"] == 0 and checks["sms"]["sent_twice"] == 0, checks
    assert report["sla_sweep_after_faults"]["overdue_marked"], report["sla_sweep_after_faults"]
    assert checks["widget"]["unanswered"] == 0, checks["widget"]
    assert report["problems"] == [], report["problems"]
