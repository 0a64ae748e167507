"""Coordinators' dashboard: load the answers with pandas, compute the figures once, cache them.

Loading: Core selects of *submitted* responses (with their form, collection point and
neighbourhood codes), their answers (outside repeats) and the Pass level results, read with
``pd.read_sql`` into the frames of the shared codes, then widened once
(``surveys.analytics.wide_responses``).

Caching, in this process: the wide table is kept with the *data version* it was built from
(number of submitted responses, latest submission, latest response id, number and latest id of
level results). Every request asks the database for the version (two small aggregate queries).
When only new submissions arrived (submitted responses are never changed), just those are read
and appended; when anything else changed (demo data removed, old answers deleted), everything is
reloaded. The aggregates of each set of filters are cached under (data version, places, filters),
so a page is computed once and then served from memory until new answers arrive. Each worker
process holds its own copy; what one worker computes is also written to a store shared by all
of them (``app.services.dashboard_store``, in the instance folder), so a new or restarted
worker reads the tables and figures back instead of paying the full load again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, make_url, select, type_coerce
from sqlalchemy.orm import Session, aliased

from app.models import (
    Answer,
    Assessment,
    CollectionPoint,
    Form,
    FormVersion,
    LevelResult,
    Neighbourhood,
    Pass,
    Response,
    ResponseStatus,
)
from app.services.dashboard_store import DashboardStore
from surveys import analytics as A
from surveys import charts as C
from surveys import mapping as M
from surveys import personas as P
from surveys import wordcloud as W
from surveys.cells import safe_cell
from surveys.labels import (
    CHANNEL_LABELS,
    NEIGHBOURHOOD_LABELS,
    NEIGHBOURHOODS,
    SUPPRESSED_TEXT,
    THEMES,
    theme_label,
)

#: Demo choices of the filter form: real answers only, both, demo answers only.
DEMO_CHOICES = {"real": False, "all": None, "demo": True}
#: The shared tables are rewritten after this many appended responses (see DashboardCache).
SHARE_EVERY = 500
#: How many filtered views each process keeps.
CACHE_SIZE = 24
WORDS_ON_PAGE = 40


class DashboardError(Exception):
    """The dashboard cannot answer (message in French)."""


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class PlaceInfo:
    """A collection point or a neighbourhood as the filters and the map need it."""

    code: str
    name: str
    kind: str  # "collection_point" | "neighbourhood"
    lat: float | None
    lon: float | None
    archived: bool = False


@dataclass(frozen=True)
class Places:
    """Forms, collection points and neighbourhoods known to the database (small; read each time)."""

    forms: tuple[tuple[str, str], ...]
    points: tuple[PlaceInfo, ...]
    neighbourhoods: tuple[PlaceInfo, ...]

    @property
    def point_names(self) -> dict[str, str]:
        return {p.code: p.name for p in self.points}

    @property
    def neighbourhood_codes(self) -> tuple[str, ...]:
        known = [p.code for p in self.neighbourhoods]
        return tuple(known) if known else NEIGHBOURHOODS

    def neighbourhood_name(self, code: str) -> str:
        for place in self.neighbourhoods:
            if place.code == code:
                return place.name
        return NEIGHBOURHOOD_LABELS.get(code, code)

    def map_places(self) -> list[M.Place]:
        """Places with coordinates, for the needs map."""
        out = []
        for place in self.neighbourhoods + self.points:
            if place.lat is None or place.lon is None:
                continue
            kind = "collection_point" if place.kind == "collection_point" else "neighbourhood"
            out.append(M.Place(place.code, place.name, kind, place.lat, place.lon))  # type: ignore[arg-type]
        return out


def load_places(session: Session) -> Places:
    """Forms, collection points and neighbourhoods, in display order."""
    forms = tuple(
        (row.form_id, row.title)
        for row in session.execute(select(Form.form_id, Form.title).order_by(Form.form_id))
    )
    points = tuple(
        PlaceInfo(p.code, p.name, "collection_point", p.latitude, p.longitude, p.archived)
        for p in session.scalars(select(CollectionPoint).order_by(CollectionPoint.name))
    )
    order = {code: i for i, code in enumerate(NEIGHBOURHOODS)}
    hoods = sorted(
        session.scalars(select(Neighbourhood)),
        key=lambda h: (order.get(h.code, len(order)), h.name),
    )
    neighbourhoods = tuple(
        PlaceInfo(h.code, h.name, "neighbourhood", h.latitude, h.longitude) for h in hoods
    )
    return Places(forms, points, neighbourhoods)


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class DataVersion:
    """What the cached tables were built from; any change means new or removed data."""

    responses: int
    last_submitted_at: str
    last_response_id: int
    response_id_sum: int
    level_results: int
    last_level_result_id: int


def data_version(session: Session) -> DataVersion:
    """The current version of the dashboard's data (two aggregate queries)."""
    row = session.execute(
        select(
            func.count(Response.id),
            func.max(Response.submitted_at),
            func.max(Response.id),
            # With the count, catches one response removed and another added.
            func.sum(Response.id),
        ).where(Response.status == ResponseStatus.SUBMITTED)
    ).one()
    results = session.execute(select(func.count(LevelResult.id), func.max(LevelResult.id))).one()
    return DataVersion(
        int(row[0] or 0),
        _iso(row[1]),
        int(row[2] or 0),
        int(row[3] or 0),
        int(results[0] or 0),
        int(results[1] or 0),
    )


