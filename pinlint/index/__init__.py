"""The project pass: per-module summaries (``summary``), the index that links a project's own
modules, classes and functions (``project``), and per-invocation reachability from a Lambda
handler over that graph (``reach``). Everything is read from the ``PythonModule`` of each file:
nothing is parsed twice and nothing of the linted code is imported or run."""
