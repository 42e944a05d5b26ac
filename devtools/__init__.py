"""Development, benchmark and fault tooling: the local stack (``make run``), ``make bench``, ``make chaos``
and the test helpers. Not part of the wheel or the image: it may import the production packages
(``infohus``, ``contracts``, ``services``), never the reverse (``tests/deploy/test_packaging.py``).
"""
