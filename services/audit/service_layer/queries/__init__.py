"""The auditor queries Q1–Q18 of docs/legal.md §D4, with filters and pagination; each run is logged.

Every query reads ``disclosure_payloads`` (so an erased record no longer shows, except in Q11 and
Q16) and is logged in ``auditor_query_log`` with who ran it and the criteria (SIKBEK § 19: "bruger,
tidspunkt ... det anvendte søgekriterium").

- :mod:`.catalogue` lists the queries as the auditor sees them; :mod:`.running` runs one and logs it;
- :mod:`.filters`, :mod:`.paging` and :mod:`.labels` hold what the queries share;
- the query families: :mod:`.overviews` (Q1, Q2, Q15, Q18), :mod:`.disclosure_checks` (Q3-Q8),
  :mod:`.fact_checks` (Q9, Q12, Q17), :mod:`.record_checks` (Q10, Q13, Q14, Q16), :mod:`.integrity` (Q11).
"""
