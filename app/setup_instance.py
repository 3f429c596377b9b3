"""Write instance/config.py with a generated SECRET_KEY on first run."""

import secrets
import sys
from pathlib import Path

TEMPLATE = '''"""Settings of this installation; see config.example.py for every key."""

SECRET_KEY = "{key}"
'''


def ensure_instance_config(instance: Path) -> bool:
    """Create instance/config.py with a fresh SECRET_KEY if it is missing; True if created."""
    instance.mkdir(parents=True, exist_ok=True)
    config = instance / "config.py"
    if config.exists():
        return False
    config.write_text(TEMPLATE.format(key=secrets.token_hex(32)), encoding="utf-8")
    config.chmod(0o600)
    return True


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "instance"
    if ensure_instance_config(target):
        sys.stdout.write(f"{target / 'config.py'} créé avec une SECRET_KEY générée.\n")
