"""The one helper for a path relative to the project root and the one for walking up to a root."""

from __future__ import annotations

from pathlib import Path

from pinlint.paths import ancestors, nearest_ancestor, relative_to_root


def test_relative_to_root_uses_slashes_inside_and_keeps_an_outside_path_as_given(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "app" / "db").mkdir(parents=True)
    assert relative_to_root(root / "app" / "db" / "q.sql", root) == "app/db/q.sql"
    assert relative_to_root(str(root / "app" / ".." / "app" / "x.py"), root) == "app/x.py"
    assert relative_to_root(tmp_path / "other.py", root) == (tmp_path / "other.py").as_posix()


def test_a_directory_is_shown_as_excludes_see_it(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    assert relative_to_root(tmp_path, tmp_path, directory=True) == ""
    assert relative_to_root(tmp_path / "infra", tmp_path, directory=True) == "infra/"


def test_a_symlinked_root_is_resolved_on_both_sides(tmp_path: Path) -> None:
    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert relative_to_root(tmp_path / "real" / "pkg" / "m.py", tmp_path / "link") == "pkg/m.py"


def test_the_nearest_marker_wins_within_the_levels_allowed(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "manage.py").write_text("")
    (tmp_path / "manage.py").write_text("")
    assert nearest_ancestor(deep, ("manage.py",)) == tmp_path / "a"
    assert nearest_ancestor(deep, ("manage.py",), levels=2) is None  # c and b only
    assert nearest_ancestor(deep, ("manage.py",), levels=3) == tmp_path / "a"


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    inner = tmp_path / "repo" / "src"
    inner.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "manage.py").write_text("")  # above the repository: not this project's root
    assert nearest_ancestor(inner, ("manage.py",), stop_at=".git") is None
    assert list(ancestors(inner, stop_at=".git")) == [inner, tmp_path / "repo"]


def test_a_marker_must_pass_the_callers_test(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cdk.json").mkdir()  # a directory, not the file that marks a CDK app
    (tmp_path / "cdk.json").write_text("{}")
    assert nearest_ancestor(tmp_path / "sub", ("cdk.json",), holds=Path.is_file) == tmp_path
    assert nearest_ancestor(tmp_path / "sub", ("cdk.json",)) == tmp_path / "sub"


def test_ancestors_end_at_the_filesystem_root() -> None:
    assert list(ancestors(Path("/"))) == [Path("/")]


def test_a_walk_that_resolved_its_paths_gets_the_same_answers_without_resolving_again(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "infra" / "stacks").mkdir(parents=True)
    for directory in (root, root / "infra", root / "infra" / "stacks", root.parent):
        given = relative_to_root(str(directory), str(root), directory=True)
        assert relative_to_root(str(directory), str(root), directory=True, resolved=True) == given
    assert relative_to_root(str(root / "infra" / "stacks"), str(root), directory=True, resolved=True) == "infra/stacks/"
