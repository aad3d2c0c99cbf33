"""The facts between the Python extraction and the rule kinds (pinlint.kinds), under the names the
kinds import them by; they are defined in pinlint.facts with the other fact types.

``CallHit`` is where a kind that reads a module's calls or settings fired.
"""

from __future__ import annotations

from pinlint.facts import CallHit

__all__ = ["CallHit"]
