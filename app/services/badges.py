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
import json
import os
import secrets
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
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
from badges import baking, credentials, openbadges, render, signing, status_list
from badges.openbadges import Alignment, AwardData, BadgeClassData, BadgeUrls
from badges.skills import Framework, load_framework
from badges.verify import HEADLINES, IssuedRecord, PassClaim, Verdict, verify_badge

KEY_FILE = "badge_signing_key.pem"
KEY_HISTORY_FILE = "badge_keys.json"
MAX_REASON = 300


class BadgeError(ValueError):
    """A badge action that cannot be done; ``message`` is plain French for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoBadgesError(BadgeError):
    """The Pass has no badge to send."""


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


def key_dir() -> Path:
    """Folder of the signing key and the key history: ``BADGE_KEY_DIR`` or the instance folder."""
    return Path(current_app.config.get("BADGE_KEY_DIR") or current_app.instance_path)


def key_path() -> Path:
    """Where the current signing key lives."""
    return key_dir() / KEY_FILE


def key_history_path() -> Path:
    """JSON list of every public key the app has signed with, and when (see rotate_key)."""
    return key_dir() / KEY_HISTORY_FILE


def _write_private(path: Path, data: bytes, *, exclusive: bool) -> bool:
    """Write an owner-only (0600) file; with ``exclusive``, False if it already exists."""
    if exclusive:
        try:
            # O_EXCL: two workers starting together agree on one key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True
    # Replace atomically: a reader sees the old file or the new one, never half of one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return True


def signing_key() -> Ed25519PrivateKey:
    """The app's current Ed25519 key, created on first use with owner-only permissions.

    Cached per file version, so a ``badges rotate-key`` run is picked up by running workers
    at their next signature.
    """
    path = key_path()
    if not path.exists():
        _write_private(
            path, signing.private_key_to_pem(signing.generate_private_key()), exclusive=True
        )
    stat = path.stat()
    stamp = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = current_app.extensions.get("mairiebus_badge_key")
    if cached is not None and cached[0] == stamp:
        return cached[1]  # type: ignore[no-any-return]
    key = signing.load_private_key(path.read_bytes())
    current_app.extensions["mairiebus_badge_key"] = (stamp, key)
    return key


def public_key_value() -> str:
    """The ``z6Mk…`` Multikey value of the current signing key."""
    return signing.public_key_multibase(signing_key())


def _read_history() -> list[credentials.PublishedKey]:
    path = key_history_path()
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [
            credentials.PublishedKey(
                value=str(row["publicKeyMultibase"]),
                valid_from=_parse_moment(row.get("validFrom")),
                valid_until=_parse_moment(row.get("validUntil")),
            )
            for row in rows
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadgeError(_("L'historique des clés de signature est illisible.")) from exc


def _parse_moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _write_history(keys: Sequence[credentials.PublishedKey]) -> None:
    rows = [
        {
            "publicKeyMultibase": k.value,
            "validFrom": openbadges.format_datetime(k.valid_from) if k.valid_from else None,
            "validUntil": openbadges.format_datetime(k.valid_until) if k.valid_until else None,
        }
        for k in keys
    ]
    _write_private(
        key_history_path(), (json.dumps(rows, indent=2) + "\n").encode("utf-8"), exclusive=False
    )


def published_keys() -> list[credentials.PublishedKey]:
    """Every key the app has signed with, oldest first; the current one last, open-ended."""
    current = public_key_value()
    history = _read_history()
    keys = [k for k in history if k.value != current]
    found = [k for k in history if k.value == current]
    keys.append(found[0] if found else credentials.PublishedKey(current))
    return keys


def public_keys() -> dict[str, str]:
    """verificationMethod URL → ``z6Mk…`` for every key the app has signed with."""
    the_urls = urls()
    return {the_urls.key(k.value): k.value for k in published_keys()}


def key_periods() -> dict[str, tuple[datetime | None, datetime | None]]:
    """verificationMethod URL → (signing from, signing until) of each published key."""
    the_urls = urls()
    return {the_urls.key(k.value): (k.valid_from, k.valid_until) for k in published_keys()}


def rotate_key(now: datetime | None = None) -> tuple[str, str]:
    """Sign with a new key from now on; the old public key stays published with its period.

    Returns ``(old z6Mk…, new z6Mk…)``. The old private key is not kept: rotating is how a
    leaked or aged key is retired. The history is written before the key file, so a crash
    in between leaves at most an unused key listed, never a signing key unpublished.
    """
    moment = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    old = public_key_value()
    published = published_keys()
    history = [k for k in published if k.value != old]
    previous = next((k for k in published if k.value == old), None)
    new_key = signing.generate_private_key()
    new_value = signing.public_key_multibase(new_key)
    history.append(credentials.PublishedKey(old, previous.valid_from if previous else None, moment))
    history.append(credentials.PublishedKey(new_value, moment, None))
    _write_history(history)
    _write_private(key_path(), signing.private_key_to_pem(new_key), exclusive=False)
    current_app.extensions.pop("mairiebus_badge_key", None)
    _status_list_cache().clear()
    return old, new_value


def did() -> str:
    """The issuer's ``did:web`` identifier (from ``MAIRIEBUS_BASE_URL``)."""
    return credentials.did_web(urls().base)


