"""The ``portevoix`` command as a script uses it: JSON out, exit codes for refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from portevoix.cli import REFUSED, cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PORTEVOIX_DATABASE_URL", f"sqlite:///{tmp_path}/portevoix.db")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    for args in (
        ("platform", "create"),
        ("reseller", "create", "smsplus", "--name", "SMS Plus", "--email", "a@smsplus.example"),
        ("customer", "create", "smsplus", "bakery", "--name", "Bakery",
         "--email", "paul@bakery.example"),
        ("user", "create", "smsplus", "a@smsplus.example", "--name", "Ann",
         "--password", "long-enough"),
    ):
        assert invoke(*args).exit_code == 0
    return invoke


def test_credit_moves_show_in_balances_as_json(run) -> None:
    assert run("grant", "smsplus", "1000").exit_code == 0
    assert run("transfer", "smsplus", "smsplus/bakery", "25.5",
               "--user", "a@smsplus.example").exit_code == 0

    result = run("balances", "smsplus/bakery", "--json")

    [wallet] = json.loads(result.output)
    assert (wallet["balance"], wallet["available"]) == ("25.500", "25.500")


def test_statement_lists_each_movement_with_its_running_balance(run) -> None:
    run("grant", "smsplus/bakery", "10")
    run("grant", "smsplus/bakery", "2.25")

    result = run("statement", "smsplus/bakery", "--json")

    assert [line["balance_after"] for line in json.loads(result.output)] == ["10.000", "12.250"]


def test_a_refused_transfer_exits_3_with_one_error_line(run) -> None:
    result = run("transfer", "smsplus", "smsplus/bakery", "5", "--user", "a@smsplus.example")

    assert result.exit_code == REFUSED
    assert result.output.strip() == (
        "error: insufficient funds in SMS Plus wallet: 5.000 SMS needed, 0.000 SMS available "
        "(floor 0.000 SMS)"
    )


def test_an_amount_finer_than_the_unit_is_a_usage_error(run) -> None:
    result = run("grant", "smsplus", "1.0005")

    assert result.exit_code == 2
    assert "at most 3 decimals" in result.output


def test_an_unknown_tenant_is_a_usage_error(run) -> None:
    result = run("grant", "nobody", "1")

    assert result.exit_code == 2
    assert "no tenant 'nobody'" in result.output


def test_a_cheque_purchase_stays_pending_until_finance_confirms(run) -> None:
    run("tariff", "publish", "smsplus", "standard", "--tier", "100:0.19", "--tier", "1000:0.15")
    bought = json.loads(run("buy", "smsplus/bakery", "1000", "--tariff", "smsplus/standard",
                            "--method", "cheque", "--json").output)
    pending = json.loads(run("balances", "smsplus/bakery", "--json").output)[0]

    assert run("payment", "confirm", bought["purchase_id"], "--by", "finance").exit_code == 0

    paid = json.loads(run("balances", "smsplus/bakery", "--json").output)[0]
    assert (bought["amount_due"], bought["status"]) == ("150.0000", "awaiting_payment")
    assert (pending["available"], pending["pending_in"]) == ("0.000", "1000.000")
    assert (paid["available"], paid["pending_in"]) == ("1000.000", "0.000")


def test_rebuilding_projections_keeps_the_balances(run) -> None:
    run("grant", "smsplus", "7")
    before = run("balances", "--json").output

    assert run("projections", "rebuild").exit_code == 0

    assert run("balances", "--json").output == before


def test_prices_published_and_assigned_quote_a_send(run) -> None:
    assert run("prices", "publish", "platform", "wholesale",
               "--entry", "FR=0.8", "--entry", "TN=2", "--effective", "2026-01-01").exit_code == 0
    assert run("prices", "publish", "smsplus", "packs", "--entry", "FR=1",
               "--entry", "TN/ooredoo-tn=2.3", "--entry", "TN=2.5",
               "--effective", "2026-01-01").exit_code == 0
    run("prices", "assign", "smsplus", "platform/wholesale")
    run("prices", "assign", "smsplus/bakery", "smsplus/packs")

    quoted = json.loads(run("quote", "smsplus/bakery", "--text", "Bonjour", "0612345678",
                            "+216 20 123 456", "06 12 34 56 78", "0612", "--json").output)

    assert [r["price"] for r in quoted["recipients"]] == ["1.000", "2.300"]
    assert quoted["duplicates"] == ["06 12 34 56 78"]
    assert [r["reason"] for r in quoted["refused"]] == ["too_short"]
    assert quoted["total"] == "3.300"


def test_a_retail_price_below_wholesale_is_refused_with_exit_3(run) -> None:
    run("prices", "publish", "platform", "wholesale",
        "--entry", "FR=0.8", "--effective", "2026-01-01")
    run("prices", "assign", "smsplus", "platform/wholesale")

    result = run("prices", "publish", "smsplus", "packs",
                 "--entry", "FR=0.5", "--effective", "2026-01-01")

    assert result.exit_code == REFUSED
    assert "retail prices below wholesale: FR/*/sms 500 < 800" in result.output


def test_the_packs_table_answers_by_operator_prefix(run) -> None:
    run("prices", "publish", "smsplus", "packs", "--entry", "FR=1",
        "--entry", "TN/ooredoo-tn=2.3", "--entry", "TN=2.5", "--effective", "2026-01-01")

    shown = json.loads(run("prices", "show", "smsplus/packs", "--prefix", "+216 20",
                           "--json").output)

    assert [(r["operator"], r["price"]) for r in shown] == [("*", "2.500"), ("ooredoo-tn", "2.300")]


def test_routes_are_configured_listed_and_disabled(run) -> None:
    assert run("route", "configure", "france", "--host", "127.0.0.1", "--port", "2775",
               "--system-id", "portevoix", "--password", "secret", "--cover", "FR",
               "--cover", "*:900", "--tps", "50").exit_code == 0
    run("route", "enable", "france", "--off")

    [listed] = json.loads(run("route", "list", "--json").output)

    assert (listed["name"], listed["tps"], listed["enabled"]) == ("france", 50, False)
    assert "password" not in listed


def test_an_invalid_route_is_refused_with_exit_3(run) -> None:
    result = run("route", "configure", "france", "--host", "127.0.0.1", "--port", "2775",
                 "--system-id", "portevoix", "--password", "much-too-long", "--cover", "FR")

    assert result.exit_code == REFUSED
    assert "password at most 8" in result.output
