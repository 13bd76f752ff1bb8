"""nats-py's checks of service and endpoint configs (run when the config is made, with nats-py's
``ValueError`` texts)."""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["SEMVER_REGEX", "NAME_REGEX", "SUBJECT_REGEX", "check_service", "check_endpoint"]

SEMVER_REGEX = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
NAME_REGEX = re.compile(r"^[A-Za-z0-9\-_]+$")
SUBJECT_REGEX = re.compile(r"^[^ >]*[>]?$")


def check_service(name: str, version: str, queue_group: Optional[str]) -> None:
    if not name:
        raise ValueError("Name cannot be empty.")
    if not NAME_REGEX.match(name):
        raise ValueError("Invalid name. It must contain only alphanumeric characters, dashes, and underscores.")
    if not version:
        raise ValueError("Version cannot be empty.")
    if not SEMVER_REGEX.match(version):
        raise ValueError("Invalid version. It must follow semantic versioning (e.g., 1.0.0, 2.1.3-alpha.1).")
    if queue_group and not SUBJECT_REGEX.match(queue_group):
        raise ValueError("Invalid queue group. It must contain only alphanumeric characters, dashes, and underscores.")


def check_endpoint(name: str, subject: Optional[str], queue_group: Optional[str]) -> None:
    if not name:
        raise ValueError("Name cannot be empty.")
    if not NAME_REGEX.match(name):
        raise ValueError("Invalid name. Name must contain only alphanumeric characters, underscores, and hyphens.")
    if subject and not SUBJECT_REGEX.match(subject):
        raise ValueError("Invalid subject. Subject must not contain spaces, and can only have '>' at the end.")
    if queue_group and not SUBJECT_REGEX.match(queue_group):
        raise ValueError("Invalid queue group. Queue group must not contain spaces.")
