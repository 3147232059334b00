"""The layout holds: no import cycle among worker's modules, counting imports inside functions."""

from pathlib import Path

from tests.architecture.import_graph import cycles, import_graph

WORKER = Path(__file__).resolve().parents[2] / "worker"


def test_no_import_cycles_among_worker_modules_counting_function_level_imports():
    assert cycles(import_graph(WORKER)) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def later():\n    from pkg.c import x\n")
    (package / "c.py").write_text("from . import a\nx = 1\n")
    (package / "d.py").write_text("import pkg.a\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.b", "pkg.c"]]
