"""All models, imported here so Alembic and ``db.create_all`` see every table."""

from app.models.accounts import Role, User
from app.models.passes import (
    AidantNote,
    Assessment,
    AssessmentKind,
    LevelResult,
    LevelStatus,
    Observation,
    Pass,
)
from app.models.surveys import (
    Answer,
    Channel,
    CollectionLink,
    CollectionPoint,
    Form,
    FormAttachment,
    FormVersion,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.models.throttle import ThrottleCounter


def _import_area_models() -> None:
    """Import every model module so areas register their tables without editing this file."""
    from app.discovery import submodules

    submodules("app.models")


_import_area_models()

__all__ = [
    "AidantNote",
    "Answer",
    "Assessment",
    "AssessmentKind",
    "Channel",
    "CollectionLink",
    "CollectionPoint",
    "Form",
    "FormAttachment",
    "FormVersion",
    "LevelResult",
    "LevelStatus",
    "Neighbourhood",
    "Observation",
    "Pass",
    "PointKind",
    "Response",
    "ResponseStatus",
    "Role",
    "ThrottleCounter",
    "User",
]
