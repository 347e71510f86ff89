"""The demo's cast and its clock: who plays each part, and how a story is told over weeks.

Every change in a story goes through `deliberation.services`, acting as the demo login whose role
it is. The one liberty taken is with time: a story runs in the present, and between its steps the
matter's own rows are moved back in time (`Story.day`), so that notice periods have run,
deadlines have passed and the ledger shows a history of several weeks. Audit events are
append-only and keep the real time of the seed.
"""

from datetime import timedelta

from django.db.models import F

from communities.models import Organization, Ownership, PartyMember, Position
from communities.roles import Title
from deliberation import services
from deliberation.models import (
    Ballot,
    Comment,
    Delivery,
    Escalation,
    ImplementationUpdate,
    Matter,
    Notification,
    PaperBallot,
    Poll,
    Proxy,
    Resolution,
    Scrutineer,
    Stance,
    Transition,
)
from deliberation.services import proxies as proxy_services
from deliberation.services import register

YES, NO, ABSTAIN = ["yes"], ["no"], ["abstain"]

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
    (Scrutineer, "poll__matter", ("appointed_at", "ended_at")),
    (PaperBallot, "poll__matter", ("entered_at", "confirmed_at")),
    (Proxy, "poll__matter", ("created_at", "ended_at")),
    (Delivery, "notification__matter", ("created_at", "last_attempt_at", "sent_at", "read_at")),
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

    def party_roll(self):
        """The party members on the party committee's roll, in username order."""
        party = next(o for o in self.orgs.values() if o.kind == Organization.Kind.PARTY_COMMITTEE)
        ids = set(
            PartyMember.objects.current()
            .filter(organization=party)
            .values_list("user_id", flat=True)
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


def vote(poll, voters, pattern, *, paper=(), proxies=None):
    """Each voter casts the choice `pattern` gives for their place in the list (None: abstains
    from taking part). Voters whose place is in `paper` hand in a written ballot, which the
    `paper` pair of scrutineers enters and confirms; `proxies` maps a place to the person who
    votes for that voter, on a written authorisation."""
    scrutineers, places = paper or ((), ())
    proxies = proxies or {}
    for i, voter in enumerate(voters):
        choice = pattern(i)
        if choice is None:
            continue
        if i in places:
            first, second = scrutineers
            ballot = register.enter_paper_ballot(first, poll, voter=voter, choices=choice)
            register.confirm_paper_ballot(second, ballot, choice)
        elif i in proxies:
            holder = proxies[i]
            proxy = proxy_services.authorise_proxy(
                voter, voter, holder, poll=poll, upload=_authorisation(voter)
            )
            proxy_services.cast_by_proxy(holder, proxy, poll, choice)
        else:
            services.cast_ballot(voter, poll, choice)


def _authorisation(voter):
    """A photo of a signed authorisation form, as an owner would send it from a phone."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 240), "white")
    ImageDraw.Draw(image).text((20, 20), f"Authorisation / {voter.username}", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("委托书.png", buffer.getvalue(), content_type="image/png")


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
