"""Webhook commands: `webhooks deliver` (the delivery worker) and `webhooks listen` (a receiver)."""

from __future__ import annotations

import asyncio
import os
import shlex
import sqlite3
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from expensehub.cli.apps import app, err, session_factory, settings

webhooks_app = typer.Typer(
    help="Webhooks: run the delivery worker, or receive and verify deliveries locally.",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("deliver")
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit (retries due later wait)")
    ] = False,
) -> None:
    """Send queued webhook deliveries (signed, retried, in order per subscription) until stopped.

    Settings: EXPENSEHUB_DATABASE_URL and EXPENSEHUB_WEBHOOK_* (see docs/webhooks.md). Several
    workers may run on PostgreSQL; one on SQLite. SIGINT/SIGTERM stop it after in-flight requests.
    """
    from expensehub.webhooks.worker import WorkerBusy, run_delivery_worker

    cfg = settings()
    factory = session_factory(cfg)
    err.print(
        f"delivering webhooks from {factory.kw['bind'].url.render_as_string(hide_password=True)} "
        f"({cfg.webhook_concurrency} lanes at once{', once' if once else ''})"
    )
    try:
        stats = run_delivery_worker(factory, cfg, once=once, handle_signals=True)
    except WorkerBusy as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        factory.kw["bind"].dispose()
    table = Table(title="Webhook deliveries", show_header=False)
    table.add_row("delivered", str(stats.delivered))
    table.add_row("failed attempts", str(stats.failed_attempts))
    table.add_row("given up (subscription disabled)", str(stats.gave_up))
    table.add_row("batches", str(stats.batches))
    err.print(table)


# --- the receiver -------------------------------------------------------------------------------


class SeenStore:
    """Which ``webhook-id`` values were handled, in a local SQLite file (dedupe across restarts)."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS seen (webhook_id TEXT PRIMARY KEY, state TEXT NOT NULL, "
            "event_type TEXT, received_at TEXT NOT NULL)"
        )
        # Handlers that were running when a previous listener stopped never finished: forget them,
        # so the sender's retry is handled.
        self.db.execute("DELETE FROM seen WHERE state = 'processing'")

    def begin(self, webhook_id: str, event_type: str | None) -> str:
        """``new`` (handle it), ``done`` (a duplicate) or ``busy`` (being handled right now)."""
        now = datetime.now(UTC).isoformat()
        cur = self.db.execute(
            "INSERT OR IGNORE INTO seen (webhook_id, state, event_type, received_at) "
            "VALUES (?, 'processing', ?, ?)",
            (webhook_id, event_type, now),
        )
        if cur.rowcount == 1:
            return "new"
        row = self.db.execute("SELECT state FROM seen WHERE webhook_id = ?", (webhook_id,)).fetchone()
        return "done" if row and row[0] == "done" else "busy"

    def finish(self, webhook_id: str) -> None:
        self.db.execute("UPDATE seen SET state = 'done' WHERE webhook_id = ?", (webhook_id,))

    def forget(self, webhook_id: str) -> None:
        self.db.execute("DELETE FROM seen WHERE webhook_id = ?", (webhook_id,))

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM seen WHERE state = 'done'").fetchone()[0])


async def _serve_listener(
    host: str, port: int, secrets: list[str], command: list[str] | None, store: SeenStore, max_bytes: int
) -> None:
    from aiohttp import web

    from expensehub.client.webhooks import WebhookVerificationError, verify_webhook

    def out(line: dict[str, Any]) -> None:
        sys.stdout.write(orjson.dumps(line).decode() + "\n")
        sys.stdout.flush()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify_webhook(body, request.headers, secrets)
        except WebhookVerificationError as exc:
            err.print(f"[red]rejected[/red] {request.headers.get('webhook-id', '?')}: {exc}")
            return web.json_response({"error": str(exc)}, status=401)
        webhook_id = request.headers["webhook-id"]
        event_type = request.headers.get("x-expensehub-event-type")
        state = store.begin(webhook_id, event_type)
        if state == "done":
            err.print(f"duplicate {webhook_id} ignored")
            return web.json_response({"status": "duplicate"})
        if state == "busy":
            return web.json_response({"status": "in progress"}, status=503)
        try:
            if command is None:
                out({"webhook_id": webhook_id, "type": event_type, "payload": event})
            else:
                env = {
                    **os.environ,
                    "WEBHOOK_ID": webhook_id,
                    "WEBHOOK_TYPE": event_type or "",
                    "WEBHOOK_TIMESTAMP": request.headers.get("webhook-timestamp", ""),
                    "WEBHOOK_AUTHOR_ID": request.headers.get("x-factorial-author-id", ""),
                    "WEBHOOK_AUTHOR_TYPE": request.headers.get("x-factorial-author-type", ""),
                }
                proc = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE, env=env)
                await proc.communicate(body)
                if proc.returncode != 0:
                    raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
        except Exception as exc:
            store.forget(webhook_id)
            err.print(f"[red]handler failed[/red] for {webhook_id}: {exc}; the sender will retry")
            return web.json_response({"status": "handler failed"}, status=500)
        store.finish(webhook_id)
        return web.json_response({"status": "ok"})

    application = web.Application(client_max_size=max_bytes)
    application.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    err.print(f"listening on http://{host}:{port}/ (any path); Ctrl-C stops")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@webhooks_app.command("listen")
def listen(
    port: Annotated[int, typer.Option("--port", help="Port to listen on")],
    secret: Annotated[
        list[str],
        typer.Option("--secret", help="Signing secret (whsec_…); repeat it to accept two while rotating"),
    ],
    exec_: Annotated[
        str | None,
        typer.Option(
            "--exec",
            help="Run this command per new event, the JSON body on stdin and WEBHOOK_ID/WEBHOOK_TYPE in the "
            "environment; a non-zero exit answers 500 so the sender retries",
        ),
    ] = None,
    db: Annotated[
        str, typer.Option("--db", help="SQLite file remembering handled webhook-ids (dedupe)")
    ] = "webhooks-seen.db",
    host: Annotated[str, typer.Option("--host", help="Address to bind")] = "127.0.0.1",
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest body accepted")] = 1024 * 1024,
) -> None:
    """Receive deliveries: verify signatures, drop duplicates by webhook-id, print or forward each event.

    Prints one JSON line per new event on stdout ({webhook_id, type, payload}), or runs --exec.
    """
    from expensehub.client.webhooks import secret_key

    for s in secret:
        try:
            secret_key(s)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    command = shlex.split(exec_) if exec_ else None
    store = SeenStore(db)
    try:
        asyncio.run(_serve_listener(host, port, list(secret), command, store, max_bytes))
    except KeyboardInterrupt:
        pass
    finally:
        err.print(f"{store.count()} event(s) handled so far in {db}", highlight=False, style="dim")
