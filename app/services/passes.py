"""The Pass informatique: assessments in progress, results, Passes, notes, export and deletion.

Each public function takes the SQLAlchemy session, loads what it needs, calls the pure
``badges`` modules (assessment engine, scoring, pass codes) and commits once.

How results are stored: when an assessment ends, every finished assessment of its Pass is
scored again with :func:`badges.scoring.evaluate` (so an aidant's observation outweighs a
self-declaration and a later sitting supersedes an earlier one), and the standing of each
domain the new sitting touched is written as a :class:`LevelResult` row. The rows joined to
their assessment make the shared "Pass results" table (:func:`pass_results_rows`).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.i18n import current_language
from app.models.accounts import User
from app.models.passes import (
    AidantNote,
    Assessment,
    AssessmentKind,
    LevelResult,
    LevelStatus,
    Observation,
    Pass,
)
from app.models.programme import Programme, ProgrammeStatus, Slot, Theme
from app.models.surveys import Channel, Neighbourhood
from app.services import badges as badges_service
from badges import assessment as engine
from badges import passcode, scoring
from badges.assessment import AssessmentError
from badges.scoring import AssessmentRecord, EarnedBadge, PassStanding
from badges.skills import Framework, load_framework

TOKEN_BYTES = 32
MAX_NOTE_LENGTH = 2000
OBSERVATION_OUTCOMES = scoring.ANSWERS


class PassError(ValueError):
    """Something the person asked cannot be done; ``message`` is plain French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_token(token: str) -> str:
    """SHA-256 of a resume token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def framework() -> Framework:
    """The packaged skills framework in the reader's language (cached by badges.skills)."""
    return load_framework(language=current_language() if has_request_context() else "fr")


# --------------------------------------------------------------------------------------------
# Passes


def create_pass(session: Session, *, neighbourhood_id: int | None = None) -> Pass:
    """Create a Pass with a new unique code (flushed, not committed)."""
    for _attempt in range(5):
        code = passcode.generate()
        if session.scalar(Pass.by_code(code)) is None:
            pass_ = Pass(code=code, neighbourhood_id=neighbourhood_id)
            session.add(pass_)
            session.flush()
            return pass_
    # 40 random bits: five collisions in a row means something else is wrong.
    raise RuntimeError("could not draw a free Pass code")


def find_pass(session: Session, text: str) -> Pass | None:
    """Return the Pass whose code was typed (any case, with or without dashes), or None.

    Raises PassError (French) when the text cannot be a Pass code at all.
    """
    try:
        code = passcode.parse(text or "")
    except passcode.PassCodeError as error:
        raise PassError(error.message) from None
    return session.scalar(Pass.by_code(code))


def touch(session: Session, pass_: Pass) -> None:
    """Remember the Pass was opened now (for retention of unused Passes)."""
    pass_.last_seen_at = utcnow()
    session.commit()


def display_code(code: str) -> str:
    """The code grouped for reading: ``K7M-9QX-RT4``."""
    return passcode.format(code)


def set_contact(session: Session, pass_: Pass, first_name: str, email: str, consent: bool) -> None:
    """Save the optional first name and email; both need consent, none is required."""
    first_name = (first_name or "").strip()
    email = (email or "").strip().lower()
    if (first_name or email) and not consent:
        raise PassError(
            _("Cochez la case pour accepter que nous gardions votre prénom ou votre e-mail.")
        )
    email_changed = (email or None) != pass_.email
    pass_.first_name = first_name or None
    pass_.email = email or None
    pass_.consent_at = utcnow() if (first_name or email) else None
    session.commit()
    if email and email_changed:
        # Badges issued before name no email (or another one): issue them to this one.
        badges_service.reissue_to_email(session, pass_)


def add_note(session: Session, pass_: Pass, aidant: User | None, text: str) -> AidantNote:
    """Add an aidant's private note to a Pass."""
    text = (text or "").strip()
    if not text:
        raise PassError(_("La note est vide."))
    if len(text) > MAX_NOTE_LENGTH:
        raise PassError(_("La note est trop longue (au plus %(n)d caractères).", n=MAX_NOTE_LENGTH))
    note = AidantNote(pass_id=pass_.id, aidant_id=aidant.id if aidant else None, text=text)
    session.add(note)
    session.commit()
    return note


def notes_for(session: Session, pass_: Pass) -> list[AidantNote]:
    """The private notes of a Pass, newest first."""
    return list(
        session.scalars(
            select(AidantNote)
            .where(AidantNote.pass_id == pass_.id)
            .order_by(AidantNote.created_at.desc(), AidantNote.id.desc())
        )
    )


# --------------------------------------------------------------------------------------------
# Assessments in progress


