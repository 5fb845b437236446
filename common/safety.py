"""Telling a request to evade tax or falsify records from a lawful question that uses the same words.

What decides is what is asked for, not which words occur: "虚开", "发票", "少交", "零申报" alone prove nothing.
A message is a request (refused) when it asks how to do, or to be helped to do, one of the prohibited acts
below, or how not to be found out; it is lawful when it asks about such an act from the outside — what the
law says, the penalty, how to correct or report it, how not to be its victim. ``assess`` says which, and why.

Acts, by what is asked for:
* invoices: 虚开 (issuing without a real transaction), buying or selling invoices, 代开/开票 for a fee (点数),
  inflating or renaming what an invoice says, fake invoices;
* income: hiding it (not booking, not declaring, private accounts kept off the books, two sets of books,
  阴阳合同), zero returns while there is income;
* costs and preferences: inventing or inflating costs, moving other expenses into R&D or costs, wages paid as
  reimbursements, splitting income, wages or a business to stay under a threshold, borrowing other people's
  names or certificates, falsified documents to obtain refunds;
* collection and inspection: moving assets or closing the company to escape tax owed, destroying books,
  bribing or "fixing" an inspection, hiding from the authority's checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Verdict", "assess", "looks_unlawful"]

_ANY = r"[^。！？!?；;]{0,%d}"  # within one clause


def _near(first: str, second: str, gap: int = 8) -> str:
    return f"(?:{first}){_ANY % gap}(?:{second})"


_INVOICE = r"发票|专票|普票|进项票|进项|成本票|费用票|油票|餐票|餐饮票|票"
_NOT = r"(?<!没)(?<!没有)(?<!未)(?<!不)(?<!无)"
_FEE = r"点数|几个点|\d+个点|[一二三四五六七八九]个点|个点|手续费|返点|返他|返给|好处费|开票费"
_PEOPLE = r"亲戚|家人|家里人|爸妈|父母|老婆|老公|别人|他人|朋友|人头|员工|好几个人|几个人|多个人|其他人"
# Acts that are prohibited however the sentence continues (their name already says what is wanted).
_ACTS = {
    "虚开": re.compile(
        r"虚开|对开|环开|开.{0,4}(?:假|虚)|(?:帮|给|替)(?:人|别人|他人|他们|别的公司|其他公司|人家).{0,8}(?:开|代开)(?:发|专|普)?票"
        r"|" + _near(r"开(?:发|专|普)?票|开票|发票|专票", _FEE, 14) + "|" + _near(_FEE, r"开(?:发|专|普)?票|开票", 10)
        + r"|没(?:有)?(?:真实|实际)?(?:的)?(?:业务|交易|发货|供货|采购).{0,12}(?:开|票)|(?:不存在|虚构)的?(?:业务|交易)"
        r"|(?:无|没有)(?:真实|实际)(?:业务|交易)|不发货.{0,4}开票|开票不发货|票货分离|没发生(?:的)?交易.{0,10}开"
        r"|(?:多开|开高|开大|改大|改高|开多)(?!了)(?:点|一点|些|几张)?(?:的)?(?:发票|票|专票|普票|金额)"
        r"|(?:票|发票|专票).{0,6}(?:多开|开高|开大|改大|改高|开多)(?!了)|(?:金额|价格)(?:开|写|改)(?:高|大|多)(?!了)|大点金额|金额大(?:一)?点"
        r"|比实际.{0,8}(?:高|多|大)(?:一|点)|不能抵扣的.{0,4}改成"
        r"|(?:改|换)(?:一下)?(?:货物)?(?:名称|品名|名目|日期).{0,8}(?:开|重开)|开成(?:办公用品|咨询费|服务费|材料|会议费)"
        r"|(?:开票|发票|业务).{0,8}(?:对不上|不一致).{0,10}(?:圆|糊弄|蒙混|应付)|空壳公司.{0,6}开"),
    "买卖发票": re.compile(
        r"(?<![方家购采])买(?![方家卖入])(?:点|些|几张|一些|到|张|了|的)?(?:增值税)?(?:专用|普通)?(?:发票|专票|普票|进项票|成本票|票)"
        r"|(?:发票|专票|普票|进项票|成本票).{0,4}(?:去哪|哪里|哪儿|哪)(?:能|可以)?买"
        r"|(?:卖|出售)(?:点|些)?(?:发票|专票|进项票|票)(?!据)"
        r"|收(?:点|些)?(?:发票|专票|进项票)\s*(?:几个点|多少|怎么)"
        r"|(?:找|弄|搞|拿|买|要|提供)(?:点|些|几张|一些)?(?:成本|费用|进项|餐饮|办公用品|咨询费|油|会议)?(?:发)?票"
        + _ANY % 10 + r"(?:冲|抵|报销|充|入账|做成本|平账|把利润)"
        r"|(?:找|去哪|哪里|哪儿|哪能|谁)" + _ANY % 4 + r"(?:找|买|开|弄|搞)?(?:点|些)?(?:成本|进项|假)?(?:发)?票"
        r"|缺(?:进项|成本票|票).{0,8}(?:买|找|弄|搞)|买单配票|假(?:发)?票|假的(?:发票|完税|流水|合同|证明)"
        r"|(?:推荐|介绍).{0,6}开票的|用别人的(?:发)?票|(?:票|发票).{0,6}(?:冲|抵)(?:成本|费用|账|工资)"
        r"|(?:搞|弄|找)(?:点|些)票"),
    "隐瞒收入": re.compile(
        _NOT + r"(?:隐瞒|隐藏|藏|少报|瞒报|不报|不申报|不入账|不记账|不计|不做|不全部入账|不全入账)" + _ANY % 6
        + r"(?:收入|销售额|营业额|货款|利润|收的钱)"
        r"|(?:收入|货款|营业额|现金|销售额|收的钱)" + _ANY % 12 + _NOT
        + r"(?:不入账|不记账|不申报|不报|少报|只报|不交税|不算收入|不计收入)"
        r"|(?:私(?:人)?(?:卡|账户|户|账)|个人(?:卡|账户|银行卡)|老板(?:娘)?(?:的)?(?:卡|私卡|个人卡)|微信|支付宝)"
        + _ANY % 16 + _NOT + r"(?:不报|不申报|不入账|不记账|不交税|不计|避税|少交|零申报|不算收入)"
        r"|两套账|内外账|内账外账|真假账|假账|阴阳合同|(?:两份|两套)(?:合同|账)|一套(?:给)?税务(?:局)?看的|给税务(?:局)?看的账"
        r"|(?:收入|销售额|货款).{0,6}(?:隐瞒|藏起来|怎么藏|不想报|不想申报)|不想(?:申)?报.{0,4}(?:收入)?|不开票的(?:那部分|收入).{0,12}藏"
        r"|合同.{0,8}(?:写低|写少|写平价|金额写|价格写)|(?:实际|差价|剩下的|钱).{0,6}私下(?:给|补|付|转)"
        + "|" + _NOT + r"有(?:\S{0,4})?收入" + _ANY % 20 + r"零申报|零申报.{0,10}(?:其实|实际|但).{0,4}有(?:收入|业务)"
        r"|(?:收入|业务|利润|钱)" + _ANY % 8 + r"(?:转到|挂在|放在|挂到|转给|放到)" + _ANY % 10 + r"(?:名下|个体户)"),
    "虚增成本": re.compile(
        r"(?:虚增|虚列|多列|虚报|编造|虚构|伪造|(?<![改建制创营打])造|(?<![改汇])编|做)(?:几(?:个|笔|份|张)?|一些|点|些)?(?:假的?)?(?:不存在的)?"
        r"(?:成本|费用|工资|员工|人头|业务|交易|合同|项目|研发项目|凭证|流水|资料|进项|申报|数据|证明|账|采购|名单)"
        r"|不存在的(?:员工|人|业务)|假的?(?:员工|名单|残疾|人员|银行流水|流水)|少报(?:点)?(?:人数|员工|从业人数|资产)"
        r"|(?:行政|销售|管理|财务|前台|后勤|非研发|老板|股东|家属|亲戚|日常|家里|个人|私人|家庭|装修|买车)" + _ANY % 12
        + r"(?:算进|算成|算作|算到|算入|挂到|挂在|调成|调到|调整为|归到|归入|计入|记入|放进|塞进|写成|列入|列为"
        r"|改成|都算)"
        + _ANY % 6 + r"(?:研发|成本|费用|公司)"
        r"|(?:管理费用|日常费用|其他费用|费用)" + _ANY % 4 + r"(?:调成|调到|调整为|算进|算成|挂到|改成)" + _ANY % 2
        + r"研发"
        r"|(?:利润|税负|税)(?:做|控制|压)(?:到|在)?(?:低|很低|没|平)|把利润做|做低税负|(?:增值税|税)做没|做成借款"),
    "拆分规避": re.compile(
        r"(?:工资|奖金|薪水|薪酬)" + _ANY % 16 + r"(?:报销|发票|油票|餐票)"
        r"|(?:拿|找|用)(?:发票|票|油票|餐票)(?:来)?(?:报销)?" + _ANY % 6 + r"(?:顶|抵|冲|代替)(?:工资|奖金)"
        r"|拆(?:分|成|开)?" + _ANY % 10 + r"(?:避|少交|不交|免税|不超|不让超|起征点|免征额|以下|规避|逃|不用交|不扣)"
        r"|拆成" + _ANY % 4 + r"(?:几|好几|多|[二三四五六七八九十\d])(?:个|户|家|份)"
        r"|(?:分散|注册)(?:几|多)(?:个|家|户)" + _ANY % 12 + r"(?:开票|避|少交|免税|不超|规避|标准|起征点|逃)"
        r"|(?:挂|放|发|转|拆|分)(?:到|在|给)?(?:几个)?(?:" + _PEOPLE + r")" + _ANY % 8
        + r"(?:名下|工资|领|发|避税|少交|个税|名字)"
        r"|人头.{0,4}(?:挂|发|领)|挂工资"
        r"|(?:借|用|挂|租|找)(?:几个)?(?:别人|他人|亲戚|朋友|家人|人家|退役士兵|残疾人)(?:的)?(?:身份证|证件|名义|名字|证)"
        r"|(?:证件|身份证|残疾证|退役证).{0,6}挂(?:在|到)|挂(?:个|张)?(?:退役士兵|残疾人|残疾|退役).{0,6}(?:证|名义)"),
    "骗取退税": re.compile(r"骗(?:取|点|些)?" + _ANY % 4 + r"(?:退税|留抵|出口退税|补贴|优惠|返还)"
                        r"|假(?:出口|报关|合同|进项|申报)|(?:多退|多拿|多弄)(?:点|些)?.{0,4}(?:留抵|退税)|退税.{0,4}怎么骗|材料我可以做|凑够"),
    "逃避追缴": re.compile(r"(?:注销|跑路|转移|转走|藏|转到)" + _ANY % 14
                        + r"(?:逃|不交|不补|赖|甩|躲|免得|就不用|执行不到|追不到)"
                        r"|(?:欠(?:的)?税|欠税)" + _ANY % 8 + r"(?:赖掉|甩掉|不交|跑路|躲)"
                        r"|换(?:个)?法人" + _ANY % 6 + r"(?:甩|逃|躲|不交)"
                        r"|销毁|(?:烧|扔|藏)(?:了|掉)?(?:以前的|之前的)?(?:账本|账|凭证)|逃避追缴|执行不到|逃避执行"),
    "规避检查": re.compile(r"(?:不(?:被|让)(?:税务局|税务|金税|系统|大数据)?(?:查|发现|知道|预警|报警))"
                        r"|不容易被.{0,4}(?:查|发现)"
                        r"|(?:查|看)不(?:到|出)(?:来)?|发现不了|(?:才)?不会被(?:查|发现)|别让税务.{0,4}(?:知道|发现)"
                        r"|(?:躲|避|绕)(?:过|开)"
                        + _ANY % 6 + r"(?:稽查|检查|监控|预警|比对|金税|大数据|系统)|绕过去"
                        r"|(?:让|使|叫)" + _ANY % 10 + r"(?:预警|系统|金税|比对)?"
                        + r"不(?:报警|预警|提示|弹出|显示异常)"
                        r"|(?:送(?:点)?礼|找(?:个)?关系|托人|摆平|搞定|压下去|打点)" + _ANY % 8
                        + r"(?:稽查|检查|税务|罚|查)"
                        r"|(?:稽查|检查|税务|罚)" + _ANY % 8 + r"(?:摆平|搞定|压下去|打点|送礼)"
                        r"|糊弄|蒙混|圆过去|不穿帮|不露馅"),
    "偷逃税": re.compile(r"偷税|逃税|(?:不想|不愿|不用|一分(?:钱)?都不想?)交(?:税|所得税|增值税|个税)|完全不交税"
                       r"|(?:税|所得税|增值税|个税).{0,4}一分(?:钱)?都不(?:想|愿意)?交|灰色(?:的)?(?:办法|手段|路子)"
                        r"|野路子|违法也行"),
}
# Asking about an act from the outside: the law, the penalty, being its victim, correcting or reporting it.
_LAWFUL = re.compile(
    r"处罚|罚款|罚多少|怎么罚|后果|法律责任|刑事责任|判刑|判几年|立案标准|构成.{0,4}罪|犯罪|违法吗|合法吗|合规吗|是否合法|算不算|属于"
    r"|什么是|是什么意思|什么行为|哪些行为|怎么认定|如何认定|认定标准|界定|评为|[A-D]级|纳税信用"
    r"|收到(?:的)?.{0,8}(?:虚开|假|异常|失控)|取得(?:的)?.{0,6}(?:虚开|异常|失控)|被(?:认定|定性|判定|列为|说)"
    r"|上游|供应商.{0,6}(?:走逃|失联|虚开|不开票)|对方.{0,6}(?:虚开|走逃)"
    r"|举报|投诉|揭发|防止|避免收到|识别|辨别|鉴别|查验|怎么查真假|申诉|复议|澄清|怎么证明|如何证明|记录"
    r"|开多了|开错|多开了|写错|(?:税务局|税务机关|大厅|电子税务局|税务).{0,4}代开"
    r"|补缴|补申报|补报|更正|纠正|自查|主动(?:补|报|说明|披露)|忘(?:了)?报|漏报了|少交了|少报了.{0,6}(?:补|更正|怎么办)"
    r"|会计处理|账务处理|红字|冲红|红冲|作废|退货|免税|免征"
)
# Explicit intent that outweighs a lawful-sounding word ("不被处罚" is hiding, "我想试试" is doing).
_INSISTS = re.compile(
    r"我想试试|想试试|我也想|也想学|不被(?:查|发现|处罚|罚)|怎么操作|具体操作|才不会|不容易被|查不出|看不出来|违法也行|野路子|门路|点数好说"
    r"|会被(?:查|发现)|被查到|查得(?:到|出)|能查到|多久能发现|能看出来|查出来|穿帮|露馅|稳不稳|才稳|比较稳|稳妥|安全|保险|没事吧"
    r"|出主意|手法|具体怎么|怎么做|怎么弄|怎么搞|怎么拆|怎么安排|怎么调|怎么开|帮我|帮忙|帮个忙|教我|教教|灰色"
)
# Only asking whether an invoice without a real transaction is allowed ("没有实际业务能开发票吗"): the answer is
# "no, that is 虚开" and what follows from it — unless a purpose shows the act is wanted.
_PERMISSION = re.compile(r"^[^，,。；;]*(?:能|可以|能否|可否|是否可以)[^，,。；;]*(?:吗|么|不)?[？?]?$")
_NO_BUSINESS = re.compile(r"(?:没|没有|无)(?:真实|实际)?的?(?:业务|交易)")
_PURPOSE = re.compile(r"冲|抵|走账|返|点数|几个点|赚|手续费|少交|避税|报销|利润|成本")
# Asking for something: a name of an act with one of these is not just a topic.
_ASKING = re.compile(r"怎么|如何|咋|哪|能|可以|想|要|帮|有没有|行|几个点|多少钱|渠道")
# A name of an act, asked about as a topic ("虚开发票", "两套账") rather than asked for: what is left once the act
# and the question words are taken out is next to nothing.
_TOPIC_FILLER = re.compile(r"[\s，。？！?!,.、]|是|吗|呢|啊|什么|啥|怎么样|的|了|呀|吧")


@dataclass(frozen=True)
class Verdict:
    kind: str  # "request" (refuse) | "lawful" (asks about an act from the outside) | "none" (no act named)
    act: str | None = None

    @property
    def is_request(self) -> bool:
        return self.kind == "request"


def assess(text: str) -> Verdict:
    """Is ``text`` a request to evade or falsify (refuse), a lawful question about such an act, or neither?"""
    text = (text or "").strip()
    if not text:
        return Verdict("none")
    found = None
    for name, pattern in _ACTS.items():
        match = pattern.search(text)
        if match:
            found = (name, match)
            break
    if found is None:  # no act: a question about paying, correcting, penalties … is still lawful by its framing
        return Verdict("lawful") if _LAWFUL.search(text) else Verdict("none")
    act, match = found
    if _INSISTS.search(text):
        return Verdict("request", act)
    if _LAWFUL.search(text):
        return Verdict("lawful", act)
    if act == "虚开" and _NO_BUSINESS.search(text) and _PERMISSION.match(text) and not _PURPOSE.search(text):
        return Verdict("lawful", act)
    rest = _TOPIC_FILLER.sub("", text[:match.start()] + text[match.end():])
    if len(rest) <= 2 and len(text) <= 6 and not _ASKING.search(text):
        return Verdict("lawful", act)  # the act named as a topic ("虚开发票？", "两套账")
    return Verdict("request", act)


def looks_unlawful(text: str) -> bool:
    return assess(text).is_request