def did_document() -> dict[str, Any]:
    """DID document served at ``/.well-known/did.json``."""
    return credentials.did_document(did(), urls(), published_keys())


def controller_document() -> dict[str, Any]:
    """OB 3.0 issuer controller document listing every published key."""
    return credentials.controller_document(urls(), issuer_settings(), published_keys(), did=did())


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
    organisation = None
    if wanted is LevelStatus.VALIDATED and aidant is not None:
        organisation = (getattr(aidant, "organisation", "") or "").strip() or None
    award = _create_award(
        session,
        pass_,
        data,
        wanted,
        organisation,
        moment,
        is_demo=pass_.is_demo if is_demo is None else is_demo,
        actor_id=getattr(aidant, "id", None),
        actor_label=getattr(aidant, "email", "") or "system",
    )
    if wanted is LevelStatus.VALIDATED and LevelStatus.SELF_DECLARED in by_status:
        by_status[LevelStatus.SELF_DECLARED].superseded_by_id = award.id
    if commit:
        session.commit()
    return award


def _recipient(session: Session, pass_: Pass) -> openbadges.Recipient:
    """The Pass's email (given with consent), else the Pass's own random recipient id."""
    if pass_.email:
        return openbadges.hash_recipient(pass_.email)
    if not pass_.badge_recipient:
        pass_.badge_recipient = uuid_module.uuid4().urn
        session.flush()
    return openbadges.hash_identifier(pass_.badge_recipient)


def _expiry(domain: str, level: int, issued: datetime) -> datetime | None:
    """Expiry of a new badge from its level's optional ``expires_after_days`` (framework)."""
    days = _framework().domain(domain).level(level).expires_after_days
    return issued + timedelta(days=days) if days else None


def _create_award(
    session: Session,
    pass_: Pass,
    data: BadgeClassData,
    wanted: LevelStatus,
    organisation: str | None,
    moment: datetime,
    *,
    is_demo: bool,
    actor_id: int | None,
    actor_label: str,
) -> Award:
    """Build, sign and store one award and its "issued" log entry (no commit)."""
    assertion_id = str(uuid_module.uuid4())
    the_urls = urls()
    settings = issuer_settings()
    recipient = _recipient(session, pass_)
    expires = _expiry(data.domain, data.level, moment)
    award_data = AwardData(
        assertion_id=assertion_id,
        domain=data.domain,
        level=data.level,
        recipient=recipient,
        issued_on=moment,
        status=wanted.value,
        aidant_organisation=organisation,
        expires=expires,
    )
    assertion = openbadges.assertion(award_data, the_urls)
    status_index = _allocate_status_index(session)
    credential = credentials.signed_credential(
        award_data,
        data,
        settings,
        the_urls,
        signing_key(),
        moment,
        credential_status=_status_entry(status_index),
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
        expires_at=expires,
        recipient_type=recipient.type,
        recipient_identity=recipient.identity,
        recipient_salt=recipient.salt,
        assertion_json=assertion,
        credential_json=credential,
        image_png=image,
        image_fingerprint=baking.image_fingerprint(image),
        is_demo=is_demo,
        status_index=status_index,
    )
    session.add(award)
    session.flush()
    session.add(
        AwardEvent(
            award_id=award.id,
            kind=AwardEventKind.ISSUED,
            at=moment,
            actor_id=actor_id,
            actor_label=actor_label,
        )
    )
    return award


def reissue_to_email(session: Session, pass_: Pass, *, now: datetime | None = None) -> list[Award]:
    """Issue again, to the Pass's email, each shown badge that names another recipient.

    Called when the holder adds (or changes) their email. The earlier badge stays valid (it
    still proves the Pass's ownership) but is superseded, so only the new one is listed.
    """
    if not pass_.email:
        return []
    moment = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    new = []
    for old in awards_for_pass(session, pass_):
        if _issued_to(old, pass_.email):
            continue
        award = _create_award(
            session,
            pass_,
            badge_class_data(old.domain, old.level),
            old.status,
            old.aidant_organisation,
            moment,
            is_demo=old.is_demo,
            actor_id=None,
            actor_label="system",
        )
        old.superseded_by_id = award.id
        new.append(award)
    session.commit()
    return new


