import datetime as dt

from django.urls import URLPattern, get_resolver
from django.utils import timezone

from companies.models import EmbedSession
from companies.services import embed_session_create
from dashboard.embed import embed_token_issue
from reconciliation.models import Match, MatchStatus
from tests.dashboard.conftest import deposit_with_payout, headers, url


def test_it_redeems_a_client_secret_exactly_once(client, alice):
    session, secret = embed_session_create(company=alice.company)
    first = client.post("/embed/", {"client_secret": secret})
    assert first.status_code == 200
    assert b"X-Embed-Token" in first.content and alice.company.name.encode() in first.content
    session.refresh_from_db()
    assert session.used_at is not None
    again = client.post("/embed/", {"client_secret": secret})
    assert again.status_code == 401
    assert again["X-Embed-Error"] == "invalid_secret"


def test_it_answers_the_frame_a_page_that_posts_the_secret_from_the_fragment(client, alice):
    entry = client.get("/embed/")
    assert entry.status_code == 200 and b"location.hash" in entry.content
    assert entry["Content-Security-Policy"] == "frame-ancestors *"
    assert alice.company.name.encode() not in entry.content


def test_it_refuses_a_secret_in_the_query_string_and_spends_it(client, alice):
    """A secret in a URL is in every access log on its way: refused, and unusable afterwards."""
    session, secret = embed_session_create(company=alice.company)
    response = client.get("/embed/", {"client_secret": secret})
    assert response.status_code == 400 and response["X-Embed-Error"] == "secret_in_url"
    assert client.post("/embed/", {"client_secret": secret}).status_code == 401


def test_it_refuses_an_expired_secret(client, alice):
    session, secret = embed_session_create(company=alice.company)
    EmbedSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post("/embed/", {"client_secret": secret})
    assert response.status_code == 401
    session.refresh_from_db()
    assert session.used_at is None


def test_it_refuses_an_unknown_secret_without_letting_anyone_frame_the_refusal(client, alice):
    response = client.post("/embed/", {"client_secret": "es_not-a-real-secret"})
    assert response.status_code == 401
    assert response["X-Frame-Options"] == "DENY"


def test_it_refuses_a_token_for_another_company(client, alice, bob):
    response = client.get(url(bob.company, "transactions"), **headers(alice))
    assert response.status_code == 403
    assert response["X-Embed-Error"] == "wrong_company"


def test_it_does_not_show_another_companys_deposit_even_by_id(client, alice, bob):
    bank, _, _ = deposit_with_payout(bob.company)
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert response.status_code == 404


def test_it_refuses_requests_without_a_valid_token(client, alice):
    target = url(alice.company, "transactions")
    assert client.get(target).status_code == 401
    assert client.get(target, HTTP_X_EMBED_TOKEN="forged.token").status_code == 401
    session, _ = embed_session_create(company=alice.company)
    token = embed_token_issue(company=alice.company, permissions=["read"], session=session)
    tampered = token.replace(token[5], "A" if token[5] != "A" else "B", 1)
    assert client.get(target, HTTP_X_EMBED_TOKEN=tampered).status_code == 401


def test_it_refuses_an_expired_token_and_tells_htmx(client, alice):
    session, _ = embed_session_create(company=alice.company)
    token = embed_token_issue(company=alice.company, permissions=["read"], session=session, ttl=dt.timedelta(seconds=-1))
    response = client.get(url(alice.company, "transactions"), HTTP_X_EMBED_TOKEN=token)
    assert response.status_code == 401
    assert response["HX-Trigger"] == "tieout-session-expired"


def test_it_refuses_writes_from_a_read_only_session(client, alice):
    _, _, match = deposit_with_payout(alice.company, status=MatchStatus.SUGGESTED)
    response = client.post(url(alice.company, "accept", pk=match.pk), **headers(alice, ["read"]))
    assert response.status_code == 403
    assert Match.objects.get(pk=match.pk).status == MatchStatus.SUGGESTED


def test_it_lets_embed_pages_be_framed_only_by_the_partners_origins(client, alice):
    response = client.get(url(alice.company, "overview"), **headers(alice))
    assert response["Content-Security-Policy"] == "frame-ancestors http://127.0.0.1:8001"
    assert "X-Frame-Options" not in response


def test_it_keeps_every_other_page_unframeable(client, alice):
    for path in ("/healthz", "/admin/login/"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" not in response


def test_it_marks_every_dashboard_view(db):
    """Fail closed: a view nobody marked would be refused, so every route must say how it authenticates."""
    resolver = get_resolver()
    embed = next(p for p in resolver.url_patterns if getattr(p, "app_name", None) == "dashboard")
    views = [p.callback for p in embed.url_patterns if isinstance(p, URLPattern)]
    assert views
    for view in views:
        assert getattr(view, "embed_view", False) or getattr(view, "embed_entry", False), view


def test_it_lets_staff_open_any_companys_dashboard(client, alice, django_user_model):
    staff = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client.force_login(staff)
    response = client.get(f"/embed/staff/{alice.company.pk}/")
    assert response.status_code == 302 and "#client_secret=es_" in response["Location"]
    assert "?client_secret" not in response["Location"]
    page = client.post("/embed/", {"client_secret": response["Location"].split("#client_secret=")[1]})
    assert page.status_code == 200 and alice.company.name.encode() in page.content


def test_it_keeps_non_staff_out_of_the_staff_entry(client, alice, django_user_model):
    user = django_user_model.objects.create_user("someone", password="pw")
    client.force_login(user)
    response = client.get(f"/embed/staff/{alice.company.pk}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not EmbedSession.objects.filter(company=alice.company).exists()


def test_it_links_the_dashboard_from_the_company_admin(client, alice, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="pw")
    client.force_login(admin_user)
    page = client.get(f"/admin/companies/company/{alice.company.pk}/change/")
    assert f'href="/embed/staff/{alice.company.pk}/"'.encode() in page.content
