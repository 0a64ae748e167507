"""The rest of the ODK XPath function list (math, strings, dates, geo, checklists, lookups).

Results follow the ODK XForms specification (getodk.github.io/xforms-spec, "Functions"): NaN
for numbers that cannot be computed, "" for text that cannot, and distances on a sphere of the
Earth's equatorial radius. `surveys.expressions` adds these to its FUNCTIONS table.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import secrets
import uuid as uuid_module
from collections.abc import Callable

from surveys.errors import ExpressionError
from surveys.expressions import (
    Context,
    Expr,
    FunctionSpec,
    NodeSet,
    Ref,
    Value,
    _eval,
    _items,
    _n,
    _s,
    to_bool,
    to_number,
    to_string,
)

# JavaRosa's GeoUtils uses this radius for both distance() and area().
EARTH_RADIUS_M = 6_378_100.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _math1(fn: Callable[[float], float]) -> FunctionSpec:
    def impl(ctx: Context, a: tuple[Expr, ...]) -> Value:
        value = _n(ctx, a[0])
        try:
            return float(fn(value))
        except (ValueError, OverflowError):
            return math.nan

    return FunctionSpec((1, 1), impl)


def _pow(ctx: Context, a: tuple[Expr, ...]) -> Value:
    try:
        return float(math.pow(_n(ctx, a[0]), _n(ctx, a[1])))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _atan2(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return math.atan2(_n(ctx, a[0]), _n(ctx, a[1]))


def _log(value: float) -> float:
    return math.log(value) if value > 0 else math.nan


def _log10(value: float) -> float:
    return math.log10(value) if value > 0 else math.nan


def _substring_before(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text, sep = _s(ctx, a[0]), _s(ctx, a[1])
    index = text.find(sep)
    return "" if index < 0 or sep == "" else text[:index]


def _substring_after(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text, sep = _s(ctx, a[0]), _s(ctx, a[1])
    index = text.find(sep)
    if index < 0:
        return ""
    return text[index + len(sep) :]


def _translate(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text, source, target = _s(ctx, a[0]), _s(ctx, a[1]), _s(ctx, a[2])
    table: dict[int, int | None] = {}
    for i, char in enumerate(source):
        if ord(char) in table:
            continue  # XPath: the first occurrence wins
        table[ord(char)] = ord(target[i]) if i < len(target) else None
    return text.translate(table)


def _uuid(ctx: Context, a: tuple[Expr, ...]) -> Value:
    if not a:
        return str(uuid_module.uuid4())
    length = _n(ctx, a[0])
    if math.isnan(length) or not 0 <= length <= 1000:
        raise ExpressionError("uuid() : longueur invalide.")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(int(length)))


def _random(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return secrets.randbelow(2**53) / float(2**53)


def _boolean_from_string(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return _s(ctx, a[0]).strip() in ("true", "1")


def _moment(value: Value) -> dt.datetime | None:
    """A date, dateTime or number of days since 1970 as an aware datetime."""
    text = to_string(value).strip()
    if not text:
        return None
    try:
        if len(text) == 10 and text[4] == "-":
            return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        if "T" in text:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    days = to_number(value)
    if math.isnan(days) or abs(days) > 2_000_000:
        return None
    return _EPOCH + dt.timedelta(days=days)


def _date_time(ctx: Context, a: tuple[Expr, ...]) -> Value:
    moment = _moment(_eval(a[0], ctx))
    if moment is None:
        return ""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _decimal_date_time(ctx: Context, a: tuple[Expr, ...]) -> Value:
    moment = _moment(_eval(a[0], ctx))
    if moment is None:
        return math.nan
    return (moment - _EPOCH).total_seconds() / 86400.0


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_moment(moment: dt.datetime, pattern: str) -> str:
    """ODK format-date-time(): %Y %y %m %n %b %d %e %a %H %h %M %S %3 (others kept as is)."""
    codes = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "n": str(moment.month),
        "b": _MONTH_NAMES[moment.month - 1],
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "a": _DAY_NAMES[moment.weekday()],
        "H": f"{moment.hour:02d}",
        "h": str(moment.hour),
        "M": f"{moment.minute:02d}",
        "S": f"{moment.second:02d}",
        "3": f"{moment.microsecond // 1000:03d}",
    }
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "%" and i + 1 < len(pattern) and pattern[i + 1] in codes:
            out.append(codes[pattern[i + 1]])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _format_date_time(ctx: Context, a: tuple[Expr, ...]) -> Value:
    moment = _moment(_eval(a[0], ctx))
    if moment is None:
        return ""
    return format_moment(moment, _s(ctx, a[1]))


def parse_points(text: str) -> list[tuple[float, float]]:
    """(lat, lon) pairs of a geotrace/geoshape value 'lat lon alt acc;lat lon alt acc;...'."""
    points: list[tuple[float, float]] = []
    for part in text.split(";"):
        bits = part.split()
        if not bits:
            continue
        if len(bits) < 2:
            raise ValueError(part)
        lat, lon = float(bits[0]), float(bits[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(part)
        points.append((lat, lon))
    return points


def _points_of(value: Value) -> list[tuple[float, float]] | None:
    texts = list(_items(value)) if isinstance(value, NodeSet) else [to_string(value)]
    texts = [t for t in texts if t.strip()]
    try:
        if len(texts) == 1:
            return parse_points(texts[0])
        return [p for t in texts for p in parse_points(t)]
    except ValueError:
        return None


def great_circle(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Haversine distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*p, *q))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Area in m² of a polygon on the sphere (Chamberlain & Duquette, as JavaRosa does)."""
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(points) < 3:
        return 0.0
    total = 0.0
    n = len(points)
    for i in range(n):
        lon_prev = points[i - 1][1]
        lon_next = points[(i + 1) % n][1]
        total += math.radians(lon_next - lon_prev) * math.sin(math.radians(points[i][0]))
    return abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0)


