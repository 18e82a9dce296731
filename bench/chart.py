"""Draw bench/results/REPORT.md as bench/results/report.png: throughput per scenario (with its
floor) and creation latency percentiles. Run by `just bench` after the suite."""

import re
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"


def _rows() -> list[tuple[str, str]]:
    rows = []
    for line in (RESULTS / "REPORT.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in {"figure", "---"}:
            rows.append((cells[0], cells[1]))
    return rows


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text.split(maxsplit=1)[0]))


def main() -> None:
    rows = _rows()
    rates = [(name, _number(value)) for name, value in rows if value.endswith(("/s", "tps"))]
    latencies = [
        (name, dict(re.findall(r"(p[0-9.]+) ([0-9.]+) ms", value)))
        for name, value in rows
        if value.startswith("p50")
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 7))
    labels = [re.sub(r" \(.*", "", name) for name, _ in rates]
    left.barh(labels, [rate for _, rate in rates], color="tab:blue")
    left.set_xscale("log")
    left.set_xlabel("per second (log scale)")
    left.set_title("Throughput and its floors")
    left.invert_yaxis()
    for index, (_, percentiles) in enumerate(latencies):
        values = [float(percentiles[key]) for key in ("p50", "p99") if key in percentiles]
        right.scatter(values, [index] * len(values), color=["tab:green", "tab:red"][: len(values)])
    right.set_yticks(range(len(latencies)), [re.sub(r" \(.*", "", n) for n, _ in latencies])
    right.set_xscale("log")
    right.set_xlabel("milliseconds (green p50, red p99; log scale)")
    right.set_title("Creation latency")
    right.invert_yaxis()
    figure.tight_layout()
    figure.savefig(RESULTS / "report.png", dpi=90)


if __name__ == "__main__":
    main()
