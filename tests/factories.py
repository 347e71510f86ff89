"""Small builders for tests: a community with all six bodies, and a named cast per role."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from communities import services
from communities.models import Community, Estate, Organization, Unit
from communities.roles import Title

User = get_user_model()
PASSWORD = "correct-horse-battery"

Kind = Organization.Kind


def make_user(username: str, **extra):
    return User.objects.create_user(
        username=username, password=PASSWORD, display_name=extra.pop("display_name", username)
    )


def make_admin(username: str = "root"):
    return User.objects.create_superuser(username=username, password=PASSWORD)


def make_community(admin, *, slug="lianhua", code="LH", name="莲花社区"):
    """A community with one estate of three units and one organisation of each kind."""
    community = services.save_structure(
        admin, Community(name=name, slug=slug, code=code, street="莲花街道", district="福田区")
    )
    estate = services.save_structure(admin, Estate(community=community, name=f"{name}一村"))
    for number, area in (("101", "88.50"), ("102", "120.00"), ("201", "65.25")):
        services.save_structure(
            admin, Unit(estate=estate, building="1", number=number, area=Decimal(area))
        )
    orgs = {}
    for kind, org_name, org_estate in (
        (Kind.PARTY_COMMITTEE, "党委", None),
        (Kind.RESIDENTS_COMMITTEE, "居委会", None),
        (Kind.WORKSTATION, "工作站", None),
        (Kind.PROPERTY_MANAGEMENT, "物业", estate),
        (Kind.OWNERS_COMMITTEE, "业委会", estate),
        (Kind.SOCIAL_ORGANIZATION, "长者服务社", None),
        (Kind.COUNCIL, "居民议事会", None),
        (Kind.STREET_OFFICE, "街道办", None),
        (Kind.DISTRICT_OFFICE, "区民政局", None),
    ):
        orgs[kind] = services.save_structure(
            admin,
            Organization(
                community=community, kind=kind, name=f"{name}{org_name}", estate=org_estate
            ),
        )
    return community, estate, orgs


# The named cast: each role in the community, plus people with no rights there.
CAST_POSITIONS = {
    "party_secretary": (Kind.PARTY_COMMITTEE, Title.SECRETARY),
    "rc_director": (Kind.RESIDENTS_COMMITTEE, Title.DIRECTOR),
    "ws_staff": (Kind.WORKSTATION, Title.STAFF),
    "pm_manager": (Kind.PROPERTY_MANAGEMENT, Title.MANAGER),
    "oc_chair": (Kind.OWNERS_COMMITTEE, Title.DIRECTOR),
    "so_member": (Kind.SOCIAL_ORGANIZATION, Title.MEMBER),
    "council_member": (Kind.COUNCIL, Title.MEMBER),
    "street_officer": (Kind.STREET_OFFICE, Title.OFFICER),
    "district_officer": (Kind.DISTRICT_OFFICE, Title.OFFICER),
}
CAST = [*CAST_POSITIONS, "resident", "owner", "unverified", "outsider"]
PARTY_ROLL = ("party_secretary", "resident")


def make_cast(admin, community, estate, orgs):
    """Create the named cast through the services, as their roles would arise in real life."""
    people = {name: make_user(name) for name in CAST}
    for name, (kind, title) in CAST_POSITIONS.items():
        services.appoint(admin, orgs[kind], people[name], title)
    # One household: the owner of 1栋101 and a resident of the same flat; and one more asking.
    for name in ("resident", "owner", "unverified"):
        services.request_membership(people[name], community, address="1栋101")
    for name in ("resident", "owner"):
        membership = people[name].memberships.get(community=community)
        services.verify_membership(admin, membership)
    services.record_ownership(admin, estate.units.get(number="101"), people["owner"])
    # The party members' roll (not the committee's officers): the secretary and one resident.
    for name in PARTY_ROLL:
        services.add_party_member(admin, orgs[Kind.PARTY_COMMITTEE], people[name])
    return people


# Uploads: the smallest real files of each kind we take (content checked, not the name).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes(size=(4, 4)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name="委托书.pdf", content=MINIMAL_PDF, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def own_every_unit(world):
    """An owner for 1栋102 and 1栋201, and a building 2 with 2栋301 (2,000.00 m²) and its owner."""
    for number in ("102", "201"):
        unit = world.estate.units.get(number=number)
        services.record_ownership(world.admin, unit, make_user(f"owner{number}"))
    unit = services.save_structure(
        world.admin,
        Unit(estate=world.estate, building="2", number="301", area=Decimal("2000.00")),
    )
    services.record_ownership(world.admin, unit, make_user("owner301"))


def make_more_owners(world) -> dict:
    """Two more owners of the world's estate (1-102 and 1-201), so that notices to owners can
    be counted per unit: {"owner_b": user, "owner_c": user}."""
    more = {}
    for name, number in (("owner_b", "102"), ("owner_c", "201")):
        user = make_user(name)
        services.record_ownership(world.admin, world.estate.units.get(number=number), user)
        more[name] = user
    return more
