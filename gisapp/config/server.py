"""The server's configuration for serving one province: stores, data folders, users, sign-in.

Read from the TOML file named by ``$GISAPP_SERVER_CONFIG`` (:func:`load_server_config`).
Stores, data folders and database URLs come from this file only: no browser user types a
path or a URL. ::

    [stores]                      # name shown in the app → .gpkg path or postgresql:// URL
    "Lai Châu" = "postgresql://gisapp@127.0.0.1:5432/gisapp?schema=lai_chau"

    [data_folders]                # name → folder of input layers on the server
    "Lai Châu 2025" = "/srv/gisapp/data/lai_chau_2025"

    [sign_in]
    required = true               # users sign in with st.login (OIDC); the provider is
                                  # [auth] in .streamlit/secrets.toml

    [users]                       # signed-in e-mail → role (and carrier for a carrier liaison)
    "an@laichau.gov.vn"   = { role = "planner" }
    "lan@viettel.com.vn"  = { role = "carrier_liaison", carrier = "Viettel" }
    "hoa@evn.com.vn"      = { role = "evn_liaison" }
    "so@laichau.gov.vn"   = { role = "viewer" }

Without the file (the local demo) there are no configured stores, sign-in is off, and the
one user on 127.0.0.1 is the planner.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gisapp.errors import ConfigError

__all__ = ["ROLES", "UserRole", "ServerConfig", "load_server_config", "check_listen",
           "is_loopback", "ENV_VAR", "LOCAL_USER"]

ENV_VAR = "GISAPP_SERVER_CONFIG"
ROLES = ("planner", "carrier_liaison", "evn_liaison", "viewer")
LOCAL_USER = "local"


@dataclass(frozen=True)
class UserRole:
    """One user's role; ``carrier`` is set for (and only for) a carrier liaison."""

    name: str
    role: str
    carrier: str | None = None


@dataclass(frozen=True)
class ServerConfig:
    """What the server offers and to whom (see the module docstring for the file)."""

    stores: dict[str, str] = field(default_factory=dict)
    data_folders: dict[str, Path] = field(default_factory=dict)
    users: dict[str, UserRole] = field(default_factory=dict)
    sign_in: bool = False
    path: Path | None = None

    def user(self, name: str | None) -> UserRole | None:
        """The role of a signed-in user (e-mail, case-insensitive); the planner when
        sign-in is off; None for a user the file does not list."""
        if not self.sign_in:
            return UserRole(LOCAL_USER, "planner")
        if not name:
            return None
        return self.users.get(str(name).strip().lower())


def _user(name: str, value: Any, where: str) -> UserRole:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [users] \"{name}\" must be a table like "
                          "{ role = \"viewer\" }")
    unknown = sorted(set(value) - {"role", "carrier"})
    if unknown:
        raise ConfigError(f"{where}: [users] \"{name}\" has unknown setting(s) "
                          f"{', '.join(unknown)}; known: role, carrier")
    role = value.get("role")
    if role not in ROLES:
        raise ConfigError(f"{where}: [users] \"{name}\": role '{role}' is not one of "
                          f"{', '.join(ROLES)}")
    carrier = value.get("carrier")
    if role == "carrier_liaison" and not carrier:
        raise ConfigError(f"{where}: [users] \"{name}\" is a carrier liaison; add carrier = "
                          "\"Viettel\" (or VNPT, MobiFone, ...)")
    if role != "carrier_liaison" and carrier:
        raise ConfigError(f"{where}: [users] \"{name}\": only a carrier liaison has a carrier")
    return UserRole(name.strip().lower(), role, str(carrier) if carrier else None)


def load_server_config(path: str | Path | None = None) -> ServerConfig:
    """The server config from ``path``, else from ``$GISAPP_SERVER_CONFIG``; an empty one
    (local mode) when neither is given.

    Raises
    ------
    ConfigError
        The file is missing, not TOML, or has an unknown section, role or setting.
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        return ServerConfig()
    p = Path(path).expanduser()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"server config '{p}' cannot be read ({exc.strerror}); fix "
                          f"${ENV_VAR} or the file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"server config '{p}' is not valid TOML: {exc}") from None
    where = f"server config '{p}'"
    unknown = sorted(set(data) - {"stores", "data_folders", "sign_in", "users"})
    if unknown:
        raise ConfigError(f"{where} has unknown section(s) {', '.join(unknown)}; known: "
                          "stores, data_folders, sign_in, users")
    stores = {str(k): str(v) for k, v in data.get("stores", {}).items()}
    base = p.parent
    folders = {str(k): (base / Path(v).expanduser()) for k, v in
               data.get("data_folders", {}).items()}
    sign = data.get("sign_in", {})
    if not isinstance(sign, dict) or set(sign) - {"required"}:
        raise ConfigError(f"{where}: [sign_in] has one setting, required = true|false")
    users = {str(k).strip().lower(): _user(str(k), v, where)
             for k, v in data.get("users", {}).items()}
    stores = {k: (v if "://" in v else str(base / Path(v).expanduser())) for k, v in
              stores.items()}
    return ServerConfig(stores, folders, users, bool(sign.get("required", False)), p)


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; False for all interfaces (empty,
    ``0.0.0.0``, ``::``) and any other address."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(address: str | None, cfg: ServerConfig, *, auth_configured: bool) -> None:
    """Refuse to serve on a non-loopback address unless sign-in is on and configured.

    ``auth_configured`` says whether Streamlit has an ``[auth]`` provider (its
    ``.streamlit/secrets.toml``).

    Raises
    ------
    ConfigError
        With what to set.
    """
    if is_loopback(address):
        return
    shown = address or "all interfaces"
    missing = []
    if not cfg.sign_in:
        missing.append(f"[sign_in] required = true in the server config (${ENV_VAR}"
                       + (f" = {cfg.path}" if cfg.path else ", not set") + ")")
    if not cfg.users:
        missing.append("[users] (e-mail = { role = ... }) in the server config")
    if not auth_configured:
        missing.append("[auth] with redirect_uri, cookie_secret, client_id, client_secret "
                       "and server_metadata_url in .streamlit/secrets.toml (OpenID Connect)")
    if missing:
        raise ConfigError(
            f"gisapp will not serve on {shown} (reachable from other machines) without "
            f"sign-in; set {'; '.join(missing)}. Or listen on 127.0.0.1 only "
            "(--server.address 127.0.0.1).")
