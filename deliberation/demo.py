"""Demo matters for 莲花社区: every procedure, at various stages, each step taken by its actor.

`seed_matters` is called by `manage.py seed_demo` once the community, its bodies, logins and
register are in place. Every change goes through `deliberation.services`, acting as the demo
login whose role it is. The one liberty taken is with time: a story runs in the present, and
between its steps the matter's own rows are moved back in time (`Story.day`), so that notice
periods have run, deadlines have passed and the ledger shows a history of several weeks.
Audit events are append-only and keep the real time of the seed.

The demo is written once: if the community already holds a matter with one of the demo's
titles, nothing is added, so running the seed again changes nothing.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from communities.models import Organization, Ownership, Position, Title
from deliberation import services
from deliberation.models import (
    Ballot,
    Comment,
    Escalation,
    ImplementationUpdate,
    Matter,
    Meeting,
    Notification,
    Poll,
    Resolution,
    Stance,
    Transition,
)

Kind = Organization.Kind
YES, NO, ABSTAIN = ["yes"], ["no"], ["abstain"]

OLD_ESTATE = "莲花一村"
NEW_ESTATE = "翠林苑"

# Every timestamp of a matter's own rows, by the path from the row to its matter.
_TIMESTAMPS = (
    (Matter, "pk", ("created_at", "stage_started_at", "deadline", "closed_at")),
    (Transition, "matter", ("created_at",)),
    (Comment, "matter", ("created_at", "answer_due", "edited_at", "hidden_at")),
    (Stance, "matter", ("created_at",)),
    (Poll, "matter", ("created_at", "opens_at", "closes_at", "opened_at", "closed_at")),
    (Ballot, "poll__matter", ("cast_at",)),
    (Resolution, "matter", ("published_at",)),
    (ImplementationUpdate, "resolution__matter", ("created_at",)),
    (Escalation, "matter", ("raised_at", "deadline", "answered_at")),
    (Notification, "matter", ("created_at",)),
)


class Story:
    """One matter's history, told from its first day to `age` days ago (today).

    `day(d)` moves the story to its day `d`: everything the matter holds so far moves `d` minus
    the previous day into the past, so what happens next happens "now", `age - d` days ago once
    the story ends. A poll that is still open is created on the story's last day only: voters
    qualify by the rights they held when it opened, and the register was written today.
    """

    def __init__(self, matter: Matter, age: float):
        self.pk = matter.pk
        self.age = age
        self.today = 0.0

    @property
    def m(self) -> Matter:
        """The matter as it stands now (services work on fresh rows)."""
        return Matter.objects.get(pk=self.pk)

    def day(self, d: float):
        if d < self.today or d > self.age:
            raise ValueError(f"day {d} is outside the story (today {self.today}, age {self.age})")
        if d > self.today:
            delta = timedelta(days=d - self.today)
            for model, path, fields in _TIMESTAMPS:
                model.objects.filter(**{path: self.pk}).update(
                    **{name: F(name) - delta for name in fields}
                )
            self.today = d

    def end(self):
        self.day(self.age)


class Cast:
    """The demo's people and bodies, looked up once."""

    def __init__(self, community, users):
        self.community = community
        self.users = users
        self.orgs = {o.name: o for o in community.organizations.all()}
        self.estates = {e.name: e for e in community.estates.all()}

    def __getitem__(self, username):
        return self.users[username]

    def residents(self, *numbers):
        return [self.users[f"resident{n:02d}"] for n in numbers]

    def chair_of(self, org_name):
        """The director of a body (the 翠林苑 owners' committee is chaired by a resident)."""
        position = (
            Position.objects.current()
            .filter(organization=self.orgs[org_name], title=Title.DIRECTOR)
            .first()
        )
        by_pk = {u.pk: u for u in self.users.values()}
        return by_pk[position.user_id]

    def owners_of(self, estate_name):
        """The designated voters of an estate's units, in username order: one per head."""
        ids = set(
            Ownership.objects.current()
            .filter(unit__estate=self.estates[estate_name], is_voter=True)
            .values_list("owner_id", flat=True)
        )
        return sorted(
            (u for u in self.users.values() if u.pk in ids), key=lambda user: user.username
        )

    def council(self):
        """The members of 莲花社区居民议事会 among the demo people, in username order."""
        ids = set(
            Position.objects.current()
            .filter(organization=self.orgs["莲花社区居民议事会"])
            .values_list("user_id", flat=True)
        )
        return sorted(
            (u for u in self.users.values() if u.pk in ids), key=lambda user: user.username
        )


