"""The periodic runner every instance's scheduled work uses: a failing run does not stop the ticking."""
import asyncio

from api.core.scheduling import run_every


def test_a_failing_job_is_logged_and_the_next_tick_runs_again(caplog):
    calls = []

    def job(tag):
        calls.append(tag)
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    async def scenario():
        task = run_every("test-job", 0.01, job, "x")
        while len(calls) < 3:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return task

    task = asyncio.run(scenario())
    assert calls[:3] == ["x", "x", "x"] and task.cancelled()
    assert "test-job failed" in caplog.text
