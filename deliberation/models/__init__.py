"""What is decided, and how: matters and their discussion (`matters`), polls and ballots
(`polls`), what follows a decision (`records`) and live meetings (`meetings`).

Nothing here is ever deleted: matters end decided, rejected, withdrawn or merged; comments are
hidden with a reason; stances, edits and ballots keep their history. The services
(`deliberation.services`, `deliberation.meetings`) are the only writers.
"""

from deliberation.models.matters import (
    Category,
    Comment,
    CommentRevision,
    ConcernKind,
    Matter,
    MatterQuerySet,
    NeverDeleted,
    NeverDeletedQuerySet,
    ProjectType,
    Stance,
    Transition,
)
from deliberation.models.meetings import (
    AgendaItem,
    Attendance,
    ChatMessage,
    CheckIn,
    Meeting,
    MeetingEvent,
    MeetingQuerySet,
    Minutes,
    SpeakerRequest,
)
from deliberation.models.polls import (
    CHOICE_LABELS,
    LAW_NAMES,
    Ballot,
    Channel,
    Choice,
    Electorate,
    Poll,
    SealedUrn,
    SecretBallot,
    VoterReceipt,
    _random_key,  # migration 0001 names it here
)
from deliberation.models.records import (
    Delivery,
    Escalation,
    ImplementationUpdate,
    Notification,
    ReceptionRating,
    ReceptionSession,
    Resolution,
)
from deliberation.models.register import PaperBallot, PaperBox, Proxy, Scrutineer

__all__ = [
    "CHOICE_LABELS",
    "LAW_NAMES",
    "AgendaItem",
    "Attendance",
    "Ballot",
    "Category",
    "Channel",
    "ChatMessage",
    "CheckIn",
    "Choice",
    "Comment",
    "CommentRevision",
    "ConcernKind",
    "Delivery",
    "Electorate",
    "Escalation",
    "ImplementationUpdate",
    "Matter",
    "MatterQuerySet",
    "Meeting",
    "MeetingEvent",
    "MeetingQuerySet",
    "Minutes",
    "NeverDeleted",
    "NeverDeletedQuerySet",
    "PaperBallot",
    "PaperBox",
    "Notification",
    "Poll",
    "ProjectType",
    "Proxy",
    "ReceptionRating",
    "ReceptionSession",
    "Resolution",
    "Scrutineer",
    "SealedUrn",
    "SecretBallot",
    "SpeakerRequest",
    "Stance",
    "Transition",
    "VoterReceipt",
    "_random_key",
]
