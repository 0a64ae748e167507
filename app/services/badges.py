"""Open Badges for the Pass: issue, bake, verify and revoke awards (load → badges/ → save).

Everything about the documents themselves is in the pure package ``badges/``; this module
adds the app's state: the signing key in the instance folder, the issuer settings from the
configuration, the frozen copies in the ``awards`` table and the audit log.

Issuer settings (app config, each with a default):

- ``BADGE_ISSUER_NAME``: default ``"<TOWN_NAME> – Mairie Bus"``;
- ``BADGE_ISSUER_URL``: default ``MAIRIEBUS_BASE_URL``;
- ``BADGE_ISSUER_EMAIL``: default ``CONTACT_EMAIL``;
- ``BADGE_ISSUER_IMAGE``: default the app's ``/badges/issuer.png``;
- ``BADGE_VERIFY_LIMIT`` / ``BADGE_VERIFY_WINDOW``: verifications per client per window
  (default 30 per 600 s) on the public verifier and its API.

The signing key (Ed25519, PKCS#8 PEM) is created once, owner-only (0600), at
``<instance>/badge_signing_key.pem``; back it up with the database: credentials signed with
a lost key can no longer be verified.
"""

from __future__ import annotations

import io
import os
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.models.badges import (
    ERASED_REASON,
    ERASED_REASON_LABEL,
    Award,
    AwardEvent,
    AwardEventKind,
    erase_values,
    scrub_assertion,
    scrub_credential,
)
from app.models.passes import Assessment, LevelStatus, Pass
from badges import baking, credentials, openbadges, render, signing
from badges.openbadges import Alignment, AwardData, BadgeClassData, BadgeUrls
from badges.skills import Framework, load_framework
from badges.verify import HEADLINES, IssuedRecord, Verdict, verify_badge

KEY_FILE = "badge_signing_key.pem"
MAX_REASON = 300


class BadgeError(ValueError):
    """A badge action that cannot be done; ``message`` is plain French for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------
# Settings, URLs and keys


def urls() -> BadgeUrls:
    """The public badge URLs, built from ``MAIRIEBUS_BASE_URL``."""
    return openbadges.badge_urls(current_app.config["MAIRIEBUS_BASE_URL"])


def issuer_settings() -> dict[str, str]:
    """Issuer name, url, email and image from the app config (see module doc)."""
    config = current_app.config
    town = config.get("TOWN_NAME") or "Ville"
    return {
        "name": config.get("BADGE_ISSUER_NAME") or f"{town} – Mairie Bus",
        "url": config.get("BADGE_ISSUER_URL") or config["MAIRIEBUS_BASE_URL"],
        "email": config.get("BADGE_ISSUER_EMAIL") or config["CONTACT_EMAIL"],
        "image": config.get("BADGE_ISSUER_IMAGE") or urls().issuer_image,
        # Issued content (the issuer profile inside every badge): French, never translated.
        "description": "Badges du Pass informatique du Mairie Bus.",
    }


def key_path() -> Path:
    """Where the signing key lives: the instance folder."""
    return Path(current_app.instance_path) / KEY_FILE


def signing_key() -> Ed25519PrivateKey:
    """The app's Ed25519 key, created on first use with owner-only permissions."""
    cached = current_app.extensions.get("mairiebus_badge_key")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    path = key_path()
    if not path.exists():
        pem = signing.private_key_to_pem(signing.generate_private_key())
        try:
            # O_EXCL: two workers starting together agree on one key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = signing.load_private_key(path.read_bytes())
    current_app.extensions["mairiebus_badge_key"] = key
    return key


def public_key_value() -> str:
    """The ``z6Mk…`` Multikey value of the signing key."""
    return signing.public_key_multibase(signing_key())


def public_keys() -> dict[str, str]:
    """verificationMethod URL → ``z6Mk…`` for the app's own keys (what the verifier trusts)."""
    value = public_key_value()
    return {urls().key(value): value}


# ---------------------------------------------------------------------------------------
# The skills framework (badges/skills.py): every use of it goes through this section.

