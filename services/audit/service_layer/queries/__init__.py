"""The auditor queries Q1–Q18 of legal-research.md §D4, with filters and pagination; each run is logged."""