def start_assessment(
    session: Session,
    *,
    pass_: Pass | None = None,
    aidant: User | None = None,
    neighbourhood_id: int | None = None,
    fast: bool = False,
) -> tuple[Assessment, str | None]:
    """Start a sitting; return it and, for a self-assessment, the resume token for the cookie.

    ``fast`` is "Je me débrouille bien": each domain starts at a higher level (the engine falls
    back to level 1 when that level is not done alone).

    With ``aidant`` the sitting is an aidant assessment (kind aidant, channel assisted) and
    needs no token: staff reach it by its id.
    """
    token = None if aidant is not None else secrets.token_urlsafe(TOKEN_BYTES)
    if neighbourhood_id is None and pass_ is not None:
        neighbourhood_id = pass_.neighbourhood_id
    sitting = Assessment(
        pass_id=pass_.id if pass_ is not None else None,
        kind=AssessmentKind.AIDANT if aidant is not None else AssessmentKind.SELF,
        channel=Channel.ASSISTED if aidant is not None else Channel.SELF,
        aidant_id=aidant.id if aidant is not None else None,
        state=engine.start(framework(), start_level=engine.FAST_START_LEVEL if fast else 1),
        neighbourhood_id=neighbourhood_id,
        token_hash=hash_token(token) if token else None,
    )
    session.add(sitting)
    session.commit()
    return sitting, token


def assessment_for_token(session: Session, token: str | None) -> Assessment | None:
    """The self-assessment in progress that this cookie token resumes, or None."""
    if not token or len(token) > 200:
        return None
    return session.scalar(_sitting_by_token_query(), {"token_hash": hash_token(token)})


@functools.cache
def _sitting_by_token_query():  # type: ignore[no-untyped-def]
    # Built once per process: building the statement cost a third of the lookup.
    return select(Assessment).where(
        Assessment.token_hash == bindparam("token_hash"), Assessment.finished_at.is_(None)
    )


def current_step(session: Session, sitting: Assessment) -> engine.Step | None:
    """The step to show now; an unreadable state (old framework) starts again."""
    try:
        return engine.current_step(sitting.state or {}, framework())
    except AssessmentError:
        sitting.state = engine.start(framework())
        session.commit()
        return engine.current_step(sitting.state, framework())


def answer_step(session: Session, sitting: Assessment, value: str, step_key: str | None) -> None:
    """Record one answer (raises AssessmentError: "answer", "stale", "finished", "state")."""
    if sitting.finished_at is not None:
        raise AssessmentError("finished")
    sitting.state = engine.answer(
        sitting.state or {}, value, step_key=step_key, framework=framework()
    )
    session.commit()


def go_back(session: Session, sitting: Assessment) -> None:
    """Undo the last answer of a sitting in progress."""
    if sitting.finished_at is not None:
        raise AssessmentError("finished")
    sitting.state = engine.back(sitting.state or {}, framework())
    session.commit()


def engine_has_answers(sitting: Assessment) -> bool:
    """Whether the person answered at least one statement in this sitting."""
    try:
        return bool(engine.result(sitting.state or {}, framework()).answers)
    except AssessmentError:
        return False


def is_finished(sitting: Assessment) -> bool:
    """Whether every domain of the sitting has been asked."""
    try:
        return engine.is_finished(sitting.state or {}, framework())
    except AssessmentError:
        return False


@dataclass(frozen=True)
class Finished:
    """What ending a sitting did: the Pass, its standing, and the badges newly earned."""

    pass_: Pass
    standing: PassStanding
    new_badges: tuple[EarnedBadge, ...]


def finish_assessment(
    session: Session,
    sitting: Assessment,
    observations: Mapping[str, str] | None = None,
    *,
    at: datetime | None = None,
    note: str = "",
) -> Finished:
    """End a sitting: give it a Pass if it has none, store its level results, award badges.

    ``observations`` maps practical-check ids (``devices-2-check``) to what the aidant saw
    ("alone", "with_help", "not_yet"); checks not tried are absent. Ending twice is harmless.
    """
    fw = framework()
    observations = dict(observations or {})
    for check_id, outcome in observations.items():
        try:
            fw.observation(check_id)
        except KeyError:
            raise PassError(_("Vérification inconnue : « %(check)s ».", check=check_id)) from None
        if outcome not in OBSERVATION_OUTCOMES:
            raise PassError(_("Pour chaque vérification, choisissez une des réponses proposées."))
    if sitting.pass_ is None:
        sitting.pass_ = create_pass(session, neighbourhood_id=sitting.neighbourhood_id)
    pass_ = sitting.pass_
    if sitting.finished_at is not None:
        return Finished(pass_, standing_for(pass_), ())

    before = standing_for(pass_)
    sitting.finished_at = at or utcnow()
    sitting.token_hash = None
    if at is not None:
        # Back-dated sittings (demo content, imports) must not end before they start.
        started = scoring._utc(sitting.started_at) if sitting.started_at else at
        sitting.started_at = min(started, scoring._utc(at))
    for check_id, outcome in observations.items():
        check = fw.observation(check_id)
        session.add(
            Observation(
                assessment_id=sitting.id,
                domain=check.domain,
                level=check.level,
                observed=outcome == "alone",
                outcome=outcome,
            )
        )
    session.flush()
    session.refresh(sitting)
    standing = standing_for(pass_)
    for entry in standing.history:
        if entry.assessment_id == sitting.id:
            session.add(
                LevelResult(
                    assessment_id=sitting.id,
                    domain=entry.domain,
                    level=entry.level,
                    status=LevelStatus(entry.status),
                )
            )
    if note.strip():
        aidant = session.get(User, sitting.aidant_id) if sitting.aidant_id else None
        session.add(
            AidantNote(
                pass_id=pass_.id,
                aidant_id=aidant.id if aidant else None,
                text=note.strip()[:MAX_NOTE_LENGTH],
            )
        )
    pass_.last_seen_at = utcnow()
    known = {(b.domain, b.level, b.status) for b in before.badges}
    new_badges = tuple(b for b in standing.badges if (b.domain, b.level, b.status) not in known)
    _issue_badges(session, pass_, new_badges, sitting)
    session.commit()
    return Finished(pass_, standing, new_badges)


