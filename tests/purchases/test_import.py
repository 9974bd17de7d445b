"""The purchases CSV import: a preview naming each bad line and why, then all good rows or nothing."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow
from portal.purchases import imports, services
from tests.factories import make_member
from tests.helpers import as_staff, html, login, points_entries, post_form, purchase_count, purchases_of, tampered

URL = "/admin/imports/purchases"
TODAY = date.today().isoformat()


def upload(client, content, filename="purchases.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return post_form(client, URL, {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def import_form(page):
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page)
    fingerprint = re.search(r'id="fingerprint" name="fingerprint" type="hidden" value="([^"]+)"', page)
    assert token and fingerprint, "no import button on the preview"
    return {"token": token.group(1), "fingerprint": fingerprint.group(1)}


def has_import_button(page):
    return re.search(r"<button type=\"submit\">\s*Import \d", page) is not None


def confirm(client, page, **override):
    return post_form(client, URL + "/import", {**import_form(page), **override}, page=URL)


def problems(page):
    """{line: reason} from the preview's table of bad rows."""
    rows = re.findall(r'<tr>\s*<td class="num">(\d+)</td>.*?<td>([^<]*)</td>\s*</tr>', page, re.S)
    return {int(line): reason for line, reason in rows}


@pytest.fixture
def people(app):
    mei = make_member(name="Mei Lin", email="mei.import@example.com", tier="gold")
    bo = make_member(name="Bo Chen", email="bo.import@example.com")
    closed = make_member(name="Gone", status="closed")
    db.session.commit()
    return mei, bo, closed


def good_file(mei, bo, prefix="G"):
    return (f"member,amount,date,reference\n"
            f"{mei.number},100.00,{TODAY},{prefix}-1\n"
            f"{bo.email},55.50,{TODAY}T10:15:00+08:00,{prefix}-2\n"
            f"{mei.email.upper()},10.99,{TODAY},{prefix}-3\n")


# --- the preview ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_the_preview_names_every_bad_line_and_why_and_counts_the_good_rows(client, people, bom):
    mei, bo, closed = people
    as_staff(client)
    future = (date.today() + timedelta(days=3)).isoformat()
    old = (date.today() - timedelta(days=800)).isoformat()
    content = "\n".join([
        "member,amount,date,reference",                       # line 1
        f"{mei.number},100.00,{TODAY},P-1",                   # 2 good
        f"M999999,20,{TODAY},P-2",                            # 3 unknown member
        f"{bo.email},-5,{TODAY},P-3",                         # 4 negative
        f"{bo.email},abc,{TODAY},P-4",                        # 5 not a number
        f"{bo.email},99999999,{TODAY},P-5",                   # 6 absurd
        f"{bo.email},10,{future},P-6",                        # 7 future
        f"{bo.email},10,{old},P-7",                           # 8 too old
        f"{bo.email},10,03/14/2026,P-8",                      # 9 unreadable date
        f"{mei.email},10,{TODAY},P-1",                        # 10 duplicate reference in the file
        f"{closed.number},10,{TODAY},P-9",                    # 11 not active
        f"{bo.email},10,{TODAY}",                             # 12 a value short
        "",                                                   # 13 blank: skipped
        f"{bo.email},12.5,{TODAY},P-10",                      # 14 good
        f"{bo.email},1.999,{TODAY},",                         # 15 two problems
    ]) + "\n"
    data = ("\ufeff" + content).encode() if bom else content.encode()
    response = upload(client, data)
    page = html(response)
    assert response.status_code == 200
    found = problems(page)
    assert set(found) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15}
    assert "Unknown member “M999999”." in found[3]
    assert found[4] == "The amount must be more than 0."
    assert found[5] == "Enter the amount as a number, such as 12.50."
    assert found[6] == "The amount can be at most 1,000,000."
    assert found[7] == "The date is more than a day in the future."
    assert "more than 24 months ago" in found[8]
    assert "Enter the date as YYYY-MM-DD" in found[9]
    assert found[10] == "The reference P-1 is also on line 2."
    assert "is not active" in found[11]
    assert found[12] == "This row has 3 values; the header has 4."
    assert "at most 2 decimal places" in found[15] and "Enter the reference" in found[15]
    assert "2 purchases can be imported, worth 112.50 (162 points at the members' tiers now)." in page
    assert ">Import 2 purchases</button>" in page
    assert purchase_count() == 0  # a preview writes nothing


