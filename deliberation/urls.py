from django.urls import path

from deliberation.views import (
    boards,
    checkin,
    deliveries,
    inbox,
    ledger,
    matter_actions,
    matter_page,
    meetings,
    printing,
    register,
    shortfall,
    walk_ins,
)

app_name = "deliberation"

urlpatterns = [
    path("todo/", inbox.inbox, name="inbox"),
    path("c/<slug:slug>/ledger/", ledger.ledger, name="ledger"),
    path("c/<slug:slug>/ledger.csv", ledger.ledger_csv, name="ledger_csv"),
    path("c/<slug:slug>/propose/", ledger.propose, name="propose"),
    path("c/<slug:slug>/walk-in/", walk_ins.walk_in, name="walk_in"),
    path("c/<slug:slug>/m/<str:reference>/", matter_page.matter_detail, name="matter"),
    path(
        "c/<slug:slug>/m/<str:reference>/print/notice/",
        printing.print_notice,
        name="print_notice",
    ),
    path(
        "c/<slug:slug>/m/<str:reference>/print/resolution/",
        printing.print_resolution,
        name="print_resolution",
    ),
    path(
        "c/<slug:slug>/m/<str:reference>/polls/<int:poll_id>/shortfall/",
        shortfall.poll_shortfall,
        name="poll_shortfall",
    ),
    path(
        "c/<slug:slug>/m/<str:reference>/<slug:action>/",
        matter_actions.matter_action,
        name="matter_action",
    ),
    path(
        "c/<slug:slug>/m/<str:reference>/notices/<slug:kind>/",
        deliveries.deliveries,
        name="deliveries",
    ),
    path("c/<slug:slug>/resolutions/", boards.resolutions, name="resolutions"),
    path("c/<slug:slug>/escalations/", boards.escalation_board, name="escalations"),
    path("c/<slug:slug>/receptions/", boards.receptions, name="receptions"),
    path("c/<slug:slug>/receptions/new/", boards.hold_reception, name="hold_reception"),
    path("c/<slug:slug>/receptions/<int:pk>/rate/", boards.rate_reception, name="rate_reception"),
    path("c/<slug:slug>/meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", meetings.meeting_room, name="meeting"),
    path("meetings/<int:pk>/projector/", meetings.meeting_projector, name="meeting_projector"),
    path("meetings/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting_minutes"),
    path(
        "meetings/<int:pk>/minutes.md",
        meetings.meeting_minutes_markdown,
        name="meeting_minutes_markdown",
    ),
    path("polls/<int:pk>/register/", register.poll_register, name="poll_register"),
    path(
        "polls/<int:pk>/register/<slug:action>/",
        register.poll_register_action,
        name="poll_register_action",
    ),
    path("polls/<int:pk>/proxy/", register.poll_proxy, name="poll_proxy"),
    path("meetings/<int:pk>/proxy/", register.meeting_proxy, name="meeting_proxy"),
    path("proxies/<int:pk>/revoke/", register.revoke_proxy, name="revoke_proxy"),
    path("proxies/<int:pk>/vote/", register.vote_by_proxy, name="vote_by_proxy"),
    path("proxies/<int:pk>/document/", register.proxy_document, name="proxy_document"),
    path("meetings/<int:pk>/minutes/print/", printing.print_minutes, name="print_minutes"),
    path("meetings/<int:pk>/my-code/", checkin.my_code, name="meeting_checkin_code"),
    path("meetings/<int:pk>/check-in/", checkin.scanner, name="meeting_checkin"),
    path("meetings/<int:pk>/check-in/undo/", checkin.undo, name="meeting_checkin_undo"),
    path("notifications/", boards.notifications, name="notifications"),
    path("notifications/read/", boards.notifications_read, name="notifications_read"),
]
