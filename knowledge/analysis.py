"""Turning text into index terms: normalisation, synonyms, jieba with the tax dictionary, stop words.

The same `Analyzer` serves the index and the queries, so a synonym or a dictionary word
added here helps both sides at once.
"""
from __future__ import annotations

import re
from pathlib import Path

import jieba
import jieba.posseg
import yaml

from common.textnorm import normalize_text

__all__ = ["Analyzer", "STOP_WORDS"]

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionary"
SYNONYMS_FILE = Path(__file__).resolve().parent / "synonyms.yml"

# Function words and the chat filler every question shares; they carry no topic.
STOP_WORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 嘛 么 哦 哈 嗯 是 在 有 和 与 及 或 也 都 就 还 又 再 要 会 能 可以 可 把 被 给 让 对 向 从
    到 为 以 于 按
    我 我们 我司 咱们 你 你们 您 他 她 它 他们 公司 企业 单位 这 那 这个 那个 这些 那些 哪 哪个 哪些 哪里 哪儿 什么
    啥 怎么 怎样 怎么办
    如何 多少 几 是否 是不是 有没有 能不能 可不可以 需不需要 请问 请 问 问下 问一下 一下 咨询 想 想问 想知道 知道 帮
    帮忙 麻烦
    谢谢 好 好的 现在 目前 已经 之前 以后 然后 如果 但是 但 因为 所以 而且 不过 还是 或者 一个 一些 一点 个 下 上 中
    里 后 前
    时候 情况 问题 事 事情 办 办理 处理 需要 应该 必须 得 一直 刚 刚刚 马上 具体 一般 比较 非常 很 太 最 更 多 少 没
    没有 不 不是 别
    东西 一家 那个事 怎么样 咋 咋办 咋弄 今天 明天 昨天 一下子 还有 其他 就是 只是 真的 听说 说 看 行 行不行 对吗 吗
    呢 么样
    自己 人 们 吧 呗 哎 诶 额 呃 喂 在吗 您好 你好 老师 谢 下来 起来 出来 进去 过 着 之 其 该 此 其中 相关 方面 规定
    政策 税务 税务局
    """.split()
)
_TERM = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]")
# Single characters are mostly noise, except these verbs of tax business ("怎么查", "能退吗", "开错了", "发票丢了",
# "出租商铺", "晚交了"): without HMM guessing, colloquial verbs come out of jieba as single characters.
SINGLE_CHAR_TERMS = frozenset("查开报退缴交罚改补领填扣免减签销贷丢租卖买借捐送赔欠漏晚迟停关换转错")
# jieba parts of speech that never say what a question is about: adverbs, numerals and measure words, pronouns,
# prepositions, conjunctions, particles, interjections, onomatopoeia, localisers ("刚好", "一份", "这部分").
# jieba's tags are too noisy to say what *is* a content word (合同 comes out as an adjective), so everything
# else counts, except the generic verbs below.
FUNCTION_POS = frozenset({"d", "ad", "m", "mq", "q", "r", "rr", "rz", "p", "c", "u", "uj", "ul", "ug", "uv", "uz",
                          "ud", "y", "e", "o", "f", "zg"})
GENERIC_WORDS = frozenset("""
    发生 安排 进行 提供 涉及 存在 属于 取得 使用 能否 可否 是否 有关 关于 以及 其他 方面 相应 具体 一样 不同 区别
    要求 问 看看 看到
    弄 搞 整 做 干 找 用 拿 给 说 讲 告诉 知道 了解 明白 清楚 懂 觉得 认为 希望 打算 准备 开始 结束 完成 出现 遇到
    碰到 收到
""".split())
# Keep "30万", "500万元" whole: jieba would otherwise glue the unit to the next word ("万要").
_NUMBER = re.compile(r"(\d+(?:\.\d+)?\s*(?:万元|万|亿元|亿|元|%)?)")


class Analyzer:
    """Normalises text and splits it into index terms. Build once; jieba's dictionary load is slow."""

    def __init__(self, dictionary_dir: Path = DICTIONARY_DIR, synonyms_file: Path = SYNONYMS_FILE):
        self._tokenizer = jieba.Tokenizer()
        self._pos = jieba.posseg.POSTokenizer(self._tokenizer)
        self._content: dict[str, bool] = {}
        for path in sorted(Path(dictionary_dir).glob("*.txt")):
            self._tokenizer.load_userdict(str(path))
        self.domain_words: set[str] = set()  # dictionary words and canonical synonyms: tax vocabulary
        for path in sorted(Path(dictionary_dir).glob("*.txt")):
            lines = path.read_text(encoding="utf-8").splitlines()
            self.domain_words.update(line.split()[0] for line in lines if line.strip())
        self._canonical: dict[str, str] = {}
        synonyms = (yaml.safe_load(Path(synonyms_file).read_text(encoding="utf-8")) or {}).get("synonyms") or {}
        for canonical, variants in synonyms.items():
            self._canonical[canonical] = canonical
            self.domain_words.add(canonical)
            self._tokenizer.add_word(canonical, freq=50)
            for variant in variants or []:
                self._canonical.setdefault(str(variant), canonical)
        # Longest first, so 企业所得税 wins over 所得税 and a canonical form maps to itself.
        alternation = "|".join(re.escape(w) for w in sorted(self._canonical, key=len, reverse=True))
        self._synonym_pattern = re.compile(alternation) if alternation else None

    def canonicalize(self, text: str) -> str:
        text = normalize_text(text).lower()
        if self._synonym_pattern is None:
            return text
        return self._synonym_pattern.sub(lambda m: self._canonical[m.group(0)], text)

    def terms(self, text: str) -> list[str]:
        """Index terms of `text`: jieba words of two or more characters (or numbers), without stop words.

        Without jieba's HMM guesses: they glue chat into pseudo-words ("报上去", "开了个", "刚成立") that no entry
        contains and that would then count as something the question is about."""
        words = self._tokenizer.lcut(_NUMBER.sub(r" \1 ", self.canonicalize(text)), HMM=False)
        return [w for w in (w.strip() for w in words)
                if w and w not in STOP_WORDS and (_TERM.search(w) or w in SINGLE_CHAR_TERMS)]

    def is_content(self, term: str) -> bool:
        """Does ``term`` name what a question is about (a tax word, or a noun such as "差旅费"), rather than how it
        is asked ("刚好", "看看")? Verbs of tax business count too ("退", "注销" is in the tax dictionary)."""
        cached = self._content.get(term)
        if cached is None:
            if term in self.domain_words or term in SINGLE_CHAR_TERMS or term[:1].isdigit():
                cached = True
            else:
                flags = [pair.flag for pair in self._pos.lcut(term, HMM=False)]
                cached = term not in GENERIC_WORDS and not (len(flags) == 1 and flags[0] in FUNCTION_POS)
            self._content[term] = cached
        return cached
