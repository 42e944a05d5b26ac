"""Two guards the fuzz run asked for: driver loggers never quote parameters, CPR digits are ASCII."""

from __future__ import annotations

import logging

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.concern import CprNumber
from infohus.cli import PARAMETER_QUOTING_LOGGERS, quiet_loggers_that_quote_parameters


def test_driver_loggers_stay_quiet_when_the_root_logger_is_turned_up(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", logging.DEBUG)
    for name in PARAMETER_QUOTING_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    quiet_loggers_that_quote_parameters()
    assert not any(logging.getLogger(name).isEnabledFor(logging.INFO) for name in PARAMETER_QUOTING_LOGGERS)


@pytest.mark.parametrize("value", ["010110-1234", "0101101234"])
def test_a_cpr_number_of_ascii_digits_is_accepted(value: str) -> None:
    assert TypeAdapter(CprNumber).validate_python(value) == value


@pytest.mark.parametrize("value", ["٠١٠١١٠١٢٣٤", "０１０１１０-１２３４", "01011O-1234"])
def test_a_cpr_number_of_other_digits_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(CprNumber).validate_python(value)
