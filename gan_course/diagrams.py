"""Explanatory pictures for the lessons: what a step, a layer or a latent looks like inside.

Each function returns a matplotlib ``Figure`` (a notebook shows it when a cell ends with it).
Where a picture shows numbers (a kernel, its phases), they are computed here from the arrays
given, never drawn by hand.
"""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

_BOX = dict(boxstyle="round,pad=0.3", linewidth=1.2)


def _box(ax, xy, text, color="white", size=10):
    ax.text(*xy, text, ha="center", va="center", fontsize=size,
            bbox=dict(_BOX, facecolor=color, edgecolor="0.3"))


def _arrow(ax, start, end, color="0.2", style="-|>", dashed=False, rad=0.0, width=1.3):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color,
                                 lw=width, linestyle="--" if dashed else "-",
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=14, shrinkB=14))


def _blank(ax, width, height):
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()


def two_tapes():
    """One GAN training step: the forward pass (black) and where each tape's gradient flows
    (orange for the generator's, blue for the discriminator's)."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.subplots()
    _blank(ax, 10, 4.2)
    places = {"z": (0.6, 1.2), "G": (2.1, 1.2), "fake": (3.6, 1.2), "real": (3.6, 3.0),
              "D": (5.3, 2.1), "fake_logits": (7.0, 1.2), "real_logits": (7.0, 3.0),
              "g_loss": (9.0, 0.6), "d_loss": (9.0, 2.6)}
    colors = {"G": "#fde0c5", "D": "#cfe3f5", "g_loss": "#fde0c5", "d_loss": "#cfe3f5"}
    labels = {"G": "generator\nweights θ_G", "D": "discriminator\nweights θ_D",
              "z": "z (given)", "real": "real images"}
    for name, xy in places.items():
        _box(ax, xy, labels.get(name, name), colors.get(name, "white"))
    for a, b in [("z", "G"), ("G", "fake"), ("fake", "D"), ("real", "D"), ("D", "fake_logits"),
                 ("D", "real_logits"), ("fake_logits", "g_loss"), ("fake_logits", "d_loss"),
                 ("real_logits", "d_loss")]:
        _arrow(ax, places[a], places[b])
    orange, blue = "tab:orange", "tab:blue"
    for a, b in [("g_loss", "fake_logits"), ("fake_logits", "D"), ("D", "fake"), ("fake", "G")]:
        _arrow(ax, places[a], places[b], orange, dashed=True, rad=0.35)
    _arrow(ax, places["d_loss"], places["D"], blue, dashed=True, rad=-0.3)
    ax.text(5.0, 0.15, "g_tape.gradient(g_loss, generator weights): back through D (its "
            "weights are used, not changed) into G", color=orange, ha="center", fontsize=9)
    ax.text(5.0, 4.0, "d_tape.gradient(d_loss, discriminator weights): stops at D; G gets "
            "nothing from d_loss", color=blue, ha="center", fontsize=9)
    fig.suptitle("One training step: one forward pass, two tapes, two gradients", fontsize=11)
    return fig


def transposed_convolution(kernel, inputs=(1.0, 1.0, 1.0, 1.0), stride=2):
    """A 1-D transposed convolution as stamps: each input value stamps a scaled copy of
    ``kernel`` every ``stride`` pixels; the output (bottom) is their sum, and each output pixel
    mixes the taps of one *phase* of the kernel (colours)."""
    kernel = np.asarray(kernel, np.float64)
    inputs = np.asarray(inputs, np.float64)
    size = stride * (len(inputs) - 1) + len(kernel)
    stamps = np.zeros((len(inputs), size))
    taps = np.full((len(inputs), size), -1)
    for i, value in enumerate(inputs):
        stamps[i, stride * i: stride * i + len(kernel)] = value * kernel
        taps[i, stride * i: stride * i + len(kernel)] = np.arange(len(kernel))
    output = stamps.sum(axis=0)
    colors = ["#e6550d", "#3182bd", "#31a354", "#756bb1"]
    fig = Figure(figsize=(9, 1.0 + 0.55 * (len(inputs) + 2)), layout="constrained")
    ax = fig.subplots()
    rows = len(inputs) + 1
    _blank(ax, size + 3, rows + 1.2)
    for i in range(len(inputs)):
        y = rows - i
        ax.text(0.2, y + 0.5, f"input {i} (x{inputs[i]:g})", fontsize=9, va="center")
        for j in np.flatnonzero(taps[i] >= 0):
            tap = taps[i, j]
            ax.add_patch(FancyBboxPatch((j + 2.6, y + 0.1), 0.8, 0.8, boxstyle="round,pad=0.02",
                                        color=colors[tap % stride % len(colors)], alpha=0.35))
            ax.text(j + 3.0, y + 0.5, f"k{tap}", ha="center", va="center", fontsize=8)
    ax.text(0.2, 0.5, "output = sum", fontsize=9, va="center", weight="bold")
    for j, value in enumerate(output):
        phase = j % stride
        ax.add_patch(FancyBboxPatch((j + 2.6, 0.1), 0.8, 0.8, boxstyle="round,pad=0.02",
                                    color=colors[phase % len(colors)], alpha=0.6))
        ax.text(j + 3.0, 0.5, f"{value:.2g}", ha="center", va="center", fontsize=8)
    ax.set_title(f"Kernel {np.round(kernel, 2).tolist()}, stride {stride}: output pixels of "
                 f"one colour all use the taps of one phase", fontsize=10)
    return fig


def phase_kernels(kernel, stride=2):
    """A 2-D kernel of a stride-``stride`` transposed convolution and its ``stride**2`` phase
    sub-kernels (every ``stride``-th tap), each with its sum: the response of that phase of
    the output to a flat input. Unequal sums give a checkerboard."""
    kernel = np.asarray(kernel, np.float64)
    phases = [(p, q) for p in range(stride) for q in range(stride)]
    fig = Figure(figsize=(2.4 * (len(phases) + 1), 2.8), layout="constrained")
    axes = fig.subplots(1, len(phases) + 1)
    limit = np.abs(kernel).max() or 1.0
    shown = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    axes[0].imshow(kernel, **shown)
    axes[0].set_title(f"the {kernel.shape[0]}x{kernel.shape[1]} kernel", fontsize=10)
    for ax, (p, q) in zip(axes[1:], phases):
        sub = kernel[p::stride, q::stride]
        ax.imshow(sub, **shown)
        ax.set_title(f"phase ({p}, {q}): sum {sub.sum():+.2f}", fontsize=10)
        for (i, j), value in np.ndenumerate(sub):
            ax.text(j, i, f"{value:+.2f}", ha="center", va="center", fontsize=8)
    for (i, j), value in np.ndenumerate(kernel):
        axes[0].text(j, i, f"{value:+.2f}", ha="center", va="center", fontsize=7)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def infogan_layout(noise, categories, continuous):
    """InfoGAN's latent (noise | one-hot category | continuous codes), the generator, and the
    discriminator's two heads: the logit of the GAN loss and Q's guess of the code."""
    fig = Figure(figsize=(11, 4.0), layout="constrained")
    ax = fig.subplots()
    _blank(ax, 11, 4.0)
    total = noise + categories + continuous
    x0, width = 0.2, 4.2
    parts = [(noise, f"noise: {noise}\nN(0, 1)", "#dddddd"),
             (categories, f"category c:\none-hot of {categories}", "#fdd0a2"),
             (continuous, f"{continuous} codes\nU(-1, 1)", "#c7e9c0")]
    spans = np.array([max(count / total, 0.28) for count, _, _ in parts])
    spans = width * spans / spans.sum()
    start = x0
    for (_, label, color), span in zip(parts, spans):
        ax.add_patch(FancyBboxPatch((start, 1.6), span - 0.06, 0.8, boxstyle="round,pad=0.02",
                                    facecolor=color, edgecolor="0.3"))
        ax.text(start + span / 2, 2.0, label, ha="center", va="center", fontsize=8)
        start += span
    ax.text(x0 + width / 2, 2.7, f"the generator's input: {total} numbers", ha="center",
            fontsize=9)
    end = x0 + width
    _box(ax, (5.2, 2.0), "G", "#fde0c5", 12)
    _box(ax, (6.4, 2.0), "fake\nimage")
    _box(ax, (7.9, 2.0), "D's shared\nlayers", "#cfe3f5")
    _box(ax, (9.9, 3.2), "logit:\nreal or fake?", "#cfe3f5", 9)
    _box(ax, (9.9, 0.8), f"Q head: {categories} logits\n+ {continuous} means", "#fdd0a2", 9)
    _arrow(ax, (end, 2.0), (5.2, 2.0))
    _arrow(ax, (5.2, 2.0), (6.4, 2.0))
    _arrow(ax, (6.4, 2.0), (7.9, 2.0))
    _arrow(ax, (7.9, 2.0), (9.9, 3.2))
    _arrow(ax, (7.9, 2.0), (9.9, 0.8))
    _arrow(ax, (9.9, 0.8), (x0 + width - spans[-1] - spans[1] / 2, 1.6), "tab:orange",
           dashed=True, rad=-0.15)
    ax.text(5.5, 0.05, "info loss: how badly Q's guess misses the code the fake was made from "
            "(G and Q both minimise it)", color="tab:orange", ha="center", fontsize=9)
    fig.suptitle("InfoGAN: a code in the latent, and a second head that reads it back", fontsize=11)
    return fig


def penalty_interpolates(n=12, seed=0, real_centre=(2.0, 1.0), fake_centre=(-1.0, -0.5)):
    """Where WGAN-GP's penalty looks: each real point is paired with one fake, and the critic's
    gradient is measured at one point drawn uniformly on the segment between them (one
    ``e ~ U[0, 1]`` per pair, the same for every coordinate)."""
    rng = np.random.default_rng(seed)
    real = np.asarray(real_centre) + 0.35 * rng.standard_normal((n, 2))
    fake = np.asarray(fake_centre) + 0.5 * rng.standard_normal((n, 2))
    e = rng.uniform(0.0, 1.0, (n, 1))
    between = e * real + (1 - e) * fake
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.subplots()
    for r, f in zip(real, fake):
        ax.plot(*np.stack([r, f]).T, color="0.75", lw=0.8, zorder=1)
    ax.scatter(*real.T, color="tab:blue", s=28, label="real x", zorder=2)
    ax.scatter(*fake.T, color="tab:orange", s=28, label="fake G(z)", zorder=2)
    ax.scatter(*between.T, color="black", marker="x", s=36, zorder=3,
               label="x̂ = e·x + (1 − e)·G(z), e ~ U[0, 1]")
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("The penalty asks for ‖∇f(x̂)‖ = 1 at points between real and fake samples",
                 fontsize=10)
    return fig


def projection_discriminator():
    """The projection discriminator (Miyato and Koyama 2018): one logit is a label-free score
    of the image's features plus the inner product of those features with the label's
    embedding."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.subplots()
    _blank(ax, 10, 3.8)
    places = {"x": (0.7, 2.6), "phi": (2.6, 2.6), "psi": (5.0, 3.3), "y": (0.7, 0.8),
              "V": (2.6, 0.8), "dot": (5.0, 1.6), "sum": (7.2, 2.4), "logit": (9.0, 2.4)}
    labels = {"x": "image x", "phi": "shared layers\nφ(x): features", "psi": "ψ(φ(x))\nlabel-free score",
              "y": "label y", "V": "embedding\nV_y", "dot": "⟨V_y, φ(x)⟩\ndoes x look like y?",
              "sum": "+", "logit": "logit"}
    colors = {"phi": "#cfe3f5", "psi": "#cfe3f5", "V": "#fdd0a2", "dot": "#fdd0a2"}
    for name, xy in places.items():
        _box(ax, xy, labels[name], colors.get(name, "white"), 12 if name == "sum" else 9)
    for a, b in [("x", "phi"), ("phi", "psi"), ("phi", "dot"), ("y", "V"), ("V", "dot"),
                 ("psi", "sum"), ("dot", "sum"), ("sum", "logit")]:
        _arrow(ax, places[a], places[b])
    fig.suptitle("The projection discriminator: the label enters at the end, as an inner "
                 "product with the image's features", fontsize=11)
    return fig


