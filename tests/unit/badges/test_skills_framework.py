"""The skills framework data and its loader; the places to learn; the challenge pictures."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from badges import skills
from badges.skills import FrameworkError, load_framework

FRAMEWORK = load_framework()
RAW: dict[str, Any] = yaml.safe_load(skills.FRAMEWORK_PATH.read_text(encoding="utf-8"))
SVG = "{http://www.w3.org/2000/svg}"


def test_shape_of_the_framework() -> None:
    assert FRAMEWORK.key == "pass-informatique-martigues@1.0"
    assert FRAMEWORK.domain_codes == (
        "devices",
        "browsing",
        "communicating",
        "procedures",
        "safety",
        "daily_life",
    )
    assert [n.name for n in FRAMEWORK.level_names] == [
        "À découvrir",
        "Premiers pas",
        "Pas à pas",
        "Je me débrouille",
        "Autonome",
    ]
    for domain in FRAMEWORK.domains:
        assert [level.number for level in domain.levels] == [1, 2, 3, 4]
        for level in domain.levels:
            assert 3 <= len(level.can_dos) <= 6
            assert level.themes and set(level.themes) <= skills.THEME_CODES
            assert level.observation.task and level.observation.success
            assert 2 <= len(level.challenge.choices) <= 4
            assert sum(choice.correct for choice in level.challenge.choices) == 1


def test_access_functions() -> None:
    level = FRAMEWORK.domain("safety").level(2)
    assert level.name == "Pas à pas"
    assert level.digcomp_proficiency == 2
    assert level.key_can_do.id == "safety-2-1"
    assert level.challenge.id == "safety-2-challenge"
    assert level.challenge.right_choice.id == "b"
    assert level.challenge.choice("z") is None
    assert level.challenge.image_path.is_file()
    assert FRAMEWORK.can_do("safety-2-1") is level.can_dos[0]
    assert FRAMEWORK.observation("safety-2-check") is level.observation
    assert FRAMEWORK.challenge("safety-2-challenge") is level.challenge
    assert FRAMEWORK.level_name(0).message.startswith("Pas de souci")
    assert FRAMEWORK.domain("safety").top_level == 4
    with pytest.raises(KeyError):
        FRAMEWORK.domain("cooking")
    with pytest.raises(KeyError):
        FRAMEWORK.domain("safety").level(5)
    with pytest.raises(KeyError):
        FRAMEWORK.can_do("safety-9-9")
    assert load_framework() is FRAMEWORK  # cached


def test_alignments_name_digcomp_and_pix_with_urls() -> None:
    for domain in FRAMEWORK.domains:
        sources = {alignment.source for alignment in domain.alignments}
        assert sources == {"digcomp", "pix"}, domain.code
        for alignment in domain.alignments:
            assert re.fullmatch(r"[1-5]\.[1-6]", alignment.code)
            assert alignment.url.startswith("https://")
    procedures = FRAMEWORK.domain("procedures").alignments[0]
    assert (procedures.source, procedures.code) == ("digcomp", "2.3")
    assert procedures.source_name.startswith("DigComp 2.2")


def test_texts_are_easy_french_first_person_statements() -> None:
    for level in FRAMEWORK.iter_levels():
        for can_do in level.can_dos:
            assert can_do.text.startswith(("Je ", "J'", "Mon ", "Si ", "Avant ")), can_do.text
            assert len(can_do.text) <= 120, can_do.text
        challenge = level.challenge
        for text in (challenge.question, challenge.explanation):
            assert not re.search(r"\b(échec|erreur|nul)\b", text.lower()), text


def _problems(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(FrameworkError) as error:
        skills.parse_framework(data, source="test.yaml")
    return error.value.problems


def test_invalid_framework_lists_every_problem() -> None:
    data = copy.deepcopy(RAW)
    data["domains"][0]["code"] = "Mon-Téléphone"
    level = data["domains"][1]["levels"][0]
    level["can_dos"] = level["can_dos"][:2]
    level["challenge"]["choices"][0]["correct"] = True  # now two right answers
    level["themes"].append("gardening")
    data["domains"][2]["levels"][1]["number"] = 5
    data["domains"][3]["levels"][0]["challenge"]["image"] = "missing.svg"
    data["domains"][4]["levles"] = []
    problems = _problems(data)
    joined = "\n".join(problems)
    assert "« Mon-Téléphone » doit être en snake_case anglais" in joined
    assert "il faut 3 à 6 « je sais », il y en a 2" in joined
    assert "il faut exactement une bonne réponse, il y en a 2" in joined
    assert "thème inconnu « gardening »" in joined
    assert "celui-ci doit être 2" in joined
    assert "l'image missing.svg est introuvable" in joined
    assert "clé inconnue « levles »" in joined
    assert len(problems) == 7
    with pytest.raises(FrameworkError) as error:
        skills.parse_framework(data, source="test.yaml")
    assert str(error.value).startswith(
        "Le fichier du référentiel contient des erreurs (test.yaml) :"
    )


def test_framework_needs_five_or_six_domains_and_unique_ids() -> None:
    data = copy.deepcopy(RAW)
    data["domains"] = data["domains"][:4]
    assert "domains : il faut 5 à 6 domaines, il y en a 4" in _problems(data)
    data = copy.deepcopy(RAW)
    data["domains"][0]["levels"][0]["can_dos"][1]["id"] = "devices-1-1"
    assert "domains : identifiant en double « devices-1-1 »" in _problems(data)


def test_not_a_mapping_and_bad_yaml(tmp_path: Path) -> None:
    assert _problems([]) == ("référentiel : un bloc de clés (clé: valeur) est attendu",)  # type: ignore[arg-type]
    broken = tmp_path / "broken.yaml"
    broken.write_text("domains: [unclosed", encoding="utf-8")
    with pytest.raises(FrameworkError, match="le YAML n'est pas valide"):
        load_framework(broken)
    with pytest.raises(FrameworkError, match="ne peut pas être lu"):
        load_framework(tmp_path / "absent.yaml")


# ---------------------------------------------------------------------------------------------
# Challenge pictures


def _luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_wcag_reference() -> None:
    assert round(_contrast("#000", "#fff"), 1) == 21.0
    assert round(_contrast("#777777", "#ffffff"), 2) == 4.48


@pytest.mark.parametrize("level", list(FRAMEWORK.iter_levels()), ids=lambda lv: lv.challenge.id)
def test_challenge_picture_is_small_titled_french_and_readable(level: skills.Level) -> None:
    path = level.challenge.image_path
    assert path.stat().st_size <= 4096
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == level.challenge.alt
    texts = [node for node in root.iter(f"{SVG}text")]
    assert texts, "a picture with French words in it"
    # Text colours: dark ones are read on white or light grey, white is only used on the
    # dark fills of buttons and badges. Every such pair passes WCAG AA (4.5:1).
    for node in texts:
        fill = node.get("fill", "#000")
        if fill.lower() in ("#fff", "#ffffff"):
            continue
        for background in ("#ffffff", "#eef1f5", "#fff8e1"):
            assert _contrast(fill, background) >= 4.5, (fill, background)
    dark_fills = {
        node.get("fill")
        for node in root.iter()
        if node.tag in (f"{SVG}rect", f"{SVG}circle") and node.get("fill") not in (None, "none")
    }
    for shape_fill in dark_fills:
        assert shape_fill is not None
        if _luminance(shape_fill) < 0.18:  # a background dark enough to carry white text
            assert _contrast(shape_fill, "#ffffff") >= 4.5, shape_fill


def test_every_picture_is_used_once() -> None:
    used = sorted(level.challenge.image for level in FRAMEWORK.iter_levels())
    on_disk = sorted(path.name for path in skills.CHALLENGE_ASSETS_DIR.glob("*.svg"))
    assert used == on_disk


# ---------------------------------------------------------------------------------------------
# Places to learn


def test_resources_load_and_match() -> None:
    resources = skills.load_resources(framework=FRAMEWORK)
    assert len(resources) == 7
    ids = [r.id for r in skills.resources_for(resources, "procedures", themes=["caf"])]
    assert ids == [
        "mairie_bus_atelier",
        "france_services",
        "maison_quartier_paradis_saint_roch",
        "solidarite_numerique",
    ]
    near = skills.resources_for(resources, "devices", neighbourhood="carro")
    assert near[0].id == "club_seniors_carro"
    assert [r.id for r in near[1:]] == [
        "mairie_bus_atelier",
        "mediatheque_centre",
        "maison_quartier_canto_perdrix",
        "solidarite_numerique",
    ]
    assert skills.resources_for(resources, "procedures", themes=["energy"])[0].id == (
        "mairie_bus_atelier"
    )


def test_invalid_resources_list_problems() -> None:
    data = {
        "resources": [
            {
                "id": "x",
                "name": "Lieu",
                "kind": "Club",
                "description": "…",
                "domains": ["devices", "cooking"],
                "themes": ["leisure", "gardening"],
                "neighbourhood": "atlantis",
                "phone": "04",
            }
        ]
    }
    with pytest.raises(FrameworkError) as error:
        skills.parse_resources(data, FRAMEWORK)
    assert set(error.value.problems) == {
        "resources[0] : clé inconnue « phone » (faute de frappe ?)",
        "resources[0] : quartier inconnu « atlantis »",
        "resources[0].domains : domaine inconnu « cooking »",
        "resources[0].themes : thème inconnu « gardening »",
    }
