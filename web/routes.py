"""Every URL of Havn in one table: the public site, the working pages, the JSON API and the
operators' endpoints. web/app.py builds the app from it."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from web import events, ops
from web.api import availability, centres, export, holds, referrals, search
from web.api.openapi import openapi
from web.views import account, chat, console, public, staff
from web.views.admin import centres as admin_centres
from web.views.admin import directory as admin_directory
from web.views.admin import gaps as admin_gaps
from web.views.admin import page as admin_page
from web.views.admin import people as admin_people
from web.views.admin import units as admin_units
from web.views.admin.page import action

STATIC = Path(__file__).parent / "static"

API: list[BaseRoute] = [
    Route("/centres", centres.list_centres, methods=["GET"]),
    Route("/centres/{centre_id}", centres.get_centre, methods=["GET"]),
    Route("/centres/{centre_id}/units/{unit}/availability", availability.read, methods=["GET"]),
    Route("/centres/{centre_id}/units/{unit}/availability", availability.write, methods=["PUT"]),
    Route("/geocode", search.geocode, methods=["GET"]),
    Route("/search", search.search_centres, methods=["GET"]),
    Route("/holds", holds.create, methods=["POST"]),
    Route("/holds", holds.listing, methods=["GET"]),
    Route("/holds/{hold_id}/{action}", holds.resolve, methods=["POST"]),
    Route("/referrals", referrals.create, methods=["POST"]),
    Route("/referrals", referrals.listing, methods=["GET"]),
    Route("/referrals/{referral_id}", referrals.read, methods=["GET"]),
    Route(
        "/referrals/{referral_id}/requests/{centre}/{action}", referrals.answer, methods=["POST"]
    ),
    Route("/watches", referrals.create_watch, methods=["POST"]),
    Route("/watches/{watch_id}", referrals.delete_watch, methods=["DELETE"]),
    Route("/export/hsds", export.hsds, methods=["GET"]),
]

ROUTES: list[BaseRoute] = [
    # Operators
    Route("/healthz", ops.healthz, methods=["GET"]),
    Route("/readyz", ops.readyz, methods=["GET"]),
    Route("/metrics", ops.metrics, methods=["GET"]),
    Route("/events", events.events, methods=["GET"]),
    # The JSON API
    Route("/api/openapi.json", openapi, methods=["GET"]),
    Mount("/api/v1", routes=API),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
    # A person seeking help
    Route("/", public.home, methods=["GET"]),
    Route("/centres/{centre_id}", public.centre_page, methods=["GET"]),
    Route("/municipalities", public.municipalities, methods=["GET"]),
    Route("/safety", public.safety, methods=["GET"]),
    Route("/after-the-stay", public.after_the_stay, methods=["GET"]),
    Route("/chat", chat.chat_page, methods=["GET"]),
    Route("/chat", chat.send, methods=["POST"]),
    Route("/chat/end", chat.end, methods=["POST"]),
    Route("/chat/exit", chat.leave, methods=["GET"]),
    # Everyone who signs in
    Route("/login", account.login_page, methods=["GET"]),
    Route("/login", account.login, methods=["POST"]),
    Route("/login/code", account.code_page, methods=["GET"]),
    Route("/login/code", account.check_code, methods=["POST"]),
    Route("/logout", account.logout, methods=["POST"]),
    Route("/account/password", account.password_page, methods=["GET"]),
    Route("/account/password", account.change_password, methods=["POST"]),
    Route("/account/two-factor", account.two_factor_page, methods=["GET"]),
    Route("/account/two-factor", account.enrol, methods=["POST"]),
    # Centre staff
    Route("/staff", staff.dashboard, methods=["GET"]),
    Route("/staff/units/{unit_id:int}/availability", staff.set_numbers, methods=["POST"]),
    Route("/staff/units/{unit_id:int}/accepts", staff.set_accepts, methods=["POST"]),
    Route("/staff/status", staff.set_status, methods=["POST"]),
    Route("/staff/languages", staff.set_languages, methods=["POST"]),
    Route("/staff/referrals/{request_id}/{action:str}", staff.answer_referral, methods=["POST"]),
    Route("/staff/history", staff.history, methods=["GET"]),
    Route("/staff/history.csv", staff.history, methods=["GET"]),
    # Helpline advisers
    Route("/console", console.console, methods=["GET"]),
    Route("/console/holds", console.place, methods=["POST"]),
    Route("/console/referrals", console.refer, methods=["POST"]),
    Route(
        "/console/referrals/{referral_id}/{action:str}",
        console.change_referral,
        methods=["POST"],
    ),
    Route("/console/watches", console.watch, methods=["POST"]),
    Route("/console/watches/{watch_id}/dismiss", console.dismiss_watch, methods=["POST"]),
    Route("/holds/{hold_id}/{action:str}", console.resolve, methods=["POST"]),
    Route("/console/stats", console.statistics, methods=["GET"]),
    Route("/console/stats.csv", console.statistics, methods=["GET"]),
    # Administrators
    Route("/admin", admin_page.admin_page, methods=["GET"]),
    Route("/admin/centres", action(admin_centres.create_centre), methods=["POST"]),
    Route(
        "/admin/centres/{centre_id}",
        action(admin_centres.edit_centre, admin_centres.EDIT_FORM),
        methods=["POST"],
    ),
    Route(
        "/admin/centres/{centre_id}/flats",
        action(admin_units.add_flats, admin_units.ADD_FORM),
        methods=["POST"],
    ),
    Route("/admin/users", action(admin_people.create_user), methods=["POST"]),
    Route(
        "/admin/users/{user_id:int}/password",
        action(admin_people.reset_password),
        methods=["POST"],
    ),
    Route("/admin/users/{user_id:int}/active", action(admin_people.set_active), methods=["POST"]),
    Route(
        "/admin/users/{user_id:int}/two-factor",
        action(admin_people.reset_two_factor),
        methods=["POST"],
    ),
    Route("/admin/tokens", action(admin_people.create_token), methods=["POST"]),
    Route("/admin/tokens/{token_id}/revoke", action(admin_people.revoke_token), methods=["POST"]),
    Route(
        "/admin/aftercare",
        action(admin_directory.add_aftercare, admin_directory.NEW_FORM),
        methods=["POST"],
    ),
    Route(
        "/admin/aftercare/{service_id:int}",
        action(admin_directory.edit_aftercare, admin_directory.EDIT_FORM),
        methods=["POST"],
    ),
    Route("/admin/import", action(admin_centres.import_csv, upload=True), methods=["POST"]),
    Route("/admin/export.csv", admin_centres.export_csv, methods=["GET"]),
    Route("/admin/gaps", admin_gaps.gaps_page, methods=["GET"]),
    Route("/admin/gaps.csv", admin_gaps.gaps_csv, methods=["GET"]),
    Route("/admin/gaps/{code}", admin_gaps.fix_gap, methods=["POST"]),
]
