"""Data-efficiency plot for the model card: held-out mean Dice against the labelled slices an
adapter was trained on (0 = the base), per real site, from scripts/adapt-table.ts's numbers.

  /usr/bin/python3 plot_efficiency.py ../public/models/siteseg-tissue/adapt-table.json ../public/models/siteseg-tissue/data-efficiency.png
"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(src, out):
    rows = json.load(open(src))["results"]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    series = {}
    for r in rows:
        series.setdefault(f'{r["site"]} · {r["image"].split("/")[-1]}', []).append(r)
    for (name, rs), colour in zip(sorted(series.items()), plt.cm.tab10.colors):
        rs = sorted(rs, key=lambda r: len(r["slices"]))
        xs = [len(r["slices"]) for r in rs]
        # each point's base is scored on that point's own held-out slices
        ax.plot([0] + xs, [rs[0]["heldOut"]["base"]] + [r["heldOut"]["adapter"] for r in rs], "-o", color=colour, label=name)
        ax.plot(xs, [r["heldOut"]["base"] for r in rs], ":", color=colour, alpha=0.6)
    ax.set_xlabel("labelled slices per scan (0 = base model)")
    ax.set_ylabel("held-out mean Dice (CSF, GM, WM)")
    ax.set_title("Held-out Dice vs labelled slices (dotted: base, same slices)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    print("wrote", out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
