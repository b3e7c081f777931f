"""Collect the entry modules (`eNN_tMM_<what>.py`), whose names follow the page, not `test_*.py`."""

from __future__ import annotations

import pytest

from troubleshooting import ENTRY_MODULE


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself.
    is_entry = file_path.suffix == ".py" and ENTRY_MODULE.fullmatch(file_path.stem)
    if is_entry and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
