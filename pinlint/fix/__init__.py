"""The fix stage: edits that fix findings (``--fix``, ``--unsafe-fixes``, ``--diff``, the
language server's code actions).

A rule file's ``[autofix]`` table names an action and configures it (``schema``); the engine
hands a file's findings, text and fragments to ``attach.with_fixes``, which asks the action for
the edits (``sql`` edits token-exact SQL through a fragment's character map; ``python`` edits
Python through libcst) and stores them on the finding (``Finding.autofix``). ``apply`` writes
them into files in rounds, re-linting each edited file before it is written.
"""
