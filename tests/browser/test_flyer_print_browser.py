"""The monthly flyer printed as residents' printers would: one A5 sheet, a QR code phones read.

Chromium prints the flyer page with the app's print CSS (``@page { size: A5 }``) to PDF; PyMuPDF
rasterises each page at 300 dpi, like a printer would, and zxing-cpp decodes the QR code.
"""

from __future__ import annotations

import calendar
from datetime import date

import pymupdf
import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from app.db import db
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
from app.models.surveys import CollectionPoint, Neighbourhood, PointKind
from app.services import programme as svc
from tests.browser.conftest import DESKTOP

A5_POINTS = (419.5, 595.3)  # 148 x 210 mm
PLACES = (
    ("notre_dame_des_marins", "Notre-Dame-des-Marins"),
    ("paradis_saint_roch", "Paradis Saint-Roch"),
    ("canto_perdrix", "Canto Perdrix"),
    ("mas_de_pouane", "Mas de Pouane"),
)
THEMES = ("health_insurance", "job_seeking", "id_papers", "caf", "digital_skills", "pension")


def _busiest_month(app: Flask, year: int, month: int) -> None:
    """A stop every weekday morning and afternoon, long names, cancelled days: the worst case."""
    with app.app_context():
        themes = svc.ensure_themes(db.session)
        hoods = [Neighbourhood(code=code, name=name) for code, name in PLACES]
        db.session.add_all(hoods)
        point = CollectionPoint(
            code="auchan-flyer",
            name="Centre commercial Auchan – galerie marchande",
            kind=PointKind.SHOPPING_CENTRE,
            neighbourhood=hoods[0],
        )
        db.session.add(point)
        programme = Programme(year=year, month=month, status=ProgrammeStatus.PUBLISHED)
        db.session.add(programme)
        number = 0
        for day in range(1, calendar.monthrange(year, month)[1] + 1):
            when = date(year, month, day)
            if when.weekday() >= 5:
                continue
            for half in HalfDay:
                place = (
                    {"collection_point": point}
                    if number % 5 == 4
                    else {"neighbourhood": hoods[number % len(hoods)]}
                )
                programme.slots.append(
                    Slot(
                        date=when,
                        half_day=half,
                        theme=themes[THEMES[number % len(THEMES)]],
                        cancelled=number % 17 == 3,
                        **place,  # type: ignore[arg-type]
                    )
                )
                number += 1
        db.session.commit()


def test_printed_flyer_fits_one_a5_sheet_and_its_qr_code_reads(app: Flask, new_page) -> None:  # type: ignore[no-untyped-def]
    # June 2027 has 22 weekdays; with both half-days that is 44 stops, the most a month has.
    _busiest_month(app, 2027, 6)
    page = new_page(js=False, viewport=DESKTOP)
    page.goto("/calendrier/2027-06/flyer")
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    document = pymupdf.open(stream=pdf, filetype="pdf")
    # One sheet of A5: at most two sides, each A5 portrait.
    assert 1 <= document.page_count <= 2, f"{document.page_count} pages"
    for side in document:
        assert (round(side.rect.width, 1), round(side.rect.height, 1)) == pytest.approx(
            A5_POINTS, abs=1
        )
    found = []
    for side in document:
        pixmap = side.get_pixmap(dpi=300)
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
        found += [result.text for result in zxingcpp.read_barcodes(image)]
    base_url = app.config["MAIRIEBUS_BASE_URL"]
    assert found == [base_url + "/calendrier"]
    # Every day of the month is on the sheet (nothing clipped at the bottom).
    text = "".join(side.get_text() for side in document)
    assert "Lundi 28 juin" in text and "Mercredi 30 juin" in text