def _issued_to(award: Award, email: str) -> bool:
    """Whether ``award`` names ``email`` as its recipient."""
    identity = award.assertion_json.get("recipient")
    return isinstance(identity, dict) and openbadges.recipient_matches(identity, email)


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


def _allocate_status_index(session: Session) -> int:
    """A free position in the revocation status lists, drawn at random (see status_list).

    Positions fill list 0 first; when a list is more than half full, random draws start to
    collide often, so the next list is opened.
    """
    size = status_list.LIST_SIZE
    used = session.scalar(select(func.count(Award.id)).where(Award.status_index.is_not(None)))
    number = int(used or 0) // (size // 2)
    while True:
        for _attempt in range(64):
            candidate = number * size + secrets.randbelow(size)
            taken = session.scalar(select(Award.id).where(Award.status_index == candidate))
            if taken is None:
                return candidate
        number += 1


def _status_entry(status_index: int) -> dict[str, Any]:
    """``credentialStatus`` of the credential at ``status_index``."""
    number, position = divmod(status_index, status_list.LIST_SIZE)
    return status_list.status_entry(urls().status_list(number), position)


def _status_list_cache() -> dict[Any, dict[str, Any]]:
    return current_app.extensions.setdefault("mairiebus_status_lists", {})  # type: ignore[no-any-return]


INTEGER_MAX = 2**31 - 1  # status_index is a 32-bit INTEGER column


def status_list_exists(session: Session, number: int) -> bool:
    """Whether list ``number`` holds at least one credential (or is list 0)."""
    if number == 0:
        return True
    size = status_list.LIST_SIZE
    if number < 0 or number * size > INTEGER_MAX:
        return False  # beyond the status_index column (PostgreSQL would refuse the query)
    return (
        session.scalar(
            select(Award.id)
            .where(Award.status_index >= number * size, Award.status_index < (number + 1) * size)
            .limit(1)
        )
        is not None
    )


def status_list_document(session: Session, number: int) -> dict[str, Any]:
    """The signed revocation ``BitstringStatusListCredential`` number ``number``.

    Signed again only when its content (the revoked positions) or the signing key changed.
    """
    size = status_list.LIST_SIZE
    rows = session.scalars(
        select(Award.status_index).where(
            Award.revoked_at.is_not(None),
            Award.status_index >= number * size,
            Award.status_index < (number + 1) * size,
        )
    ).all()
    positions = sorted(int(i) - number * size for i in rows)
    key = signing_key()
    cache_key = (number, tuple(positions), signing.public_key_multibase(key), urls().base)
    cache = _status_list_cache()
    if cache_key in cache:
        return cache[cache_key]
    moment = utcnow().astimezone(UTC).replace(microsecond=0)
    the_urls = urls()
    # The issuer's id only: the OB 3.0 Profile terms are not in the VC 2.0 context alone,
    # and verifiers in JSON-LD "safe mode" refuse undefined terms.
    unsigned = status_list.status_list_credential(
        the_urls.status_list(number),
        the_urls.issuer_v3,
        openbadges.format_datetime(moment),
        positions,
    )
    document = signing.sign_credential(
        unsigned, key, credentials.verification_method(the_urls, key), moment
    )
    cache.clear()  # only the latest version of each list is worth keeping
    cache[cache_key] = document
    return document


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
# Sharing


def linkedin_url(award: Award) -> str:
    """LinkedIn's "add to profile" link for a certification, prefilled with this badge."""
    from urllib.parse import urlencode

    issued = award.issued_at
    params: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": award.name,
        "organizationName": issuer_settings()["name"],
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": f"{urls().base}/badges/{award.uuid}",
        "certId": award.uuid,
    }
    if award.expires_at is not None:
        params["expirationYear"] = award.expires_at.year
        params["expirationMonth"] = award.expires_at.month
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


# ---------------------------------------------------------------------------------------
# Sending badges by email


def find_pass(session: Session, code: str) -> Pass | None:
    """The Pass of a typed code (any spelling), or None."""
    from badges import passcode

    normalised = passcode.normalise(code or "")
    if not normalised:
        return None
    return session.scalar(
        select(Pass).where(Pass.code.in_([normalised, passcode.format(normalised)]))
    )


