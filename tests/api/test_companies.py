"""Companies: create, list, read, update, delete (only without books)."""

from companies.models import Company
from tests import factories as f
from tests.api.conftest import v1


def test_it_creates_a_company_with_its_chart_of_accounts(alice, alice_api):
    response = alice_api.post("/api/v1/companies/", {"name": "Mugs & Co", "base_currency": "eur",
                                                     "timezone": "Europe/Paris", "external_id": "u-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Mugs & Co" and body["base_currency"] == "EUR"
    company = Company.objects.get(public_id=body["id"])
    assert company.partner == alice.partner
    assert alice_api.get(v1(company, "bank-accounts/")).status_code == 200


def test_it_explains_validation_errors_per_field(alice_api):
    response = alice_api.post("/api/v1/companies/", {"base_currency": "dollars", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"name", "base_currency", "timezone"}
    assert error["details"]["name"] == ["This field is required."]
    assert "ISO 4217" in error["details"]["base_currency"][0]
    assert "Mars/Olympus" in error["details"]["timezone"][0]
    assert error["message"].startswith("Invalid input. name: This field is required.")


def test_it_refuses_a_duplicate_external_id_for_the_same_partner(alice, bob_api, alice_api):
    alice_api.post("/api/v1/companies/", {"name": "A", "external_id": "same"})
    again = alice_api.post("/api/v1/companies/", {"name": "B", "external_id": "same"})
    assert again.status_code == 400
    assert again.json()["error"]["details"]["external_id"]
    assert bob_api.post("/api/v1/companies/", {"name": "C", "external_id": "same"}).status_code == 201


def test_it_filters_companies_by_external_id(alice_api):
    alice_api.post("/api/v1/companies/", {"name": "A", "external_id": "x-1"})
    results = alice_api.get("/api/v1/companies/", external_id="x-1").json()["results"]
    assert [c["external_id"] for c in results] == ["x-1"]


def test_it_updates_a_company_but_not_its_currency(alice, alice_api):
    response = alice_api.patch(v1(alice.company), {"name": "Renamed", "base_currency": "EUR"})
    assert response.status_code == 200
    alice.company.refresh_from_db()
    assert (alice.company.name, alice.company.base_currency) == ("Renamed", "USD")


def test_it_deletes_a_company_without_books(alice, alice_api):
    response = alice_api.delete(v1(alice.company))
    assert response.status_code == 204
    assert not Company.objects.filter(pk=alice.company.pk).exists()
    assert alice_api.get(v1(alice.company)).status_code == 404


def test_it_refuses_to_delete_a_company_with_books(alice, alice_api):
    f.BankTransactionFactory(company=alice.company)
    response = alice_api.delete(v1(alice.company))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "company_has_books"
    assert "ledger.banktransaction" in error["details"]["held_by"]
    assert Company.objects.filter(pk=alice.company.pk).exists()
