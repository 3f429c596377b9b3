"""`flask reemploi …`: the project's commands for IT and cron."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .models import Service, User

reemploi = AppGroup(
    "reemploi", help="Commandes de Réemploi (données, comptes, courriels, sauvegarde)."
)


@reemploi.command("seed-demo")
def seed_demo_command():
    """Load the demonstration data once (does nothing if it is already there)."""
    from .demo import seed_demo

    created = seed_demo()
    if created:
        click.echo("Données de démonstration chargées.")
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")


@reemploi.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="Prénom et nom.")
@click.option("--moderator", is_flag=True, help="Donner le rôle de modérateur.")
@click.option("--service-id", type=int, default=None, help="Identifiant du service.")
@click.option(
    "--password",
    prompt="Mot de passe",
    hide_input=True,
    confirmation_prompt=True,
    help="Mot de passe (demandé s'il n'est pas donné).",
)
def create_user_command(email, name, moderator, service_id, password):
    """Create a local account, optionally a moderator."""
    email = email.strip().lower()
    if "@" not in email or any(ord(c) < 33 for c in email):
        raise click.BadParameter("adresse e-mail invalide", param_hint="EMAIL")
    if len(password) < 10:
        raise click.BadParameter("10 caractères au moins", param_hint="--password")
    if db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none():
        raise click.ClickException(f"Un compte existe déjà pour {email}.")
    if service_id is not None and db.session.get(Service, service_id) is None:
        raise click.BadParameter("service inconnu", param_hint="--service-id")
    user = User(email=email, name=name, is_moderator=moderator, service_id=service_id)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    role = "modérateur" if moderator else "agent"
    click.echo(f"Compte créé : {email} ({role}).")


@reemploi.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def backup_command(destination):
    """Copy the database (online, checked) and the photos into a new folder."""
    from .backup import BackupError, backup

    try:
        manifest = backup(destination)
    except BackupError as error:
        raise click.ClickException(f"Sauvegarde impossible : {error}") from None
    click.echo(
        f"Sauvegarde faite dans {destination} ({manifest['engine']}, "
        f"{manifest['photos']} fichiers photo)."
    )


@reemploi.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.confirmation_option(prompt="Remplacer la base et les photos actuelles par la sauvegarde ?")
def restore_command(source):
    """Replace the database and the photos by those of a backup folder (app stopped)."""
    from .backup import BackupError, restore

    try:
        manifest = restore(source)
    except BackupError as error:
        raise click.ClickException(f"Restauration impossible : {error}") from None
    click.echo(f"Sauvegarde du {manifest['created_at']} restaurée.")


def init_app(app: Flask) -> None:
    """Attach the command group to the application."""
    app.cli.add_command(reemploi)
