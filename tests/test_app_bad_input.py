"""The app with hostile uploads: an alias bomb and duplicate keys are refused in
the owner's language, quickly, and the current scenario is kept."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.test_bad_input import BASE, _alias_bomb

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_hostile_uploads_are_refused_in_both_languages() -> None:
    import yaml

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    start = time.perf_counter()
    at.file_uploader(key="upload").set_value(
        ("bomb.yaml", _alias_bomb().encode(), "application/x-yaml")).run()
    assert time.perf_counter() - start < 20  # was 24-33 s of CPU and ~3 GB
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("aliases (*name) expand to more than" in e for e in errors), errors
    assert "IT services for companies" in at.success[0].value  # the current scenario is kept

    at.sidebar.radio(key="lang").set_value("ru").run()
    dup = yaml.safe_dump(BASE, sort_keys=False) + "sales:\n  managers: 3\n"
    at.file_uploader(key="upload").set_value(("dup.yaml", dup.encode(), "application/x-yaml"))
    at.run()
    errors = [e.value for e in at.error]
    assert any("ключ 'sales' встречается дважды" in e for e in errors), errors
