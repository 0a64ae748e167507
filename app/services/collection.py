"""Collection points, the short links that offer a questionnaire there, QR codes and posters.

A collection point (housing estate, shopping centre, park, bus stop…) gets one short typeable
link per questionnaire offered there: ``{MAIRIEBUS_BASE_URL}/q/<code>``. The code uses lowercase
letters and digits without the ones people confuse (0/o, 1/l/i), so it can be read off a poster
and typed on a phone. QR codes use segno with error correction level H (30 % of the symbol may
be scuffed or covered and it still scans).
"""

from __future__ import annotations

import functools
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import (
    CollectionLink,
    CollectionPoint,
    Form,
    FormVersion,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)

DEFAULT_FORM_ID = "mairiebus"
SHIPPED_FORM = Path(__file__).resolve().parents[2] / "surveys" / "forms" / "mairiebus.xlsx"
# No 0/o, 1/l/i: a code read aloud or copied from a poster cannot be mistyped into another one.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 5
QR_ERROR = "h"
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")

KIND_LABELS = {
    PointKind.HOUSING_ESTATE: _l("Résidence, cité"),
    PointKind.SHOPPING_CENTRE: _l("Centre commercial"),
    PointKind.PARK: _l("Parc, jardin"),
    PointKind.BUS_STOP: _l("Arrêt du bus"),
    PointKind.OTHER: _l("Autre lieu"),
}


class SiteError(Exception):
    """A collection point or link cannot be created or changed; the message is plain French."""


@dataclass(frozen=True)
class PointData:
    """What a coordinator types about a collection point."""

    name: str
    kind: PointKind
    neighbourhood_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    active_from: date | None = None
    active_until: date | None = None
    # Last, so that callers passing the fields above by position keep working.
    address: str = ""


# --------------------------------------------------------------------------- the questionnaire


def ensure_default_form(session: Session) -> FormVersion | None:
    """The current version of the Mairie Bus questionnaire, imported from the repo if absent.

    So that a fresh installation answers the public questionnaire page without a manual import.
    """
    from app.services.forms import current_version, import_form

    version = current_version(session, DEFAULT_FORM_ID)
    if version is not None or not SHIPPED_FORM.exists():
        return version
    try:
        return import_form(session, SHIPPED_FORM.read_bytes(), SHIPPED_FORM.name).version
    except IntegrityError:
        # Another worker imported it at the same moment: use theirs.
        session.rollback()
        return current_version(session, DEFAULT_FORM_ID)


# --------------------------------------------------------------------------- neighbourhoods


def neighbourhoods(session: Session) -> list[Neighbourhood]:
    """All neighbourhoods, by name."""
    return list(session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))


def neighbourhood_by_code(session: Session, code: str | None) -> Neighbourhood | None:
    """The neighbourhood with this code, or None."""
    if not code:
        return None
    return session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))


def ensure_neighbourhood(
    session: Session, code: str, name: str, latitude: float | None, longitude: float | None
) -> Neighbourhood:
    """Create a neighbourhood if its code is unknown; an existing one is left as it is."""
    found = neighbourhood_by_code(session, code)
    if found is not None:
        return found
    item = Neighbourhood(code=code, name=name, latitude=latitude, longitude=longitude)
    session.add(item)
    session.flush()
    return item


def set_bus_stop(session: Session, code: str, stop_name: str, address: str = "") -> Neighbourhood:
    """Say where the bus parks in a neighbourhood (its calendar stop); commit."""
    row = neighbourhood_by_code(session, code)
    if row is None:
        raise SiteError(_("Ce quartier n'existe pas."))
    stop_name, address = " ".join(stop_name.split()), " ".join(address.split())
    if not stop_name:
        raise SiteError(_("Donnez le nom de l'arrêt du bus."))
    if len(stop_name) > 160 or len(address) > 200:
        raise SiteError(_("Le nom (160 caractères) ou l'adresse (200 caractères) est trop long."))
    row.stop_name, row.stop_address = stop_name, address
    session.commit()
    return row


# --------------------------------------------------------------------------- points


