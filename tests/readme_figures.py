"""Builds the README's generated tables (run as a script to refresh them)."""

import re
import subprocess
import sys
from pathlib import Path

import simsrc
from simsrc.model.units import format_value

README = Path(__file__).resolve().parents[1] / "README.md"


def demo_output() -> str:
    return subprocess.run(
        [sys.executable, "-m", "simsrc", "compare", "b2b-saas", "--what-if", "halve-churn"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def lever_figures() -> str:
    rows = ["| preset | saves / reached requests | save rate (all requests) | dunning recovery "
            "(basic → help-first SMS) | failed payments / churn | retention ROI |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for name in simsrc.list_presets():
        s = simsrc.preset(name)
        res = simsrc.simulate(s)
        m, k = res.monthly, res.kpis
        best = simsrc.simulate(s.set("dunning.style", "help_first").set("dunning.channel", "sms"))
        rows.append(
            f"| `{name}` | {format_value(m.saves.sum() / m.save_team_contacts.sum(), 'rate')}"
            f" | {format_value(k['save_rate'], 'rate')}"
            f" | {format_value(k['recovery_rate'], 'rate')} → "
            f"{format_value(best.kpis['recovery_rate'], 'rate')}"
            f" | {format_value(k['involuntary_share'], 'rate')}"
            f" | {k['retention_roi']:.1f}× |"
        )
    return "\n".join(rows) + "\n"


BLOCKS = {"demo-output": lambda: "```text\n" + demo_output() + "```\n",
          "lever-figures": lever_figures}  # fmt: skip


def _span(text: str, name: str) -> re.Match[str]:
    m = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", text, re.S)
    assert m, f"README block {name} missing"
    return m


def block(text: str, name: str) -> str:
    return _span(text, name).group(1)


def refresh() -> None:
    text = README.read_text()
    for name, make in BLOCKS.items():
        m = _span(text, name)  # splice by position: an empty block must not match everywhere
        text = text[: m.start(1)] + make() + text[m.end(1) :]
    README.write_text(text)


if __name__ == "__main__":
    refresh()
