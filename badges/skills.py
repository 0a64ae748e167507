"""The Pass informatique skills framework (référentiel) and the local places to learn.

The framework lives in ``badges/framework.yaml`` and the places in ``badges/resources.yaml``.
Both are checked when loaded: a file with mistakes raises :class:`FrameworkError` listing every
problem found (in French, with where it is), so whoever edits the YAML can fix it in one go.
Everything here is plain frozen dataclasses: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from surveys.labels import NEIGHBOURHOODS, THEMES
from surveys.localised import base_language, localise, orphans

PACKAGE_DIR = Path(__file__).resolve().parent
FRAMEWORK_PATH = PACKAGE_DIR / "framework.yaml"
RESOURCES_PATH = PACKAGE_DIR / "resources.yaml"
CHALLENGE_ASSETS_DIR = PACKAGE_DIR / "assets" / "challenges"

# Shared theme codes (programme themes, needs): levels and resources say where to learn.
THEME_CODES = frozenset(THEMES)
NEIGHBOURHOOD_CODES = frozenset(NEIGHBOURHOODS)
ALIGNMENT_SOURCES = frozenset({"digcomp", "pix"})
MIN_DOMAINS, MAX_DOMAINS = 5, 6
MIN_LEVELS, MAX_LEVELS = 3, 4
MIN_CAN_DOS, MAX_CAN_DOS = 3, 6
MIN_CHOICES, MAX_CHOICES = 2, 4
# Pictures are for cheap phones on mobile data: keep each one small.
MAX_IMAGE_BYTES = 8 * 1024

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class FrameworkError(ValueError):
    """The framework or resources file has mistakes; ``problems`` lists each one in French."""

    def __init__(self, problems: Sequence[str], source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f" ({source})" if source else ""
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"Le fichier du référentiel contient des erreurs{where} :\n{listed}")


@dataclass(frozen=True)
class Alignment:
    """A link from a domain to an external framework competence (DigComp 2.2, Pix)."""

    source: str
    source_name: str
    code: str
    name: str
    url: str


@dataclass(frozen=True)
class CanDo:
    """An observable "Je sais…" statement of one level of one domain."""

    id: str
    text: str
    domain: str
    level: int


@dataclass(frozen=True)
class Observation:
    """A practical check an aidant asks for (``task``) and sees done (``success``)."""

    id: str
    task: str
    success: str
    domain: str
    level: int


@dataclass(frozen=True)
class Choice:
    """One answer of a mini-challenge."""

    id: str
    text: str
    correct: bool


@dataclass(frozen=True)
class Challenge:
    """A playful question on a picture, with one right answer and a friendly explanation."""

    id: str
    question: str
    image: str
    alt: str
    choices: tuple[Choice, ...]
    explanation: str
    domain: str
    level: int

    @property
    def right_choice(self) -> Choice:
        """The one right answer."""
        return next(choice for choice in self.choices if choice.correct)

    @property
    def image_path(self) -> Path:
        """Where the picture is on disk (the web layer serves it)."""
        return CHALLENGE_ASSETS_DIR / self.image

    def choice(self, choice_id: str) -> Choice | None:
        """Return the choice with this id, or None."""
        return next((choice for choice in self.choices if choice.id == choice_id), None)


@dataclass(frozen=True)
class Level:
    """One step of a domain's ladder, from 1 "Premiers pas" to 4 "Autonome"."""

    number: int
    name: str
    digcomp_proficiency: int | None
    can_dos: tuple[CanDo, ...]
    observation: Observation
    challenge: Challenge
    themes: tuple[str, ...]
    domain: str
    # Optional: days a badge of this level stays valid (validUntil / expires); None: forever.
    expires_after_days: int | None = None

    @property
    def key_can_do(self) -> CanDo:
        """The can-do asked first: done alone, it is enough to climb past this level."""
        return self.can_dos[0]


@dataclass(frozen=True)
class Domain:
    """A skills domain (devices, browsing…) with its levels in order."""

    code: str
    name: str
    description: str
    alignments: tuple[Alignment, ...]
    levels: tuple[Level, ...]

    @property
    def top_level(self) -> int:
        """The highest level number of this domain."""
        return self.levels[-1].number

    def level(self, number: int) -> Level:
        """Return level ``number`` (1-based); KeyError if there is none."""
        if 1 <= number <= len(self.levels):
            return self.levels[number - 1]
        raise KeyError(f"{self.code}: no level {number}")


