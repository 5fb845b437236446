"""Masking rules, the similarity grouping of unanswered questions and the search documents, without a database."""
from __future__ import annotations

import pytest

from api.analytics.clustering import cluster_term_sets, jaccard
from api.privacy.masking import Masker, mask_name, mask_text, mask_uscc
from api.review import search
from common.identifiers import make_uscc

USCC = make_uscc(11)


@pytest.mark.parametrize("text, masked", [
    ("我的手机13800138000", "我的手机138****8000"),
    ("电话 +86 138-0013-8000 找我", "电话 138****8000 找我"),
    ("手机号１３９００１３９０００", "手机号139****9000"),  # full-width digits
    ("座机028-85551234", "座机028-****1234"),
    ("座机(010)62345678转3", "座机010-****5678转3"),
    ("身份证51010119900101123X", "身份证510***********123X"),
    ("身份证号码510101199001011234。", "身份证号码510***********1234。"),
    ("老身份证510101900101123", "老身份证510********1123"),
    ("银行卡6222021234567890123", "银行卡6222***********0123"),
    ("我叫王小明，想问发票", "我叫王**，想问发票"),
    ("联系人：李四 电话", "联系人：李* 电话"),
    ("法定代表人张三丰", "法定代表人张**"),
    ("12366 热线，2026年 30万元，税率3%", "12366 热线，2026年 30万元，税率3%"),
])
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_uscc_and_enterprise_names():
    assert mask_uscc("91510100MA61234567") == "9151************67"
    assert mask_text(f"代码{USCC}。") == f"代码{USCC[:4]}{'*' * 12}{USCC[-2:]}。"
    assert mask_text(f"代码{USCC.lower()}") == f"代码{USCC.lower()[:4]}{'*' * 12}{USCC.lower()[-2:]}"
    name = "成都小微商贸有限公司"
    assert mask_name(name) == "成都******公司" and mask_name("王芳") == "王*"
    assert mask_text(f"我们{name}和成都小微商贸都想问", [name]) == "我们成都******公司和成都**商贸都想问"
    assert mask_text("没有名字", [None, ""]) == "没有名字"
    assert mask_text(None) is None and mask_text("") == ""


def test_masker_switch_and_json():
    envelope = {"kind": "answer", "options": [{"title": "电话13800138000"}], "score": 0.9}
    assert Masker(True).value(envelope) == {"kind": "answer", "options": [{"title": "电话138****8000"}], "score": 0.9}
    assert Masker(False).value(envelope) is envelope
    assert Masker(False).uscc(USCC) == USCC and Masker(True).uscc(USCC) != USCC


def test_similar_questions_group_together():
    items = [(("社会保险费", "补办"), 5, "a"), (("丢失", "社会保险费", "补办"), 3, "b"),
             (("电话", "社会保险费", "补办"), 1, "c"), (("发票", "开错"), 4, "d"), (("发票", "作废"), 2, "e"),
             ((), 2, "f"), (("发票", "开错", "红字"), 1, "g")]
    clusters = cluster_term_sets(items)
    groups = {c.seed: sorted(p for _, _, p in c.members) for c in clusters}
    assert groups == {("社会保险费", "补办"): ["a", "b", "c"], ("发票", "开错"): ["d", "g"], ("发票", "作废"): ["e"],
                      (): ["f"]}
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert clusters[0].group_id.startswith("u-") and clusters[0].group_id == cluster_term_sets(items)[0].group_id


def test_grouping_matches_brute_force():
    """Prefix filtering finds exactly the groups a comparison with every seed finds."""
    import random

    rng = random.Random(7)
    vocabulary = [f"词{i}" for i in range(30)]
    items = [(tuple(sorted(set(rng.sample(vocabulary, rng.randint(1, 5))))), rng.randint(1, 9), i) for i in range(400)]
    clusters = cluster_term_sets(items)
    seeds, expected = [], {}
    for terms, weight, payload in sorted(items, key=lambda item: (-item[1], item[0])):  # noqa: B007
        mine = frozenset(terms)
        scores = [(jaccard(mine, frozenset(s)), -i) for i, s in enumerate(seeds)]
        best = max(scores) if scores else (0, 0)
        if scores and best[0] >= 0.5:
            expected[payload] = seeds[-best[1]]
        else:
            seeds.append(terms)
            expected[payload] = terms
    assert {p: c.seed for c in clusters for _, _, p in c.members} == expected


def test_search_document_and_query():
    doc = search.document(["社保卡丢了", "好", "ＡＢ c"], ["vat-x"])
    assert doc.startswith("'社保':1 '保卡':2 '卡丢':3 '丢了':4 '了¶':5 '好¶':8 'ab':11 'bc':12 'c¶':13")
    assert doc.endswith("'e:vat-x'")
    assert search.query("社保卡") == "( '社保' <-> '保卡' )"
    assert search.query("卡", ["a", "b"]) == "( '卡':* ) | ( 'e:a' ) | ( 'e:b' )"
    assert search.query("  ") is None
    assert search.query("it's") == "( 'it' <-> 't''' <-> '''s' )"  # quotes are escaped, not syntax
