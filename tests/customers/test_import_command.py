"""``kizuna import accounts|subscriptions`` goes through the same command as employees."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kizuna.customers.models import Account


@pytest.mark.django_db
def test_import_accounts_through_the_kizuna_import_command(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "accounts.csv"
    good.write_bytes(
        "取引先ID,取引先名\nA-1,株式会社アルファ\nA-2,ベータ工業株式会社\n".encode("cp932")
    )
    call_command("import_data", "accounts", str(good), "--language", "en")
    assert set(Account.objects.values_list("external_id", flat=True)) == {"A-1", "A-2"}

    bad = tmp_path / "bad.csv"
    bad.write_bytes("取引先ID,取引先名,親取引先ID\nA-3,ガンマ,NOPE\n".encode("cp932"))
    with pytest.raises(CommandError):
        call_command("import_data", "accounts", str(bad), "--language", "en")
    assert "row 2" in capsys.readouterr().err
    assert not Account.objects.filter(external_id="A-3").exists()
