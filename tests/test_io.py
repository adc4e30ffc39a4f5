"""Atomic writes: an interrupted write keeps the old file whole and leaves no temporary file behind."""
import os
import stat

import pytest

from lorakit import _io


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "results.csv"
    _io.atomic_write_text(target, "old\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt  # as if Ctrl-C came between writing and renaming

    monkeypatch.setattr(_io.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _io.atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_written_files_get_ordinary_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        _io.write_json(tmp_path / "m.json", {"a": 1})
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o644  # not a temp file's 0o600
