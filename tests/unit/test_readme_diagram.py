"""The README's lifecycle diagram is the machine's own drawing."""

from __future__ import annotations

from workflow import lifecycle
from workflow.lifecycle import diagram


def test_readme_diagram_matches_the_machine() -> None:
    text = diagram.README.read_text(encoding="utf-8")
    assert diagram.current(text) == diagram.block(), "run `python -m workflow.lifecycle.diagram`"


def test_diagram_draws_every_transition_of_the_machine() -> None:
    drawn = diagram.block()
    for trigger in lifecycle.Trigger:
        for source, transitions in lifecycle.MACHINE.events[trigger.value].transitions.items():
            for transition in transitions:
                assert f"{source} --> {transition.dest}: {trigger.value}" in drawn
