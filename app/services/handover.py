"""What an aidant hands over to the holder of a Pass: the wallet card, the badges, an email.

The email carries the Pass code and its link, and each domain's highest badge as a baked PNG
(the Open Badges 2.0 assertion and the 3.0 credential inside), so the person keeps their
proofs even without the code. It goes out through the app's SMTP mailer (app/mail.py).
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.mail import Attachment, build_message, send_message
from app.models.passes import Pass
from app.services import badges as badges_service
from app.services import passes as passes_service


def top_awards(awards: list[Any]) -> list[Any]:
    """The highest badge of each domain (validated before self-declared at the same level)."""
    best: dict[str, Any] = {}
    for award in awards:
        current = best.get(award.domain)
        rank = (award.level, award.status.value == "validated")
        if current is None or rank > (current.level, current.status.value == "validated"):
            best[award.domain] = award
    return list(best.values())


def badge_filename(award: Any) -> str:
    """The file name of a badge PNG, the same as the badge download route's."""
    return f"badge-{award.domain}-{award.level}-{award.uuid[:8]}.png".replace("_", "-")


def pass_email(session: Session, pass_: Pass, to: str, pass_url: str) -> EmailMessage:
    """The hand-over email of a Pass: code, link, levels, and the top badges attached."""
    code = passes_service.display_code(pass_.code)
    awards = top_awards(passes_service.pass_awards(session, pass_))
    context = {
        "code": code,
        "pass_url": pass_url,
        "first_name": pass_.first_name or "",
        "awards": awards,
    }
    return build_message(
        to,
        _("Votre Pass informatique %(code)s et vos badges", code=code),
        render_template("passport/email/pass.txt", **context),
        html=render_template("passport/email/pass.html", **context),
        attachments=[
            Attachment(badge_filename(a), badges_service.baked_png(a), "image/png") for a in awards
        ],
    )


def send_pass_email(session: Session, pass_: Pass, to: str, pass_url: str) -> EmailMessage:
    """Send the hand-over email now; MailError (French message) if it cannot leave."""
    message = pass_email(session, pass_, to, pass_url)
    send_message(message)
    return message
