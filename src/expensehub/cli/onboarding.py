"""``expensehub init``: a new install's own company, its first legal entity and an admin API key."""

from __future__ import annotations

from typing import Annotated

import typer

from expensehub.cli.apps import app, console, err, session_factory, settings


@app.command()
def init(
    name: Annotated[str, typer.Option(prompt="Company name", help="Your company's name")],
    country: Annotated[
        str, typer.Option(prompt="Country of its first legal entity (ISO 3166, e.g. es)", help="Two letters")
    ],
    currency: Annotated[
        str, typer.Option(prompt="Currency of that legal entity (ISO 4217, e.g. EUR)", help="Three letters")
    ],
    legal_name: Annotated[
        str | None, typer.Option(help="Registered name of the legal entity (default: the company name)")
    ] = None,
    tin: Annotated[str | None, typer.Option(help="Tax identification number of the company")] = None,
    key_name: Annotated[str, typer.Option(help="Label of the admin API key")] = "admin",
) -> None:
    """Create your company, its first legal entity and an admin API key (printed once).

    The database is created and migrated first when needed. Asks for what is not given as an option."""
    from expensehub.auth import service as auth
    from expensehub.companies import service as companies
    from expensehub.db.engine import transaction
    from expensehub.db.migrate import upgrade_if_behind
    from expensehub.errors import AppError, ValidationFailed

    cfg = settings()
    upgrade_if_behind(cfg.database_url)
    try:
        with transaction(session_factory(cfg)) as session:
            company = companies.create_company(session, name=name, legal_name=legal_name or name, tin=tin)
            entity = companies.create_legal_entity(
                session,
                company_id=company.id,
                country=country.strip(),
                legal_name=(legal_name or name).strip(),
                currency=currency.strip().upper(),
            )
            key, plaintext = auth.create_api_key(session, company_id=company.id, name=key_name)
            company_id, entity_id, key_id = company.id, entity.id, key.id
    except ValidationFailed as exc:
        fields = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in exc.fields.items())
        err.print(f"[red]error:[/red] {exc.message} ({fields}); nothing was created", highlight=False)
        raise typer.Exit(2) from None
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}; nothing was created", highlight=False)
        raise typer.Exit(2) from None
    err.print(
        f"created company {company_id} ({name}), legal entity {entity_id} ({country.lower()}, "
        f"{currency.upper()}) and API key {key_id}; store the key now, it is not shown again",
        highlight=False,
    )
    console.print(plaintext, highlight=False)
