"""`havn`: the operator's command line (schema, demo data, serving)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from capacity import accounts, demo, migrate
from capacity.db import create_engine, private_folder, session_factory
from capacity.errors import HavnError
from capacity.geocoder import Gazetteer
from web.config import Settings, SettingsError

log = logging.getLogger("havn")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="havn", description="Havn crisis-centre registry")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="create or upgrade the schema to the newest version")
    revision = db.add_parser("revision", help="write a migration from the models (developers)")
    revision.add_argument("-m", "--message", required=True)

    demo_cmd = commands.add_parser("demo", help="demo registry").add_subparsers(
        dest="action", required=True
    )
    demo_cmd.add_parser("load", help="load the demo centres (running it twice changes nothing)")

    users = commands.add_parser("user", help="accounts").add_subparsers(
        dest="action", required=True
    )
    add = users.add_parser("add", help="create a user; reads a temporary password from stdin")
    add.add_argument("username")
    add.add_argument("--role", choices=["staff", "adviser", "admin"], required=True)
    add.add_argument("--centre", help="the centre id (centre staff only)")
    add.add_argument("--name", help="display name")

    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environ()
    except SettingsError as exc:
        parser.exit(2, f"havn: {exc}\n")
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args, settings)
    except HavnError as exc:
        print(f"havn: {exc.message}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.uses_sqlite:
        private_folder(settings.data_dir)
    if args.command == "db" and args.action == "upgrade":
        migrate.upgrade(settings.database_url)
        print("database is up to date")
    elif args.command == "db" and args.action == "revision":
        migrate.new_revision(settings.database_url, args.message)
    elif args.command == "demo":
        added = asyncio.run(load_demo(settings))
        print(f"demo registry: {added} centres added")
    elif args.command == "user":
        password = (
            getpass.getpass("Temporary password: ") if sys.stdin.isatty() else sys.stdin.readline()
        )
        asyncio.run(add_user(settings, args, password.rstrip("\n")))
        print(f"user {args.username} added; they choose their own password at first login")
    elif args.command == "serve":
        serve(settings, args.host, args.port, args.workers)
    return 0


async def load_demo(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await demo.load(session, Gazetteer.packaged())
    finally:
        await engine.dispose()


async def add_user(settings: Settings, args: argparse.Namespace, password: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            await accounts.create_user(
                session,
                username=args.username,
                display_name=args.name or args.username,
                role=args.role,
                centre_id=args.centre,
                password=password,
                actor="cli",
            )
            await session.commit()
    finally:
        await engine.dispose()


def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn

    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        access_log=False,  # access logs carry client IPs; the app logs without them
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    raise SystemExit(main())
