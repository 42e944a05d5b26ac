"""The municipal rules and the shared legal vocabulary, as pure code.

The routing decision table, the Danish office-day calendar, age, the reporter messages, the municipality
configuration model and the code lists of the disclosure log. Nothing here reads a clock, a file, the
network or a database (``tests/rules/test_purity.py`` says so): the services do that at their edges and
hand the values in. Intake, routing and audit import these modules; the contracts use the code lists as
field types.
"""
