"""The hub's roster (hub/roster.csv): one Linux account per line, `username,role`, role `instructor` or
`student`. A student's username is their nbgrader student id (nbgrader takes it from JUPYTERHUB_USER)."""
import csv
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "student")


@dataclass(frozen=True)
class Account:
    name: str
    role: str


def read(path: Path) -> tuple[Account, ...]:
    with open(path, newline="") as handle:
        accounts = tuple(Account(row["username"].strip(), row["role"].strip()) for row in csv.DictReader(handle))
    wrong = [a for a in accounts if a.role not in ROLES]
    if wrong or [a.role for a in accounts].count("instructor") != 1:
        raise ValueError(f"{path}: one instructor and students expected (roles {ROLES}); wrong rows: {wrong}")
    return accounts


def instructor(accounts) -> Account:
    return next(a for a in accounts if a.role == "instructor")


def students(accounts) -> list[Account]:
    return [a for a in accounts if a.role == "student"]