# badges/render.py styles domains by short codes; the framework uses English snake_case.
_RENDER_CODES = {
    "devices": "TEL",
    "browsing": "NET",
    "communicating": "COM",
    "procedures": "ADM",
    "safety": "SEC",
    "daily_life": "LOI",
}


def _framework() -> Framework:
    return load_framework()


def badge_class_data(domain: str, level: int) -> BadgeClassData:
    """What the badge of ``domain`` at ``level`` is, from the skills framework."""
    framework = _framework()
    try:
        found = framework.domain(domain)
        step = found.level(level)
        level_name = framework.level_name(level).name
    except (KeyError, TypeError) as exc:
        raise BadgeError(_("Ce badge n'existe pas.")) from exc
    alignments = [
        Alignment(
            target_name=f"{a.code} {a.name}",
            target_url=a.url,
            target_framework=a.source_name,
            target_code=a.code,
        )
        for a in found.alignments
    ]
    # Name, description and tags go into the issued documents: they stay French whatever
    # language the page is in (a credential must read the same for everyone).
    return BadgeClassData(
        domain=found.code,
        level=step.number,
        name=f"{found.name} – {level_name}",
        description=(
            f"Pass informatique du Mairie Bus, niveau {step.number} sur {found.top_level} "
            f"« {level_name} » : {found.description}"
        ),
        can_dos=[c.text for c in step.can_dos],
        alignments=alignments,
        tags=["Pass informatique", "Mairie Bus", "numérique", found.name],
    )


def domain_levels(domain: str) -> int:
    """How many levels ``domain`` has."""
    try:
        return int(_framework().domain(domain).top_level)
    except KeyError as exc:
        raise BadgeError(_("Ce badge n'existe pas.")) from exc


def domain_choices() -> list[tuple[str, str]]:
    """(code, French name) of every domain, in the framework's order."""
    return [(d.code, d.name) for d in _framework().domains]


def _render_code(domain: str) -> str:
    return _RENDER_CODES.get(domain, domain)


# ---------------------------------------------------------------------------------------
# Images


def render_award_image(domain: str, level: int, verify_url: str) -> bytes:
    """The unbaked badge image of one award (deterministic)."""
    data = badge_class_data(domain, level)
    return render.render_badge(
        _render_code(domain),
        data.name,
        level,
        domain_levels(domain),
        issuer_settings()["name"],
        verify_url,
    )


@lru_cache(maxsize=64)
def _class_image(domain: str, level: int, title: str, total: int, issuer: str, url: str) -> bytes:
    return render.render_badge(_render_code(domain), title, level, total, issuer, url)


def class_image(domain: str, level: int) -> bytes:
    """The plain image of a BadgeClass (QR code to the verification page)."""
    data = badge_class_data(domain, level)
    verify_url = f"{urls().base}/verifier"
    return _class_image(
        domain, level, data.name, domain_levels(domain), issuer_settings()["name"], verify_url
    )


