"""Protocol texts earlier versions of the bundled protocol had: the store keeps them and must still read them."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "protocols"
#: ia-coaching 1.1.0 (issue 12), the last 1.x: one core query, (IA AND context) OR (IA AND null results)
OLD_PROTOCOL_TEXT = (FIXTURES / "ia-coaching-1.1.0.toml").read_text(encoding="utf-8")
