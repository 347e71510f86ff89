from django.urls import path

from deliberation import views

app_name = "deliberation"

urlpatterns = [
    path("c/<slug:slug>/ledger/", views.ledger, name="ledger"),
    path("c/<slug:slug>/ledger.csv", views.ledger_csv, name="ledger_csv"),
    path("c/<slug:slug>/propose/", views.propose, name="propose"),
    path("c/<slug:slug>/m/<str:reference>/", views.matter_detail, name="matter"),
    path(
        "c/<slug:slug>/m/<str:reference>/<slug:action>/",
        views.matter_action,
        name="matter_action",
    ),
    path("c/<slug:slug>/resolutions/", views.resolutions, name="resolutions"),
    path("c/<slug:slug>/escalations/", views.escalation_board, name="escalations"),
    path("c/<slug:slug>/receptions/", views.receptions, name="receptions"),
    path("c/<slug:slug>/receptions/new/", views.hold_reception, name="hold_reception"),
    path("c/<slug:slug>/receptions/<int:pk>/rate/", views.rate_reception, name="rate_reception"),
    path("c/<slug:slug>/meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_room, name="meeting"),
    path("meetings/<int:pk>/projector/", views.meeting_projector, name="meeting_projector"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path(
        "meetings/<int:pk>/minutes.md",
        views.meeting_minutes_markdown,
        name="meeting_minutes_markdown",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
