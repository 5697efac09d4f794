"""What talks to a person: formatting, the command line, teaching widgets, charts, dashboards."""

import os
import sys

if "VOILA_APP_PORT" in os.environ and "rfc3987_syntax" not in sys.modules:
    # In a Voila kernel nothing validates IRIs, yet jsonschema (under altair) imports
    # rfc3987_syntax if it is installed, and that builds ~35 Earley parsers at import:
    # 1.2 s of a dashboard kernel's 3 s of imports on these machines (jsonschema issue
    # 1428). Marked absent, it makes jsonschema skip only the "iri" format check, which
    # altair's schemas never use. Voila sets VOILA_APP_PORT in every kernel it starts.
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