def _vote(poll, voters, pattern):
    """Each voter casts the choice `pattern` gives for their place in the list (None: abstains
    from taking part)."""
    for i, voter in enumerate(voters):
        choice = pattern(i)
        if choice is not None:
            services.cast_ballot(voter, poll, choice)


# ---------------------------------------------------------------------------------------------
# The matters, oldest first (so that their numbers follow their dates)

POCKET_PARK = "莲花一村北侧闲置空地改造为口袋公园"
ELDERLY_CANTEEN = "长者饭堂助餐服务"
ROOF_REPAIR = "使用专项维修资金翻新1至4栋屋面防水层"
SECURITY_DOORS = "为莲花一村住户统一更换入户防盗门"
STAIR_LIGHTS = "2栋3单元楼道灯长期不亮"
STREET_PARKING = "莲花路辅道夜间临时停车位施划方案"
MANHOLE = "莲花一村东门外人行道井盖破损下陷"
CANTEEN_ENQUIRY = "咨询：长者饭堂就餐如何登记？"
LIFT_MOTION = "关于设立莲花一村加装电梯协调服务小组的议案"
WASTE_POINTS = "莲花一村垃圾分类投放点调整方案（征求意见稿）"
CUILIN_PARKING = "翠林苑地面停车位收费管理方案"
WASTE_DUPLICATE = "建议莲花一村增加垃圾投放点并延长投放时间"

TITLES = (
    POCKET_PARK,
    ELDERLY_CANTEEN,
    ROOF_REPAIR,
    SECURITY_DOORS,
    STAIR_LIGHTS,
    STREET_PARKING,
    MANHOLE,
    CANTEEN_ENQUIRY,
    LIFT_MOTION,
    WASTE_POINTS,
    CUILIN_PARKING,
    WASTE_DUPLICATE,
)


def _four_deliberations_to_notice(c: Cast, story: Story, *, review_day, decision_day):
    """四议两公开 from the party's proposal to the residents' decision (both polls passed)."""
    party_secretary, party_member = c["party_secretary"], c["party_member"]
    services.advance(
        party_secretary, story.m, note="党委会研究同意提议，提交社区“两委”联席会议商议。"
    )
    story.day(review_day - 4)
    services.advance(
        party_secretary,
        story.m,
        note="两委联席会议商议通过，形成初步方案，提交党员大会审议。",
    )
    story.day(review_day)
    poll = services.create_poll(
        party_secretary, story.m, question="党员大会审议：是否同意该方案？", kind="yes_no_abstain"
    )
    _vote(poll, [party_secretary, party_member], lambda i: YES)
    services.close_poll(party_secretary, poll)
    services.advance(party_secretary, story.m)
    story.day(decision_day)
    rc_director = c["rc_director"]
    poll = services.create_poll(
        rc_director,
        story.m,
        question="居民会议表决：是否同意该方案？",
        kind="yes_no_abstain",
        electorate="residents",
    )
    # 31 of the 49 verified residents attend: 25 for, 4 against, 2 abstain.
    voters = [
        c["rc_director"],
        c["rc_member"],
        c["party_secretary"],
        c["owner"],
        *c.residents(*range(1, 28)),
    ]
    _vote(poll, voters, lambda i: NO if i % 8 == 5 else ABSTAIN if i in (12, 26) else YES)
    services.close_poll(rc_director, poll)
    services.advance(rc_director, story.m)


