from __future__ import annotations

from enum import StrEnum

import pytest

from rules import codes
from rules.codes import CooperationForm, DataCategory, LegalBasis


@pytest.mark.parametrize("code_list", [
    codes.LegalBasis, codes.Purpose, codes.DataCategory, codes.DisclosureChannel, codes.SourceOfData,
    codes.OnwardCondition, codes.SubjectInformationStatus, codes.DisclosureDeliveryStatus, codes.CooperationForm,
    codes.DisclosureKind,
])
def test_every_code_is_spelled_as_its_name(code_list: type[StrEnum]) -> None:
    assert all(member.value == member.name for member in code_list)


def test_code_lists_have_the_sizes_of_d2() -> None:
    assert (len(LegalBasis), len(codes.Purpose), len(DataCategory)) == (20, 12, 18)
    assert set(CooperationForm) == {"SSP", "PSP", "KSP_A", "KSP_B", "KSP_C", "NONE"}


def test_rpl115_bases_are_the_section_115_bases_proper() -> None:
    assert LegalBasis.RPL115_2 in codes.RPL115_BASES
    assert LegalBasis.RPL115_5_GANG in codes.RPL115_BASES
    assert LegalBasis.RPL115A_FAMILY not in codes.RPL115_BASES
    assert codes.is_section_115(LegalBasis.RPL115A_FAMILY)
    assert {
        LegalBasis.RPL115_1_1_SSP, LegalBasis.RPL115_1_2_PSP, LegalBasis.RPL115_1_3A_KSP,
        LegalBasis.RPL115_1_3B_KSP, LegalBasis.RPL115_1_3C_KSP, LegalBasis.RPL115_5_GANG,
    } == codes.RPL115_POLICE_ONLY_BASES


def test_necessity_is_required_for_115_115a_and_dbl8_only() -> None:
    required = {basis for basis in LegalBasis if codes.requires_necessity_assessment(basis)}
    assert required == codes.SECTION_115_BASES | {
        LegalBasis.DBL8_2_1_CONSENT, LegalBasis.DBL8_2_2_OVERRIDING_INTEREST,
        LegalBasis.DBL8_2_3_NECESSARY_FOR_AUTHORITY,
    }


@pytest.mark.parametrize(("categories", "special", "criminal", "cpr", "gang"), [
    ([DataCategory.IDENTITY, DataCategory.CONTACT], False, False, False, False),
    ([DataCategory.RELIGION], True, False, False, False),
    ([DataCategory.HEALTH, DataCategory.CPR], True, False, True, False),
    ([DataCategory.CRIMINAL_OFFENCES], False, True, False, False),
    ([DataCategory.GANG_AFFILIATION], False, False, False, True),
    ([DataCategory.FAMILY_MEMBER_CONVICTION_81A], False, True, False, True),
])
def test_flags_derive_from_categories(
    categories: list[DataCategory], special: bool, criminal: bool, cpr: bool, gang: bool
) -> None:
    assert codes.contains_special_categories(categories) is special
    assert codes.contains_criminal_data(categories) is criminal
    assert codes.contains_cpr(categories) is cpr
    assert codes.contains_gang_info(categories) is gang
