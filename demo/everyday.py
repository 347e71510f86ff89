"""Demo matters of every day: concerns, consultations, duplicates and a reception session."""

from datetime import timedelta

from django.utils import timezone

from deliberation import services
from deliberation.models import Matter
from demo.cast import (
    CANTEEN_ENQUIRY,
    CUILIN_PARKING,
    LIFT_MOTION,
    MANHOLE,
    NO,
    STAIR_LIGHTS,
    WASTE_DUPLICATE,
    WASTE_POINTS,
    YES,
    Cast,
    Story,
    vote,
)
from demo.plan import NEW_ESTATE


def stair_lights(c: Cast):
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


def manhole(c: Cast):
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


def canteen_enquiry(c: Cast):
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


def lift_motion(c: Cast):
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
    vote(poll, c.council(), lambda i: None if i % 2 else NO if i == 6 else YES)
    return story.m


def waste_points(c: Cast):
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


def cuilin_parking(c: Cast):
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


def waste_duplicate(c: Cast, into: Matter):
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


def reception(c: Cast):
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
