"""Questionnaire engine and aggregation."""

import pandas as pd

# pandas' "string" columns stored by pyarrow when it is installed (a project dependency): the
# same missing-value rules as the default storage, but `isna`, `factorize`, `unique` and
# `value_counts` run in Arrow's C++ instead of over Python objects (issue 17: about half of a
# dashboard filter's time at 100,000 responses was spent there). The option is process-wide and
# applies to text columns created after this import: the app and the CLI import `surveys`
# before building any frame, and the dashboard store ignores tables pickled under the other
# storage (app/services/dashboard_store.py).
try:
    import pyarrow  # noqa: F401
except ImportError:  # pragma: no cover - pyarrow is a dependency; plain pandas still works
    pass
else:
    pd.set_option("mode.string_storage", "pyarrow")
