from django.urls import path

from realtime import consumers

websocket_urlpatterns = [
    path(
        "ws/communities/<slug:slug>/verification/",
        consumers.VerificationQueueConsumer.as_asgi(),
    ),
    path("ws/meetings/<int:meeting_id>/", consumers.MeetingConsumer.as_asgi()),
]
