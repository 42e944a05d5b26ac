"""Who a reporter is: a self-referral may stay anonymous; a partner authority names itself."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.concern import PROFESSIONAL_CATEGORIES, Reporter, ReporterCategory

NECESSITY = "Nødvendigt for Infohus' vurdering af en forebyggende indsats."


@pytest.mark.parametrize(("fields", "anonymous", "contactable"), [
    ({}, True, False),
    ({"name": "Ali"}, False, False),
    ({"email": "ali@example.org"}, False, True),
])
def test_a_self_referral_needs_nothing_and_is_anonymous_without_identity(
        fields: dict[str, str], anonymous: bool, contactable: bool) -> None:
    reporter = Reporter.model_validate({"category": "SELF", **fields})
    assert (reporter.anonymous, reporter.contactable) == (anonymous, contactable)


def test_a_citizen_still_says_who_they_are_or_chooses_anonymous() -> None:
    with pytest.raises(ValidationError, match="identity_required"):
        Reporter.model_validate({"category": "CITIZEN"})
    assert Reporter.model_validate({"category": "ANONYMOUS"}).anonymous


@pytest.mark.parametrize(("fields", "code"), [
    ({"workplace": "Politiet"}, "authority_required"),
    ({"workplace": "Politiet", "authority": "POLICE", "cooperation_form": "SSP"}, "section_115_incomplete"),
    ({"workplace": "Politiet", "authority": "POLICE", "necessity_assessment": NECESSITY}, "section_115_incomplete"),
    ({"workplace": "Politiet", "authority": "POLICE", "cooperation_form": "SSP",
      "necessity_assessment": "Nødvendigt for personen ٠١٠٢٠٣١٢٣٤ i Infohus."}, "cpr_in_necessity_assessment"),
])
def test_a_partner_authority_names_itself_and_a_section_115_exchange_completely(
        fields: dict[str, str], code: str) -> None:
    with pytest.raises(ValidationError, match=code):
        Reporter.model_validate({"category": "PARTNER_AUTHORITY", **fields})


def test_partner_fields_belong_to_partners_only_and_partners_are_section_133_reporters() -> None:
    with pytest.raises(ValidationError, match="partner_fields_not_allowed"):
        Reporter.model_validate({"category": "PROF_PUBLIC", "name": "A", "workplace": "B", "authority": "POLICE"})
    partner = Reporter.model_validate({"category": "PARTNER_AUTHORITY", "workplace": "Kriminalforsorgen",
                                       "authority": "KRIMINALFORSORGEN", "cooperation_form": "KSP_A",
                                       "necessity_assessment": NECESSITY})
    assert not partner.anonymous and ReporterCategory.PARTNER_AUTHORITY in PROFESSIONAL_CATEGORIES
