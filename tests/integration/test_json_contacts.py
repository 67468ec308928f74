"""``/api/v1`` contacts over a real socket: the address book, lists, imports (upload, dry
run, commit), exports, consent and erasure, sends to lists and to personalised sheets, and
contact groups through http.php."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import openpyxl
import pytest
import requests
from json_client import LOGIN, PASSWORD, Api, keys_of, served
from send_world import RETAIL_FR, a_world

from portevoix.web import create_app
from tests.unit.contacts.table_files import (
    write_csv_file,
    write_png,
    write_xlsx_file,
    write_zip_bomb_xlsx,
)

pytestmark = pytest.mark.timeout(300)
HEADERS = ["Numéro", "Nom", "Prénom", "Société"]


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with a_world(database_url) as world:
        world.fund(1000 * RETAIL_FR)
        keys = keys_of(world)
        with served(world) as base:
            yield Api(world, base, keys)


def upload(api: Api, path: Path, key: str = "contacts", **form: str) -> tuple[int, Any]:
    with path.open("rb") as file:
        answer = requests.post(f"{api.base}/api/v1/imports", files={"file": (path.name, file)},
                               data=form, headers={"Authorization": f"Bearer {api.keys[key]}"},
                               timeout=60)
    return answer.status_code, answer.json()


def download(api: Api, path: str) -> requests.Response:
    return requests.get(f"{api.base}/api/v1{path}", timeout=30,
                        headers={"Authorization": f"Bearer {api.keys['contacts']}"})


def a_list(api: Api, name: str) -> str:
    status, body, _ = api.call("POST", "/lists", {"name": name}, key="contacts")
    assert status == 201, body
    return str(body["list_id"])


def a_contact(api: Api, number: str, list_id: str, **fields: object) -> dict[str, Any]:
    status, body, _ = api.call("POST", "/contacts", {"number": number, "list_ids": [list_id],
                                                     **fields}, key="contacts")
    assert status == 201, body
    return dict(body)


def test_the_contacts_scope_is_needed(api: Api) -> None:
    status, body, _ = api.call("GET", "/lists", key="send")

    assert (status, body["error"]["code"]) == (403, "forbidden_scope")


def test_contacts_and_lists_are_kept_searched_moved_and_counted(api: Api) -> None:
    clients, vip = a_list(api, "Clients"), a_list(api, "VIP")
    luc = a_contact(api, "06 12 34 56 78", clients, first_name="Luc", last_name="Dupré",
                    consent={"source": "web_form", "given_at": "2026-11-30T10:00:00Z"})
    ana = a_contact(api, "+33698765432", clients, first_name="Ana", last_name="Martin")

    assert luc["number"] == "+33612345678" and luc["consent"]["source"] == "web_form"
    found = api.call("GET", "/contacts?q=dupre", key="contacts")[1]["data"]
    assert [c["contact_id"] for c in found] == [luc["contact_id"]]
    found = api.call("GET", "/contacts?number=0698", key="contacts")[1]["data"]
    assert [c["contact_id"] for c in found] == [ana["contact_id"]]

    status, moved, _ = api.call("POST", f"/lists/{clients}/move",
                                {"contact_ids": [ana["contact_id"]], "to_list_id": vip},
                                key="contacts")
    assert (status, moved["member_count"]) == (200, 1)
    counts = {row["name"]: row["member_count"]
              for row in api.call("GET", "/lists", key="contacts")[1]["data"]}
    assert counts == {"Clients": 1, "VIP": 1}

    status, body, _ = api.call("POST", "/lists", {"name": "clients"}, key="contacts")
    assert (status, body["error"]["code"]) == (422, "list_name_taken")
    status, body, _ = api.call("POST", "/contacts", {"number": "0140000000"}, key="contacts")
    assert (status, body["error"]["code"]) == (422, "invalid_number")


def test_an_import_is_examined_then_committed_and_exported_back_neutralised(
        api: Api, tmp_path: Path) -> None:
    rows = [HEADERS, ["06 11 22 33 44", "Dupré", "Élodie", "Crêperie"],
            ["0611223344", "Dupré", "Élodie", "again"],  # a repeat in the file
            ["01 40 00 00 00", "Fixe", "Ligne", ""],  # a landline
            ["n/a", "Bad", "Row", ""],
            ["+33622334455", '=HYPERLINK("http://evil.example","x")', "Eve", "Ltd"]]
    path = write_csv_file(tmp_path / "contacts.csv", rows, encoding="cp1252", delimiter=";")

    status, examined = upload(api, path, new_list_name="Salon 2026")

    assert status == 201, examined
    report = examined["report"]
    assert (report["rows_read"], report["invalid"], report["landlines"],
            report["duplicates_in_file"], report["to_write"]) == (5, 1, 1, 1, 2)
    assert examined["request"]["columns"][:4] == ["number", "last_name", "first_name",
                                                  "company"]
    assert examined["state"] == "examined"
    assert api.call("GET", "/lists", key="contacts")[1]["data"] == []  # nothing written yet

    status, committed, _ = api.call("POST", f"/imports/{examined['import_id']}/commit",
                                    key="contacts")
    assert (status, committed["state"], committed["result"]["to_write"]) == (
        200, "committed", 2), committed
    (salon,) = api.call("GET", "/lists", key="contacts")[1]["data"]
    assert (salon["name"], salon["member_count"]) == ("Salon 2026", 2)

    exported = download(api, f"/contacts/export?format=csv&list_id={salon['list_id']}")
    assert exported.status_code == 200
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["Mobile", "Nom", "Prénom"]
    assert sorted(row[0] for row in table[1:]) == ["+33611223344", "+33622334455"]
    evil = next(row for row in table[1:] if row[2] == "Eve")
    assert evil[1].startswith("'=")  # neutralised: not a formula for a spreadsheet

    workbook = openpyxl.load_workbook(io.BytesIO(download(
        api, "/contacts/export?format=xlsx").content))
    cells = [cell for row in workbook.active.iter_rows(min_row=2) for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert any(str(cell.value).startswith("'=HYPERLINK") for cell in cells)


@pytest.mark.parametrize(("make", "code"), [
    (lambda d: write_png(d / "numbers.csv"), "file_not_a_table"),
    (lambda d: write_zip_bomb_xlsx(d / "contacts.xlsx"), "file_zip_bomb"),
    (lambda d: write_csv_file(d / "empty.csv", []), "file_empty"),
])
def test_a_file_that_is_not_a_table_is_refused_and_nothing_kept(
        api: Api, tmp_path: Path, make: Any, code: str) -> None:
    status, body = upload(api, make(tmp_path))

    assert (status, body["error"]["code"]) == (422, code)
    assert api.call("GET", "/lists", key="contacts")[1]["data"] == []


def test_an_upload_without_a_file_or_with_a_bad_mapping_is_400_or_422(
        api: Api, tmp_path: Path) -> None:
    answer = requests.post(f"{api.base}/api/v1/imports", data={"target": "list"}, timeout=30,
                           headers={"Authorization": f"Bearer {api.keys['contacts']}"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_request")

    path = write_csv_file(tmp_path / "c.csv", [HEADERS, ["0611223344", "A", "B", "C"]])
    status, body = upload(api, path, columns="last_name,first_name", has_header="true")
    assert (status, body["error"]["code"]) == (422, "mapping")


def test_a_send_to_a_list_is_personalised_per_contact_and_missing_values_refuse_it(
        api: Api) -> None:
    clients = a_list(api, "Clients")
    a_contact(api, "0611111111", clients, first_name="Luc")
    a_contact(api, "0622222222", clients)  # no first name

    status, body, _ = api.send(numbers=[], lists=["clients"], text="Bonjour {first_name} !")
    assert (status, body["error"]["code"]) == (422, "missing_values")
    assert body["error"]["fields"]["missing"] == {"first_name": 1}

    status, body, _ = api.send(numbers=[], lists=["Clients"], text="Bonjour {first_name} !",
                               on_missing="fallback", fallback={"first_name": "cher client"})
    assert (status, body["recipients"]) == (201, 2), body
    api.world.services.catch_up_outbox()
    sent = {m["number"]: m["text"] for m in api.call("GET", "/messages")[1]["data"]}
    assert sent == {"+33611111111": "Bonjour Luc !", "+33622222222": "Bonjour cher client !"}

    status, body, _ = api.send(numbers=[], lists=["Nobody"], text="x")
    assert (status, body["error"]["code"]) == (404, "unknown_list")


def test_a_marketing_send_to_a_list_goes_only_to_contacts_with_consent(api: Api) -> None:
    promo = a_list(api, "Promo")
    a_contact(api, "0611111111", promo,
              consent={"source": "paper", "given_at": "2026-01-01T00:00:00Z"})
    a_contact(api, "0622222222", promo)

    status, body, _ = api.send(numbers=[], lists=["Promo"], kind="marketing",
                               text="Soldes ! STOP au 36180", sender=None)

    assert (status, body["recipients"]) == (201, 1), body


def test_a_personalised_sheet_is_sent_with_its_params(api: Api, tmp_path: Path) -> None:
    path = write_xlsx_file(tmp_path / "excel2sms.xlsx", [
        ["Numéro", "param1", "param2"], ["0611111111", "Luc", "10:30"],
        ["0622222222", "Ana", "11:00"]])
    status, examined = upload(api, path, target="personalised")
    assert status == 201, examined
    assert examined["report"]["to_write"] == 2

    status, body, _ = api.send(numbers=[], import_id=examined["import_id"],
                               text="[[param1]], RDV à [[param2]]")
    assert (status, body["recipients"]) == (201, 2), body
    api.world.services.catch_up_outbox()
    texts = sorted(m["text"] for m in api.call("GET", "/messages")[1]["data"])
    assert texts == ["Ana, RDV à 11:00", "Luc, RDV à 10:30"]

    status, body, _ = api.call("POST", f"/imports/{examined['import_id']}/commit",
                               key="contacts")
    assert (status, body["error"]["code"]) == (409, "import_state")


def test_consent_export_and_erasure_by_number(api: Api) -> None:
    clients = a_list(api, "Clients")
    luc = a_contact(api, "0611111111", clients, first_name="Luc",
                    consent={"source": "web_form", "given_at": "2026-11-30T10:00:00Z",
                             "wording": "J'accepte les SMS"})

    status, exported, _ = api.call("GET", f"/contacts/{luc['contact_id']}/export",
                                   key="contacts")
    assert status == 200 and exported["fields"]["first_name"] == "Luc"
    assert "J'accepte les SMS" in str(exported)

    status, body, _ = api.call("POST", "/contacts/erase", {"number": "06 11 11 11 11"},
                               key="contacts")
    assert (status, body["erased"]) == (200, 1)
    assert api.call("GET", f"/contacts/{luc['contact_id']}", key="contacts")[0] == 404
    assert api.call("GET", "/lists", key="contacts")[1]["data"][0]["member_count"] == 0


def test_templates_download(api: Api) -> None:
    answer = download(api, "/imports/templates/personalised?format=xlsx")

    assert answer.status_code == 200
    header = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(
        answer.content)).active.iter_rows(max_row=1))]
    assert "param1" in header
    assert download(api, "/imports/templates/nope").status_code == 404


def test_http_php_sends_to_a_contact_group_by_name(api: Api) -> None:
    clients = a_list(api, "Clients")
    a_contact(api, "0611111111", clients)
    a_contact(api, "0622222222", clients)
    query = {"user": LOGIN, "pass": PASSWORD, "message": "Hello", "numero": "Clients"}

    with urlopen(f"{api.base}/http.php?{urlencode(query)}", timeout=30) as answer:
        assert answer.read().decode() == "80"
    with urlopen(f"{api.base}/http.php?{urlencode(query | {'numero': 'Ghosts'})}",
                 timeout=30) as answer:
        assert answer.read().decode() == "86"  # an empty or unknown group
    api.world.services.catch_up_outbox()
    numbers = sorted(m["number"] for m in api.call("GET", "/messages")[1]["data"])
    assert numbers == ["+33611111111", "+33622222222"]


def test_a_preview_shows_each_message_its_missing_values_and_its_price(api: Api) -> None:
    clients = a_list(api, "Clients")
    a_contact(api, "0611111111", clients, first_name="Luc")
    a_contact(api, "0622222222", clients)
    text = "Bonjour {first_name}, votre commande est prête."

    status, shown, _ = api.call("POST", "/messages/preview",
                                {"lists": ["Clients"], "text": text}, key="send")
    assert status == 200, shown
    assert (shown["complete"], shown["missing"], shown["price"]) == (
        False, {"first_name": 1}, None)
    by_number = {p["number"]: p for p in shown["previews"]}
    assert by_number["+33611111111"]["text"] == "Bonjour Luc, votre commande est prête."
    assert by_number["+33622222222"]["missing"] == ["first_name"]

    status, shown, _ = api.call("POST", "/messages/preview", {
        "lists": ["Clients"], "text": text, "on_missing": "fallback",
        "fallback": {"first_name": "Ł" * 60}}, key="send")  # UCS-2, two segments
    assert status == 200, shown
    assert shown["complete"] and shown["segments"] == 1 + 2
    assert shown["price"] == api.call("POST", "/quotes", {"rows": [
        {"number": "+33611111111", "text": "Bonjour Luc, votre commande est prête."},
        {"number": "+33622222222", "text": f"Bonjour {'Ł' * 60}, votre commande est prête."},
    ]}, key="send")[1]["price"]
    api.world.services.catch_up_outbox()
    assert api.call("GET", "/messages")[1]["data"] == []  # a preview sends nothing


def test_a_body_over_the_upload_limit_is_413_before_it_is_read(api: Api) -> None:
    app = create_app(services=api.world.services, follow=False)
    assert app.config["MAX_CONTENT_LENGTH"] > 200 * 1024 * 1024  # the import limit fits
    app.config["MAX_CONTENT_LENGTH"] = 1_000

    answer = app.test_client().post(
        "/api/v1/imports", data={"file": (io.BytesIO(b"0612345678\n" * 500), "big.csv")},
        headers={"Authorization": f"Bearer {api.keys['contacts']}"})

    assert (answer.status_code, answer.get_json()["error"]["code"]) == (413, "file_too_large")