@dataclass(frozen=True)
class LevelName:
    """The name and the encouraging words of a level number, the same in every domain."""

    number: int
    name: str
    message: str
    digcomp_proficiency: int | None


@dataclass(frozen=True)
class Framework:
    """The whole skills framework; look things up with ``domain``, ``can_do``, ``challenge``…"""

    id: str
    version: str
    title: str
    level_names: tuple[LevelName, ...]
    domains: tuple[Domain, ...]
    _index: _Index = field(init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """``id@version``, stored with answers so old answers are read with the right data."""
        return f"{self.id}@{self.version}"

    @property
    def domain_codes(self) -> tuple[str, ...]:
        """Domain codes in the framework's order."""
        return tuple(domain.code for domain in self.domains)

    def domain(self, code: str) -> Domain:
        """Return the domain with this code; KeyError if unknown."""
        for domain in self.domains:
            if domain.code == code:
                return domain
        raise KeyError(f"unknown domain {code!r}")

    def level_name(self, number: int) -> LevelName:
        """Return the name and message of level ``number`` (0 = not started yet)."""
        for level_name in self.level_names:
            if level_name.number == number:
                return level_name
        raise KeyError(f"no level {number}")

    def iter_levels(self) -> Iterator[Level]:
        """Every level of every domain, in order."""
        for domain in self.domains:
            yield from domain.levels

    def can_do(self, can_do_id: str) -> CanDo:
        """Return the can-do with this id; KeyError if unknown."""
        return self._index.can_dos[can_do_id]

    def observation(self, observation_id: str) -> Observation:
        """Return the practical check with this id; KeyError if unknown."""
        return self._index.observations[observation_id]

    def challenge(self, challenge_id: str) -> Challenge:
        """Return the mini-challenge with this id; KeyError if unknown."""
        return self._index.challenges[challenge_id]

    def __post_init__(self) -> None:
        levels = list(self.iter_levels())
        index = _Index(
            can_dos={c.id: c for level in levels for c in level.can_dos},
            observations={level.observation.id: level.observation for level in levels},
            challenges={level.challenge.id: level.challenge for level in levels},
        )
        # Frozen dataclass: the lookup index is derived data, set once here.
        object.__setattr__(self, "_index", index)


@dataclass(frozen=True)
class _Index:
    can_dos: Mapping[str, CanDo]
    observations: Mapping[str, Observation]
    challenges: Mapping[str, Challenge]


@dataclass(frozen=True)
class Resource:
    """A local place to learn (médiathèque, France Services…), from ``resources.yaml``."""

    id: str
    name: str
    kind: str
    description: str
    address: str
    neighbourhood: str | None
    schedule: str
    contact: str
    free: bool
    domains: tuple[str, ...]
    themes: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Loading and checking


class _Checker:
    """Collects problems while reading nested YAML data, instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where} : {message}")

    def mapping(self, value: object, where: str, required: set[str], optional: set[str]) -> bool:
        if not isinstance(value, Mapping):
            self.problem(where, "un bloc de clés (clé: valeur) est attendu")
            return False
        keys = {str(key) for key in value}
        for key in sorted(required - keys):
            self.problem(where, f"la clé « {key} » manque")
        for key in sorted(keys - required - optional):
            self.problem(where, f"clé inconnue « {key} » (faute de frappe ?)")
        return True

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}.{key}", "un texte non vide est attendu")
            return ""
        return value.strip()

    def sequence(self, value: object, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, "une liste est attendue")
            return []
        return value

    def codes(
        self, value: object, where: str, allowed: frozenset[str], label: str
    ) -> tuple[str, ...]:
        codes = self.sequence(value, where)
        for code in codes:
            if code not in allowed:
                self.problem(where, f"{label} inconnu « {code} »")
        if len(set(map(str, codes))) != len(codes):
            self.problem(where, f"un {label} est répété")
        return tuple(str(code) for code in codes if code in allowed)


def _read_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except OSError as error:
        raise FrameworkError([f"le fichier ne peut pas être lu ({error})"], str(path)) from error
    except yaml.YAMLError as error:
        raise FrameworkError([f"le YAML n'est pas valide : {error}"], str(path)) from error


def load_framework(path: Path | str | None = None, language: str = "fr") -> Framework:
    """Load and check the framework (the packaged one by default, cached) in a language.

    Texts come in `language` where the file gives them (``text_en`` next to ``text``), in
    French otherwise; ids, levels and rules are the same in every language.
    """
    if path is None:
        return _load_default_framework(base_language(language))
    path = Path(path)
    return _parse_localised(_read_yaml(path), base_language(language), str(path))


@lru_cache(maxsize=4)
def _load_default_framework(language: str) -> Framework:
    return _parse_localised(_read_yaml(FRAMEWORK_PATH), language, str(FRAMEWORK_PATH))


def _parse_localised(data: object, language: str, source: str) -> Framework:
    return parse_framework(data, source=source, language=language)


def parse_framework(
    data: object,
    source: str = "",
    assets_dir: Path | None = CHALLENGE_ASSETS_DIR,
    language: str = "fr",
) -> Framework:
    """Build a Framework from parsed YAML data; raise FrameworkError listing every problem.

    ``assets_dir=None`` skips checking that the challenge pictures exist (for tests on data).
    Texts are taken in `language` where given (``text_en``), in French otherwise.
    """
    stray = orphans(data)
    if stray:
        raise FrameworkError([f"{path} : traduction sans texte français" for path in stray], source)
    data = localise(data, base_language(language))
    check = _Checker()
    framework = _parse_framework(check, data, assets_dir)
    if check.problems or framework is None:
        raise FrameworkError(check.problems or ["le référentiel est vide"], source)
    return framework


def _parse_framework(check: _Checker, data: object, assets_dir: Path | None) -> Framework | None:
    if not check.mapping(
        data,
        "référentiel",
        {"id", "version", "title", "level_scale", "domains"},
        {"alignment_sources"},
    ):
        return None
    assert isinstance(data, Mapping)
    sources = _parse_sources(check, data.get("alignment_sources"))
    level_names = _parse_level_scale(check, data.get("level_scale"))
    names_by_number = {level_name.number: level_name for level_name in level_names}

    raw_domains = check.sequence(data.get("domains"), "domains")
    if not MIN_DOMAINS <= len(raw_domains) <= MAX_DOMAINS:
        check.problem(
            "domains",
            f"il faut {MIN_DOMAINS} à {MAX_DOMAINS} domaines, il y en a {len(raw_domains)}",
        )
    domains: list[Domain] = []
    for index, raw in enumerate(raw_domains):
        domain = _parse_domain(
            check, raw, f"domains[{index}]", sources, names_by_number, assets_dir
        )
        if domain is not None:
            domains.append(domain)
    _check_unique(check, "domains", [domain.code for domain in domains], "code de domaine")
    all_ids = [
        item_id
        for domain in domains
        for level in domain.levels
        for item_id in (
            *(can_do.id for can_do in level.can_dos),
            level.observation.id,
            level.challenge.id,
        )
    ]
    _check_unique(check, "domains", all_ids, "identifiant")
    top = max((domain.top_level for domain in domains), default=0)
    for number in range(0, top + 1):
        if number not in names_by_number:
            check.problem("level_scale", f"le niveau {number} n'a pas de nom")
    return Framework(
        id=check.text(data, "id", "référentiel"),
        version=str(data.get("version", "")),
        title=check.text(data, "title", "référentiel"),
        level_names=tuple(level_names),
        domains=tuple(domains),
    )


def _check_unique(check: _Checker, where: str, values: Sequence[str], label: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            check.problem(where, f"{label} en double « {value} »")
        seen.add(value)


def _parse_sources(check: _Checker, raw: object) -> dict[str, tuple[str, str]]:
    sources: dict[str, tuple[str, str]] = {}
    if raw is None:
        return sources
    if not isinstance(raw, Mapping):
        check.problem("alignment_sources", "un bloc de clés est attendu")
        return sources
    for key, value in raw.items():
        where = f"alignment_sources.{key}"
        if key not in ALIGNMENT_SOURCES:
            check.problem(
                where, f"référentiel externe inconnu (connus : {sorted(ALIGNMENT_SOURCES)})"
            )
        if check.mapping(value, where, {"name", "url"}, set()):
            url = check.text(value, "url", where)
            if url and not url.startswith("https://"):
                check.problem(where, "l'adresse doit commencer par https://")
            sources[str(key)] = (check.text(value, "name", where), url)
    return sources


def _parse_level_scale(check: _Checker, raw: object) -> list[LevelName]:
    names: list[LevelName] = []
    for index, item in enumerate(check.sequence(raw, "level_scale")):
        where = f"level_scale[{index}]"
        if not check.mapping(item, where, {"number", "name", "message"}, {"digcomp_proficiency"}):
            continue
        number = item.get("number")
        if not isinstance(number, int) or number != index:
            check.problem(where, f"le numéro doit être {index}")
            continue
        proficiency = item.get("digcomp_proficiency")
        if proficiency is not None and not (isinstance(proficiency, int) and 1 <= proficiency <= 8):
            check.problem(where, "digcomp_proficiency doit être un nombre de 1 à 8")
            proficiency = None
        names.append(
            LevelName(
                number=number,
                name=check.text(item, "name", where),
                message=check.text(item, "message", where),
                digcomp_proficiency=proficiency,
            )
        )
    return names


def _parse_domain(
    check: _Checker,
    raw: object,
    where: str,
    sources: Mapping[str, tuple[str, str]],
    names: Mapping[int, LevelName],
    assets_dir: Path | None,
) -> Domain | None:
    if not check.mapping(raw, where, {"code", "name", "levels"}, {"description", "alignments"}):
        return None
    assert isinstance(raw, Mapping)
    code = str(raw.get("code", ""))
    # With a bad code every id prefix would be reported too: one problem is clearer.
    check_ids = bool(_SNAKE_CASE.match(code))
    if not check_ids:
        check.problem(
            f"{where}.code", f"« {code} » doit être en snake_case anglais (ex. daily_life)"
        )
    where = f"{where} ({code})"
    alignments = []
    for index, item in enumerate(check.sequence(raw.get("alignments"), f"{where}.alignments")):
        item_where = f"{where}.alignments[{index}]"
        if not check.mapping(item, item_where, {"source", "code", "name"}, set()):
            continue
        source = str(item.get("source"))
        if source not in sources:
            check.problem(item_where, f"source « {source} » absente de alignment_sources")
            continue
        source_name, url = sources[source]
        alignments.append(
            Alignment(
                source=source,
                source_name=source_name,
                code=str(item.get("code")),
                name=check.text(item, "name", item_where),
                url=url,
            )
        )
    raw_levels = check.sequence(raw.get("levels"), f"{where}.levels")
    if not MIN_LEVELS <= len(raw_levels) <= MAX_LEVELS:
        check.problem(
            f"{where}.levels",
            f"il faut {MIN_LEVELS} à {MAX_LEVELS} niveaux, il y en a {len(raw_levels)}",
        )
    levels = []
    for index, item in enumerate(raw_levels):
        level = _parse_level(
            check, item, f"{where}.levels[{index}]", code, index + 1, names, check_ids
        )
        if level is not None:
            levels.append(level)
            if assets_dir is not None:
                _check_image(
                    check, f"{where}.levels[{index}].challenge", level.challenge, assets_dir
                )
    return Domain(
        code=code,
        name=check.text(raw, "name", where),
        description=check.text(raw, "description", where),
        alignments=tuple(alignments),
        levels=tuple(levels),
    )


def _parse_level(
    check: _Checker,
    raw: object,
    where: str,
    domain: str,
    expected: int,
    names: Mapping[int, LevelName],
    check_ids: bool = True,
) -> Level | None:
    if not check.mapping(
        raw,
        where,
        {"number", "can_dos", "observation", "challenge"},
        {"themes", "expires_after_days"},
    ):
        return None
    assert isinstance(raw, Mapping)
    if raw.get("number") != expected:
        check.problem(f"{where}.number", f"les niveaux se suivent : celui-ci doit être {expected}")
    number = expected
    raw_can_dos = check.sequence(raw.get("can_dos"), f"{where}.can_dos")
    if not MIN_CAN_DOS <= len(raw_can_dos) <= MAX_CAN_DOS:
        check.problem(
            f"{where}.can_dos",
            f"il faut {MIN_CAN_DOS} à {MAX_CAN_DOS} « je sais », il y en a {len(raw_can_dos)}",
        )
    prefix = f"{domain}-{number}-"
    can_dos = []
    for index, item in enumerate(raw_can_dos):
        item_where = f"{where}.can_dos[{index}]"
        if not check.mapping(item, item_where, {"id", "text"}, set()):
            continue
        can_do_id = str(item.get("id"))
        if check_ids and not can_do_id.startswith(prefix):
            check.problem(item_where, f"l'identifiant « {can_do_id} » doit commencer par {prefix}")
        can_dos.append(
            CanDo(
                id=can_do_id, text=check.text(item, "text", item_where), domain=domain, level=number
            )
        )
    observation = _parse_observation(
        check, raw.get("observation"), f"{where}.observation", domain, number, check_ids
    )
    challenge = _parse_challenge(
        check, raw.get("challenge"), f"{where}.challenge", domain, number, check_ids
    )
    if observation is None or challenge is None:
        return None
    expires = raw.get("expires_after_days")
    if expires is not None and (
        not isinstance(expires, int) or isinstance(expires, bool) or not 1 <= expires <= 36_500
    ):
        check.problem(
            f"{where}.expires_after_days", "doit être un nombre de jours entre 1 et 36 500"
        )
        expires = None
    level_name = names.get(number)
    return Level(
        number=number,
        name=level_name.name if level_name else "",
        digcomp_proficiency=level_name.digcomp_proficiency if level_name else None,
        can_dos=tuple(can_dos),
        observation=observation,
        challenge=challenge,
        themes=check.codes(raw.get("themes"), f"{where}.themes", THEME_CODES, "thème"),
        domain=domain,
        expires_after_days=expires,
    )


def _parse_observation(
    check: _Checker, raw: object, where: str, domain: str, level: int, check_ids: bool
) -> Observation | None:
    if not check.mapping(raw, where, {"id", "task", "success"}, set()):
        return None
    assert isinstance(raw, Mapping)
    observation_id = str(raw.get("id"))
    if check_ids and observation_id != f"{domain}-{level}-check":
        check.problem(where, f"l'identifiant doit être {domain}-{level}-check")
    return Observation(
        id=observation_id,
        task=check.text(raw, "task", where),
        success=check.text(raw, "success", where),
        domain=domain,
        level=level,
    )


def _parse_challenge(
    check: _Checker, raw: object, where: str, domain: str, level: int, check_ids: bool
) -> Challenge | None:
    required = {"id", "question", "image", "alt", "choices", "explanation"}
    if not check.mapping(raw, where, required, set()):
        return None
    assert isinstance(raw, Mapping)
    challenge_id = str(raw.get("id"))
    if check_ids and challenge_id != f"{domain}-{level}-challenge":
        check.problem(where, f"l'identifiant doit être {domain}-{level}-challenge")
    raw_choices = check.sequence(raw.get("choices"), f"{where}.choices")
    if not MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES:
        check.problem(
            f"{where}.choices",
            f"il faut {MIN_CHOICES} à {MAX_CHOICES} réponses, il y en a {len(raw_choices)}",
        )
    choices = []
    for index, item in enumerate(raw_choices):
        item_where = f"{where}.choices[{index}]"
        if not check.mapping(item, item_where, {"id", "text"}, {"correct"}):
            continue
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            check.problem(item_where, "correct doit valoir true ou false")
        choices.append(
            Choice(
                id=str(item.get("id")),
                text=check.text(item, "text", item_where),
                correct=correct is True,
            )
        )
    _check_unique(check, f"{where}.choices", [choice.id for choice in choices], "réponse")
    right = sum(choice.correct for choice in choices)
    if right != 1:
        check.problem(
            f"{where}.choices", f"il faut exactement une bonne réponse, il y en a {right}"
        )
    if "skip" in {choice.id for choice in choices}:
        check.problem(f"{where}.choices", "« skip » est réservé (passer le mini-défi)")
    return Challenge(
        id=challenge_id,
        question=check.text(raw, "question", where),
        image=str(raw.get("image", "")),
        alt=check.text(raw, "alt", where),
        choices=tuple(choices),
        explanation=check.text(raw, "explanation", where),
        domain=domain,
        level=level,
    )


def _check_image(check: _Checker, where: str, challenge: Challenge, assets_dir: Path) -> None:
    image = challenge.image
    if "/" in image or "\\" in image or not image.endswith(".svg"):
        check.problem(f"{where}.image", "un nom de fichier .svg du dossier assets/challenges")
        return
    path = assets_dir / image
    if not path.is_file():
        check.problem(f"{where}.image", f"l'image {image} est introuvable")
    elif path.stat().st_size > MAX_IMAGE_BYTES:
        check.problem(f"{where}.image", f"l'image {image} dépasse {MAX_IMAGE_BYTES // 1024} Ko")


# --------------------------------------------------------------------------------------------
# Places to learn


def load_resources(
    path: Path | str | None = None, framework: Framework | None = None, language: str = "fr"
) -> tuple[Resource, ...]:
    """Load and check the local places to learn (the packaged list by default), in a language."""
    framework = framework or load_framework()
    source = Path(path) if path is not None else RESOURCES_PATH
    return parse_resources(_read_yaml(source), framework, source=str(source), language=language)


def parse_resources(
    data: object, framework: Framework, source: str = "", language: str = "fr"
) -> tuple[Resource, ...]:
    """Build the places to learn from parsed YAML; raise FrameworkError listing every problem.

    Texts are taken in `language` where given (``description_en``), in French otherwise.
    """
    stray = orphans(data)
    if stray:
        raise FrameworkError([f"{p} : traduction sans texte français" for p in stray], source)
    data = localise(data, base_language(language))
    check = _Checker()
    resources: list[Resource] = []
    if check.mapping(data, "lieux", {"resources"}, set()):
        assert isinstance(data, Mapping)
        domain_codes = frozenset(framework.domain_codes)
        for index, item in enumerate(check.sequence(data.get("resources"), "resources")):
            where = f"resources[{index}]"
            if not check.mapping(
                item,
                where,
                {"id", "name", "kind", "description", "domains", "themes"},
                {"address", "neighbourhood", "schedule", "contact", "free"},
            ):
                continue
            neighbourhood = item.get("neighbourhood")
            if neighbourhood is not None and neighbourhood not in NEIGHBOURHOOD_CODES:
                check.problem(where, f"quartier inconnu « {neighbourhood} »")
                neighbourhood = None
            resources.append(
                Resource(
                    id=str(item.get("id")),
                    name=check.text(item, "name", where),
                    kind=check.text(item, "kind", where),
                    description=check.text(item, "description", where),
                    address=check.text(item, "address", where),
                    neighbourhood=neighbourhood,
                    schedule=check.text(item, "schedule", where),
                    contact=check.text(item, "contact", where),
                    free=item.get("free", True) is True,
                    domains=check.codes(
                        item.get("domains"), f"{where}.domains", domain_codes, "domaine"
                    ),
                    themes=check.codes(item.get("themes"), f"{where}.themes", THEME_CODES, "thème"),
                )
            )
        _check_unique(check, "resources", [resource.id for resource in resources], "identifiant")
    if check.problems:
        raise FrameworkError(check.problems, source)
    return tuple(resources)


def resources_for(
    resources: Sequence[Resource],
    domain: str,
    themes: Sequence[str] = (),
    neighbourhood: str | None = None,
) -> tuple[Resource, ...]:
    """Places that teach this domain or one of these themes; those in the neighbourhood first."""
    wanted = set(themes)
    matching = [r for r in resources if domain in r.domains or wanted & set(r.themes)]
    # Stable sort: the file's order (the coordinators' preference) is kept within each group.
    return tuple(
        sorted(matching, key=lambda r: neighbourhood is None or r.neighbourhood != neighbourhood)
    )
