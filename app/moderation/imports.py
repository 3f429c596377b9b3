"""The initial list of organisations and services, imported from a CSV file (screen and CLI).

The file has a header line with the columns « collectivité » and « service » (in any order,
separated by ; or ,), then one service per line. Importing twice changes nothing: names already
there (ignoring case) are kept. A file with any error imports nothing and lists every error
with its line number.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..audit import record
from ..extensions import db
from ..models import Organisation, Service, User

MAX_ROWS = 5000
ORGANISATION_COLUMNS = ("collectivite", "organisation")
SERVICE_COLUMNS = ("service",)


@dataclass
class ImportResult:
    organisations_created: int = 0
    services_created: int = 0
    already_present: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return _(
            "Import terminé : %(orgs)d collectivité(s) créée(s), %(services)d service(s) créé(s), "
            "%(kept)d déjà présent(s).",
            orgs=self.organisations_created,
            services=self.services_created,
            kept=self.already_present,
        )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as saved by a French Excel."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _plain(text: str) -> str:
    """'Collectivité ' -> 'collectivite', to recognise a header however it is typed."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def parse_services_csv(data: bytes) -> tuple[list[tuple[int, str, str]], list[str]]:
    """Read the file into (line, organisation, service) rows, and the errors found."""
    text = _decode(data)
    if "\x00" in text:
        return [], [_("Ce fichier n'est pas un fichier texte CSV.")]
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    org_index = service_index = -1
    rows: list[tuple[int, str, str]] = []
    errors: list[str] = []
    try:
        for raw in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in raw):
                continue
            if header is None:
                header = [_plain(cell) for cell in raw]
                org_index = next((header.index(c) for c in ORGANISATION_COLUMNS if c in header), -1)
                service_index = next((header.index(c) for c in SERVICE_COLUMNS if c in header), -1)
                if org_index < 0 or service_index < 0:
                    return [], [
                        _(
                            "Ligne %(line)d : la première ligne doit nommer les colonnes "
                            "« collectivité » et « service », séparées par un point-virgule.",
                            line=line,
                        )
                    ]
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append(
                    _("Le fichier dépasse %(n)d lignes : découpez-le en plusieurs.", n=MAX_ROWS)
                )
                break
            organisation = _clean(raw[org_index]) if org_index < len(raw) else ""
            service = _clean(raw[service_index]) if service_index < len(raw) else ""
            problem = _row_problem(organisation, service)
            if problem:
                errors.append(_("Ligne %(line)d : %(problem)s", line=line, problem=problem))
            else:
                rows.append((line, organisation, service))
    except csv.Error:
        errors.append(
            _(
                "Ligne %(line)d : ligne illisible (guillemet non fermé ?).",
                line=reader.line_num,
            )
        )
    if header is None:
        errors.append(_("Le fichier est vide."))
    elif not rows and not errors:
        errors.append(_("Le fichier ne contient aucun service après la ligne d'en-tête."))
    return rows, errors


def _row_problem(organisation: str, service: str) -> str | None:
    if not organisation:
        return _("le nom de la collectivité est vide.")
    if not service:
        return _("le nom du service est vide.")
    if len(organisation) > 120:
        return _("le nom de la collectivité dépasse 120 caractères.")
    if len(service) > 160:
        return _("le nom du service dépasse 160 caractères.")
    if any(ord(c) < 32 for c in organisation + service):
        return _("caractère de contrôle interdit.")
    return None


def import_services(data: bytes, actor: User | None = None) -> ImportResult:
    """Add the organisations and services of the file that are not there yet (all or nothing)."""
    rows, errors = parse_services_csv(data)
    result = ImportResult(errors=errors)
    if errors:
        return result
    organisations = {
        org.name.lower(): org for org in db.session.execute(db.select(Organisation)).scalars().all()
    }
    existing = {
        (service.organisation_id, service.name.lower())
        for service in db.session.execute(db.select(Service)).scalars().all()
    }
    created: list[str] = []
    for _line, org_name, service_name in rows:
        org = organisations.get(org_name.lower())
        if org is None:
            org = Organisation(name=org_name, short_name="", active=True)
            db.session.add(org)
            db.session.flush()
            organisations[org_name.lower()] = org
            result.organisations_created += 1
        key = (org.id, service_name.lower())
        if key in existing:
            result.already_present += 1
            continue
        db.session.add(Service(name=service_name, organisation_id=org.id, active=True))
        existing.add(key)
        created.append(f"{org.name} — {service_name}")
        result.services_created += 1
    if result.organisations_created or result.services_created:
        record(
            "services.imported",
            object_type="service",
            after={
                "organisations_created": result.organisations_created,
                "services_created": result.services_created,
                "already_present": result.already_present,
                "services": created[:200],
            },
            actor=actor,
        )
    return result
