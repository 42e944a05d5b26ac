"""The fuzzer: malformed and hostile inputs against intake's API and forms (``make fuzz``; a short run in
``make test``)."""
