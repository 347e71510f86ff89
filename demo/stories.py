"""Demo matters for 莲花社区: every procedure, at various stages, each step taken by its actor.

`seed_matters` is called by `manage.py seed_demo` once the community, its bodies, logins and
register are in place; `demo.cast` says how the stories are told. The demo is written once: if
the community already holds a matter with one of the demo's titles, nothing is added, so running
the seed again changes nothing.
"""

from django.utils import timezone

from deliberation import meetings
from deliberation.models import Matter, Meeting
from demo.cast import LIFT_MOTION, TITLES, WASTE_POINTS, Cast
from demo.decisions import elderly_canteen, pocket_park, roof_repair, security_doors, street_parking
from demo.everyday import (
    canteen_enquiry,
    cuilin_parking,
    lift_motion,
    manhole,
    reception,
    stair_lights,
    waste_duplicate,
    waste_points,
)


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
        pocket_park,
        elderly_canteen,
        roof_repair,
        security_doors,
        stair_lights,
        street_parking,
        manhole,
        canteen_enquiry,
        lift_motion,
    ):
        matter = tell(c)
        made[matter.title] = matter
    waste = waste_points(c)
    made[waste.title] = waste
    for matter in (cuilin_parking(c), waste_duplicate(c, waste)):
        made[matter.title] = matter
    made["reception"] = reception(c)
    return made


LIVE_MEETING = "莲花社区居民议事会2026年第11次会议"


def seed_meeting(community, users: dict, admin) -> Meeting | None:
    """A 居民议事会 that is live now, chaired by the party secretary, so `make run` shows a room.

    Idempotent: nothing is added if the community already has a meeting with this title.
    """
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