def _pocket_park(c: Cast):
    """四议两公开, completed: resolution, notice, implementation, closed."""
    matter = services.propose_matter(
        c["party_secretary"],
        c.community,
        title=POCKET_PARK,
        body=(
            "## 背景\n\n"
            "莲花一村北侧约 600 平方米空地闲置多年，杂草丛生，常有建筑垃圾被偷倒，"
            "夏季蚊虫多，周边居民多次反映。\n\n"
            "## 提议\n\n"
            "- 清理空地，改造为口袋公园，设置长者健身器材、儿童游乐区和休息座椅；\n"
            "- 保留现有两棵大榕树，增设无障碍步道和夜间照明；\n"
            "- 资金来源：社区党群服务经费及区“民生微实事”配套资金，预算约 38 万元。\n\n"
            "请各位居民提出意见。"
        ),
        category="facilities",
        procedure="four_deliberations",
        on_behalf_of=c.orgs["莲花社区党委"],
        stakeholders=[c.orgs["莲花社区居民委员会"], c.orgs["莲花一村业主委员会"]],
    )
    story = Story(matter, 82)
    story.day(3)
    _four_deliberations_to_notice(c, story, review_day=12, decision_day=19)
    story.day(20)
    rc_director = c["rc_director"]
    services.publish_resolution(
        rc_director,
        story.m,
        text=(
            "经居民会议表决通过，决定将莲花一村北侧闲置空地改造为口袋公园：\n\n"
            "1. 由社区居委会牵头，社区工作站负责组织实施；\n"
            "2. 预算不超过 38 万元，资金使用情况按季度公开；\n"
            "3. 施工期间做好围挡和降噪，不在 12:00–14:00 及 22:00 后施工。\n\n"
            "公示期 7 天，对本决议有异议的，请在公示期内提出。"
        ),
    )
    story.day(28)
    services.advance(rc_director, story.m)
    story.day(60)
    services.post_update(
        rc_director,
        story.m,
        text=(
            "口袋公园已完工并通过验收：铺设步道 120 米，安装健身器材 8 件、"
            "儿童游乐设施 1 套、座椅 10 张、庭院灯 12 盏。实际支出 35.6 万元，明细见社区公告栏。"
        ),
        status="completed",
    )
    services.advance(rc_director, story.m, note="工程已完工验收，本议题办结。")
    story.end()
    return story.m


def _council_passes(c: Cast, story: Story, question: str):
    """The council votes on a screened matter and carries it: 16 of 20 members take part."""
    party_secretary = c["party_secretary"]
    poll = services.create_poll(party_secretary, story.m, question=question, kind="yes_no_abstain")
    members = c.council()
    _vote(
        poll,
        members,
        lambda i: None if i >= 16 else NO if i == 3 else ABSTAIN if i == 9 else YES,
    )
    services.close_poll(party_secretary, poll)
    services.advance(party_secretary, story.m)


def _elderly_canteen(c: Cast):
    """民生微实事 (service) carried to implementation, with a monthly report."""
    matter = services.propose_matter(
        c["so_director"],
        c.community,
        title=ELDERLY_CANTEEN,
        body=(
            "社区 60 岁以上户籍老人约 420 人，其中独居、高龄老人 60 余人，"
            "不少老人反映“做饭难、吃饭难”。\n\n"
            "**项目内容**：依托社区党群服务中心一楼厨房开办长者饭堂，"
            "每周一至周六供应午餐（两荤一素一汤），80 岁以上及困难老人可预约送餐上门。\n\n"
            "**服务对象**：辖区 60 岁以上老人，重点保障独居、高龄、困难老人。\n\n"
            "**预算**：18 万元（食材补贴 10.8 万元、厨工及送餐人员 5.4 万元、"
            "厨具和消毒设备 1.8 万元），服务期一年。"
        ),
        category="services",
        procedure="micro_project",
        on_behalf_of=c.orgs["莲花长者服务社"],
        project_type="service",
        budget=Decimal("180000.00"),
    )
    story = Story(matter, 74)
    story.day(4)
    services.advance(
        c["party_secretary"],
        story.m,
        note="符合民生微实事项目申报条件，预算在服务类 20 万元上限以内，提交居民议事会表决。",
    )
    story.day(11)
    _council_passes(c, story, "是否同意实施“长者饭堂助餐服务”项目？")
    story.day(12)
    rc_director = c["rc_director"]
    services.publish_resolution(
        rc_director,
        story.m,
        text=(
            "居民议事会表决通过“长者饭堂助餐服务”民生微实事项目：\n\n"
            "- 承接单位：莲花长者服务社；\n"
            "- 预算：18 万元；服务期：一年；\n"
            "- 每月在社区公告栏和本平台公开服务人次与支出。"
        ),
    )
    story.day(20)
    services.advance(rc_director, story.m)
    story.day(44)
    services.post_update(
        rc_director,
        story.m,
        text=(
            "## 10 月服务月报\n\n"
            "- 长者饭堂于 10 月 8 日开餐，供应午餐 862 人次，日均 40 人次；送餐上门 131 人次；\n"
            "- 本月支出 1.54 万元（含厨具和消毒设备 1.2 万元）。"
        ),
        status="in_progress",
    )
    story.end()
    services.post_update(
        rc_director,
        story.m,
        text=(
            "## 11 月服务月报\n\n"
            "- 供应午餐 1,236 人次，日均 48 人次；送餐上门 214 人次；\n"
            "- 本月支出 1.42 万元，累计支出 2.96 万元；\n"
            "- 满意度回访 30 人，满意 28 人。老人建议增加周日供餐，正在评估。"
        ),
        status="in_progress",
    )
    return story.m


