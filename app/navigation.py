"""Cards on the residents' home page and the staff landing page, and the staff bar's links.

Each area lists its entry points here (a misspelt endpoint fails loudly when a page builds its
URL). Staff cards are also the links of the staff bar (base.html), under their short ``nav``
label.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Card:
    """A link with a title and one sentence."""

    endpoint: str
    title: object
    text: object
    coordinator_only: bool = False
    nav: object = None  # short label in the staff bar (the title when None)

    @property
    def url(self) -> str:
        """The card's link."""
        return url_for(self.endpoint)

    @property
    def nav_label(self) -> object:
        """The label of the card in the staff bar."""
        return self.nav if self.nav is not None else self.title


RESIDENT_CARDS = [
    Card(
        "collect.start_default",
        _l("Donner mon avis"),
        _l("5 minutes pour dire où et quand le bus doit venir."),
    ),
    Card(
        "passport.start",
        _l("Mon Pass informatique"),
        _l("Un petit jeu pour savoir où j'en suis avec le numérique."),
    ),
    Card(
        "programme.calendar",
        _l("Où est le bus ?"),
        _l("Les prochains arrêts et les thèmes du mois."),
    ),
    Card(
        "programme.directory",
        _l("À qui s'adresser ?"),
        _l("Les services qui peuvent vous aider, selon votre démarche."),
    ),
    Card(
        "badges_public.verify",
        _l("Vérifier un badge"),
        _l("Montrer qu'un badge du Mairie Bus est vrai."),
    ),
]

STAFF_CARDS = [
    Card(
        "journal.day",
        _l("Journal du bus"),
        _l("Noter chaque personne aidée, orienter vers un référent, suivre."),
        nav=_l("Journal"),
    ),
    Card(
        "collect.aidant_start",
        _l("Questionnaire avec un habitant"),
        _l("Remplir le questionnaire ensemble sur la tablette."),
        nav=_l("Questionnaire sur tablette"),
    ),
    Card(
        "passport.aidant_home",
        _l("Pass informatique"),
        _l("Ouvrir un Pass avec son code, évaluer ensemble, valider un niveau."),
    ),
    Card(
        "surveys_admin.forms",
        _l("Questionnaires"),
        _l("Importer un XLSForm, voir les versions, exporter les réponses."),
        True,
    ),
    Card("collect.points", _l("Points de recueil"), _l("Lieux, QR codes et affiches."), True),
    Card(
        "dashboard.index",
        _l("Tableau de bord"),
        _l("Profils types, besoins par quartier, carte."),
        True,
    ),
    Card(
        "responses_admin.responses",
        _l("Réponses aux questionnaires"),
        _l("Lire une réponse, supprimer un doublon ou un essai."),
        True,
        nav=_l("Réponses"),
    ),
    Card(
        "badges_admin.awards",
        _l("Badges délivrés"),
        _l("Voir et retirer des badges."),
        True,
        nav=_l("Badges"),
    ),
    Card(
        "programme.planner",
        _l("Programme du bus"),
        _l("Préparer et publier le mois."),
        True,
        nav=_l("Programme"),
    ),
    Card(
        "admin.users",
        _l("Comptes de l'équipe"),
        _l("Créer, désactiver un aidant, changer son mot de passe."),
        True,
        nav=_l("Comptes"),
    ),
]
