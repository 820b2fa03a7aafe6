"""`baoxue pii rotate` refuses bad arguments and a missing database before touching anything."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from baoxue_common.cli import main
from baoxue_common.settings import get_settings


@pytest.fixture(autouse=True)
def dev_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("BAOXUE_") or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAOXUE_ENV", "dev")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("size", ["0", "-1", "50001"])
def test_a_batch_size_out_of_range_is_refused(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["pii", "rotate", "--batch-size", size])
    assert exit_.value.code == 2
    assert "--batch-size must be between 1 and 50000" in capsys.readouterr().err


def test_without_a_database_it_says_so() -> None:
    with pytest.raises(SystemExit, match="DATABASE_URL is not set"):
        main(["pii", "rotate"])


def test_an_active_key_that_is_not_configured_stops_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BAOXUE_PII_ACTIVE_KEY_ID", "k1")
    with pytest.raises(SystemExit) as exit_:
        main(["pii", "rotate"])
    assert exit_.value.code == 2
    assert "BAOXUE_PII_ACTIVE_KEY_ID 'k1' is not among the keys" in capsys.readouterr().err