def _roof_repair(c: Cast):
    """业主共同决定 (Art. 278 item 5): agenda, 15-day notice, the owners' vote, then either the
    owners' committee announces the decision and reports on the work, or, if the register
    cannot meet the participation gate, the committee closes the matter saying so."""
    oc_director = c["oc_director"]
    estate = c.estates[OLD_ESTATE]
    matter = services.propose_matter(
        oc_director,
        c.community,
        title=ROOF_REPAIR,
        body=(
            "莲花一村 1 至 4 栋建成于 1995 年，屋面防水层已超过设计年限，"
            "今年雨季顶层 26 户出现渗漏，部分住户天花板霉变、墙皮脱落。\n\n"
            "经物业委托检测，屋面需整体铲除旧防水层，重做 SBS 改性沥青防水并加设隔热层。\n\n"
            "| 项目 | 金额（元） |\n"
            "|---|---|\n"
            "| 1、2 栋屋面 | 236,000 |\n"
            "| 3、4 栋屋面 | 228,000 |\n"
            "| 检测及监理 | 22,000 |\n"
            "| **合计** | **486,000** |\n\n"
            "拟申请使用本小区专项维修资金支付，按各栋建筑面积分摊。"
        ),
        category="property",
        procedure="owners_joint_decision",
        on_behalf_of=c.orgs["莲花一村业主委员会"],
        stakeholders=[c.orgs["莲花一村物业服务中心"]],
        estate=estate,
    )
    story = Story(matter, 58)
    poll = services.create_poll(
        oc_director,
        story.m,
        question="是否同意使用专项维修资金 48.6 万元翻新 1 至 4 栋屋面防水层？",
        kind="yes_no_abstain",
        electorate="owners",
        law_item=5,
    )
    story.day(2)
    services.advance(oc_director, story.m)  # the notice goes out; the agenda is frozen
    story.day(18)  # the 15-day notice period has run
    services.advance(oc_director, story.m)
    services.open_poll(oc_director, Poll.objects.get(pk=poll.pk))
    # Most owners vote, one head each, with the area of all their units.
    owners = c.owners_of(OLD_ESTATE)
    _vote(
        poll,
        owners,
        lambda i: None if i % 7 == 6 else NO if i % 9 == 4 else ABSTAIN if i % 11 == 7 else YES,
    )
    story.day(28)
    poll = services.close_poll(oc_director, Poll.objects.get(pk=poll.pk))
    if not poll.result["passed"]:
        services.reject(
            oc_director,
            story.m,
            reason=(
                "表决已截止，但参与表决的业主所持专有部分面积或人数未达到"
                "《民法典》第二百七十八条规定的三分之二，本次表决无效。"
                "业委会将补充登记业主信息后重新发起表决。"
            ),
        )
        story.end()
        return story.m
    services.advance(oc_director, story.m)
    story.day(30)
    services.publish_resolution(
        oc_director,
        story.m,
        text=(
            "莲花一村业主大会表决通过：同意使用专项维修资金 48.6 万元翻新 1 至 4 栋屋面防水层。\n\n"
            "参与表决的业主所持专有部分面积和人数均达到三分之二以上，"
            "同意的面积和人数均超过参与表决的半数，符合《民法典》第二百七十八条规定。\n\n"
            "业主对本决定有异议的，可自知道之日起一年内依法请求人民法院撤销。"
        ),
    )
    services.advance(oc_director, story.m)
    story.end()
    services.post_update(
        oc_director,
        story.m,
        text=(
            "维修资金已完成划拨申请。1、2 栋屋面旧防水层已铲除，正在做找平层；"
            "3、4 栋计划下月初进场。施工期间请顶层住户收好阳台衣物。"
        ),
        status="in_progress",
    )
    return story.m


