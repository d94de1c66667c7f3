#!/usr/bin/env python3
"""Check examples/figures (quick mode) and scripts/plot.

    figures_check.py FIGURES_PROGRAM PLOT_SCRIPT

Runs the program into a scratch directory and checks: every picture of
docs/results.md is there, a PNG of the size the program reports; in a
labelled picture every label the program reports (symclone_picture_locate)
lies inside the picture, holds dark ink, and overlaps no panel and no other
label; every CSV has its header and rows; --only fig2 makes that picture
alone.  Then, when this Python has matplotlib, each plot of scripts/plot is
drawn and must be 800 x 450 (the downstream plots from CSV files of their
columns written here: the quick run leaves the experiments out).
"""
import csv
import os
import struct
import subprocess
import sys
import tempfile
import zlib

PICTURES = ["fig2-transforms.png", "fig4-matrices.png", "fig4-corner.png", "fig5-t2-features.png",
            "fig6-c4-features.png"]
CSVS = {
    "curves.csv": ["objective", "step", "seconds", "train_rel_loss", "rel_loss", "toeplitz_dist"],
    "weights.csv": ["step", "low", "high", "count"],
    "equivariance.csv": ["group", "filter", "element", "angle", "rel_error"],
}
PLOTS = [("curves", "curves.csv"), ("weights", "weights.csv"),
         ("equivariance", "equivariance.csv")]
# the downstream CSV files (examples/figures --downstream), as the plots get them
DOWNSTREAM = {
    "rotation_accuracy.csv": "model,angle,accuracy\n\"CNN\",0,0.9\n\"CNN\",90,0.2\n"
                             "\"MLP\",0,0.8\n\"MLP\",90,0.1\n",
    "breaking.csv": "model,correct,label_plus_minus_10,other\n\"G-CNN\",0.45,0.45,0.1\n"
                    "\"CNN\",0.8,0.1,0.1\n",
    "translation_breaking.csv": "model,correct,label_plus_minus_10,other\n"
                                "\"cloned CNN, break\",0.7,0.2,0.1\n\"CNN\",0.5,0.4,0.1\n",
}
DOWNSTREAM_PLOTS = [("accuracy", "rotation_accuracy.csv", []), ("breaking", "breaking.csv", []),
                    ("breaking", "translation_breaking.csv", ["--task", "translation"])]


def fail(msg):
    print("figures_check: FAIL: " + msg)
    sys.exit(1)


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                fail(f"{path}: not 8-bit RGB(A) without interlacing")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def main():
    program, plot = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="symclone-figures-") as out:
        run = subprocess.run([program, "--quick", "--out", out], capture_output=True, text=True,
                             timeout=600)
        if run.returncode != 0:
            fail(f"figures exited with {run.returncode}: {run.stderr[-2000:]}")
        pictures, regions = {}, {}
        for line in run.stdout.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if line.startswith("picture="):
                pictures[os.path.basename(fields["picture"])] = fields
            elif line.startswith("region="):
                regions.setdefault(os.path.basename(fields["region"]), []).append(fields)
        for name in PICTURES:
            if name not in pictures:
                fail(f"{name}: not reported")
            p = pictures[name]
            w, h, ch, rows = read_png(os.path.join(out, name))
            if (w, h) != (int(p["width"]), int(p["height"])):
                fail(f"{name}: {w} x {h}, reported {p['width']} x {p['height']}")
            rects = []
            for r in regions.get(name, []):
                box = tuple(int(r[k]) for k in ("x", "y", "width", "height"))
                if box[0] < 0 or box[1] < 0 or box[0] + box[2] > w or box[1] + box[3] > h:
                    fail(f"{name}: {r['name']} {r['index']} outside the picture")
                rects.append((r["name"], r["index"], box))
            panels = [x for x in rects if x[0] == "panel"]
            if not panels:
                fail(f"{name}: no panel reported")
            labels = [x for x in rects if x[0] not in ("panel", "colour_bar")]
            if p["labelled"] == "1" and not labels:
                fail(f"{name}: labelled but no label reported")
            for lname, index, (x0, y0, bw, bh) in labels:
                ink = 0
                for y in range(y0, y0 + bh):
                    row = rows[y]
                    for x in range(x0, x0 + bw):
                        px = row[x * ch:x * ch + 3]
                        ink += max(px) < 100
                if ink < 3:
                    fail(f"{name}: {lname} {index} has no ink")
            for i, a in enumerate(rects):
                for b in rects[i + 1:]:
                    if overlap(a[2], b[2]):
                        fail(f"{name}: {a[0]} {a[1]} overlaps {b[0]} {b[1]}")
            print(f"{name}: {w} x {h}, {len(panels)} panels, {len(labels)} labels")
        for name, header in CSVS.items():
            with open(os.path.join(out, name), newline="") as f:
                rows = list(csv.reader(f))
            if rows[0] != header or len(rows) < 3:
                fail(f"{name}: header {rows[0]} or only {len(rows) - 1} rows")
        with tempfile.TemporaryDirectory(prefix="symclone-figures-only-") as one:
            run = subprocess.run([program, "--quick", "--only", "fig2", "--out", one],
                                 capture_output=True, text=True, timeout=120)
            if run.returncode != 0:
                fail(f"figures --only fig2 exited with {run.returncode}: {run.stderr[-2000:]}")
            made = sorted(os.listdir(one))
            if made != ["fig2-transforms.png"]:
                fail(f"figures --only fig2 made {made}")
        run = subprocess.run([program, "--only", "nothing", "--out", out], capture_output=True,
                             text=True, timeout=60)
        if run.returncode != 2 or "--only" not in run.stderr:
            fail(f"figures --only nothing: exit {run.returncode}, {run.stderr[-500:]!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("figures_check: no matplotlib here: plots not checked")
            return
        for name, text in DOWNSTREAM.items():
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write(text)
        for kind, name, extra in [(k, n, []) for k, n in PLOTS] + DOWNSTREAM_PLOTS:
            png = os.path.join(out, name[:-len(".csv")] + ".png")
            subprocess.run([sys.executable, plot, kind, os.path.join(out, name), png] + extra,
                           check=True)
            w, h, _, _ = read_png(png)
            if (w, h) != (800, 450):
                fail(f"{os.path.basename(png)}: {w} x {h}, not 800 x 450")
            print(f"{os.path.basename(png)}: {w} x {h}")


if __name__ == "__main__":
    main()
