"""What a waiting enterprise is told: its place, a wait only when it was computed, and the 留言 offer."""
from api.hub.notices import handoff_envelope, queued_text, waiting
from api.hub.schemas import seat_label, seat_name


def wait(tier="staff", position=1, online=1, seconds=None, long_wait=600, long_queue=5):
    return waiting(tier, position, online, seconds, long_wait_seconds=long_wait, long_queue=long_queue)


def test_nobody_online_queues_honestly_and_offers_a_message():
    w = wait("expert", position=2, online=0, seconds=300)
    assert w.wait_seconds is None and w.leave_message  # nobody there: no minutes can be promised
    assert queued_text(w) == ("专家坐席暂时都不在线，您的问题已为您排队（排在第2位），专家上线后会第一时间接入；"
                              "您也可以留言，我们会尽快与您联系。")
    assert handoff_envelope(w) == {"kind": "handoff", "tier": "expert", "status": "queued", "position": 2,
                                   "expected_wait_seconds": None, "seats_online": 0, "leave_message": True}


def test_minutes_only_when_computed_and_a_long_wait_offers_a_message():
    assert queued_text(wait(position=1)) == "正在为您转接人工坐席，您是下一位，请稍候。"
    assert queued_text(wait(position=3, seconds=150)) == "正在为您转接人工坐席，您前面还有2位，预计等待约3分钟，请稍候。"
    long = wait(position=4, seconds=900)
    assert long.leave_message and queued_text(long).endswith("当前等待的人较多，您也可以留言，我们会尽快与您联系。")
    assert wait(position=6).leave_message and not wait(position=5).leave_message  # no wait known: 5 ahead is long


def test_a_seat_is_labelled_once_by_its_badge_and_name():
    assert seat_label("staff", "王芳") == "税务干部 王芳"
    assert seat_label("expert", "赵敏（专家）") == "税务专家 赵敏" and seat_name("赵敏(专家)") == "赵敏"
    assert seat_name("专家") == "专家"  # a name that is only the word is kept, not emptied
