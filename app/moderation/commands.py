"""`flask reemploi import-services` and `flask reemploi notify-moderators`."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import reemploi
from ..extensions import db
from .digest import notify_moderators
from .imports import import_services


@reemploi.command("import-services")
@click.argument("csv_file", metavar="FICHIER.csv")
def import_services_command(csv_file):
    """Import organisations and services from a CSV file (collectivité;service), idempotent."""
    path = Path(csv_file)
    if not path.is_file():
        raise click.ClickException(f"Fichier introuvable : {csv_file}")
    result = import_services(path.read_bytes())
    if not result.ok:
        db.session.rollback()
        click.echo("Rien n'a été importé. Corrigez le fichier puis relancez :", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(result.summary())


@reemploi.command("notify-moderators")
def notify_moderators_command():
    """Email moderators the listings pending too long (cron; once a day at most)."""
    from flask import current_app

    outcome = notify_moderators()
    hours = current_app.config["MODERATION_DIGEST_DELAY_HOURS"]
    if outcome.status == "sent":
        click.echo(
            f"Récapitulatif envoyé à {len(outcome.recipients)} destinataire(s) : "
            f"{outcome.listing_count} annonce(s) en attente depuis plus de {hours} h."
        )
    elif outcome.status == "already_sent":
        click.echo("Le récapitulatif du jour a déjà été envoyé : rien à faire.")
    elif outcome.status == "nothing":
        click.echo(f"Aucune annonce en attente depuis plus de {hours} h : aucun envoi.")
    else:
        raise click.ClickException(
            f"{outcome.listing_count} annonce(s) attendent, mais aucun modérateur actif "
            "ni MODERATION_EMAILS : nommez un modérateur (flask reemploi create-user --moderator)."
        )