def _street_parking(c: Cast):
    """四议两公开 at 决议公开: an objection raised during the notice and answered."""
    matter = services.propose_matter(
        c["party_secretary"],
        c.community,
        title=STREET_PARKING,
        body=(
            "莲花一村建成时未规划停车位，现有登记车辆 180 余辆，夜间车辆沿莲花路辅道乱停，"
            "堵塞消防通道和公交站。\n\n"
            "经与交警、城管初步沟通，拟在莲花路辅道北侧施划夜间（19:00–次日 7:30）"
            "临时停车位 46 个，免费停放，白天恢复通行。"
        ),
        category="safety",
        procedure="four_deliberations",
        on_behalf_of=c.orgs["莲花社区党委"],
        stakeholders=[c.orgs["莲花一村物业服务中心"]],
    )
    story = Story(matter, 21)
    story.day(1)
    _four_deliberations_to_notice(c, story, review_day=8, decision_day=15)
    story.day(16)
    rc_director = c["rc_director"]
    services.publish_resolution(
        rc_director,
        story.m,
        text=(
            "经居民会议表决通过，在莲花路辅道北侧施划夜间临时停车位 46 个，"
            "每日 19:00 至次日 7:30 免费停放。具体位置见附图，公示期 7 天。"
        ),
    )
    story.day(17.5)
    objection = services.post_comment(
        c["resident"],
        story.m,
        body=(
            "附图中靠近 3 栋的 6 个车位正好在消防车登高面前，万一着火消防车进不来。"
            "请重新核实这几个车位的位置。"
        ),
        objection=True,
    )
    story.day(19)
    services.answer_objection(
        rc_director,
        Comment.objects.get(pk=objection.pk),
        body=(
            "感谢提醒。经会同消防救援站现场复核，3 栋前 6 个车位确实位于登高作业面内，"
            "已从方案中取消，改在 4 栋东侧增补 4 个，总数调整为 44 个，附图已更新。"
        ),
    )
    story.end()
    return story.m


def _security_doors(c: Cast):
    """民生微实事 (goods) rejected at screening, with the reason."""
    matter = services.propose_matter(
        c.residents(6)[0],
        c.community,
        title=SECURITY_DOORS,
        body=(
            "莲花一村很多住户还是 90 年代的老铁门，锁芯老化，去年 4 栋发生过入室盗窃。"
            "建议用民生微实事资金为全村住户统一更换甲级防盗门，约 120 户，每樘 1,600 元。"
        ),
        category="safety",
        procedure="micro_project",
        project_type="goods",
        budget=Decimal("192000.00"),
    )
    story = Story(matter, 31)
    story.day(5)
    services.reject(
        c["party_secretary"],
        story.m,
        reason=(
            "入户门属于业主专有部分，民生微实事资金只能用于社区公共服务和公共设施，"
            "不能用于个人财产。建议通过楼栋门禁和技防改造提升安全，"
            "已转社区工作站与派出所对接“平安小区”技防项目。"
        ),
    )
    story.end()
    return story.m