# --------------------------------------------------------------------------------------------
# Scoring


def finished_assessments(pass_: Pass) -> list[Assessment]:
    """The Pass's ended sittings, oldest first."""
    done = [a for a in pass_.assessments if a.finished_at is not None]
    return sorted(done, key=lambda a: (scoring._utc(a.finished_at), a.id))  # type: ignore[arg-type]


def record_for(sitting: Assessment, fw: Framework | None = None) -> AssessmentRecord | None:
    """The scoring record of an ended sitting; None if its answers cannot be read any more."""
    fw = fw or framework()
    if sitting.finished_at is None:
        return None
    try:
        answers = dict(engine.result(sitting.state, fw).answers) if sitting.state else {}
    except AssessmentError:
        current_app.logger.warning("Assessment %s: state unreadable, not scored", sitting.id)
        return None
    observations: dict[str, scoring.Answer] = {}
    for observation in sitting.observations:
        try:
            check = fw.domain(observation.domain).level(observation.level).observation
        except KeyError:
            continue
        observations[check.id] = scoring.parse_answer(observation.outcome)
    return AssessmentRecord(
        assessed_at=sitting.finished_at,
        channel="assisted" if sitting.channel is Channel.ASSISTED else "self",
        answers=answers,
        observations=observations,
        assessment_id=sitting.id,
    )


def standing_for(pass_: Pass) -> PassStanding:
    """Current levels, badges and history of a Pass from all its ended sittings."""
    fw = framework()
    records = [r for s in finished_assessments(pass_) if (r := record_for(s, fw)) is not None]
    return scoring.evaluate(records, fw)


@dataclass(frozen=True)
class HistoryRow:
    """One ended sitting as the Pass page shows it: date, who, and the level per domain."""

    assessment_id: int
    assessed_at: datetime
    channel: str
    kind: str
    levels: dict[str, tuple[int, str]]


def history_rows(session: Session, pass_: Pass) -> list[HistoryRow]:
    """The Pass's sittings, newest first, with the stored level results of each."""
    rows = []
    for sitting in reversed(finished_assessments(pass_)):
        results = session.scalars(
            select(LevelResult).where(LevelResult.assessment_id == sitting.id)
        ).all()
        rows.append(
            HistoryRow(
                assessment_id=sitting.id,
                assessed_at=scoring._utc(sitting.finished_at),  # type: ignore[arg-type]
                channel=sitting.channel.value,
                kind=sitting.kind.value,
                levels={r.domain: (r.level, r.status.value) for r in results},
            )
        )
    return rows


def pass_results_rows(session: Session) -> list[dict[str, Any]]:
    """The shared "Pass results" table: one dict per stored level result (pandas-ready)."""
    stmt = (
        select(
            LevelResult.assessment_id,
            Assessment.pass_id,
            LevelResult.domain,
            LevelResult.level,
            LevelResult.status,
            Assessment.finished_at,
            Neighbourhood.code,
            Assessment.channel,
        )
        .join(Assessment, Assessment.id == LevelResult.assessment_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == Assessment.neighbourhood_id)
        .order_by(LevelResult.assessment_id, LevelResult.id)
    )
    return [
        {
            "assessment_id": row[0],
            "pass_id": row[1],
            "domain": row[2],
            "level": row[3],
            "status": row[4].value,
            "assessed_at": scoring._utc(row[5]) if row[5] else None,
            "neighbourhood": row[6],
            "channel": row[7].value,
        }
        for row in session.execute(stmt)
    ]


# --------------------------------------------------------------------------------------------
# Export and deletion