def good_rows(page):
    """[(line, member, amount, date, reference, points)] from the preview's table of rows to import."""
    table = re.search(r'<table class="import-rows"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S)
    assert table, "no table of rows to import"
    return [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


def test_the_preview_lists_the_rows_it_will_import_as_well_as_the_bad_ones(client, people):
    mei, bo, _ = people  # Mei is Gold (1.5 points a unit), Bo Regular
    as_staff(client)
    page = html(upload(client, "member,amount,date,reference\n"
                               f"{mei.number},100.00,2026-11-30,G-1\n"
                               f"M999999,20,{TODAY},G-2\n"
                               f"{bo.email},55.50,2026-11-30T10:15:00+08:00,G-3\n"))
    assert set(problems(page)) == {3}
    assert '<h3 id="good-heading">2 rows to import</h3>' in page
    assert good_rows(page) == [
        ("2", f"Mei Lin {mei.number}", "100.00", "2026-11-30 00:00", "G-1", "150"),
        ("4", f"Bo Chen {bo.number}", "55.50", "2026-11-30 10:15", "G-3", "55"),  # dates in the programme's zone
    ]


def test_a_quoted_cell_over_two_lines_reports_the_line_its_row_starts_on(client, people):
    mei, bo, _ = people
    as_staff(client)
    content = f'member,amount,date,reference\n{mei.number},5,{TODAY},"Q\n1"\n{bo.email},x,{TODAY},Q-2\n'
    found = problems(html(upload(client, content)))
    assert set(found) == {2, 4}  # the reference with a line break is not printable; "x" is on line 4


def test_columns_may_come_in_any_order_and_any_case(client, people):
    mei, _, _ = people
    as_staff(client)
    page = html(upload(client, f"Reference, DATE ,Amount,Member\nO-1,{TODAY},42,{mei.number}\n"))
    assert "1 purchase can be imported, worth 42.00 (63 points" in page


@pytest.mark.parametrize(("content", "filename", "message"), [
    ("member,amount,date,reference\nM000001,12,2026-01-01,X\n".encode("utf-16"), "p.csv", "not a CSV file"),
    ("member,amount,date,reference\nmei@example.com,12,2026-01-01,台北店-001\n".encode("big5"), "p.csv",
     "The file is not in UTF-8"),
    ("member,amount,date,reference\nmei@example.com,12,2026-01-01,Café-1\n".encode("latin-1"), "p.csv",
     "The file is not in UTF-8"),
    (b"", "p.csv", "The file is empty."),
    (b"\n\n  \n", "p.csv", "The file is empty."),
    (b"member,amount,date,reference\n", "p.csv", "The file has a header but no purchases."),
    (b"member,amount,reference\nM1,2,X\n", "p.csv", "The first line must name the columns"),
    (b"member,amount,date,reference,shop\nM1,2,2026-01-01,X,Y\n", "p.csv", "The first line must name the columns"),
    (b"name;amount;date;reference\n", "p.csv", "The first line must name the columns"),
    (b"member,amount,date,date\n", "p.csv", "The first line must name the columns"),
    (b'member,amount,date,reference\nM1,"2,2026\n', "p.csv", "not a well-formed CSV"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "p.csv", "not a CSV file"),
    (b"member,amount,date,reference\n", "purchases.xlsx", "This is not a CSV file"),
])
def test_files_that_cannot_be_read_are_refused_with_a_clear_message(client, people, content, filename, message):
    as_staff(client)
    response = upload(client, content, filename)
    page = html(response)
    assert response.status_code == 422
    assert 'id="purchases-file-error"' in page and message in page
    assert 'id="preview-heading"' not in page and not has_import_button(page)
    assert purchase_count() == 0


def test_no_file_chosen_is_a_422(client, people):
    as_staff(client)
    response = post_form(client, URL, {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the CSV file to check." in html(response)


def test_an_upload_over_the_size_limit_is_a_413_page(client, people):
    as_staff(client)
    big = b"member,amount,date,reference\n" + b"M000001,1.00,2026-01-01,REF-000000000\n" * 40000
    response = upload(client, big)
    assert response.status_code == 413 and "That is too large" in html(response)


# --- the import -----------------------------------------------------------------------------------


def test_import_records_the_good_rows_with_their_points_and_reimporting_adds_nothing(client, people):
    mei, bo, _ = people
    staff = as_staff(client)
    content = good_file(mei, bo) + f"M999999,5,{TODAY},G-4\n"
    preview = html(upload(client, content))
    response = confirm(client, preview)
    assert response.status_code == 303 and response.headers["Location"] == URL
    assert "Imported 3 purchases worth 166.49: 221 points." in html(client.get(URL))
    rows = {p.reference: p for p in purchases_of()}
    assert set(rows) == {"G-1", "G-2", "G-3"}
    assert rows["G-1"].points == 150 and rows["G-3"].points == 16 and rows["G-2"].points == 55  # gold, regular
    assert {p.source for p in rows.values()} == {"csv"} and {p.actor_staff_id for p in rows.values()} == {staff.id}
    db.session.expire_all()
    assert db.session.get(Member, mei.id).points_balance == 166 and db.session.get(Member, bo.id).points_balance == 55
    assert [(e.reason_code, e.reason_params) for e in points_entries(mei)] == [
        ("purchase", {"reference": "G-1"}), ("purchase", {"reference": "G-3"})]
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "purchase.record")).all()) == 3

    # the same file again: every row is already imported, nothing to import
    again = html(upload(client, content))
    found = problems(again)
    assert set(found) == {2, 3, 4, 5}
    assert found[2] == "Already imported: the reference G-1 is recorded."
    assert "Nothing in this file can be imported." in again and not has_import_button(again)
    assert purchase_count() == 3

    # the same preview's button again: the kept file is gone
    replay = confirm(client, preview)
    assert replay.status_code == 409 and "expired or was already imported" in html(replay)
    assert purchase_count() == 3


def test_a_reference_recorded_for_another_purchase_is_a_bad_row(client, people):
    mei, bo, _ = people
    services.record_purchase(bo, Decimal("9"), utcnow() - timedelta(hours=1), "C-1", "staff")
    db.session.commit()
    as_staff(client)
    found = problems(html(upload(client, f"member,amount,date,reference\n{mei.number},9,{TODAY},C-1\n")))
    assert found == {2: "The reference C-1 is already recorded for a different purchase."}


def test_if_the_data_changed_since_the_preview_nothing_is_imported(client, people):
    mei, bo, _ = people
    as_staff(client)
    preview = html(upload(client, good_file(mei, bo, "CH")))
    services.record_purchase(bo, Decimal("1"), utcnow() - timedelta(hours=1), "CH-3", "staff")  # meanwhile
    db.session.commit()
    response = confirm(client, preview)
    page = html(response)
    assert response.status_code == 409 and "Nothing was imported" in page
    assert problems(page)[4] == "The reference CH-3 is already recorded for a different purchase."
    assert [p.reference for p in purchases_of()] == ["CH-3"]
    assert confirm(client, page).status_code == 303  # the new preview imports the two others
    assert sorted(p.reference for p in purchases_of()) == ["CH-1", "CH-2", "CH-3"]


def test_a_failure_in_the_middle_writes_nothing(client, people, monkeypatch):
    mei, bo, _ = people
    as_staff(client)
    preview = html(upload(client, good_file(mei, bo, "MID")))
    real, calls = services.record_purchase, []

    def fail_on_the_third(*args, **kwargs):
        calls.append(args[3])
        if len(calls) == 3:
            raise services.PurchaseError("member", "The member was closed a moment ago.")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports.services, "record_purchase", fail_on_the_third)
    response = confirm(client, preview)
    assert response.status_code == 409 and "nothing was imported" in html(response)
    assert calls == ["MID-1", "MID-2", "MID-3"]
    db.session.expire_all()
    assert purchase_count() == 0 and points_entries(mei) == [] and points_entries(bo) == []
    assert db.session.get(Member, mei.id).points_balance == 0


