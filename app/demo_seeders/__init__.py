"""Demo content, one module per area, each exposing ``ORDER``, ``seed(echo, responses)`` and
``remove(echo)``. Seeders are idempotent and never touch data not marked as demo."""