def _stair_lights(c: Cast):
    """接诉即办: answered by the workstation and rated by the resident."""
    requester = c.residents(8)[0]
    matter = services.propose_matter(
        requester,
        c.community,
        title=STAIR_LIGHTS,
        body=(
            "2 栋 3 单元 2 楼到 6 楼的楼道灯坏了一个多月，晚上老人上下楼只能摸黑，"
            "找物业说了两次没人来修。"
        ),
        category="facilities",
        procedure="concern",
        concern_kind="complaint",
    )
    story = Story(matter, 27)
    story.day(2)
    services.advance(
        c["ws_staff"],
        story.m,
        note=(
            "已约谈莲花一村物业服务中心，物业于次日更换 2 栋 3 单元声控灯 5 盏，"
            "并对全村楼道灯进行排查，另更换 11 盏。物业承诺报修 48 小时内处理。"
        ),
    )
    story.day(4)
    services.rate_response(requester, story.m, score=4)
    story.end()
    return story.m


def _manhole(c: Cast):
    """接诉即办, urgent, escalated to the street, whose answer is overdue."""
    matter = services.propose_matter(
        c.residents(15)[0],
        c.community,
        title=MANHOLE,
        body=(
            "莲花一村东门外人行道上的井盖破损下陷，边上一圈塌了十几厘米，"
            "昨晚一位阿姨踩空扭伤了脚。路灯也暗，很危险，请尽快处理！"
        ),
        category="safety",
        procedure="concern",
        concern_kind="urgent",
    )
    story = Story(matter, 20)
    story.day(0.2)
    services.post_comment(
        c["ws_staff"],
        story.m,
        body="已到现场设置围挡和警示灯。该井盖属市政排水设施，正在联系产权单位。",
        as_organization=c.orgs["莲花社区工作站"],
    )
    story.day(1)
    services.escalate(
        c["ws_director"],
        story.m,
        reason=(
            "井盖为市政排水设施，产权单位未明确，社区无权维修。"
            "现场已设临时围挡，但人流量大，请街道协调水务、城管部门尽快修复。"
        ),
    )
    story.end()
    return story.m


def _canteen_enquiry(c: Cast):
    """接诉即办, withdrawn by its proposer."""
    requester = c.residents(23)[0]
    matter = services.propose_matter(
        requester,
        c.community,
        title=CANTEEN_ENQUIRY,
        body="我家老人 78 岁，想在长者饭堂吃午饭，需要带什么材料登记？可以家属代办吗？",
        category="services",
        procedure="concern",
        concern_kind="enquiry",
    )
    story = Story(matter, 13)
    story.day(0.3)
    services.withdraw(
        requester,
        story.m,
        reason="已在党群服务中心现场问清楚了，带身份证即可，家属可以代办，谢谢。",
    )
    story.end()
    return story.m


def _lift_motion(c: Cast):
    """居民议事会议案 at the council vote, its poll open with some votes cast."""
    matter = services.propose_matter(
        c.residents(3)[0],
        c.community,
        title=LIFT_MOTION,
        body=(
            "莲花一村 4 栋楼都是 6 层步梯房，住着不少七八十岁的老人，上下楼非常困难。"
            "深圳已出台既有住宅加装电梯的补贴政策，但单元内业主意见难统一、"
            "手续多，大家不知道从哪里入手。\n\n"
            "**建议**：\n\n"
            "1. 由居委会牵头设立加装电梯协调服务小组，成员包括业委会、物业和热心居民；\n"
            "2. 为有意向的单元提供政策咨询、意见征集和低层住户协商服务；\n"
            "3. 每季度在本平台公开各单元进展。"
        ),
        category="facilities",
        procedure="council_motion",
    )
    story = Story(matter, 9)
    story.day(3)
    services.advance(c["party_secretary"], story.m, note="议案内容具体、可行，提交居民议事会表决。")
    story.end()
    poll = services.create_poll(
        c["party_secretary"],
        story.m,
        question="是否同意设立莲花一村加装电梯协调服务小组？",
        kind="yes_no_abstain",
        closes_at=timezone.now() + timedelta(days=5),
    )
    # Voting runs: 10 of the 20 members have voted so far, one against.
    _vote(poll, c.council(), lambda i: None if i % 2 else NO if i == 6 else YES)
    return story.m