@lru_cache(maxsize=4)
def _issuer_image(name: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    size = 256
    image = Image.new("RGB", (size, size), (11, 79, 138))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(render.FONT_PATH), 40)
    draw.rounded_rectangle((16, 16, size - 17, size - 17), radius=28, outline="white", width=6)
    draw.text((size // 2, 104), "Mairie", font=font, fill="white", anchor="mm")
    draw.text((size // 2, 152), "Bus", font=font, fill="white", anchor="mm")
    out = io.BytesIO()
    image.quantize(colors=16).save(out, format="PNG", optimize=True)
    return out.getvalue()


def issuer_image() -> bytes:
    """The issuer logo served at ``/badges/issuer.png``."""
    return _issuer_image(issuer_settings()["name"])


# ---------------------------------------------------------------------------------------
# Issuing


def _status(value: str | LevelStatus) -> LevelStatus:
    try:
        return value if isinstance(value, LevelStatus) else LevelStatus(value)
    except ValueError as exc:
        raise BadgeError(_("Statut de badge inconnu.")) from exc


def _active(session: Session, pass_id: int, domain: str, level: int) -> list[Award]:
    return list(
        session.scalars(
            select(Award).where(
                Award.pass_id == pass_id,
                Award.domain == domain,
                Award.level == level,
                Award.revoked_at.is_(None),
            )
        )
    )


def issue_award(
    session: Session,
    pass_: Pass,
    domain: str,
    level: int,
    status: str | LevelStatus,
    aidant: Any = None,
    *,
    now: datetime | None = None,
    commit: bool = True,
    is_demo: bool | None = None,
) -> Award:
    """Issue (or return the existing) badge of ``domain``/``level`` for ``pass_``.

    Idempotent per (Pass, domain, level, status) among awards not revoked. A validated badge
    supersedes the self-declared one of the same level (which stays valid but is no longer
    listed); asking for a self-declared badge where the validated one exists returns the
    validated one. ``aidant`` is the User who validated (only their organisation is used).
    """
    wanted = _status(status)
    if pass_ is None or pass_.id is None:
        raise BadgeError(_("Le Pass est introuvable."))
    data = badge_class_data(domain, level)
    existing = _active(session, pass_.id, data.domain, data.level)
    by_status = {a.status: a for a in existing}
    if LevelStatus.VALIDATED in by_status:
        # Validated covers self-declared: never issue a lesser badge next to it.
        return by_status[LevelStatus.VALIDATED]
    if wanted in by_status:
        return by_status[wanted]

    moment = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    assertion_id = str(uuid_module.uuid4())
    the_urls = urls()
    settings = issuer_settings()
    # The email is on the Pass only with the person's consent; otherwise a random urn.
    recipient = openbadges.hash_recipient(pass_.email if pass_.email else None)
    organisation = None
    if wanted is LevelStatus.VALIDATED and aidant is not None:
        organisation = (getattr(aidant, "organisation", "") or "").strip() or None
    award_data = AwardData(
        assertion_id=assertion_id,
        domain=data.domain,
        level=data.level,
        recipient=recipient,
        issued_on=moment,
        status=wanted.value,
        aidant_organisation=organisation,
    )
    assertion = openbadges.assertion(award_data, the_urls)
    credential = credentials.signed_credential(
        award_data, data, settings, the_urls, signing_key(), moment
    )
    image = render_award_image(data.domain, data.level, the_urls.verify_page(assertion_id))
    award = Award(
        uuid=assertion_id,
        pass_id=pass_.id,
        domain=data.domain,
        level=data.level,
        status=wanted,
        aidant_organisation=organisation,
        issued_at=moment,
        recipient_type=recipient.type,
        recipient_identity=recipient.identity,
        recipient_salt=recipient.salt,
        assertion_json=assertion,
        credential_json=credential,
        image_png=image,
        image_fingerprint=baking.image_fingerprint(image),
        is_demo=pass_.is_demo if is_demo is None else is_demo,
    )
    session.add(award)
    session.flush()
    if wanted is LevelStatus.VALIDATED and LevelStatus.SELF_DECLARED in by_status:
        by_status[LevelStatus.SELF_DECLARED].superseded_by_id = award.id
    session.add(
        AwardEvent(
            award_id=award.id,
            kind=AwardEventKind.ISSUED,
            at=moment,
            actor_id=getattr(aidant, "id", None),
            actor_label=getattr(aidant, "email", "") or "system",
        )
    )
    if commit:
        session.commit()
    return award


def sync_awards(session: Session, pass_: Pass, earned: Iterable[Any]) -> list[Award]:
    """Issue every badge of ``earned`` (``badges.scoring.EarnedBadge``s), one commit.

    The validating aidant is found through each badge's ``assessment_id``.
    """
    from app.models.accounts import User

    awards = []
    for badge in earned:
        aidant = None
        if badge.status == "validated" and isinstance(badge.assessment_id, int):
            assessment = session.get(Assessment, badge.assessment_id)
            if assessment is not None and assessment.aidant_id is not None:
                aidant = session.get(User, assessment.aidant_id)
        awards.append(
            issue_award(
                session, pass_, badge.domain, badge.level, badge.status, aidant, commit=False
            )
        )
    session.commit()
    return awards


def awards_for_pass(session: Session, pass_: Pass, include_hidden: bool = False) -> list[Award]:
    """A Pass's badges to show: not revoked, not superseded (all with ``include_hidden``)."""
    query = select(Award).where(Award.pass_id == pass_.id)
    if not include_hidden:
        query = query.where(Award.revoked_at.is_(None), Award.superseded_by_id.is_(None))
    awards = list(session.scalars(query))
    order = {code: i for i, (code, _name) in enumerate(domain_choices())}
    return sorted(awards, key=lambda a: (order.get(a.domain, 99), a.level, a.status.value))


def set_show_name(session: Session, award: Award, show: bool) -> None:
    """Let the holder show (or hide) their first name on the public badge page."""
    award.show_name = bool(show)
    session.commit()


def revoke(session: Session, award: Award, reason: str, by: Any = None) -> Award:
    """Revoke an award with a reason; it shows everywhere (410, list, verifier, page)."""
    text = (reason or "").strip()
    if not text:
        raise BadgeError(_("Indiquez la raison du retrait."))
    if len(text) > MAX_REASON:
        raise BadgeError(_("La raison doit faire moins de %(n)d caractères.", n=MAX_REASON))
    if award.revoked_at is not None:
        raise BadgeError(_("Ce badge a déjà été retiré."))
    now = utcnow()
    award.revoked_at = now
    award.revocation_reason = text
    session.add(
        AwardEvent(
            award_id=award.id,
            kind=AwardEventKind.REVOKED,
            at=now,
            actor_id=getattr(by, "id", None),
            actor_label=getattr(by, "email", None) or (by if isinstance(by, str) else "system"),
            reason=text,
        )
    )
    session.commit()
    return award


def erase_pass_awards(session: Session, pass_: Pass, commit: bool = False) -> int:
    """Erase the personal part of a Pass's awards and revoke them; call before deleting it.

    Hosted assertions are public: once the Pass is gone, the recipient hash and salt go too,
    and the badge answers "retiré" (410) with the reason :data:`ERASED_REASON`.
    """
    now = utcnow()
    awards = list(session.scalars(select(Award).where(Award.pass_id == pass_.id)))
    for award in awards:
        for key, value in erase_values(now).items():
            setattr(award, key, value)
        award.assertion_json = scrub_assertion(award.assertion_json)
        award.credential_json = scrub_credential(award.credential_json)
        if award.revoked_at is None:
            award.revoked_at = now
            award.revocation_reason = ERASED_REASON
            session.add(
                AwardEvent(
                    award_id=award.id,
                    kind=AwardEventKind.REVOKED,
                    at=now,
                    actor_label="system",
                    reason=ERASED_REASON,
                )
            )
    session.flush()
    if commit:
        session.commit()
    return len(awards)


# ---------------------------------------------------------------------------------------
# Looking up and baking


def find_award(session: Session, assertion_id: Any) -> Award | None:
    """The award with this UUID (any spelling), or None."""
    try:
        canonical = str(uuid_module.UUID(str(assertion_id)))
    except ValueError:
        return None
    return session.scalar(select(Award).where(Award.uuid == canonical))


def baked_png(award: Award) -> bytes:
    """The award's image with the 2.0 Assertion and the 3.0 credential baked in."""
    png = baking.bake(award.image_png, openbadges.to_json(award.assertion_json), baking.KEYWORD_OB2)
    return baking.bake(png, openbadges.to_json(award.credential_json), baking.KEYWORD_OB3)


def revoked_body(award: Award) -> dict[str, Any]:
    """The small JSON body served with 410 Gone for a revoked award."""
    return openbadges.revoked_assertion(award.uuid, award.revocation_reason or "", urls())


def revocation_list_document(session: Session) -> dict[str, Any]:
    """The OB 2.0 RevocationList of every revoked award."""
    rows = session.execute(
        select(Award.uuid, Award.revocation_reason).where(Award.revoked_at.is_not(None))
    ).all()
    return openbadges.revocation_list([(u, r or "") for u, r in rows], urls())


def recipient_email(award: Award) -> str | None:
    """The holder's email when the Pass still has it and it is the one the badge was issued to."""
    pass_ = award.pass_
    if pass_ is None or not pass_.email or award.recipient_type != "email":
        return None
    identity = award.assertion_json.get("recipient")
    if isinstance(identity, dict) and openbadges.recipient_matches(identity, pass_.email):
        return openbadges.normalize_email(pass_.email)
    return None


# ---------------------------------------------------------------------------------------
# Verifying


def _record(award: Award) -> IssuedRecord:
    return IssuedRecord(
        assertion=award.assertion_json,
        credential=award.credential_json,
        image_fingerprint=award.image_fingerprint,
        revoked=award.revoked_at is not None,
        revocation_reason=award.revocation_reason or "",
        revoked_on=award.revoked_at,
    )


def _lookup(session: Session) -> Callable[[str], IssuedRecord | None]:
    found: dict[str, Award] = {}

    def lookup(assertion_id: str) -> IssuedRecord | None:
        award = find_award(session, assertion_id)
        if award is None:
            return None
        found[award.uuid] = award
        return _record(award)

    lookup.found = found  # type: ignore[attr-defined]
    return lookup


_ERASED_FIELDS = ("recipient", "credentialSubject.identifier")


def verify_data(
    session: Session,
    data: bytes | str | Mapping[str, Any],
    email: str | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Verify an uploaded PNG or JSON badge against what the app issued."""
    lookup = _lookup(session)
    verdict = verify_badge(
        data,
        lookup,
        urls(),
        issuer_settings()["name"],
        public_keys=public_keys(),
        email=email,
        now=now,
    )
    award = lookup.found.get(verdict.assertion_id or "")  # type: ignore[attr-defined]
    if (
        award is not None
        and award.erased_at is not None
        and verdict.tampered_fields
        and all(f.startswith(_ERASED_FIELDS) for f in verdict.tampered_fields)
    ):
        # The holder deleted their Pass: we no longer hold the recipient to compare with,
        # so the badge reads as withdrawn, not as forged.
        checks = dict(verdict.checks, untampered=None, revoked=True)
        when = award.revoked_on_text
        return replace(
            verdict,
            headline=HEADLINES["revoked"],
            details=[
                verdict.details[0],
                _(
                    "Badge retiré le %(date)s : %(reason)s",
                    date=when,
                    reason=str(ERASED_REASON_LABEL),
                ),
            ],
            checks=checks,
            tampered_fields=[],
            revocation_reason=ERASED_REASON,
        )
    return verdict


def verify_award(session: Session, award: Award, email: str | None = None) -> Verdict:
    """Verify an award as the app serves it (both baked documents)."""
    return verify_data(session, baked_png(award), email=email)


def is_unreadable(verdict: Verdict) -> bool:
    """True when the input was not a badge at all (the page answers 400)."""
    return verdict.headline in (HEADLINES["unreadable"], HEADLINES["no_badge"])


# ---------------------------------------------------------------------------------------
# Listing (coordinators, CLI)


def list_awards(
    session: Session,
    domain: str | None = None,
    status: str | None = None,
    state: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Award]:
    """Awards, newest first, filtered by domain, status, state (active/revoked) and id/code."""
    query = (
        select(Award)
        .options(selectinload(Award.pass_))
        .order_by(Award.issued_at.desc(), Award.id.desc())
    )
    if domain:
        query = query.where(Award.domain == domain)
    if status:
        query = query.where(Award.status == _status(status))
    if state == "active":
        query = query.where(Award.revoked_at.is_(None))
    elif state == "revoked":
        query = query.where(Award.revoked_at.is_not(None))
    if search:
        from badges import passcode

        term = search.strip()
        code = passcode.normalise(term)
        codes = [code, passcode.format(code)] if code else []
        code_ids = select(Pass.id).where(Pass.code.in_(codes))
        query = query.where(Award.uuid.startswith(term.lower()) | Award.pass_id.in_(code_ids))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.scalars(query))
