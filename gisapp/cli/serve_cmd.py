"""``gisapp serve``: start the app for a province, refusing an open address without sign-in.

The server config (``--config`` or ``$GISAPP_SERVER_CONFIG``, see
:mod:`gisapp.config.server`) names the stores, data folders and users. On any address
other than loopback the config must require sign-in, list users, and Streamlit's
``.streamlit/secrets.toml`` must have an ``[auth]`` provider; otherwise the command
stops with exit status 2 and says what to set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

__all__ = ["register", "auth_configured"]

_AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
              "server_metadata_url")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="serve the app for a province (sign-in required off 127.0.0.1)",
        description="Start the Streamlit app with the server config's stores, data folders "
                    "and users. Refuses a non-loopback address without sign-in.")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on "
                   "(default 127.0.0.1; 0.0.0.0 needs sign-in)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--config", default=None, help="server config TOML (default "
                   "$GISAPP_SERVER_CONFIG)")
    p.add_argument("--app", default="streamlit_app.py", help="the app script")
    p.add_argument("--check", action="store_true", help="only check the settings, do not start")
    p.set_defaults(func=_serve)


def auth_configured(folder: Path | None = None) -> bool:
    """True when ``.streamlit/secrets.toml`` (in ``folder`` or the home folder) has an
    ``[auth]`` table with the keys st.login needs."""
    for base in (folder or Path.cwd(), Path.home()):
        path = base / ".streamlit" / "secrets.toml"
        try:
            auth = tomllib.loads(path.read_text(encoding="utf-8")).get("auth", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if all(auth.get(k) for k in _AUTH_KEYS):
            return True
    return False


def _serve(args: argparse.Namespace) -> int:
    from gisapp.config.server import ENV_VAR, check_listen, load_server_config

    cfg = load_server_config(args.config)
    app = Path(args.app)
    check_listen(args.address, cfg, auth_configured=auth_configured(app.resolve().parent))
    if args.check:
        print(f"ok: gisapp may serve on {args.address}:{args.port}")
        return 0
    env = dict(os.environ)
    if cfg.path is not None:
        env[ENV_VAR] = str(cfg.path)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address",
           args.address, "--server.port", str(args.port)]
    os.execvpe(sys.executable, cmd, env)
    return 0  # pragma: no cover - exec does not return