def _waste_points(c: Cast):
    """公开征求意见, open: comments, one speaking as an organisation, and stances."""
    rc_director = c["rc_director"]
    pm, oc, elderly = (
        c.orgs["莲花一村物业服务中心"],
        c.orgs["莲花一村业主委员会"],
        c.orgs["莲花长者服务社"],
    )
    matter = services.propose_matter(
        rc_director,
        c.community,
        title=WASTE_POINTS,
        body=(
            "为落实《深圳市生活垃圾分类管理条例》，拟调整莲花一村垃圾分类投放点：\n\n"
            "- 撤销各楼栋门口的 8 个散放垃圾桶；\n"
            "- 在 1 栋北侧、3 栋东侧新建 2 个集中投放点，配洗手池和除臭设备；\n"
            "- 定时投放：每天 7:00–9:00、19:00–21:00，其他时间开放误时投放箱；\n"
            "- 设督导员，前三个月每天在投放时段现场指导。\n\n"
            "征求意见期 14 天，欢迎在下方留言。"
        ),
        category="environment",
        procedure="consultation",
        on_behalf_of=c.orgs["莲花社区居民委员会"],
        stakeholders=[pm, oc, elderly],
    )
    story = Story(matter, 6)
    story.day(0.5)
    services.post_comment(
        c.residents(9)[0],
        story.m,
        body="支持集中投放。楼下垃圾桶夏天太臭了，还招老鼠。",
    )
    services.post_comment(
        c["owner"],
        story.m,
        body="3 栋东侧离 4 栋住户窗户太近，能不能往停车场方向挪一点？",
    )
    story.day(1.5)
    services.post_comment(
        c["pm_manager"],
        story.m,
        body=(
            "物业支持调整方案。两个集中投放点的日常清洗和督导需要增加 2 名保洁员，"
            "建议明确费用来源；3 栋东侧的位置可以向南平移约 15 米，避开住户窗户。"
        ),
        as_organization=pm,
    )
    services.state_stance(
        c["pm_manager"],
        story.m,
        pm,
        position="conditional",
        statement="支持方案，条件是明确新增保洁和督导人员的费用来源，并将 3 栋东侧投放点南移。",
    )
    story.day(3)
    services.state_stance(
        c["oc_director"],
        story.m,
        oc,
        position="support",
        statement="业委会支持集中投放，同意使用小区公共区域建设投放点，建议同时加装监控。",
    )
    services.post_comment(
        c.residents(17)[0],
        story.m,
        body="晚上 9 点以后下班回来怎么扔？误时投放箱要放在明显的地方。",
    )
    story.day(4)
    services.state_stance(
        c["so_director"],
        story.m,
        elderly,
        position="conditional",
        statement=(
            "集中投放点对腿脚不便的老人偏远。建议为 80 岁以上独居老人提供上门收集，"
            "长者服务社可以组织志愿者承担。"
        ),
    )
    services.post_comment(
        c.residents(26)[0],
        story.m,
        body="希望督导员不要只是站着，新手不会分的时候多教教。",
    )
    story.end()
    return story.m


def _cuilin_parking(c: Cast):
    """业主共同决定 (Art. 278 item 8, special) at the notice: agenda frozen, notice running."""
    chair = c.chair_of("翠林苑业主委员会")
    matter = services.propose_matter(
        chair,
        c.community,
        title=CUILIN_PARKING,
        body=(
            "翠林苑地面共有道路两侧现有停车位 62 个，目前免费、先到先停，"
            "外来车辆占位严重，业主经常无位可停。\n\n"
            "拟实行业主车辆登记、外来车辆临时收费（首小时免费，之后每小时 5 元，"
            "每日封顶 30 元）。收益扣除管理成本后全部纳入业主共有资金，每季度公开账目。"
        ),
        category="property",
        procedure="owners_joint_decision",
        on_behalf_of=c.orgs["翠林苑业主委员会"],
        stakeholders=[c.orgs["翠林苑物业服务中心"]],
        estate=c.estates[NEW_ESTATE],
    )
    story = Story(matter, 5)
    services.create_poll(
        chair,
        story.m,
        question="是否同意利用小区共有道路停车位实行外来车辆收费管理？",
        kind="yes_no_abstain",
        electorate="owners",
        law_item=8,
    )
    story.day(1)
    services.advance(chair, story.m)  # the notice goes out for 15 days
    story.end()
    return story.m