def test_the_import_token_is_signed_and_only_its_uploader_can_use_it(client, people, app):
    mei, bo, _ = people
    as_staff(client)
    preview = html(upload(client, good_file(mei, bo, "TK")))
    form = import_form(preview)
    assert confirm(client, preview, token=tampered(form["token"])).status_code == 409
    other = app.test_client()
    as_staff(other, name="Olga Other")
    assert post_form(other, URL + "/import", form, page=URL).status_code == 409
    assert purchase_count() == 0
    assert post_form(client, URL + "/import", {"token": "", "fingerprint": ""}, page=URL).status_code == 400
    assert confirm(client, preview).status_code == 303 and purchase_count() == 3


def test_the_file_is_kept_under_instance_with_a_random_name_and_removed_after_import(client, people, app):
    mei, bo, _ = people
    as_staff(client)
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*.csv")) if folder.exists() else set()
    preview = html(upload(client, good_file(mei, bo, "KEEP")))
    [kept] = set(folder.glob("*.csv")) - before
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.csv", kept.name) and oct(kept.stat().st_mode)[-3:] == "600"
    confirm(client, preview)
    assert not kept.exists()


# --- who may import -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "operations"])
def test_admin_and_operations_import(client, people, role):
    as_staff(client, role)
    page = html(client.get(URL))
    assert "<h1 id=\"import-heading\">Import purchases</h1>" in page and ">Imports</a>" in page
    assert ('>API keys</a>' in page) == (role == "admin")


@pytest.mark.parametrize("role", ["service", "expansion"])
def test_other_staff_get_403(client, people, role):
    mei, bo, _ = people
    as_staff(client, role)
    assert client.get(URL).status_code == 403
    assert ">Imports</a>" not in html(client.get("/admin/"))
    response = post_form(client, URL, {"file": (io.BytesIO(good_file(mei, bo).encode()), "p.csv")}, page="/admin/",
                         content_type="multipart/form-data")
    assert response.status_code == 403
    assert post_form(client, URL + "/import", {"token": "x", "fingerprint": "y"}, page="/admin/").status_code == 403
    assert purchase_count() == 0


def test_members_get_403(client, people):
    mei, bo, _ = people
    login(client, mei.email)
    assert client.get(URL).status_code == 403
    response = post_form(client, URL, {"file": (io.BytesIO(good_file(mei, bo).encode()), "p.csv")}, page="/",
                         content_type="multipart/form-data")
    assert response.status_code == 403 and purchase_count() == 0


def test_the_sample_file_has_exactly_two_bad_rows(client, app):
    mei = make_member()
    as_staff(client)
    sample = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "purchases.csv").read_bytes()
    page = html(upload(client, sample.replace(b"mei@example.com", mei.email.encode()).replace(
        b"M000001", mei.number.encode())))
    assert set(problems(page)) == {5, 6} and ">Import 4 purchases</button>" in page
