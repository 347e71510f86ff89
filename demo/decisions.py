"""Demo matters that end in a decision: 四议两公开, owners' votes, council motions."""

from decimal import Decimal

from deliberation import services
from deliberation.models import Comment, Poll
from deliberation.services import register
from demo.cast import (
    ABSTAIN,
    ELDERLY_CANTEEN,
    NO,
    POCKET_PARK,
    ROOF_REPAIR,
    SECURITY_DOORS,
    STREET_PARKING,
    YES,
    Cast,
    Story,
    vote,
)
from demo.plan import OLD_ESTATE


def four_deliberations_to_notice(c: Cast, story: Story, *, review_day, decision_day):
    """四议两公开 from the party's proposal to the residents' decision (both polls passed)."""
    party_secretary = c["party_secretary"]
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
    # The party members' assembly: 29 of the 35 on the roll attend (≥ 2/3), 25 vote for (more
    # than half of the 35 due to attend), 2 against, 2 abstain.
    vote(
        poll,
        c.party_roll(),
        lambda i: None if i >= 29 else NO if i in (4, 17) else ABSTAIN if i in (9, 22) else YES,
    )
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
    vote(poll, voters, lambda i: NO if i % 8 == 5 else ABSTAIN if i in (12, 26) else YES)
    services.close_poll(rc_director, poll)
    services.advance(rc_director, story.m)


def pocket_park(c: Cast):
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
    four_deliberations_to_notice(c, story, review_day=12, decision_day=19)
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


def council_passes(c: Cast, story: Story, question: str):
    """The council votes on a screened matter and carries it: 16 of 20 members take part."""
    party_secretary = c["party_secretary"]
    poll = services.create_poll(party_secretary, story.m, question=question, kind="yes_no_abstain")
    members = c.council()
    vote(
        poll,
        members,
        lambda i: None if i >= 16 else NO if i == 3 else ABSTAIN if i == 9 else YES,
    )
    services.close_poll(party_secretary, poll)
    services.advance(party_secretary, story.m)


def elderly_canteen(c: Cast):
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
    council_passes(c, story, "是否同意实施“长者饭堂助餐服务”项目？")
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


def roof_repair(c: Cast):
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
    poll = services.open_poll(oc_director, Poll.objects.get(pk=poll.pk))
    # Two scrutineers enter the written ballots of the elderly owners who do not vote online.
    scrutineers = (c["rc_member"], c["ws_staff"])
    for person in scrutineers:
        register.appoint_scrutineer(oc_director, poll, person)
    # Most owners vote, one head each, with the area of all their units: online, on paper, or
    # (one of them) through a neighbour holding their written authorisation.
    owners = c.owners_of(OLD_ESTATE)
    vote(
        poll,
        owners,
        lambda i: None if i % 7 == 6 else NO if i % 9 == 4 else ABSTAIN if i % 11 == 7 else YES,
        paper=(scrutineers, {2, 9, 15, 22}),
        proxies={4: c["party_member"]},
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


def street_parking(c: Cast):
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
    four_deliberations_to_notice(c, story, review_day=8, decision_day=15)
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


def security_doors(c: Cast):
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
