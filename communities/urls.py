from django.contrib.auth import views as auth_views
from django.urls import path

from communities import views
from communities.forms import ResetByEmailForm

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset by e-mail: Django's own views, with our templates (templates/registration).
    # An unknown address gets the same "sent" page as a known one: no account enumeration.
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(form_class=ResetByEmailForm),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("me/", views.profile, name="profile"),
    path("c/<slug:slug>/", views.community_detail, name="community"),
    path("c/<slug:slug>/join/", views.join_community, name="join_community"),
    path("c/<slug:slug>/leave/", views.leave_community, name="leave_community"),
    path("c/<slug:slug>/verification/", views.verification_queue, name="verification_queue"),
    path("c/<slug:slug>/party-roll/", views.party_roll, name="party_roll"),
    path("memberships/<int:pk>/decide/", views.decide_membership, name="decide_membership"),
]