def _distance(ctx: Context, a: tuple[Expr, ...]) -> Value:
    points = _points_of(_eval(a[0], ctx))
    if points is None:
        return math.nan
    return float(sum(great_circle(points[i - 1], points[i]) for i in range(1, len(points))))


def _area(ctx: Context, a: tuple[Expr, ...]) -> Value:
    points = _points_of(_eval(a[0], ctx))
    if points is None:
        return math.nan
    return polygon_area(points)


def _flags(ctx: Context, args: tuple[Expr, ...]) -> list[bool]:
    flags: list[bool] = []
    for arg in args:
        value = _eval(arg, ctx)
        if isinstance(value, NodeSet):
            flags.extend(to_bool(v) for v in value.values)
        else:
            flags.append(to_bool(value))
    return flags


def _within(count: float, low: float, high: float) -> bool:
    return (low < 0 or count >= low) and (high < 0 or count <= high)


def _checklist(ctx: Context, a: tuple[Expr, ...]) -> Value:
    low, high = _n(ctx, a[0]), _n(ctx, a[1])
    return _within(float(sum(_flags(ctx, a[2:]))), low, high)


def _weighted_checklist(ctx: Context, a: tuple[Expr, ...]) -> Value:
    low, high = _n(ctx, a[0]), _n(ctx, a[1])
    rest = a[2:]
    if len(rest) % 2:
        raise ExpressionError("weighted-checklist() attend des paires (valeur, poids).")
    total = 0.0
    for i in range(0, len(rest), 2):
        if to_bool(_eval(rest[i], ctx)):
            total += _n(ctx, rest[i + 1])
    return _within(total, low, high)


_DIGESTS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _digest(ctx: Context, a: tuple[Expr, ...]) -> Value:
    data, algorithm = _s(ctx, a[0]), _s(ctx, a[1]).strip().upper()
    encoding = _s(ctx, a[2]).strip().lower() if len(a) > 2 else "base64"
    if algorithm not in _DIGESTS:
        raise ExpressionError(f"digest() : algorithme inconnu « {algorithm} ».")
    raw = hashlib.new(_DIGESTS[algorithm], data.encode("utf-8")).digest()
    if encoding == "hex":
        return raw.hex()
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise ExpressionError("digest() : encodage « base64 » ou « hex » attendu.")


def _pulldata(ctx: Context, a: tuple[Expr, ...]) -> Value:
    source, column, key_column, key = (_s(ctx, arg) for arg in a)
    return ctx.pulldata(source, column, key_column, key)


def _indexed_repeat(ctx: Context, a: tuple[Expr, ...]) -> Value:
    target = a[0]
    if not isinstance(target, Ref):
        raise ExpressionError("indexed-repeat() attend une question, comme ${q}.")
    if len(a) % 2 == 0:
        raise ExpressionError("indexed-repeat() attend des paires (répétition, numéro).")
    index = _n(ctx, a[2])
    if math.isnan(index):
        return ""
    return ctx.indexed(target.name, int(index))


def _sqrt(value: float) -> float:
    return math.sqrt(value) if value >= 0 else math.nan


EXTRA_FUNCTIONS: dict[str, FunctionSpec] = {
    "sqrt": _math1(_sqrt),
    "exp": _math1(math.exp),
    "exp10": _math1(lambda x: math.pow(10.0, x)),
    "log": _math1(_log),
    "log10": _math1(_log10),
    "sin": _math1(math.sin),
    "cos": _math1(math.cos),
    "tan": _math1(math.tan),
    "asin": _math1(math.asin),
    "acos": _math1(math.acos),
    "atan": _math1(math.atan),
    "atan2": FunctionSpec((2, 2), _atan2),
    "pow": FunctionSpec((2, 2), _pow),
    "pi": FunctionSpec((0, 0), lambda ctx, a: math.pi),
    "substring-before": FunctionSpec((2, 2), _substring_before),
    "substring-after": FunctionSpec((2, 2), _substring_after),
    "translate": FunctionSpec((3, 3), _translate),
    "uuid": FunctionSpec((0, 1), _uuid),
    "random": FunctionSpec((0, 0), _random),
    "boolean-from-string": FunctionSpec((1, 1), _boolean_from_string),
    "date-time": FunctionSpec((1, 1), _date_time),
    "decimal-date-time": FunctionSpec((1, 1), _decimal_date_time),
    "format-date-time": FunctionSpec((2, 2), _format_date_time),
    "distance": FunctionSpec((1, 1), _distance),
    "area": FunctionSpec((1, 1), _area),
    "checklist": FunctionSpec((2, None), _checklist),
    "weighted-checklist": FunctionSpec((2, None), _weighted_checklist),
    "digest": FunctionSpec((2, 3), _digest),
    "pulldata": FunctionSpec((4, 4), _pulldata),
    "indexed-repeat": FunctionSpec((3, 7), _indexed_repeat),
}

__all__ = ["EXTRA_FUNCTIONS", "format_moment", "great_circle", "parse_points", "polygon_area"]
