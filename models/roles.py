"""PostgreSQL roles: the migrations run as the tables' owner; the application connects as a
role that may read and write the operational tables but only INSERT and SELECT the append-only
ledger tables. Not being the owner, it cannot ALTER the tables, so it cannot disable their
triggers either (docs/operations.md, `flask ledger grant-app-role`)."""

from sqlalchemy import text

from models.ledger import APPEND_ONLY_TABLES


def app_role_statements(role: str, schema: str = "public") -> list[str]:
    if not role.replace("_", "").isalnum():
        raise ValueError("a role name of letters, digits and _ only")
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {', '.join(APPEND_ONLY_TABLES)} "
        f"FROM {role}",
    ]


def grant_app_role(connection, role: str, schema: str = "public") -> None:
    """Run as the owner, after each `flask db upgrade` (new tables need their grants)."""
    for statement in app_role_statements(role, schema):
        connection.execute(text(statement))