def cycle_consistency():
    """The CycleGAN's two cycles and its identity terms: G paints photos, F photographs
    paintings, each round trip must come home, and each discriminator judges one domain."""
    fig = Figure(figsize=(10.5, 4.8), layout="constrained")
    ax = fig.subplots()
    _blank(ax, 10.5, 4.8)
    photo, painting = "#dfefd8", "#fde0c5"
    rows = {"top": 3.7, "bottom": 1.5}
    for row, (a, net1, b, net2, c, colors) in {
        "top": ("photo x", "G", "G(x)", "F", "F(G(x)) ≈ x", (photo, painting, photo)),
        "bottom": ("painting y", "F", "F(y)", "G", "G(F(y)) ≈ y", (painting, photo, painting)),
    }.items():
        y = rows[row]
        xs = (0.9, 2.5, 4.1, 5.7, 7.4)
        for x, text, color in zip(xs, (a, net1, b, net2, c),
                                  (colors[0], "white", colors[1], "white", colors[2])):
            _box(ax, (x, y), text, color, 10)
        for x0, x1 in zip(xs, xs[1:]):
            _arrow(ax, (x0, y), (x1, y))
        _arrow(ax, (xs[-1], y - 0.25), (xs[0], y - 0.25), "tab:green", dashed=True, rad=0.25)
    ax.text(4.1, 2.75, "cycle loss: |F(G(x)) − x| + |G(F(y)) − y|, weighted 10", ha="center",
            color="tab:green", fontsize=9)
    _box(ax, (9.4, 3.7), "D_Y: G(x) or\na real painting?", painting, 9)
    _box(ax, (9.4, 1.5), "D_X: F(y) or\na real photo?", photo, 9)
    _arrow(ax, (4.1, rows["top"]), (9.4, 3.7), "0.5", rad=-0.25)
    _arrow(ax, (4.1, rows["bottom"]), (9.4, 1.5), "0.5", rad=0.25)
    ax.text(5.2, 0.2, "identity loss: G(y) ≈ y and F(x) ≈ x (a picture already in the target "
            "domain should pass unchanged), weighted 5", ha="center", fontsize=9)
    fig.suptitle("CycleGAN: two translators, two cycles, two discriminators", fontsize=11)
    return fig


