"""An explicit request for a person is recognised; questions that merely mention staff are not."""
import pytest

from actions.handoff import requested_seat


@pytest.mark.parametrize("text, seat", [
    ("别绕了，给我转人工", "staff"),
    ("能让客服给我回个电话吗", "staff"),
    ("想找个真人聊聊", "staff"),
    ("重组的税务处理想请专家看看", "expert"),
    ("有没有专业人士一对一指导下非居民企业扣缴", "expert"),
])
def test_explicit_requests_name_the_seat(text, seat):
    assert requested_seat(text) == seat


@pytest.mark.parametrize("text", [
    "12366怎么转人工",
    "专管员说优惠要等汇算才能享受，对吗",
    "和专管员对政策理解不一致能申请调解吗",
    "工作人员上门检查没出示证件",
    "小规模纳税人免税标准",
])
def test_questions_mentioning_staff_are_not_handoffs(text):
    assert requested_seat(text) is None
