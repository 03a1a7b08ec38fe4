"""The ratios as a bar chart: one group per workload, a bar per library and idiom rising
(slower) or falling (faster) from the hand-written reference at 1, on a log scale. Colours
are libraries; hatched bars are a library's default idiom kept beside its best one."""
COLOURS = {"gpugrad": "#d95f02", "JAX": "#1b9e77", "PyTorch": "#7570b3", "PyTensor": "#e7298a"}
OTHER = "#666666"


def _ratio(row):
    return row.per_reference if row.per_reference is not None else row.per_best


def write_plot(rows, workloads, reference, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    groups = [[row for row in rows if row.workload == w.name and row.status != "n/a" and row.library != reference]
              for w in workloads]
    width = 0.85 / max(1, max(len(group) for group in groups))
    fig, ax = plt.subplots(figsize=(12, 4.2))
    ax.set_yscale("log")
    for x, group in enumerate(groups):
        for i, row in enumerate(group):
            position = x + (i - (len(group) - 1) / 2) * width
            if row.status != "ok":
                ax.text(position, 1, f" {row.status}", rotation=90, ha="center", va="bottom", color="red", fontsize=6)
                continue
            ax.bar(position, _ratio(row) - 1, width, bottom=1, color=COLOURS.get(row.library, OTHER),
                   hatch="///" if row.default else None, edgecolor="white", linewidth=0.3)
    ax.axhline(1, color="black", linewidth=0.8)
    labels = [w.name + ("" if any(r.per_reference for r in g) else "\n(× best)") for w, g in zip(workloads, groups)]
    ax.set_xticks(range(len(workloads)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"time / {reference} by hand (log)")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", which="major", linewidth=0.3)
    libraries = [name for name in COLOURS if any(row.library == name for row in rows)]
    handles = [Patch(color=COLOURS[name], label=name) for name in libraries]
    handles.append(Patch(facecolor="white", edgecolor=OTHER, hatch="///", label="default idiom"))
    ax.legend(handles=handles, fontsize=8, ncol=len(handles), loc="upper center", bbox_to_anchor=(0.5, -0.25),
              frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    _quantize(path)


def _quantize(path):
    """A 64-colour palette: the chart has a handful of colours, the file a quarter the size."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)