def patchgan_field(field, scores, image_size):
    """One PatchGAN score and the square of the input it sees (its receptive field of ``field``
    pixels, e.g. ``gc.models.cyclegan.receptive_field(critic)``), beside the ``scores`` x
    ``scores`` map of scores the critic gives an ``image_size`` picture."""
    fig = Figure(figsize=(9.5, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.set_xlim(0, image_size)
    left.set_ylim(image_size, 0)
    left.add_patch(FancyBboxPatch((0, 0), image_size, image_size, boxstyle="square,pad=0",
                                  facecolor="#eeeeee", edgecolor="0.4"))
    corner = image_size / 2 - field / 2
    left.add_patch(FancyBboxPatch((corner, corner), field, field, boxstyle="square,pad=0",
                                  facecolor="#fdd0a2", edgecolor="tab:orange", alpha=0.8))
    left.set_title(f"input {image_size} x {image_size}: one score sees {field} x {field} pixels",
                   fontsize=10)
    left.set_aspect("equal")
    grid = np.zeros((scores, scores))
    grid[scores // 2, scores // 2] = 1
    right.imshow(grid, cmap="Oranges", vmin=0, vmax=1.4)
    right.set_title(f"output: {scores} x {scores} scores, one per overlapping patch", fontsize=10)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"A PatchGAN with a receptive field of {field} pixels. Only the window's pixels "
                 "enter a score through the convolutions;\ninstance norm still mixes in "
                 "statistics of the whole picture.", fontsize=10)
    return fig
