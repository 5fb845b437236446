"""The words and numbers demo enterprises are made of: regions with their division codes, industries
(GB/T 4754) with the trade words of their names, 字号 characters, the credit deduction catalogue and the
risk indicators. Plain data, no logic; ``tools.demo.enterprises`` draws from it.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Region", "Industry", "REGIONS", "INDUSTRIES", "BRAND_CHARS", "SURNAMES", "COMPANY_FORMS",
           "DEDUCTIONS", "DIRECT_D", "RISK_INDICATORS", "LEVEL_SHARES", "LEVEL_DEFICITS"]


@dataclass(frozen=True)
class Region:
    province: str
    city: str  # short, as in names: 成都
    district: str
    division: str  # GB/T 2260 code, the 3rd–8th characters of a USCC

    @property
    def text(self) -> str:
        city = "" if self.province.startswith(self.city) else f"{self.city}市"
        return f"{self.province}{city}{self.district}"


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    restricted: bool  # 国家限制或禁止行业 (产业结构调整指导目录): no small-low-profit relief
    weight: int
    company_trades: tuple[str, ...]
    individual_trades: tuple[str, ...]  # empty: no 个体工商户 in this industry
    rd: bool = False  # research and development is usual here


REGIONS = (
    Region("四川省", "成都", "武侯区", "510107"), Region("四川省", "成都", "锦江区", "510104"),
    Region("四川省", "成都", "青羊区", "510105"), Region("四川省", "成都", "高新区", "510109"),
    Region("四川省", "绵阳", "涪城区", "510703"), Region("辽宁省", "丹东", "振兴区", "210603"),
    Region("辽宁省", "丹东", "元宝区", "210602"), Region("北京市", "北京", "海淀区", "110108"),
    Region("北京市", "北京", "朝阳区", "110105"), Region("上海市", "上海", "浦东新区", "310115"),
    Region("上海市", "上海", "闵行区", "310112"), Region("广东省", "深圳", "南山区", "440305"),
    Region("浙江省", "杭州", "西湖区", "330106"), Region("湖北省", "武汉", "洪山区", "420111"),
)

INDUSTRIES = (
    Industry("F51", "批发业", False, 14, ("商贸", "贸易", "供应链管理"), ()),
    Industry("F52", "零售业", False, 14, ("商贸", "超市", "百货"), ("便利店", "日用品店", "水果店", "五金店")),
    Industry("H62", "餐饮业", False, 10, ("餐饮管理", "餐饮"), ("小吃店", "面馆", "火锅店", "川菜馆")),
    Industry("H61", "住宿业", False, 3, ("酒店管理",), ("宾馆",)),
    Industry("I65", "软件和信息技术服务业", False, 8, ("网络科技", "软件技术", "信息技术"), ("电脑服务部",), rd=True),
    Industry("M75", "科技推广和应用服务业", False, 4, ("科技", "技术服务"), (), rd=True),
    Industry("C39", "计算机、通信和其他电子设备制造业", False, 4, ("电子科技", "电子"), (), rd=True),
    Industry("C13", "农副食品加工业", False, 3, ("食品", "农产品加工"), ("粮油加工厂",), rd=True),
    Industry("C18", "纺织服装、服饰业", False, 3, ("服饰", "制衣"), ("服装加工部",)),
    Industry("C21", "家具制造业", False, 2, ("家具",), ("木器加工厂",), rd=True),
    Industry("E47", "房屋建筑业", False, 5, ("建筑工程", "建设工程"), ()),
    Industry("E50", "建筑装饰、装修和其他建筑业", False, 5, ("装饰工程", "建筑装饰"), ("装饰部",)),
    Industry("G54", "道路运输业", False, 5, ("物流", "运输"), ("货运部",)),
    Industry("L72", "商务服务业", False, 6, ("企业管理咨询", "商务信息咨询"), ()),
    Industry("O80", "居民服务业", False, 4, ("家政服务",), ("家政服务部", "理发店", "洗衣店")),
    Industry("O81", "机动车、电子产品和日用产品修理业", False, 3, ("汽车服务",), ("汽车修理部", "家电维修部")),
    Industry("A01", "农业", False, 3, ("农业开发", "农业科技"), ("种植场",)),
    Industry("R87", "文化艺术业", False, 2, ("文化传播", "文化艺术"), ("工作室",)),
    Industry("K70", "房地产业", False, 2, ("房地产经纪", "物业管理"), ()),
    Industry("B06", "煤炭开采和洗选业", True, 1, ("煤业",), ()),
    Industry("C31", "黑色金属冶炼和压延加工业", True, 1, ("钢铁", "金属制品"), ()),
)

BRAND_CHARS = "锦程华兴盛源达通泰和瑞丰鑫恒宏信德嘉宇博远航星辰益祥安康福明新天海川蜀蓉江峰金诚佳美优联创智睿晟卓凯旭升荣昌隆茂青云山"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司")

# (reason_code, reason, points, repairable): deductions of the 纳税信用评价指标 most small enterprises meet.
DEDUCTIONS = (
    ("overdue_filing", "未按规定期限填报纳税申报表", 5, True),
    ("overdue_payment", "未按规定期限缴纳已申报的应纳税款", 5, True),
    ("unreported_statements", "未按规定期限报送财务会计报表", 3, True),
    ("late_registration_change", "未按规定期限办理税务登记变更", 3, True),
    ("invoice_violation", "未按规定开具、取得发票", 3, False),
    ("bookkeeping", "未按规定设置、保管账簿或记账凭证", 5, False),
    ("tax_arrears", "欠缴税款经催缴仍未缴纳", 11, True),
)
DIRECT_D = ("direct_d_unfiled", "经责令限期改正仍未申报（直接判为D级）", 0, True)

# (indicator, source, what the detail says): what the tax system's own analysis flags (风险疑点).
RISK_INDICATORS = (
    ("申报收入与开票收入差异较大", "tax", "开票金额明显高于申报销售额"),
    ("长期零申报仍开具发票", "tax", "连续零申报期间仍有开票记录"),
    ("增值税税负率明显低于行业水平", "tax", "税负率低于同行业参考值"),
    ("取得异常增值税扣税凭证", "tax", "取得的进项发票被列为异常凭证"),
    ("个人账户收取经营款项", "bank", "银行流水显示经营款项进入个人账户"),
    ("社保缴费人数与申报从业人数不一致", "social_security", "社保参保人数少于申报的从业人数"),
)

LEVEL_SHARES = (("A", 17), ("B", 63), ("M", 5), ("C", 9), ("D", 6))
LEVEL_DEFICITS = {"A": (0, 10), "B": (11, 30), "M": (0, 30), "C": (31, 60), "D": (61, 85)}
"""Points deducted that give each level (A ≥ 90, B 70–89, C 40–69, D < 40; M: new or no income, ≥ 70)."""
