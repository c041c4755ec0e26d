"""locate.py reads what is particular to an assignment from its assignment.toml: the words
a look-alike must contain (`hints`), and whether to look for the optional multi-client
server at all (`optional`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

from grader import assignment
from grader.locate import locate
from grader.snapshot import read_tree


def test_a_look_alike_must_contain_the_files_hints(tmp_path: Path) -> None:
    spec = assignment.load("http_server")
    (tmp_path / "my_http_server.py").write_text("print('a web server, some day')\n")
    (tmp_path / "web_server_v2.py").write_text("s.bind(('', 10000)); s.listen()\n")
    found = locate(read_tree(tmp_path), assignment=spec)
    (picked,) = found.files
    assert picked.path == PurePosixPath("web_server_v2.py")
    assert "no http_server.py anywhere" in picked.reason
    no_hints = replace(spec, files=tuple(replace(f, hints=()) for f in spec.files))
    (picked,) = locate(read_tree(tmp_path), assignment=no_hints).files
    assert picked.path == PurePosixPath("my_http_server.py")  # ranked by pattern only


def test_multi_server_candidates_only_for_an_assignment_that_asks(tmp_path: Path) -> None:
    (tmp_path / "echo_server.py").write_text("s.bind(('', 1)); s.listen()\n")
    (tmp_path / "echo_client.py").write_text("def client(msg, log_buffer):\n    pass\n")
    (tmp_path / "select_server.py").write_text("import select\ns.bind(('', 1)); s.listen()\n")
    spec = assignment.load("echo_sockets")
    assert "multi_server" in spec.optional
    assert [c.path.name for c in locate(read_tree(tmp_path), assignment=spec).candidates] == [
        "select_server.py"
    ]
    without = replace(spec, optional=())
    assert locate(read_tree(tmp_path), assignment=without).candidates == ()
