"""Reads for tenancy."""

from companies.models import Company, Partner


def company_list_for_partner(*, partner: Partner):
    """A partner's companies: the only way API code reaches companies."""
    if not isinstance(partner, Partner) or partner.pk is None:
        raise TypeError("a saved Partner is required")
    return Company.objects.filter(partner=partner).order_by("name", "id")


def company_get_for_partner(*, partner: Partner, public_id) -> Company | None:
    return company_list_for_partner(partner=partner).filter(public_id=public_id).first()