def _iso(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite gives back naive UTC datetimes
    return moment.astimezone(UTC).isoformat()


def _submitted():  # type: ignore[no-untyped-def]
    return Response.status == ResponseStatus.SUBMITTED


def responses_select(since: datetime | None = None):  # type: ignore[no-untyped-def]
    """Core select of the response-level table (shared codes) of submitted responses."""
    response_hood = aliased(Neighbourhood)
    point_hood = aliased(Neighbourhood)
    query = (
        select(
            Response.id.label("response_id"),
            Form.form_id.label("form_id"),
            FormVersion.version.label("form_version"),
            CollectionPoint.code.label("collection_point"),
            func.coalesce(response_hood.code, point_hood.code).label("neighbourhood"),
            # Raw stored values ('self', 'assisted'), not Python enums.
            type_coerce(Response.channel, String).label("channel"),
            Response.language.label("language"),
            Response.submitted_at.label("submitted_at"),
            Response.is_demo.label("is_demo"),
        )
        .join(FormVersion, Response.form_version_id == FormVersion.id)
        .join(Form, FormVersion.form_pk == Form.id)
        .outerjoin(CollectionPoint, Response.collection_point_id == CollectionPoint.id)
        .outerjoin(response_hood, Response.neighbourhood_id == response_hood.id)
        .outerjoin(point_hood, CollectionPoint.neighbourhood_id == point_hood.id)
        .where(_submitted())
    )
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    return query.order_by(Response.id)


def answers_select(since: datetime | None = None):  # type: ignore[no-untyped-def]
    """Core select of the long answer table of submitted responses (outside repeats)."""
    query = (
        select(Answer.response_id, Answer.question, Answer.repeat_index, Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .where(_submitted(), Answer.repeat_index == 0)
    )
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    return query


def pass_results_select():  # type: ignore[no-untyped-def]
    """Core select of the Pass results table (shared codes), with each Pass's demo flag."""
    sitting_hood = aliased(Neighbourhood)
    pass_hood = aliased(Neighbourhood)
    return (
        select(
            LevelResult.assessment_id.label("assessment_id"),
            # A deleted Pass leaves its sittings without a pass: each counts on its own.
            func.coalesce(Assessment.pass_id, -Assessment.id).label("pass_id"),
            LevelResult.domain.label("domain"),
            LevelResult.level.label("level"),
            type_coerce(LevelResult.status, String).label("status"),
            func.coalesce(Assessment.finished_at, Assessment.started_at).label("assessed_at"),
            func.coalesce(sitting_hood.code, pass_hood.code).label("neighbourhood"),
            type_coerce(Assessment.channel, String).label("channel"),
            func.coalesce(Pass.is_demo, False).label("is_demo"),
        )
        .join(Assessment, LevelResult.assessment_id == Assessment.id)
        .outerjoin(Pass, Assessment.pass_id == Pass.id)
        .outerjoin(sitting_hood, Assessment.neighbourhood_id == sitting_hood.id)
        .outerjoin(pass_hood, Pass.neighbourhood_id == pass_hood.id)
        .order_by(LevelResult.id)
    )


def _read(session: Session, query) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Run a Core select and return its rows as a frame.

    Without parameters to bind (the full loads), the rows come straight from the driver's
    cursor: SQLAlchemy's per-row result handling costs seconds on a million answers.
    Datetimes then come back as datetime (PostgreSQL) or ISO text (SQLite), which
    surveys.analytics reads as UTC either way.
    """
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect)
    if compiled.params and any(value is not None for value in compiled.params.values()):
        if not _literal_only(compiled.params):
            return pd.read_sql(query, connection)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def _literal_only(params: dict[str, Any]) -> bool:
    """True when every bound value renders safely as an SQL literal (codes and numbers)."""
    import enum

    return all(isinstance(v, int | enum.Enum) and not isinstance(v, bool) for v in params.values())


def _empty(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def load_frames(
    session: Session, since: datetime | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The response-level and long answer tables of submitted responses (since a moment)."""
    responses = _read(session, responses_select(since))
    answers = _read(session, answers_select(since))
    if responses.empty:
        responses = _empty(A.RESPONSE_COLUMNS)
    if answers.empty:
        answers = _empty(A.ANSWER_COLUMNS)
    responses["is_demo"] = responses["is_demo"].astype(bool)
    return responses, answers


def load_pass_results(session: Session) -> pd.DataFrame:
    """The Pass results table (shared codes) plus an `is_demo` column."""
    frame = _read(session, pass_results_select())
    if frame.empty:
        return _empty([*A.PASS_COLUMNS, "is_demo"])
    frame["is_demo"] = frame["is_demo"].astype(bool)
    return frame


# --------------------------------------------------------------------------- base tables


@dataclass
class BaseTables:
    """Everything read from the database, widened once; shared by every filtered view."""

    version: DataVersion
    wide: pd.DataFrame
    free_text: pd.DataFrame
    passes: pd.DataFrame
    #: True when built by appending new responses to earlier tables (not read in full).
    appended: bool = False
    #: Pass figures per set of the filters that apply to Passes (period, neighbourhood, channel,
    #: demo), so that a new collection-point or form filter reuses them (see _pass_figures).
    pass_figures: dict[tuple[Any, ...], tuple[pd.DataFrame, pd.DataFrame]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _free_text(answers: pd.DataFrame) -> pd.DataFrame:
    return answers.loc[answers["question"].isin(list(W.FREE_TEXT_QUESTIONS))].reset_index(drop=True)


def _append_wide(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Old and new wide rows together; one-hot columns missing on a side are False."""
    if new.empty:
        return old
    if old.empty:
        return new
    new = new.loc[~new["response_id"].isin(old["response_id"])]
    columns = list(old.columns) + [c for c in new.columns if c not in old.columns]
    old = _complete(old, columns, new)
    new = _complete(new, columns, old)
    # Same columns and dtypes on both sides, so pandas has nothing to guess.
    new = new.astype({c: old[c].dtype for c in columns if new[c].dtype != old[c].dtype})
    return pd.concat([old[columns], new[columns]], ignore_index=True)


def _complete(frame: pd.DataFrame, columns: list[str], other: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    extra = {
        c: (
            pd.Series(False, index=frame.index, dtype=bool)
            if "/" in str(c)
            else pd.Series(pd.NA, index=frame.index, dtype=other[c].dtype)
        )
        for c in missing
    }
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def build_tables(session: Session, previous: BaseTables | None = None) -> BaseTables:
    """Base tables at the current data version, reusing `previous` when only answers were added."""
    version = data_version(session)
    if previous is not None and previous.version == version:
        return previous
    passes = (
        previous.passes
        if previous is not None
        and (previous.version.level_results, previous.version.last_level_result_id)
        == (version.level_results, version.last_level_result_id)
        else load_pass_results(session)
    )
    if previous is not None and previous.version.responses and version.responses:
        since = datetime.fromisoformat(previous.version.last_submitted_at)
        responses, answers = load_frames(session, since)
        known = set(previous.wide["response_id"].tolist())
        added = responses.loc[~responses["response_id"].isin(known)]
        if previous.version.responses + len(added) == version.responses:
            # Only additions: widen the new responses alone and append them.
            answers = answers.loc[answers["response_id"].isin(added["response_id"])]
            wide = _append_wide(previous.wide, A.wide_responses(answers, added))
            free = pd.concat([previous.free_text, _free_text(answers)], ignore_index=True)
            return BaseTables(version, wide, free, passes, appended=True)
    responses, answers = load_frames(session)
    wide = A.wide_responses(answers, responses)
    return BaseTables(version, wide, _free_text(answers), passes)


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class DashboardFilters:
    """The filters of the dashboard form, as plain values (hashable: part of the cache key)."""

    start: date | None = None
    end: date | None = None
    form_id: str | None = None
    collection_point: str | None = None
    neighbourhood: str | None = None
    channel: str | None = None
    demo: str = "real"

    def analytics(self) -> A.Filters:
        """The same filters for surveys.analytics."""
        if self.demo not in DEMO_CHOICES:
            raise DashboardError(_("Le choix des réponses de démonstration n'est pas valable."))
        try:
            return A.Filters(
                start=self.start,
                end=self.end,
                form_id=self.form_id or None,
                collection_points=(self.collection_point,) if self.collection_point else (),
                neighbourhoods=(self.neighbourhood,) if self.neighbourhood else (),
                channel=self.channel or None,
                demo=DEMO_CHOICES[self.demo],
            )
        except A.AnalyticsError as error:
            raise DashboardError(str(error)) from error

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (for links to exports and the report)."""
        args = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "form": self.form_id or "",
            "point": self.collection_point or "",
            "neighbourhood": self.neighbourhood or "",
            "channel": self.channel or "",
            "demo": self.demo,
        }
        return {k: v for k, v in args.items() if v}


# --------------------------------------------------------------------------- figures


@dataclass
class DashboardData:
    """Every figure of one filtered view, suppressed ("moins de 5") where needed."""

    filters: DashboardFilters
    version: DataVersion
    key: dict[str, Any]
    personas: P.PersonaResult
    frames: dict[str, pd.DataFrame]
    charts: dict[str, C.Chart]
    words: list[W.WordCount]
    wide: pd.DataFrame = field(repr=False)
    places: Places = field(repr=False)
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    maps: dict[str | None, C.Chart] = field(default_factory=dict)
    #: True when these are the previous figures, shown while new answers are being counted.
    refreshing: bool = False


def _domain_labels() -> dict[str, str]:
    try:
        from badges.skills import load_framework

        return {d.code: d.name for d in load_framework().domains}
    except Exception:  # noqa: BLE001 - the framework is optional for the dashboard
        return {}


def key_figures(wide: pd.DataFrame, passes: pd.DataFrame, k: int = A.MIN_PEOPLE) -> dict[str, Any]:
    """Headline numbers (None when computed from fewer than `k` people)."""
    figures = A.key_figures(wide, k=k)
    count = int(passes["pass_id"].nunique()) if len(passes) else 0
    figures["passes"] = count if count >= k else None
    return figures


def _pass_frame(passes: pd.DataFrame, filters: DashboardFilters) -> pd.DataFrame:
    wanted = DEMO_CHOICES.get(filters.demo)
    if wanted is not None and len(passes):
        passes = passes.loc[passes["is_demo"] == wanted]
    return passes.loc[:, list(A.PASS_COLUMNS)]


#: Sets of Pass figures kept per base tables.
PASS_FIGURES_KEPT = 8


def _pass_figures(
    tables: BaseTables, filters: DashboardFilters, criteria: A.Filters
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pass levels and the Passes kept (their ids), computed once per set of Pass filters."""
    memo = tables.pass_figures
    key = (filters.demo, criteria.start, criteria.end, criteria.neighbourhoods, criteria.channel)
    if key not in memo:
        passes = _pass_frame(tables.passes, filters)
        filtered = A.filter_pass_results(passes, criteria)
        levels = A.pass_levels(passes, criteria, kept=filtered)
        if len(memo) >= PASS_FIGURES_KEPT:
            memo.clear()  # a handful of filter sets at a time; a background refresh may share it
        memo[key] = (levels, filtered.loc[:, ["pass_id"]])
    levels, kept = memo[key]
    return levels.copy(), kept


def compute(tables: BaseTables, filters: DashboardFilters, places: Places) -> DashboardData:
    """All figures for one set of filters, from the base tables."""
    criteria = filters.analytics()
    wide = _filter_wide(tables.wide, criteria)
    pass_levels, kept_passes = _pass_figures(tables, filters, criteria)
    point_names = places.point_names
    frames: dict[str, pd.DataFrame] = {
        "requests_by_theme": A.requests_by_theme(wide),
        "how_heard": A.how_heard(wide),
        "expectations": A.expectations(wide),
        "age_by_neighbourhood": A.age_by_neighbourhood(wide),
        "pass_levels": pass_levels,
        "answers_over_time": A.answers_over_time(
            wide, "month" if _span_days(wide) > 180 else "week"
        ),
        "profile": A.most_frequent_profile(wide, point_names=point_names),
        "profile_by_point": A.most_frequent_profile(
            wide, "collection_point", point_names=point_names
        ),
        "profile_by_neighbourhood": A.most_frequent_profile(wide, "neighbourhood"),
    }
    words = W.word_frequencies(tables.free_text, response_ids=wide["response_id"])
    frames["words"] = W.frequency_table(words)
    domain_labels = _domain_labels()
    charts = {
        "requests_by_theme": C.requests_by_theme_chart(frames["requests_by_theme"]),
        "age_by_neighbourhood": C.age_neighbourhood_chart(frames["age_by_neighbourhood"]),
        "how_heard": C.how_heard_chart(frames["how_heard"]),
        "expectations": C.expectations_chart(frames["expectations"]),
        "pass_levels": C.pass_levels_chart(frames["pass_levels"], domain_labels=domain_labels),
        "answers_over_time": C.answers_over_time_chart(frames["answers_over_time"]),
        "words": W.word_cloud(words),
    }
    persona_result = P.find_personas(wide, point_names=point_names)
    data = DashboardData(
        filters=filters,
        version=tables.version,
        key=key_figures(wide, kept_passes),
        personas=persona_result,
        frames=frames,
        charts=charts,
        words=words,
        wide=wide,
        places=places,
    )
    frames["needs_map"] = _map_frame(needs_map(data, None))
    return data


def needs_map(data: DashboardData, theme: str | None) -> C.Chart:
    """The needs map of a view, for all needs or the people citing one theme (cached)."""
    if theme is not None and theme not in THEMES:
        raise DashboardError(_("Ce thème n'existe pas."))
    if theme not in data.maps:
        data.maps[theme] = M.needs_map(
            data.wide, data.places.map_places(), theme=theme, town=M.load_town()
        )
    return data.maps[theme]


def _map_frame(chart: C.Chart) -> pd.DataFrame:
    return pd.DataFrame(list(chart.rows), columns=list(chart.columns))


def _span_days(wide: pd.DataFrame) -> int:
    if wide.empty:
        return 0
    moments = wide["submitted_at"]
    return int((moments.max() - moments.min()).days)


def _filter_wide(wide: pd.DataFrame, criteria: A.Filters) -> pd.DataFrame:
    if wide.empty:
        return wide
    kept = A.filter_responses(wide, criteria, cleaned=True)
    if len(kept) == len(wide):
        return wide
    return wide.loc[wide["response_id"].isin(kept["response_id"])].reset_index(drop=True)


# --------------------------------------------------------------------------- cache


class DashboardCache:
    """Base tables and computed views of this process, refreshed when the data version changes.

    When new answers arrive, the base tables are brought up to date at once (only the new
    responses are read). The figures of a view are recomputed either before answering
    (`wait=True`: the CLI, exports, tests) or in a background thread while the page shows
    the previous figures with a notice (`wait=False`: the dashboard page, so it never waits
    for a full recomputation); the next page gets the new figures.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._lock = threading.Lock()
        self._tables: BaseTables | None = None
        self._views: OrderedDict[tuple[Any, ...], DashboardData] = OrderedDict()
        self._latest: dict[tuple[Any, ...], DashboardData] = {}
        self._running: dict[tuple[Any, ...], threading.Thread] = {}
        self._size = size
        self._shared_responses: int | None = None
        self.stats = {"loads": 0, "computes": 0, "hits": 0, "stale": 0}
        #: Tables and views read from the shared store instead of being computed.
        self.shared = {"tables": 0, "views": 0}

    def clear(self) -> None:
        """Forget everything (tests, benchmarks)."""
        self.wait_idle()
        with self._lock:
            self._tables = None
            self._shared_responses = None
            self._views.clear()
            self._latest.clear()
            self.stats = {"loads": 0, "computes": 0, "hits": 0, "stale": 0}
            self.shared = {"tables": 0, "views": 0}

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Wait for background recomputations to finish."""
        for thread in list(self._running.values()):
            thread.join(timeout)

    def tables(self, session: Session) -> BaseTables:
        """Base tables at the current data version.

        A worker with nothing in memory starts from the tables another worker stored in the
        shared store (when there is one), so it only reads the answers that arrived since.
        """
        store = shared_store()
        with self._lock:
            previous = self._tables
            if previous is None and store is not None:
                previous = store.load_tables()
                if previous is not None:
                    self.shared["tables"] += 1
                    self._shared_responses = previous.version.responses
            tables = build_tables(session, previous)
            if tables is not self._tables:
                if tables is not previous:
                    self.stats["loads"] += 1
                    if store is not None and self._worth_sharing(tables, previous):
                        store.save_tables(tables)
                        self._shared_responses = tables.version.responses
                self._tables = tables
                # Views of older versions can never be asked again.
                for key in [k for k in self._views if k[0] != tables.version]:
                    del self._views[key]
            return tables

    def _worth_sharing(self, tables: BaseTables, previous: BaseTables | None) -> bool:
        """Write the tables when read in full, or once enough answers were appended since.

        Appending a few answers is cheap for the next worker too (it reads only those), so the
        tables are not rewritten on every new answer.
        """
        if not tables.appended or previous is None or self._shared_responses is None:
            return True
        return abs(tables.version.responses - self._shared_responses) >= SHARE_EVERY

    def _store(
        self, key: tuple[Any, ...], data: DashboardData, store: DashboardStore | None = None
    ) -> None:
        if store is not None:
            stored = replace(data, wide=data.wide.iloc[0:0], refreshing=False)
            store.save_view(key[0], key, stored)
            store.save_latest(key[1:], stored)
        with self._lock:
            self.stats["computes"] += 1
            self._remember(key, data)

    def _remember(self, key: tuple[Any, ...], data: DashboardData) -> None:
        """Keep a view in memory (the lock is held)."""
        self._views[key] = data
        self._latest[key[1:]] = data
        while len(self._views) > self._size:
            self._views.popitem(last=False)
        while len(self._latest) > self._size:
            self._latest.pop(next(iter(self._latest)))

    def _refresh_in_background(
        self, key: tuple[Any, ...], tables: BaseTables, filters: DashboardFilters, places: Places
    ) -> None:
        store = shared_store()

        def run() -> None:
            try:
                self._store(key, compute(tables, filters, places), store)
            except Exception:  # noqa: BLE001 - the next page computes in the foreground
                import logging

                logging.getLogger(__name__).exception("Dashboard refresh failed")
            finally:
                with self._lock:
                    self._running.pop(key, None)

        with self._lock:
            if key in self._running:
                return
            thread = threading.Thread(target=run, name="dashboard-refresh", daemon=True)
            self._running[key] = thread
        thread.start()

    def view(
        self,
        session: Session,
        filters: DashboardFilters,
        places: Places | None = None,
        *,
        wait: bool = True,
    ) -> DashboardData:
        """The figures for `filters`, computed once per data version.

        With `wait=False`, figures of an older version (marked `refreshing`) may be returned
        while the new ones are computed in the background.
        """
        tables = self.tables(session)
        places = places or load_places(session)
        key = (tables.version, places, filters)
        with self._lock:
            cached = self._views.get(key)
            if cached is not None:
                self._views.move_to_end(key)
                self.stats["hits"] += 1
                return cached
            previous = self._latest.get(key[1:])
        store = shared_store()
        shared = store.load_view(tables.version, key) if store is not None else None
        if isinstance(shared, DashboardData):
            # Computed by another worker: only the filtered wide table is derived again.
            data = replace(shared, wide=_filter_wide(tables.wide, filters.analytics()))
            with self._lock:
                self.shared["views"] += 1
                self._remember(key, data)
            return data
        if not wait and previous is None and store is not None:
            older = store.load_latest(key[1:])
            if isinstance(older, DashboardData) and older.version != tables.version:
                previous = replace(older, wide=_filter_wide(tables.wide, filters.analytics()))
        if not wait and previous is not None:
            self._refresh_in_background(key, tables, filters, places)
            with self._lock:
                self.stats["stale"] += 1
            return replace(previous, refreshing=True)
        data = compute(tables, filters, places)
        self._store(key, data, store)
        return data


_CACHE = DashboardCache()


def shared_store() -> DashboardStore | None:
    """The store shared by the workers of this app, or None when switched off.

    On by default; off in tests unless ``DASHBOARD_SHARED_CACHE`` is set (the test database is
    rolled back between tests, so two tests may share a data version with different answers).
    """
    if not has_app_context():
        return None
    app = current_app
    if not app.config.get("DASHBOARD_SHARED_CACHE", not app.testing):
        return None
    directory = (
        app.config.get("DASHBOARD_CACHE_DIR") or Path(app.instance_path) / "cache" / "dashboard"
    )
    scope = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    return DashboardStore(Path(directory), scope)


def cache() -> DashboardCache:
    """The process-wide dashboard cache."""
    return _CACHE


def dashboard_data(session: Session, filters: DashboardFilters | None = None) -> DashboardData:
    """Figures for the dashboard, the report, the exports and the CLI (cached)."""
    return _CACHE.view(session, filters or DashboardFilters())


def default_demo_choice(session: Session) -> str:
    """ "real" when real answers exist, otherwise "all" (a new install shows its demo data)."""
    real = session.scalar(
        select(func.count(Response.id)).where(_submitted(), Response.is_demo.is_(False))
    )
    return "real" if real else "all"


# --------------------------------------------------------------------------- exports

#: Column headers of the exported tables (translated when the file is built).
HEADERS = {
    "question": _l("Question"),
    "code": _l("Code"),
    "label": _l("Réponse"),
    "count": _l("Personnes"),
    "percent": _l("Part"),
    "base": _l("Personnes ayant répondu"),
    "age_band": _l("Tranche d'âge (code)"),
    "age_label": _l("Tranche d'âge"),
    "neighbourhood": _l("Quartier (code)"),
    "neighbourhood_label": _l("Quartier"),
    "domain": _l("Domaine"),
    "passes": _l("Pass"),
    "mean_level": _l("Niveau moyen"),
    "level_0": _l("Pas encore commencé"),
    "level_1": _l("Niveau 1"),
    "level_2": _l("Niveau 2"),
    "level_3": _l("Niveau 3"),
    "level_4": _l("Niveau 4"),
    "period_start": _l("Début de la période"),
    "group": _l("Groupe (code)"),
    "group_label": _l("Groupe"),
    "people": _l("Personnes"),
    "gender": _l("Genre (code)"),
    "household": _l("Foyer (code)"),
    "profile_label": _l("Profil le plus fréquent"),
    "word": _l("Mot"),
    "key": _l("Forme regroupée"),
}

#: Exported aggregates: file/sheet name and title (translated when built), in order.
EXPORTS = (
    ("chiffres_cles", _l("Chiffres clés")),
    ("profils_types", _l("Profils types")),
    ("profil_frequent", _l("Profil le plus fréquent")),
    ("demandes_par_theme", _l("Demandes par thème")),
    ("age_par_quartier", _l("Âge par quartier")),
    ("venue", _l("Pourquoi et comment les gens sont venus")),
    ("attentes", _l("Attentes")),
    ("niveaux_pass", _l("Niveaux du Pass")),
    ("reponses_dans_le_temps", _l("Réponses dans le temps")),
    ("carte_des_besoins", _l("Carte des besoins")),
    ("mots", _l("Mots des demandes écrites")),
)
EXPORT_NAMES = tuple(name for name, _title in EXPORTS)


def _key_frame(data: DashboardData) -> pd.DataFrame:
    key = data.key
    rows = [
        (_("Réponses"), key["responses"]),
        (_("Réponses avec un aidant"), key["assisted"]),
        (_("Part avec un aidant (%)"), key["assisted_percent"]),
        (_("Points de recueil"), key["collection_points"]),
        (_("Quartiers"), key["neighbourhoods"]),
        (_("Pass informatique"), key["passes"]),
    ]
    return pd.DataFrame(rows, columns=[_("Indicateur"), _("Valeur")])


def _personas_frame(data: DashboardData) -> pd.DataFrame:
    def traits(items: Iterable[P.Trait]) -> str:
        return " ; ".join(f"{t.label} ({t.count})" for t in items)

    # Built with short keys, renamed to the reader's language at the end.
    headers = {
        "profile": _("Profil"),
        "description": _("Description"),
        "people": _("Personnes"),
        "percent": _("Part (%)"),
        "total": _("Sur"),
        "defining": _("Réponses communes"),
        "needs": _("Besoins"),
        "expectations": _("Attentes"),
        "confidence": _("Fiabilité"),
    }
    rows = [
        {
            "profile": p.number,
            "description": p.sentence,
            "people": p.count,
            "percent": p.percent,
            "total": p.total,
            "defining": traits(p.defining),
            "needs": traits(p.needs),
            "expectations": traits(p.expectations),
            "confidence": p.confidence,
        }
        for p in data.personas.personas
    ]
    columns = list(headers)
    frame = pd.DataFrame(rows, columns=columns)
    if data.personas.hidden_people:
        hidden = data.personas.hidden_people
        note = {c: "" for c in columns}
        note["description"] = _("Petits groupes non montrés")
        note["people"] = hidden if hidden >= A.MIN_PEOPLE else pd.NA
        frame = pd.concat([frame, pd.DataFrame([note])], ignore_index=True)
    frame["people"] = frame["people"].astype("Int64")
    return frame.rename(columns=headers)


def _profiles_frame(data: DashboardData) -> pd.DataFrame:
    parts = []
    for name, label in (
        ("profile", _("Ensemble")),
        ("profile_by_point", _("Par point de recueil")),
        ("profile_by_neighbourhood", _("Par quartier")),
    ):
        frame = data.frames[name].copy()
        frame.insert(0, "by", label)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    return out.drop(columns=["group"]).rename(columns={"by": _("Regroupement")})


def export_frames(data: DashboardData) -> dict[str, pd.DataFrame]:
    """Every exported aggregate, numbers kept as numbers and NA where hidden (by EXPORTS name)."""
    frames = data.frames
    return {
        "chiffres_cles": _key_frame(data),
        "profils_types": _personas_frame(data),
        "profil_frequent": _profiles_frame(data),
        "demandes_par_theme": frames["requests_by_theme"],
        "age_par_quartier": frames["age_by_neighbourhood"],
        "venue": frames["how_heard"],
        "attentes": frames["expectations"],
        "niveaux_pass": frames["pass_levels"],
        "reponses_dans_le_temps": frames["answers_over_time"],
        "carte_des_besoins": frames["needs_map"],
        "mots": frames["words"].drop(columns=["key"]),
    }


def _headers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: str(HEADERS.get(str(c), str(c))) for c in frame.columns})


def export_csv(frame: pd.DataFrame) -> bytes:
    """One aggregate as CSV for a French spreadsheet: ';' separated, UTF-8 with BOM, hidden
    figures as "moins de 5"."""
    shown = A.for_display(frame)
    shown = shown.astype(object).where(shown.notna(), SUPPRESSED_TEXT)
    shown = _headers(shown)
    # Stored text (a point's name) must not become a formula, nor carry control characters.
    shown = shown.map(safe_cell).rename(columns=lambda c: safe_cell(str(c)))
    return shown.to_csv(sep=";", index=False).encode("utf-8-sig")


def export_zip(data: DashboardData) -> bytes:
    """All aggregates as CSV files in one zip."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in export_frames(data).items():
            archive.writestr(f"{name}.csv", export_csv(frame))
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if A.is_suppressed(value) or value is pd.NA:
        return SUPPRESSED_TEXT
    if isinstance(value, date | datetime):
        return value
    if hasattr(value, "item"):  # numpy and pandas scalars
        return value.item()
    return safe_cell(value)


def export_xlsx(data: DashboardData) -> bytes:
    """All aggregates in one workbook, one sheet each; numbers stay numbers, hidden ones say
    "moins de 5"."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    titles = {name: str(title) for name, title in EXPORTS}
    for name, frame in export_frames(data).items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append([titles[name]])
        sheet["A1"].font = Font(bold=True, size=13)
        shown = _headers(frame)
        sheet.append([safe_cell(str(c)) for c in shown.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in shown.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column[1:]) if sheet.max_row > 1 else 10
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- CLI


def profiles_summary(data: DashboardData) -> dict[str, Any]:
    """Key figures and personas as JSON-ready values (what `flask profiles show` prints)."""
    return {
        "filters": data.filters.query_args(),
        "key_figures": data.key,
        "people": data.personas.people,
        "k": data.personas.k,
        "criterion": data.personas.criterion,
        "hidden_people": data.personas.hidden_people,
        "personas": P.personas_as_dicts(data.personas),
    }


def channel_choices() -> list[tuple[str, str]]:
    """Channel codes and their French labels."""
    return list(CHANNEL_LABELS.items())


def theme_choices() -> list[tuple[str, str]]:
    """Theme codes and their short French labels."""
    return [(code, theme_label(code)) for code in THEMES]
