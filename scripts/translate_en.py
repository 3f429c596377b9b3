"""Fill the English catalog from the table below: `python scripts/translate_en.py`.

Run after `pybabel update`; strings missing here stay French in English pages until added.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

EN = {
    "Aller au contenu": "Skip to content",
    "Navigation principale": "Main navigation",
    "Annonces": "Listings",
    "Mon profil": "My profile",
    "Se déconnecter": "Sign out",
    "Usage strictement professionnel ; matériel informatique exclu.": (
        "Strictly professional use; IT equipment excluded."
    ),
    "Connexion": "Sign in",
    "Se connecter": "Sign in",
    "Adresse e-mail professionnelle": "Work email address",
    "Mot de passe": "Password",
    "Rester connecté(e) sur cet ordinateur": "Stay signed in on this computer",
    "Indiquez votre adresse e-mail.": "Enter your email address.",
    "Indiquez votre mot de passe.": "Enter your password.",
    "Adresse e-mail ou mot de passe incorrect. Vérifiez-les puis réessayez.": (
        "Wrong email address or password. Check them and try again."
    ),
    "Mot de passe oublié ou pas de compte ? Demandez à un modérateur de la plateforme.": (
        "Forgotten password or no account? Ask a moderator of the platform."
    ),
    "Prénom et nom": "First and last name",
    "Téléphone professionnel": "Work phone",
    "Votre service": "Your department",
    "Enregistrer": "Save",
    "Continuer": "Continue",
    "Profil enregistré.": "Profile saved.",
    "Vous êtes déconnecté(e).": "You are signed out.",
    "Connectez-vous pour accéder à cette page.": "Sign in to see this page.",
    "Modérateur": "Moderator",
    "Page introuvable": "Page not found",
    "Accès refusé": "Access denied",
    "Erreur du serveur": "Server error",
    "Retour aux annonces": "Back to the listings",
    "Requête incorrecte": "Bad request",
    "Fichier trop volumineux": "File too large",
    "Trop de demandes": "Too many requests",
    "Action impossible": "Action not allowed",
    "Identification nécessaire": "Identification required",
    "Résultats": "Results",
    "Réservée": "Reserved",
    "Pas de photo": "No photo",
    "Bienvenue": "Welcome",
    "Déposer": "Post",
    "Mes annonces": "My listings",
    "Modération": "Moderation",
    "Statistiques": "Statistics",
    "Courriels envoyés (développement)": "Sent emails (development)",
    "Déposer une annonce": "Post a listing",
    "Rechercher": "Search",
    "Catégorie": "Category",
    "Site": "Site",
    "Collectivité": "Organisation",
    "Service": "Department",
    "État": "Condition",
    "Trier par": "Sort by",
    "Filtrer": "Filter",
    "Effacer les filtres": "Clear the filters",
    "Toutes": "All",
    "Tous": "All",
    "Neuf": "New",
    "Bon état": "Good condition",
    "Usagé": "Used",
    "À réparer": "To repair",
    "Les plus récentes": "Newest first",
    "Disponibles au plus tôt": "Available soonest",
    "En ligne": "Online",
    "En attente de modération": "Awaiting moderation",
    "Refusée": "Rejected",
    "Clôturée": "Closed",
    "Description": "Description",
    "Quantité": "Quantity",
    "Modifier l'annonce": "Edit the listing",
    "Aucune annonce": "No listing",
    "← Toutes les annonces": "← All listings",
    "Avant d'acheter du neuf, regardez si un autre service ne s'en sépare pas.": (
        "Before buying new, check whether another department is giving one away."
    ),
}


def main() -> None:
    path = Path(__file__).resolve().parent.parent / "translations/en/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if message.id and message.fuzzy and message.id not in EN:
            # A guess by `pybabel update` from a similar string: wrong more often than not.
            message.string = ""
            message.flags.discard("fuzzy")
        if message.id and message.id in EN and (not message.string or message.fuzzy):
            message.string = EN[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    print(f"{filled} messages translated")


if __name__ == "__main__":
    main()