def slugify(text: str) -> str:
    """ASCII lowercase words joined by dashes: 'Résidence Canto Perdrix' -> 'residence-canto-perdrix'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:32].strip("-") or "point"


def _unique_point_code(session: Session, name: str) -> str:
    base = slugify(name)
    code = base
    number = 2
    while session.scalar(select(CollectionPoint.id).where(CollectionPoint.code == code)):
        code = f"{base[:36]}-{number}"
        number += 1
    return code


def _check(session: Session, data: PointData) -> Neighbourhood | None:
    name = data.name.strip()
    if not name:
        raise SiteError(_("Donnez un nom au point de recueil."))
    if len(name) > 160:
        raise SiteError(_("Le nom est trop long (160 caractères au plus)."))
    if len(data.address.strip()) > 200:
        raise SiteError(_("L'adresse est trop longue (200 caractères au plus)."))
    if (data.latitude is None) != (data.longitude is None):
        raise SiteError(_("Donnez la latitude et la longitude, ou aucune des deux."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise SiteError(_("La latitude doit être entre -90 et 90."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise SiteError(_("La longitude doit être entre -180 et 180."))
    if data.active_from and data.active_until and data.active_until < data.active_from:
        raise SiteError(_("La date de fin est avant la date de début."))
    if data.neighbourhood_code:
        found = neighbourhood_by_code(session, data.neighbourhood_code)
        if found is None:
            raise SiteError(_("Ce quartier n'existe pas."))
        return found
    return None


def create_point(
    session: Session,
    data: PointData,
    *,
    code: str | None = None,
    is_demo: bool = False,
    attach: str | None = DEFAULT_FORM_ID,
) -> CollectionPoint:
    """Create a collection point (one commit); attach the default questionnaire when it exists."""
    neighbourhood = _check(session, data)
    if code is not None and session.scalar(
        select(CollectionPoint.id).where(CollectionPoint.code == code)
    ):
        raise SiteError(_("Ce code de point de recueil existe déjà."))
    point = CollectionPoint(
        code=code or _unique_point_code(session, data.name),
        name=data.name.strip(),
        kind=data.kind,
        neighbourhood=neighbourhood,
        address=" ".join(data.address.split()),
        latitude=data.latitude,
        longitude=data.longitude,
        active_from=data.active_from,
        active_until=data.active_until,
        is_demo=is_demo,
    )
    session.add(point)
    session.flush()
    if attach:
        form = session.scalar(select(Form).where(Form.form_id == attach))
        if form is not None:
            _attach(session, point, form)
    session.commit()
    return point


def update_point(session: Session, point: CollectionPoint, data: PointData) -> CollectionPoint:
    """Change a point's name, kind, place and dates (its code and links stay: posters live on)."""
    neighbourhood = _check(session, data)
    point.name = data.name.strip()
    point.kind = data.kind
    point.neighbourhood = neighbourhood
    point.address = " ".join(data.address.split())
    point.latitude = data.latitude
    point.longitude = data.longitude
    point.active_from = data.active_from
    point.active_until = data.active_until
    session.commit()
    return point


def set_archived(session: Session, point: CollectionPoint, archived: bool) -> CollectionPoint:
    """Archive a point (its answers stay; its links stop recording it) or bring it back."""
    point.archived = archived
    session.commit()
    return point


def list_points(session: Session, include_archived: bool = True) -> list[CollectionPoint]:
    """Collection points by name, active ones first (with their neighbourhood and links loaded)."""
    query = (
        select(CollectionPoint)
        .options(
            selectinload(CollectionPoint.neighbourhood),
            selectinload(CollectionPoint.links).selectinload(CollectionLink.form),
        )
        .order_by(CollectionPoint.archived, CollectionPoint.name)
    )
    if not include_archived:
        query = query.where(CollectionPoint.archived.is_(False))
    return list(session.scalars(query))


def get_point(session: Session, point_id: int) -> CollectionPoint | None:
    """The point with this id, or None."""
    return session.get(CollectionPoint, point_id)


def point_by_code(session: Session, code: str) -> CollectionPoint | None:
    """The point with this code, or None."""
    return session.scalar(select(CollectionPoint).where(CollectionPoint.code == code))


def response_counts(session: Session) -> dict[int, int]:
    """Submitted responses per collection point id."""
    rows = session.execute(
        select(Response.collection_point_id, func.count())
        .where(Response.status == ResponseStatus.SUBMITTED)
        .where(Response.collection_point_id.is_not(None))
        .group_by(Response.collection_point_id)
    )
    return {int(point_id): int(count) for point_id, count in rows}


def is_active_on(point: CollectionPoint, day: date) -> bool:
    """True when the point is not archived and ``day`` falls within its active dates."""
    if point.archived:
        return False
    if point.active_from and day < point.active_from:
        return False
    return not (point.active_until and day > point.active_until)


# --------------------------------------------------------------------------- links


def new_link_code(session: Session) -> str:
    """A fresh short code (5 characters of 31: about 28 million possibilities)."""
    for _attempt in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))
        if not session.scalar(select(CollectionLink.id).where(CollectionLink.code == code)):
            return code
    raise SiteError(_("Impossible de créer un code court. Réessayez."))


def normalise_code(raw: str) -> str | None:
    """A typed code in canonical form (lowercase, no spaces), or None if it cannot be one."""
    code = re.sub(r"[\s\-]+", "", raw or "").lower()
    return code if _CODE_RE.match(code) else None


