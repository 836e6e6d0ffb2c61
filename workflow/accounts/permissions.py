"""THE table of who may do what: role → actions, and the unit rule for agreements.

Every route asks `allowed(role, action)`; an action on an agreement also needs `owns` (a
coordinator or approver works on the agreements of its units; an admin on all of them).
"""

from __future__ import annotations

from collections.abc import Collection

from workflow.accounts.errors import Forbidden

ROLES = ("viewer", "coordinator", "approver", "ops", "admin")

COORDINATOR_MOVES = (
    "review",
    "request_changes",
    "resubmit",
    "withdraw",
    "send_for_signature",
    "open_renewal",
    "suspend",
    "resume",
    "give_notice",
)
APPROVER_MOVES = (*COORDINATOR_MOVES, "approve", "reject", "sign", "renew", "terminate")
_COORDINATOR = (
    "read",
    "propose",
    "edit",
    "note",
    "follow_up",
    "schedule_meeting",
    *(f"move:{t}" for t in COORDINATOR_MOVES),
)

# role → the actions it may take. "*" is every action. Actions on agreements (edit, note,
# follow_up, move:*) and meetings are limited to the user's units unless the role is admin.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "coordinator": frozenset(_COORDINATOR),
    "approver": frozenset({*_COORDINATOR, *(f"move:{t}" for t in APPROVER_MOVES)}),
    "ops": frozenset({"read", "queue", "dead_letters"}),
    "admin": frozenset({"*"}),
}
# Roles whose agreement actions reach every unit.
ALL_UNITS = frozenset({"admin"})


def allowed(role: str, action: str) -> bool:
    granted = PERMISSIONS.get(role, frozenset())
    return "*" in granted or action in granted


def owns(role: str, units: Collection[int], unit_id: int | None) -> bool:
    """Whether a user of `role` with `units` may act on an agreement owned by `unit_id`."""
    return role in ALL_UNITS or (unit_id is not None and unit_id in units)


def require(role: str, action: str) -> None:
    if not allowed(role, action):
        raise Forbidden(f"a {role} may not {action.replace(':', ' ')}")


def check_agreement_action(
    role: str, units: Collection[int], owner_unit: int | None, action: str, ref: object
) -> None:
    """Whether a user may take `action` on an agreement owned by `owner_unit`.

    A role that changes agreements at all is first asked whether the agreement is its units':
    if not, NotOwned (404, as for one that does not exist, so nothing leaks); then whether the
    role may take this action (Forbidden, 403). A role that changes none gets 403 at once."""
    from workflow.accounts.errors import NotOwned

    if allowed(role, "edit") and not owns(role, units, owner_unit):
        raise NotOwned(f"no agreement {ref!r}: see `accord agreements list`")
    require(role, action)


# Every action the table decides, in the order the README lists them.
ACTIONS = (
    "read",
    "propose",
    "edit",
    "note",
    "follow_up",
    *(f"move:{t}" for t in APPROVER_MOVES),
    "schedule_meeting",
    "queue",
    "dead_letters",
    "directory",
    "users",
)
# Actions on an agreement or a unit's meetings: limited to the user's units below admin.
UNIT_BOUND = frozenset({"edit", "note", "follow_up", "schedule_meeting"}) | {
    f"move:{t}" for t in APPROVER_MOVES
}
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"


def markdown_table() -> str:
    """The README's role × action table, drawn from PERMISSIONS, between its markers."""
    lines = ["| action | " + " | ".join(ROLES) + " |", "|---" * (len(ROLES) + 1) + "|"]
    for action in ACTIONS:
        cells = []
        for role in ROLES:
            if not allowed(role, action):
                cells.append("")
            elif action in UNIT_BOUND and role not in ALL_UNITS:
                cells.append("own units")
            else:
                cells.append("yes")
        lines.append(f"| `{action}` | " + " | ".join(cells) + " |")
    return BEGIN + "\n" + "\n".join(lines) + "\n" + END
