"""`.dealpulse/devorg.json`: how clients reach a seeded devorg and log in to it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from devorg.catalog import API_VERSION
from devorg.seed import SeedResult

CONFIG_NAME = "devorg.json"
JWT_KEY_NAME = "devorg-jwt-key.pem"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_config(state_dir: Path, *, instance_url: str, result: SeedResult) -> Path:
    key_path = state_dir / JWT_KEY_NAME
    _write_private(key_path, result.jwt_private_key_pem)
    config: dict[str, Any] = {
        "instance_url": instance_url,
        "api_version": API_VERSION,
        "org_id": result.org_id,
        "client_id": result.client_id,
        "client_secret": result.client_secret,
        "callback_url": result.callback_url,
        "jwt_private_key_file": str(key_path.resolve()),
        "users": {
            role: {"username": user.username, "password": user.password, "user_id": user.user_id}
            for role, user in result.users.items()
        },
    }
    path = state_dir / CONFIG_NAME
    _write_private(path, json.dumps(config, indent=2) + "\n")
    return path


def read_config(state_dir: Path) -> dict[str, Any] | None:
    path = state_dir / CONFIG_NAME
    if not path.exists():
        return None
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None


def update_instance_url(state_dir: Path, instance_url: str) -> None:
    """Point an existing devorg.json at the address devorg is now served on."""
    config = read_config(state_dir)
    if config is not None and config.get("instance_url") != instance_url:
        config["instance_url"] = instance_url
        _write_private(state_dir / CONFIG_NAME, json.dumps(config, indent=2) + "\n")