def _attach(session: Session, point: CollectionPoint, form: Form) -> CollectionLink:
    existing = session.scalar(
        select(CollectionLink).where(
            CollectionLink.collection_point_id == point.id, CollectionLink.form_pk == form.id
        )
    )
    if existing is not None:
        return existing
    link = CollectionLink(code=new_link_code(session), form=form, collection_point=point)
    session.add(link)
    session.flush()
    return link


def attach_form(session: Session, point: CollectionPoint, form_id: str) -> CollectionLink:
    """Offer a questionnaire at a point (idempotent: the same pair keeps its code)."""
    form = session.scalar(select(Form).where(Form.form_id == form_id))
    if form is None or not form.versions:
        raise SiteError(_("Ce questionnaire n'existe pas."))
    if missing_files(session, form):
        raise SiteError(
            _(
                "Ce questionnaire attend encore des fichiers (fichiers manquants : %(files)s). "
                "Joignez-les en important à nouveau le questionnaire avec ses fichiers.",
                files=", ".join(missing_files(session, form)),
            )
        )
    link = _attach(session, point, form)
    session.commit()
    return link


def missing_files(session: Session, form: Form) -> list[str]:
    """List files the form's current version still waits for (empty when it can be offered)."""
    from app.services.forms import current_version, load_definition

    version = current_version(session, form.form_id)
    return list(load_definition(version).missing_files) if version is not None else []


def detach_link(session: Session, link: CollectionLink) -> None:
    """Stop offering a questionnaire at a point (its answers stay; its posters stop working)."""
    session.delete(link)
    session.commit()


def find_link(session: Session, code: str) -> CollectionLink | None:
    """The link with this short code (typed forms tolerated), or None."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return session.scalar(select(CollectionLink).where(CollectionLink.code == normalised))


@functools.cache
def _link_and_version_query():  # type: ignore[no-untyped-def]
    newest = (
        select(func.max(FormVersion.id))
        .where(FormVersion.form_pk == CollectionLink.form_pk)
        .correlate(CollectionLink)
        .scalar_subquery()
    )
    return (
        select(CollectionLink, FormVersion)
        .outerjoin(FormVersion, FormVersion.id == newest)
        .options(joinedload(CollectionLink.form), joinedload(CollectionLink.collection_point))
        .where(CollectionLink.code == bindparam("code"))
    )


def find_link_and_version(
    session: Session, code: str
) -> tuple[CollectionLink, FormVersion | None] | None:
    """The link with this short code, its form and point, and the form's newest version.

    One query for what the QR start page needs (it was four: the link, then its form, its
    newest version and its point, each a round trip to the database). The statement is built
    once per process: building it cost as much as running it.
    """
    normalised = normalise_code(code)
    if normalised is None:
        return None
    row = session.execute(_link_and_version_query(), {"code": normalised}).first()
    return None if row is None else (row[0], row[1])


def forms_available(session: Session) -> list[Form]:
    """Questionnaires that can be offered: a version, not archived, no list file missing."""
    forms = session.scalars(select(Form).where(Form.archived.is_(False)).order_by(Form.title))
    return [f for f in forms if f.versions and not missing_files(session, f)]


def base_url() -> str:
    """The public address QR codes point to (``MAIRIEBUS_BASE_URL``, without trailing slash)."""
    return str(current_app.config["MAIRIEBUS_BASE_URL"]).rstrip("/")


def link_url(link: CollectionLink) -> str:
    """The public short URL of a link: ``{MAIRIEBUS_BASE_URL}/q/<code>``."""
    return f"{base_url()}/q/{link.code}"


def short_display(url: str) -> str:
    """The URL as written on a poster: without the scheme."""
    return re.sub(r"^https?://", "", url)


def main_link(point: CollectionPoint) -> CollectionLink | None:
    """The point's link to the Mairie Bus questionnaire, else its oldest link."""
    links = sorted(point.links, key=lambda link: link.id)
    for link in links:
        if link.form.form_id == DEFAULT_FORM_ID:
            return link
    return links[0] if links else None


def point_url(point: CollectionPoint) -> str | None:
    """The public URL of the point's main link, or None if no questionnaire is attached."""
    link = main_link(point)
    return link_url(link) if link else None


# --------------------------------------------------------------------------- QR codes


def qr_png(url: str, scale: int = 10) -> bytes:
    """A PNG QR code of ``url`` with error correction H and a quiet zone of 4 modules."""
    qr = segno.make(url, error=QR_ERROR, boost_error=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(1, min(scale, 40)), border=4)
    return out.getvalue()


def qr_svg(url: str, title: str | None = None) -> bytes:
    """An SVG QR code of ``url`` (error correction H), scalable for print."""
    qr = segno.make(url, error=QR_ERROR, boost_error=False)
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        scale=10,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        unit=None,
        svgclass="qr",
        lineclass=None,
    )
    return out.getvalue()
