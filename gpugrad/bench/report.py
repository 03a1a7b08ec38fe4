"""The results as a text table (the console), Markdown (a README section) and JSON."""
import json
import os
from dataclasses import asdict

MARKERS = ("<!-- gpugrad.bench: begin -->", "<!-- gpugrad.bench: end -->")
COLUMNS = ("library", "idiom", "per call", "spread", "× best", "× {reference}", "one-time", "check")


def duration(seconds):
    """Three significant digits in the unit that suits: 812 ns, 12.3 µs, 4.56 ms, 1.23 s."""
    if seconds is None:
        return ""
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"


def ratio(value):
    if value is None:
        return ""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def check(row):
    return {"ok": "verified", "wrong": f"WRONG: {row.note}", "failed": f"FAILED: {row.note}"}.get(row.status, row.note)


def cells(row):
    idiom = row.idiom + (" (default)" if row.default else "")
    spread = f"±{row.timing.spread:.0%}" if row.timing else ""
    median = duration(row.timing.median) if row.timing else ""
    return (row.library, idiom, median, spread, ratio(row.per_best), ratio(row.per_reference),
            duration(row.one_time), check(row))


def _groups(rows, workloads):
    for workload in workloads:
        yield workload, [row for row in rows if row.workload == workload.name]


def text_table(rows, workloads, quick, reference):
    header = tuple(column.format(reference=reference) for column in COLUMNS)
    body = [cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header) - 1)]

    def line(values):
        return "  " + "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths))) \
            + "  " + values[-1]
    out = [line(header)]
    for workload, group in _groups(rows, workloads):
        out.append(f"{workload.heading(quick)}  [{workload.name}]")
        out.extend(line(cells(row)) for row in group)
    return "\n".join(out)


def markdown_table(rows, workloads, quick, reference):
    header = ("workload",) + tuple(column.format(reference=reference) for column in COLUMNS)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "--:|" * 5 + "---|"]
    for workload, group in _groups(rows, workloads):
        for i, row in enumerate(group):
            first = f"{workload.heading(quick)} (`{workload.name}`)" if i == 0 else ""
            out.append("| " + " | ".join(cell.replace("|", r"\|") for cell in (first,) + cells(row)).replace("*", r"\*")
                       + " |")
    return "\n".join(out)


def markdown_section(command, header, table, plot_path=None, relative_to="."):
    lines = ["```sh", command, "```", ""] + [f"- {line}" for line in header] + [""]
    if plot_path:
        lines += [f"![time over the hand-written reference, log scale]({os.path.relpath(plot_path, relative_to)})", ""]
    return "\n".join(lines + [table])


def write_markdown(path, section):
    """Write ``section`` to ``path``, or between the markers where ``path`` has them
    (a README keeps its other text)."""
    begin, end = MARKERS
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = f"{head}{begin}\n{section}\n{end}{rest.split(end, 1)[1]}"
    else:
        text = section + "\n"
    with open(path, "w") as out:
        out.write(text)


def as_json(command, header, rows):
    def record(row):
        fields = asdict(row)
        timing = fields.pop("timing")
        if row.timing:
            fields.update(median=row.timing.median, spread=row.timing.spread, **timing)
        return fields
    return json.dumps({"command": command, "environment": header, "rows": [record(row) for row in rows]}, indent=1)
