"""The notebook widgets, one module per family (ipywidgets 8).

- ``common``: the panel base class, the image view, latent priors and the direction sliders;
- ``monitor``: :class:`TrainingMonitor`, the live panel of a training run;
- ``latent``: :class:`InterpolationPlayer` and :class:`LatentExplorer`;
- ``lab2d``: lesson 04's 2-D lab (snapshot training, contour maps, :class:`SnapshotPlayer`);
- ``class_picker``: lesson 05's :class:`ClassPicker`;
- ``paint_studio``: whole pictures through an image-to-image model, lesson 07's :class:`PaintStudio`;
- ``style_studio``: lesson 06's :class:`StyleStudio` and its gallery;
- ``art_studio``: lesson 08's :class:`TruncationSlider`, :class:`StyleMixingGrid` and
  :class:`NearestCropViewer` for a style-based generator.

Widgets may import the core, the art room and the models; a family imports ``common`` and never
another family. Each loads on first use: ``gc.widgets.TrainingMonitor`` imports ``monitor`` only.
"""

import importlib

_HOMES = {"TrainingMonitor": "monitor", "InterpolationPlayer": "latent",
          "LatentExplorer": "latent", "latent_directions": "latent",
          "SnapshotPlayer": "lab2d", "ClassPicker": "class_picker", "PaintStudio": "paint_studio",
          "StyleStudio": "style_studio", "TruncationSlider": "art_studio",
          "StyleMixingGrid": "art_studio", "NearestCropViewer": "art_studio"}
FAMILIES = ("common", "monitor", "latent", "lab2d", "class_picker", "paint_studio", "style_studio",
            "art_studio")


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    if name in FAMILIES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES) | set(FAMILIES))
