"""Issue 12, item 14: every endpoint's intended audience, written here by the tests (not read
from the code), so a wrong decorator fails; and the specific slips an audit found untested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.config import build_config
from app.extensions import db
from app.models import User
from app.security import Access, view_access
from tests.app.test_routes_access import _routes
from tests.conftest import base_config, csrf_token, make_user

PUBLIC, STAFF, COORDINATOR = Access.PUBLIC, Access.STAFF, Access.COORDINATOR

#: Who each endpoint is for. A new endpoint must be added here, on purpose.
INTENDED = {
    "admin.disable_user": COORDINATOR,  # /admin/users/<int:user_id>/disable
    "admin.enable_user": COORDINATOR,  # /admin/users/<int:user_id>/enable
    "admin.reset_user": COORDINATOR,  # /admin/users/<int:user_id>/reset
    "admin.users": COORDINATOR,  # /admin/users
    "auth.change_password": STAFF,  # /compte/mot-de-passe
    "auth.login": PUBLIC,  # /login
    "auth.logout": PUBLIC,  # /logout
    "badges_admin.award": COORDINATOR,  # /admin/badges/<uuid:assertion_id>
    "badges_admin.awards": COORDINATOR,  # /admin/badges
    "badges_admin.revoke": COORDINATOR,  # /admin/badges/<uuid:assertion_id>/revoke
    "badges_public.api_verify": PUBLIC,  # /api/verifier
    "badges_public.assertion": PUBLIC,  # /badges/assertions/<uuid:assertion_id>.json
    "badges_public.assertion_image": PUBLIC,  # /badges/assertions/<uuid:assertion_id>.png
    "badges_public.badge_class": PUBLIC,  # /badges/classes/<slug>.json
    "badges_public.badge_class_image": PUBLIC,  # /badges/classes/<slug>.png
    "badges_public.badge_page": PUBLIC,  # /badges/<uuid:assertion_id>
    "badges_public.credential": PUBLIC,  # /badges/credentials/<uuid:assertion_id>.json
    "badges_public.did_document": PUBLIC,  # /.well-known/did.json
    "badges_public.issuer": PUBLIC,  # /badges/issuer.json
    "badges_public.issuer_image": PUBLIC,  # /badges/issuer.png
    "badges_public.issuer_v3": PUBLIC,  # /badges/issuer-v3.json
    "badges_public.key": PUBLIC,  # /badges/keys/<key_id>.json
    "badges_public.receive": PUBLIC,  # /badges/recevoir (holder proves the Pass code)
    "badges_public.revocations": PUBLIC,  # /badges/revocations.json
    "badges_public.status_list": PUBLIC,  # /badges/status/<int:number>.json
    "badges_public.verify": PUBLIC,  # /verifier
    "badges_public.verify_award": PUBLIC,  # /verifier/<uuid:assertion_id>
    "collect.aidant_start": STAFF,  # /aidant/questionnaire
    "collect.check": PUBLIC,  # /questionnaire/verification
    "collect.enter_code": PUBLIC,  # /q
    "collect.link_detach": COORDINATOR,  # /liens/<code>/retirer
    "collect.page": PUBLIC,  # /repondre/<key>
    "collect.point_archive": COORDINATOR,  # /points/<int:point_id>/archiver
    "collect.point_attach": COORDINATOR,  # /points/<int:point_id>/questionnaires
    "collect.point_edit": COORDINATOR,  # /points/<int:point_id>
    "collect.point_new": COORDINATOR,  # /points/nouveau
    "collect.points": COORDINATOR,  # /points
    "collect.points_plan": COORDINATOR,  # /points/plan.svg
    "collect.poster": COORDINATOR,  # /liens/<code>/affiche
    "collect.preview": COORDINATOR,  # /apercu/<int:version_pk>
    "collect.qr_png": COORDINATOR,  # /liens/<code>/qr.png
    "collect.qr_svg": COORDINATOR,  # /liens/<code>/qr.svg
    "collect.restart": PUBLIC,  # /questionnaire/recommencer
    "collect.send": PUBLIC,  # /questionnaire/envoyer
    "collect.start": PUBLIC,  # /q/<code>
    "collect.start_default": PUBLIC,  # /questionnaire
    "collect.thanks": PUBLIC,  # /merci
    "dashboard.export_csv": COORDINATOR,  # /dashboard/export/<name>.csv
    "dashboard.export_xlsx": COORDINATOR,  # /dashboard/export.xlsx
    "dashboard.export_zip": COORDINATOR,  # /dashboard/export.zip
    "dashboard.index": COORDINATOR,  # /dashboard
    "dashboard.report": COORDINATOR,  # /dashboard/rapport
    "journal.called_back": STAFF,  # /journal/passages/<int:visit_id>/rappel-fait
    "journal.day": STAFF,  # /journal
    "journal.edit_referent": COORDINATOR,  # /journal/referents/<int:referent_id>
    "journal.edit_visit": STAFF,  # /journal/passages/<int:visit_id>/modifier
    "journal.export": COORDINATOR,  # /journal/export
    "journal.new_referent": COORDINATOR,  # /journal/referents/nouveau
    "journal.new_visit": STAFF,  # /journal/passage
    "journal.refer": STAFF,  # /journal/passages/<int:visit_id>/orienter
    "journal.referents": COORDINATOR,  # /journal/referents
    "journal.referral": STAFF,  # /journal/orientations/<int:referral_id>
    "journal.referral_answer": PUBLIC,  # /orientation/<token> (the referent, by signed link)
    "journal.resend": STAFF,  # /journal/orientations/<int:referral_id>/renvoyer
    "journal.slip": STAFF,  # /journal/orientations/<int:referral_id>/fiche
    "journal.visit": STAFF,  # /journal/passages/<int:visit_id>
    "main.health": PUBLIC,  # /healthz
    "main.index": PUBLIC,  # /
    "main.privacy": PUBLIC,  # /confidentialite
    "main.staff_home": STAFF,  # /espace
    "notify.calendar_click": PUBLIC,  # /rappels/calendrier/<token>
    "notify.check_inbox": PUBLIC,  # /rappels/envoye
    "notify.confirm": PUBLIC,  # /rappels/confirmer/<token>
    "notify.subscribe": PUBLIC,  # /rappels
    "notify.unsubscribe": PUBLIC,  # /rappels/desinscription/<token>
    "offline.home": STAFF,  # /aidant/hors-ligne
    "offline.icon": PUBLIC,  # /equipe/icone-<int:size>.png
    "offline.manifest": PUBLIC,  # /manifest.webmanifest
    "offline.pack": STAFF,  # /aidant/hors-ligne/paquet.json
    "offline.questionnaire": STAFF,  # /aidant/hors-ligne/<form_id>
    "offline.send": STAFF,  # /aidant/hors-ligne/envoyer
    "offline.service_worker": PUBLIC,  # /sw.js
    "passport.aidant_back": STAFF,  # /equipe/pass/evaluation/<int:assessment_id>/retour
    "passport.aidant_begin": STAFF,  # /equipe/pass/<code>/evaluer
    "passport.aidant_checks": STAFF,  # /equipe/pass/evaluation/<int:assessment_id>/verifications
    "passport.aidant_home": STAFF,  # /equipe/pass
    "passport.aidant_new_pass": STAFF,  # /equipe/pass/nouveau
    "passport.aidant_note": STAFF,  # /equipe/pass/<code>/notes
    "passport.aidant_pass": STAFF,  # /equipe/pass/<code>
    "passport.aidant_print": STAFF,  # /equipe/pass/<code>/imprimer
    "passport.aidant_send": STAFF,  # /equipe/pass/<code>/envoyer
    "passport.aidant_step": STAFF,  # /equipe/pass/evaluation/<int:assessment_id>
    "passport.back": PUBLIC,  # /pass/retour
    "passport.begin": PUBLIC,  # /pass/commencer
    "passport.card": PUBLIC,  # /pass/<code>/carte
    "passport.challenge_image": PUBLIC,  # /pass/images/<name>
    "passport.contact": PUBLIC,  # /pass/<code>/coordonnees
    "passport.delete": PUBLIC,  # /pass/<code>/supprimer
    "passport.deleted": PUBLIC,  # /pass/supprime
    "passport.domain_badges": PUBLIC,  # /pass/<code>/badges/<domain>
    "passport.export": PUBLIC,  # /pass/<code>/export.json
    "passport.open_pass": PUBLIC,  # /pass/ouvrir
    "passport.pass_page": PUBLIC,  # /pass/<code>
    "passport.question": PUBLIC,  # /pass/question
    "passport.results": PUBLIC,  # /pass/<code>/resultats
    "passport.start": PUBLIC,  # /pass
    "programme.add_slot": COORDINATOR,  # /programme/<int:programme_id>/creneaux/nouveau
    "programme.calendar": PUBLIC,  # /calendrier
    "programme.calendar_ics": PUBLIC,  # /calendrier.ics
    "programme.create_all_themes": COORDINATOR,  # /programme/themes/tous
    "programme.delete": COORDINATOR,  # /programme/<int:programme_id>/supprimer
    "programme.delete_slot": COORDINATOR,  # /programme/creneaux/<int:slot_id>/supprimer
    "programme.directory": PUBLIC,  # /a-qui-s-adresser
    "programme.edit": COORDINATOR,  # /programme/<int:programme_id>
    "programme.edit_service": COORDINATOR,  # /programme/services/<int:service_id>
    "programme.edit_slot": COORDINATOR,  # /programme/creneaux/<int:slot_id>
    "programme.edit_theme": COORDINATOR,  # /programme/themes/<int:theme_id>
    "programme.flyer": PUBLIC,  # /calendrier/<int:year>-<int:month>/flyer
    "programme.planner": COORDINATOR,  # /programme
    "programme.propose": COORDINATOR,  # /programme/proposer
    "programme.publish": COORDINATOR,  # /programme/<int:programme_id>/publier
    "programme.services": COORDINATOR,  # /programme/services
    "programme.themes": COORDINATOR,  # /programme/themes
    "programme.toggle_service": COORDINATOR,  # /programme/services/<int:service_id>/activer
    "programme.toggle_theme": COORDINATOR,  # /programme/themes/<int:theme_id>/activer
    "programme.unpublish": COORDINATOR,  # /programme/<int:programme_id>/depublier
    "responses_admin.delete": COORDINATOR,  # /admin/reponses/<uuid:response_uuid>/supprimer
    "responses_admin.journal": COORDINATOR,  # /admin/reponses/journal
    "responses_admin.response": COORDINATOR,  # /admin/reponses/<uuid:response_uuid>
    "responses_admin.responses": COORDINATOR,  # /admin/reponses
    "surveys_admin.archive": COORDINATOR,  # /admin/questionnaires/<form_id>/archive
    "surveys_admin.export": COORDINATOR,  # /admin/questionnaires/<form_id>/export
    "surveys_admin.form": COORDINATOR,  # /admin/questionnaires/<form_id>
    "surveys_admin.forms": COORDINATOR,  # /admin/questionnaires
    "surveys_admin.media": COORDINATOR,  # /admin/questionnaires/medias/<uuid>/<filename>
    "surveys_admin.unarchive": COORDINATOR,  # /admin/questionnaires/<form_id>/unarchive
    "surveys_admin.version_source": COORDINATOR,  # /admin/questionnaires/<form_id>/versions/<int:version_pk>/source
    "surveys_admin.version_xlsform": COORDINATOR,  # /admin/questionnaires/<form_id>/versions/<int:version_pk>/xlsform
}


def test_every_endpoint_has_an_intended_audience(app: Flask) -> None:
    endpoints = set(app.view_functions) - {"static"}
    missing = sorted(endpoints - set(INTENDED))
    gone = sorted(set(INTENDED) - endpoints)
    assert missing == [], f"add these endpoints to INTENDED with their audience: {missing}"
    assert gone == [], f"these endpoints no longer exist: {gone}"


def test_declared_audience_is_the_intended_one(app: Flask) -> None:
    wrong = {
        endpoint: (view_access(app, endpoint), intended)
        for endpoint, intended in INTENDED.items()
        if endpoint in app.view_functions and view_access(app, endpoint) is not intended
    }
    assert wrong == {}


@pytest.mark.parametrize("role", ("anonymous", "aidant", "coordinator"))
def test_route_walk_against_the_intended_audience(app: Flask, role: str, csrf_off: None) -> None:
    """Each role reaches exactly what INTENDED says (not what the decorators say)."""
    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            make_user(f"{role}@walk.example.org", role)
        login = client.post(
            "/login", data={"email": f"{role}@walk.example.org", "password": "demo-mairiebus"}
        )
        assert login.status_code == 303
    allowed = {
        "anonymous": {PUBLIC},
        "aidant": {PUBLIC, STAFF},
        "coordinator": {PUBLIC, STAFF, COORDINATOR},
    }[role]
    problems = []
    for endpoint, method, url in _routes(app):
        if endpoint == "auth.logout":
            continue
        response = client.open(url, method=method)
        status = response.status_code
        refused = status == 403 or (
            status == 302 and response.headers.get("Location", "").startswith("/login")
        )
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif INTENDED[endpoint] in allowed and refused:
            problems.append(f"{method} {url} is for {INTENDED[endpoint].value}: {role} refused")
        elif INTENDED[endpoint] not in allowed and not refused:
            problems.append(
                f"{method} {url} is for {INTENDED[endpoint].value}: {role} got {status}"
            )
    assert problems == []


def test_aidants_cannot_reset_a_password(app: Flask, auth, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        colleague = make_user(
            "colleague@example.org", "coordinator", password="violon-carafe-tramway"
        )
        before = db.session.get(User, colleague).password_hash
    auth.login("aidant")
    token = csrf_token(client, "/espace")
    response = client.post(f"/admin/users/{colleague}/reset", data={"csrf_token": token})
    assert response.status_code == 403
    shown = re.sub(r"<style>.*?</style>", "", response.get_data(as_text=True), flags=re.S)
    assert "password" not in shown  # no new password shown (the inlined CSS styles its fields)
    with app.app_context():
        assert db.session.get(User, colleague).password_hash == before


def test_a_draft_flyer_is_hidden_from_aidants_and_residents(
    app: Flask, auth, client: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    from app.models.programme import Programme

    with app.app_context():
        db.session.add(Programme(year=2031, month=5, is_demo=False))
        db.session.commit()
    url = "/calendrier/2031-05/flyer"
    assert app.test_client().get(url).status_code == 404
    auth.login("aidant")
    assert client.get(url).status_code == 404
    coordinator = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(coordinator, app).login("coordinator")
    assert coordinator.get(url).status_code == 200  # coordinators check a draft before printing


def test_shipped_configuration_keeps_csrf_on(tmp_path: Path) -> None:
    """The app as shipped (no test override of WTF_CSRF_ENABLED) refuses a form without token."""
    assert build_config(tmp_path, {}).get("WTF_CSRF_ENABLED", True) is True
    production = build_config(
        tmp_path,
        {
            "MAIRIEBUS_ENV": "production",
            "SECRET_KEY": "kq3V8w_ZpL0tRn4YbXe7HsDc2JmUa9GfQo1iWy6TzEr5",
            "DATABASE_URL": "postgresql://u@h/db",
            "MAIRIEBUS_BASE_URL": "https://bus.example.org",
        },
    )
    assert production.get("WTF_CSRF_ENABLED", True) is True
    config = base_config(tmp_path)
    del config["WTF_CSRF_ENABLED"]
    config["TESTING"] = False
    shipped = create_app(config)
    assert shipped.config.get("WTF_CSRF_ENABLED", True) is True
    client = shipped.test_client()
    for path, data in (
        ("/login", {"email": "a@example.org", "password": "x"}),
        ("/questionnaire/recommencer", {}),
        ("/logout", {}),
    ):
        assert client.post(path, data=data).status_code == 400, path


def test_a_coordinator_cannot_disable_their_own_account(
    app: Flask, auth, client: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == "coordinator@test.example.org"))
        my_id = me.id
    token = csrf_token(client, "/admin/users")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{my_id}/disable" not in page  # no button for oneself
    response = client.post(f"/admin/users/{my_id}/disable", data={"csrf_token": token})
    assert response.status_code == 400
    assert "propre compte" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, my_id).active
    assert client.get("/espace").status_code == 200  # still logged in


def test_no_persona_or_trait_below_five_people_is_exported(
    app: Flask, auth, client: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    """Eight alike and four alike: the group of four must not come out of any export."""
    import io

    from openpyxl import load_workbook

    from app.services import dashboard as service
    from tests.app.test_dashboard import add_response, seed_places

    service.cache().clear()
    big = {
        "age_band": "30_44",
        "gender": "woman",
        "household": "young_children",
        "needs": "caf school",
        "reason": "passing_by",
    }
    small = {
        "age_band": "75_plus",
        "gender": "man",
        "household": "alone",
        "needs": "health",
        "reason": "heard_of_it",
    }
    with app.app_context():
        places = seed_places()
        for _ in range(8):
            add_response(places, answers=big)
        for _ in range(4):
            add_response(places, point="parc_figuerolles", neighbourhood="ile", answers=small)
        db.session.commit()
    auth.login("coordinator")
    book = load_workbook(
        io.BytesIO(client.get("/dashboard/export.xlsx?form=mairiebus&demo=real").data)
    )
    sheet = book["profils_types"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    header, body = rows[0], rows[1:]
    people = header.index("Personnes")
    for row in body:
        value = row[people]
        assert value in (None, "moins de 5") or int(value) >= 5, row
        for cell in row:
            for count in re.findall(r"\((\d+)\)", str(cell or "")):
                assert int(count) >= 5, row
    # The group of four exists, and is only counted as "moins de 5".
    hidden = [
        row for row in body if row[header.index("Description")] == "Petits groupes non montrés"
    ]
    assert hidden and hidden[0][people] == "moins de 5"
    assert any(row[people] == 8 for row in body)