def send_badges_by_email(session: Session, pass_: Pass, email: str, consent: bool) -> int:
    """Keep ``email`` on the Pass (with consent), re-issue the badges to it, mail the PNGs.

    Returns how many badges were sent. BadgeError (plain French) when there is nothing to
    send or no consent; ``app.mail.MailError`` when the mail server refuses.
    """
    from app import mail
    from app.services import passes as pass_service

    try:
        address = openbadges.normalize_email(email)
    except openbadges.BadgeDataError as exc:
        raise BadgeError(_("Cette adresse e-mail n'est pas valide.")) from exc
    if not mail.mail_enabled():
        raise BadgeError(_("L'envoi d'e-mails n'est pas en service sur ce site."))
    if not consent:
        raise BadgeError(
            _("Cochez la case pour accepter que nous gardions votre e-mail avec votre Pass.")
        )
    if not awards_for_pass(session, pass_):
        raise NoBadgesError(_("Ce Pass n'a pas encore de badge."))
    if pass_.email != address:
        # set_contact keeps the first name and re-issues the badges to the new email.
        pass_service.set_contact(session, pass_, pass_.first_name or "", address, True)
    else:
        reissue_to_email(session, pass_)
    awards = awards_for_pass(session, pass_)
    attachments = [
        mail.Attachment(
            f"badge-{a.domain}-{a.level}-{a.uuid[:8]}.png".replace("_", "-"),
            baked_png(a),
            "image/png",
        )
        for a in awards
    ]
    names = "\n".join(f"- {a.name} : {urls().verify_page(a.uuid)}" for a in awards)
    text = _(
        "Bonjour,\n\nVoici vos badges du Pass informatique, en pièces jointes (images PNG).\n"
        "Chaque image contient la preuve de votre badge : gardez-la telle quelle.\n\n"
        "%(names)s\n\nVous pouvez les ajouter à votre profil en ligne ou les montrer à un "
        "employeur. Chacun peut les vérifier sur %(verify)s\n\n%(issuer)s",
        names=names,
        verify=f"{urls().base}/verifier",
        issuer=issuer_settings()["name"],
    )
    mail.send_email(
        address,
        _("Vos badges du Pass informatique"),
        text,
        attachments=attachments,
    )
    return len(awards)


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


def pass_claim(session: Session, code: str) -> PassClaim:
    """What a typed Pass code may prove: the Pass's recipient id and email (if it exists).

    An unknown code gives an empty claim: the verdict reads "n'appartient pas à ce Pass",
    the same as another Pass's badge, so the verifier cannot be used to test codes.
    """
    from badges import passcode

    normalised = passcode.normalise(code or "")
    label = passcode.format(normalised) if normalised else (code or "").strip()[:20]
    pass_ = None
    if normalised:
        pass_ = session.scalar(
            select(Pass).where(Pass.code.in_([normalised, passcode.format(normalised)]))
        )
    if pass_ is None:
        return PassClaim(label)
    return PassClaim(
        label,
        recipient_ids=(pass_.badge_recipient,) if pass_.badge_recipient else (),
        emails=(pass_.email,) if pass_.email else (),
    )


def verify_data(
    session: Session,
    data: bytes | str | Mapping[str, Any],
    email: str | None = None,
    now: datetime | None = None,
    pass_code: str | None = None,
) -> Verdict:
    """Verify an uploaded PNG or JSON badge against what the app issued.

    ``email`` or ``pass_code`` (typed by the holder): also say whether the badge is theirs.
    """
    lookup = _lookup(session)
    verdict = verify_badge(
        data,
        lookup,
        urls(),
        issuer_settings()["name"],
        public_keys=public_keys(),
        email=email,
        now=now,
        key_periods=key_periods(),
        claim=pass_claim(session, pass_code) if pass_code else None,
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
    if pass_code and award is not None and verdict.headline == HEADLINES["pass"]:
        return _legacy_claim(session, verdict, award, pass_code)
    return verdict


def _legacy_claim(session: Session, verdict: Verdict, award: Award, pass_code: str) -> Verdict:
    """A badge issued, without an email, before badges named the Pass's own identifier.

    Its random recipient was not kept, so the hash cannot be checked; the issuer's record
    (which Pass it was issued to) still can. Only every other check passed to get here.
    """
    pass_ = find_pass(session, pass_code)
    if pass_ is None or award.pass_id != pass_.id or award.recipient_type != "id":
        return verdict
    from badges import passcode

    details = [d for d in verdict.details if not d.startswith("Le Pass ")]
    details.append(
        _(
            "Ce badge appartient au Pass %(code)s, d'après le registre de l'émetteur.",
            code=passcode.format(pass_.code) if passcode.normalise(pass_.code) else pass_.code,
        )
    )
    return replace(
        verdict,
        valid=True,
        headline=HEADLINES["valid"],
        details=details,
        checks=dict(verdict.checks, recipient=True),
    )


def verify_award(
    session: Session, award: Award, email: str | None = None, pass_code: str | None = None
) -> Verdict:
    """Verify an award as the app serves it (both baked documents)."""
    return verify_data(session, baked_png(award), email=email, pass_code=pass_code)


def is_unreadable(verdict: Verdict) -> bool:
    """True when the input was not a badge at all (the page answers 400)."""
    return verdict.headline in (HEADLINES["unreadable"], HEADLINES["no_badge"], HEADLINES["svg"])


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
