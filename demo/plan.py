"""The demo community planned in full: 莲花社区, its estates, units, bodies and people.

Everything here is drawn from a fixed random seed without touching the database, so every run
plans the same demo; `manage.py seed_demo` then brings the database to this plan.
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from communities.models import Membership, Unit
from communities.roles import OrganizationKind as Kind
from communities.roles import Title

Status = Membership.Status
AreaSource = Unit.AreaSource

# Printed for anyone to read: these logins exist only in demo databases.
DEMO_PASSWORD = "demo-2026"  # noqa: S105
LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"
RANDOM_SEED = 2026
ADMIN = "admin"
RESET_REASON = "演示数据重置"

COMMUNITY = {
    "slug": "lianhua",
    "name": "莲花社区",
    "code": "LH",
    "street": "莲花街道",
    "district": "福田区",
    "city": "深圳市",
}
OLD_ESTATE = "莲花一村"
NEW_ESTATE = "翠林苑"


@dataclass(frozen=True)
class EstateSpec:
    """An estate and the shape of its buildings."""

    name: str
    address: str
    buildings: tuple[str, ...]
    floors: int
    per_floor: int
    min_area: int
    max_area: int
    developer_held: int


ESTATES = (
    # A 1990s walk-up estate: small flats, all sold long ago.
    EstateSpec(OLD_ESTATE, "福田区莲花路1号", ("1", "2", "3", "4"), 6, 5, 45, 95, 0),
    # A newer high-rise estate where the developer still holds some flats.
    EstateSpec(NEW_ESTATE, "福田区红荔路88号", ("1", "2"), 20, 2, 75, 180, 10),
)

# (name, kind, estate name or None, description)
ORGANIZATIONS = (
    ("莲花社区党委", Kind.PARTY_COMMITTEE, None, "社区党的基层组织，统筹社区治理。"),
    ("莲花社区居民委员会", Kind.RESIDENTS_COMMITTEE, None, "居民自治组织，召集居民会议。"),
    ("莲花社区工作站", Kind.WORKSTATION, None, "街道办事处在社区的工作机构。"),
    ("莲花一村物业服务中心", Kind.PROPERTY_MANAGEMENT, OLD_ESTATE, "莲花一村的物业服务企业。"),
    ("翠林苑物业服务中心", Kind.PROPERTY_MANAGEMENT, NEW_ESTATE, "翠林苑的物业服务企业。"),
    ("莲花一村业主委员会", Kind.OWNERS_COMMITTEE, OLD_ESTATE, "莲花一村业主大会的执行机构。"),
    ("翠林苑业主委员会", Kind.OWNERS_COMMITTEE, NEW_ESTATE, "翠林苑业主大会的执行机构。"),
    ("莲花长者服务社", Kind.SOCIAL_ORGANIZATION, None, "为社区长者提供助餐、探访等服务。"),
    ("青少年成长驿站", Kind.SOCIAL_ORGANIZATION, None, "为社区青少年提供课后托管和活动。"),
    (
        "莲花社区居民议事会",
        Kind.COUNCIL,
        None,
        "由两委、居民代表、社会组织、业委会和物业组成的议事机构。",
    ),
    ("莲花街道办事处", Kind.STREET_OFFICE, None, "接收社区上报事项并在期限内答复。"),
    ("福田区民政局", Kind.DISTRICT_OFFICE, None, "接收街道上报事项并在期限内答复。"),
)

UnitKey = tuple[str, str, str]  # (estate name, building, number)


@dataclass
class Person:
    """One demo user and everything the seed gives them in the community."""

    username: str
    display_name: str
    role_zh: str = ""
    role_en: str = ""
    membership: str | None = None  # Status.VERIFIED, Status.PENDING or None
    address: str = ""  # as the resident typed it when asking to join
    positions: list[tuple[str, str]] = field(default_factory=list)  # (organisation, title)
    units: list[UnitKey] = field(default_factory=list)
    login: bool = False  # a documented demo login, printed in the table
    party: bool = False  # on the party committee's roll of party members (党员名册)
    home: UnitKey | None = None  # the registered unit they live in (their household)


@dataclass
class Plan:
    """The whole demo, computed without touching the database."""

    units: dict[UnitKey, dict]
    people: list[Person]
    voters: dict[UnitKey, str]  # co-owned unit -> username of the co-owner who casts its vote


COUNCIL_SEAT = ("莲花社区居民议事会", Title.MEMBER)

# username, display name, 角色, role, membership, positions, units
DEMO_LOGINS = (
    ("party_secretary", "陈建国", "社区党委书记", "party committee secretary", Status.VERIFIED,
     [("莲花社区党委", Title.SECRETARY)], []),
    ("party_member", "林秀英", "社区党委委员", "party committee member", Status.VERIFIED,
     [("莲花社区党委", Title.MEMBER), COUNCIL_SEAT], []),
    ("rc_director", "王丽华", "居委会主任", "residents' committee director", Status.VERIFIED,
     [("莲花社区居民委员会", Title.DIRECTOR)], []),
    ("rc_member", "张志强", "居委会委员", "residents' committee member", Status.VERIFIED,
     [("莲花社区居民委员会", Title.MEMBER), COUNCIL_SEAT], []),
    ("ws_director", "刘海涛", "社区工作站站长", "workstation director", None,
     [("莲花社区工作站", Title.DIRECTOR)], []),
    ("ws_staff", "黄晓敏", "社区工作站工作人员", "workstation staff", None,
     [("莲花社区工作站", Title.STAFF)], []),
    ("pm_manager", "赵立新", "物业经理（莲花一村）", "property manager, 莲花一村", None,
     [("莲花一村物业服务中心", Title.MANAGER), COUNCIL_SEAT], []),
    ("oc_director", "周明", "业委会主任（莲花一村）", "owners' committee director, 莲花一村",
     Status.VERIFIED, [("莲花一村业主委员会", Title.DIRECTOR), COUNCIL_SEAT],
     [(OLD_ESTATE, "2", "0201")]),
    ("so_director", "吴静", "社会组织负责人（莲花长者服务社）",
     "social organisation director, 莲花长者服务社", None,
     [("莲花长者服务社", Title.DIRECTOR), COUNCIL_SEAT], []),
    ("resident", "李娜", "已核实居民（无房产），居民议事会成员",
     "verified resident, owns no unit, council member", Status.VERIFIED, [COUNCIL_SEAT], []),
    ("street_officer", "钱卫东", "街道办事处干部", "street office officer", None,
     [("莲花街道办事处", Title.OFFICER)], []),
    ("district_officer", "冯丽", "区民政局干部", "district office officer", None,
     [("福田区民政局", Title.OFFICER)], []),
    ("owner", "郑国华", "业主（莲花一村两套房）", "owner of two units in 莲花一村",
     Status.VERIFIED, [], [(OLD_ESTATE, "1", "0301"), (OLD_ESTATE, "3", "0502")]),
    ("pending", "孙浩", "待核实居民", "resident awaiting verification", Status.PENDING, [], []),
    ("outsider", "何伟", "非本社区用户", "outsider, no membership", None, [], []),
)  # fmt: skip

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程"
GIVEN_NAMES = (
    "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "金凤", "玉兰", "志明", "海燕", "红梅",
    "晓东", "振华", "国庆", "丽娟", "春生", "子涵", "雨欣", "浩然", "梓轩", "欣怡", "思远", "佳怡",
    "宇航", "俊杰", "淑珍", "德明", "永康", "少华", "慧敏", "嘉欣", "家豪", "文彬",
)  # fmt: skip

GENERATED_RESIDENTS = 45
SINGLE_OWNERS = range(1, 37)  # resident01..resident36 own one unit each
SECOND_UNIT_OWNERS = (5, 12, 20)  # ...and these own a second unit
CO_OWNER = 37  # co-owns resident36's unit and casts its vote
TENANTS = range(38, 43)  # verified residents who rent
PENDING = range(43, 46)  # asked to join, not yet verified
PARTY_RESIDENTS = range(8, 39)  # generated residents on the party members' roll
PARTY_LOGINS = ("party_secretary", "party_member", "rc_director", "rc_member")


def _address(key: UnitKey) -> str:
    """The address a resident would write for a unit, e.g. 莲花一村1栋0301室."""
    estate, building, number = key
    return f"{estate}{building}栋{number}室"


def _plan_units(rng: random.Random) -> dict[UnitKey, dict]:
    """Every unit of both estates, with its area, area source and developer holding."""
    units: dict[UnitKey, dict] = {}
    for spec in ESTATES:
        keys = [
            (spec.name, building, f"{floor:02d}{door:02d}")
            for building in spec.buildings
            for floor in range(1, spec.floors + 1)
            for door in range(1, spec.per_floor + 1)
        ]
        for key in keys:
            roll = rng.random()
            # Most units are in the property register; the rest fall back as the SPC rules allow.
            if roll < 0.85:
                source = AreaSource.REGISTER
            elif roll < 0.96:
                source = AreaSource.SURVEY
            else:
                source = AreaSource.CONTRACT
            area = Decimal(rng.randint(spec.min_area * 100, spec.max_area * 100)).scaleb(-2)
            units[key] = {"area": area, "area_source": source, "developer_held": False}
        for key in rng.sample(keys, spec.developer_held):
            units[key]["developer_held"] = True
    return units


def _plan_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """`count` distinct plausible full names that are not in `taken`."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def build_plan() -> Plan:
    """The full demo, the same on every run because it draws only from a fixed seed."""
    rng = random.Random(RANDOM_SEED)  # noqa: S311 - demo data, not secrets; must be repeatable
    units = _plan_units(rng)
    people = [
        Person(
            username=ADMIN,
            display_name="系统管理员",
            role_zh="站点管理员（超级用户）",
            role_en="site administrator (superuser)",
            login=True,
        )
    ]
    for username, name, role_zh, role_en, status, positions, owned in DEMO_LOGINS:
        people.append(
            Person(
                username, name, role_zh, role_en, status, "", positions, owned, True,
                party=username in PARTY_LOGINS,
            )
        )  # fmt: skip

    fixed = {key for person in people for key in person.units}
    free = sorted(key for key, unit in units.items() if not unit["developer_held"])
    free = [key for key in free if key not in fixed]
    rng.shuffle(free)
    for person in people:
        if person.membership is not None:
            # Staff verify residents by their address, so every applicant gives one.
            person.home = person.units[0] if person.units else free.pop()
            person.address = _address(person.home)

    names = _plan_names(rng, GENERATED_RESIDENTS, {p.display_name for p in people})
    residents = {
        i: Person(f"resident{i:02d}", names[i - 1]) for i in range(1, GENERATED_RESIDENTS + 1)
    }
    for i in SINGLE_OWNERS:
        residents[i].units.append(free.pop())
    for i in SECOND_UNIT_OWNERS:
        residents[i].units.append(free.pop())
    shared = residents[SINGLE_OWNERS[-1]].units[0]
    residents[CO_OWNER].units.append(shared)
    voters = {shared: residents[CO_OWNER].username}
    for i, person in residents.items():
        person.membership = Status.PENDING if i in PENDING else Status.VERIFIED
        # Tenants live in a flat that someone outside the demo owns.
        person.home = person.units[0] if person.units else free.pop()
        person.address = _address(person.home)

    # A few residents also serve in the bodies that the demo logins do not fill.
    def first_owner_in(estate, skip=()):
        """The first generated resident who owns a unit in `estate`, other than `skip`."""
        owners = (p for p in residents.values() if any(u[0] == estate for u in p.units))
        return next(p for p in owners if p.username not in skip)

    new_chair = first_owner_in(NEW_ESTATE)
    new_chair.positions.append(("翠林苑业主委员会", Title.DIRECTOR))
    new_member = first_owner_in(NEW_ESTATE, skip={new_chair.username})
    new_member.positions.append(("翠林苑业主委员会", Title.MEMBER))
    first_owner_in(OLD_ESTATE).positions.append(("莲花一村业主委员会", Title.MEMBER))
    residents[TENANTS[0]].positions.append(("青少年成长驿站", Title.DIRECTOR))
    residents[TENANTS[1]].positions.append(("莲花长者服务社", Title.MEMBER))
    residents[TENANTS[2]].positions.append(("莲花社区居民委员会", Title.MEMBER))
    # The deliberation council (~20 members, domain-rules §4): the logins above plus residents'
    # representatives.
    for i in range(1, 15):
        residents[i].positions.append(("莲花社区居民议事会", Title.MEMBER))

    # The roll of party members (dozens, as in a Shenzhen community): the party committee's
    # officers, two residents' committee members, and residents of every kind.
    for i in PARTY_RESIDENTS:
        residents[i].party = True

    people.extend(residents.values())

    # Owners who live elsewhere (many flats are let): without them the register would cover a
    # quarter of 莲花一村 and no owners' vote there could reach the Art. 278 turnout gate.
    owned = {key for person in people for key in person.units}
    absent = [
        key
        for key in sorted(units)
        if key[0] == OLD_ESTATE and not units[key]["developer_held"] and key not in owned
    ]
    absent_names = _plan_names(rng, len(absent), {p.display_name for p in people})
    for n, (key, name) in enumerate(zip(absent, absent_names, strict=True), 1):
        people.append(Person(f"absent_owner{n:03d}", name, units=[key]))
    return Plan(units=units, people=people, voters=voters)