def export_pass(session: Session, pass_: Pass) -> dict[str, Any]:
    """Everything the Pass holds about its holder, as JSON-ready data (no aidant notes)."""
    fw = framework()
    standing = standing_for(pass_)
    sittings = []
    for sitting in finished_assessments(pass_):
        record = record_for(sitting, fw)
        results = session.scalars(
            select(LevelResult).where(LevelResult.assessment_id == sitting.id)
        ).all()
        sittings.append(
            {
                "id": sitting.id,
                "date": scoring._utc(sitting.finished_at).isoformat(),  # type: ignore[arg-type]
                "avec_un_aidant": sitting.channel is Channel.ASSISTED,
                "reponses": dict(record.answers) if record else {},
                "verifications": dict(record.observations) if record else {},
                "niveaux": [
                    {"domaine": r.domain, "niveau": r.level, "statut": r.status.value}
                    for r in results
                ],
            }
        )
    return {
        "pass": {
            "code": display_code(pass_.code),
            "prenom": pass_.first_name,
            "email": pass_.email,
            "accord_donne_le": pass_.consent_at.isoformat() if pass_.consent_at else None,
            "cree_le": scoring._utc(pass_.created_at).isoformat(),
        },
        "referentiel": fw.key,
        "niveaux_actuels": [
            {
                "domaine": d.domain,
                "nom_du_domaine": fw.domain(d.domain).name,
                "niveau": d.level,
                "nom_du_niveau": d.level_name,
                "statut": d.status,
            }
            for d in standing.domains
            if d.assessed
        ],
        "badges": [
            {
                "domaine": b.domain,
                "niveau": b.level,
                "statut": b.status,
                "obtenu_le": b.earned_at.isoformat(),
            }
            for b in standing.badges
        ],
        "evaluations": sittings,
    }


def delete_pass(session: Session, pass_: Pass) -> None:
    """Delete a Pass and its holder's personal data; keep only anonymous level counts.

    Removed: the Pass row (code, first name, email, consent), the aidants' notes, the answers
    kept in each sitting, resume tokens and, through the badges hook, the awards' personal
    data. Kept, with no link to anyone: each sitting's date, channel and neighbourhood, its
    level results and observations (the dashboard counts them).
    """
    badges_service.erase_pass_awards(session, pass_)
    session.execute(
        update(Assessment)
        .where(Assessment.pass_id == pass_.id)
        .values(pass_id=None, state=None, token_hash=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        AidantNote.__table__.delete().where(AidantNote.pass_id == pass_.id)  # type: ignore[attr-defined]
    )
    session.expire(pass_, ["assessments"])
    session.delete(pass_)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise


# --------------------------------------------------------------------------------------------
# Open Badges and the programme


def _issue_badges(
    session: Session, pass_: Pass, new_badges: tuple[EarnedBadge, ...], sitting: Assessment
) -> None:
    """Ask the badges service to issue an Open Badge for each newly earned level.

    In a savepoint: a failure there (a signing key problem…) is logged and never loses the
    assessment; the badges can be issued again later from the stored results.
    """
    if not new_badges:
        return
    aidant = session.get(User, sitting.aidant_id) if sitting.aidant_id else None
    try:
        with session.begin_nested():
            for badge in new_badges:
                badges_service.issue_award(
                    session, pass_, badge.domain, badge.level, badge.status, aidant, commit=False
                )
    except Exception:  # noqa: BLE001 - the results matter more than the badge files
        current_app.logger.exception("Pass %s: badges not issued", pass_.id)


def pass_awards(session: Session, pass_: Pass) -> list[Any]:
    """The Open Badges awards of a Pass for the badges partial."""
    return list(badges_service.awards_for_pass(session, pass_))


@dataclass(frozen=True)
class LearningSlot:
    """A programme session (slot) where a theme is taught, for the results page."""

    date: Any
    half_day: str
    place: str
    theme: str


def upcoming_sessions(
    session: Session, themes: tuple[str, ...], limit: int = 2
) -> list[LearningSlot]:
    """Next published programme slots on these themes."""
    if not themes:
        return []
    today = utcnow().date()
    stmt = (
        select(Slot)
        .join(Programme, Programme.id == Slot.programme_id)
        .join(Theme, Theme.id == Slot.theme_id)
        .where(
            Programme.status == ProgrammeStatus.PUBLISHED,
            Slot.cancelled.is_(False),
            Slot.date >= today,
            Theme.code.in_(themes),
        )
        .order_by(Slot.date)
        .limit(limit * 3)
    )
    slots = sorted(session.scalars(stmt), key=lambda s: s.sort_key())[:limit]
    return [
        LearningSlot(
            date=slot.date,
            half_day=slot.half_day.value,
            place=slot.place_name,
            theme=slot.theme.name,
        )
        for slot in slots
    ]