def _waste_duplicate(c: Cast, into: Matter):
    """A duplicate motion merged into the consultation on the same question."""
    matter = services.propose_matter(
        c.residents(12)[0],
        c.community,
        title=WASTE_DUPLICATE,
        body=(
            "现在只有早晚两个时段能扔垃圾，上班族很不方便。"
            "建议多设几个投放点，投放时间延长到晚上 11 点。"
        ),
        category="environment",
        procedure="council_motion",
    )
    story = Story(matter, 2)
    story.day(0.5)
    services.merge(
        c["rc_director"],
        story.m,
        into,
        reason=(
            f"与正在征求意见的 {into.reference} 内容相同，意见已转入该议题统一汇总，"
            "请在该议题下继续留言。"
        ),
    )
    story.end()
    return story.m


def _reception(c: Cast):
    """A reception session (接访) held by the workstation director, rated by residents."""
    session = services.hold_reception(
        c["ws_director"],
        c.community,
        held_on=timezone.localdate() - timedelta(days=11),
        place="莲花社区党群服务中心一楼接待室",
        hosts="刘海涛（社区工作站站长）、王丽华（居委会主任）、区人大代表驻站联络员",
        topic="老旧小区改造、加装电梯与停车难",
    )
    ratings = (
        ("owner", 5, "站长当场记下了屋面漏水的问题，业委会第二天就联系了我。"),
        ("resident04", 4, "态度很好，停车的事希望尽快有结果。"),
        ("resident19", 3, "加装电梯的问题还是没有明确答复。"),
        ("resident31", 5, ""),
    )
    for username, score, comment in ratings:
        services.rate_reception(c[username], session, score=score, comment=comment)
    return session


def seed_matters(community, users: dict, admin) -> dict:
    """Add the demo matters to the community, unless it already has them.

    `users` maps the seed's usernames to users; every step is taken by the login whose role it
    is, so `admin` acts in none of them. Returns the new matters by title (empty when the demo
    was already there) and the reception session under "reception".
    """
    if Matter.objects.filter(community=community, title__in=TITLES).exists():
        return {}
    c = Cast(community, users)
    made = {}
    for tell in (
        _pocket_park,
        _elderly_canteen,
        _roof_repair,
        _security_doors,
        _stair_lights,
        _street_parking,
        _manhole,
        _canteen_enquiry,
        _lift_motion,
    ):
        matter = tell(c)
        made[matter.title] = matter
    waste = _waste_points(c)
    made[waste.title] = waste
    for matter in (_cuilin_parking(c), _waste_duplicate(c, waste)):
        made[matter.title] = matter
    made["reception"] = _reception(c)
    return made


LIVE_MEETING = "莲花社区居民议事会2026年第11次会议"


def seed_meeting(community, users: dict, admin) -> Meeting | None:
    """A 居民议事会 that is live now, chaired by the party secretary, so `make run` shows a room.

    Idempotent: nothing is added if the community already has a meeting with this title.
    """
    from deliberation import meetings

    if Meeting.objects.filter(community=community, title=LIVE_MEETING).exists():
        return None
    chair = users["party_secretary"]
    lift = Matter.objects.filter(community=community, title=LIFT_MOTION).first()
    waste = Matter.objects.filter(community=community, title=WASTE_POINTS).first()
    meeting = meetings.schedule_meeting(
        chair,
        community,
        title=LIVE_MEETING,
        kind=Meeting.Kind.COUNCIL,
        scheduled_at=timezone.now(),
        place="莲花社区党群服务中心二楼会议室",
        public=True,
        agenda=[
            (LIFT_MOTION, lift),
            ("垃圾分类投放点调整方案意见交流", waste),
            ("其他事项", None),
        ],
    )
    meetings.start_meeting(chair, meeting)
    meetings.send_chat(chair, meeting, "各位委员好，本次会议现在开始，请按议程有序发言。")
    return meeting
