"""``gan-course doctor``: what this machine offers the course."""

import contextlib
import os
import sys
import tempfile

from gan_course import config, data, metrics


def report():
    """Rows of (what, finding, ok) describing versions, devices, profile and data."""
    try:
        profile_row = ("profile", f"{config.profile().name} (set GAN_COURSE_PROFILE to change)",
                       True)
        summary = config.device_summary()
    except ValueError as err:  # a mistyped $GAN_COURSE_PROFILE: reported, the rest as default
        summary = config.device_summary(config.default_profile_name())
        profile_row = ("profile", f"{err}; until then: {summary['profile']}", False)
    rows = [
        ("python", summary["python"], True),
        ("tensorflow / keras", f"{summary['tensorflow']} / {summary['keras']}",
         summary["keras"].startswith("3")),
        *gpu_rows(summary),
        profile_row,
        *precision_rows(summary),
        data_root_row(),
    ]
    for name in data.IMAGE_SETS:
        found = [str(root / data.IMAGE_SETS[name]["file"])
                 for root in (data.data_root(), data.keras_cache())
                 if root and (root / data.IMAGE_SETS[name]["file"]).is_file()]
        rows.append((f"dataset {name}", found[0] if found else "missing (downloaded on first use)",
                     bool(found)))
        clf = metrics.classifier_path(name)
        rows.append((f"classifier {name}", clf.name if clf.is_file() else "missing", clf.is_file()))
    art = data.data_root() / "art" if data.data_root() else None
    folders = sorted(p.name for p in art.iterdir() if p.is_dir()) if art and art.is_dir() else []
    rows.append(("art folders", ", ".join(folders) or "none found", bool(folders)))
    return rows


def data_root_row():
    """Where ``$GAN_COURSE_DATA`` points, and whether that is a folder."""
    root = data.data_root()
    if root is None:
        return ("GAN_COURSE_DATA", "unset (datasets are downloaded into Keras' cache)", True)
    if not root.is_dir():
        what = "a file" if root.exists() else "not found"
        return ("GAN_COURSE_DATA", f"{root} is {what}; expected a folder of datasets", False)
    return ("GAN_COURSE_DATA", str(root), True)


def gpu_rows(summary):
    """What the system and TensorFlow see, what TensorFlow was built for, and the verdict."""
    system = ", ".join(summary["system_gpus"]) or "none (nvidia-smi absent or lists no GPU)"
    rows = [
        ("GPU, system", system, True),
        ("GPU, TensorFlow", ", ".join(summary["gpus"])
         or f"none: training runs on the CPU ({summary['cpu_cores']} cores)",
         not summary["gpu_problem"]),
        ("TensorFlow build", summary["built_for"], True),
    ]
    if summary["gpu_problem"]:
        rows.append(("WARNING", summary["gpu_problem"], False))
        rows.append(("fix", summary["gpu_fix"], False))
    return rows


def precision_rows(summary):
    """Whether mixed precision and XLA will be used, and why."""
    on_gpu = bool(summary["gpus"])
    if summary["mixed_precision"]:
        mixed = "yes: float16 compute, float32 weights (the full profile on a GPU)"
    elif on_gpu:
        mixed = "no: only the full profile uses it on a GPU"
    else:
        mixed = "no: float32 (a CPU computes float16 slower; mixed precision waits for a GPU)"
    if summary["mixed_precision"] and summary["xla"]:
        xla = "yes (the full profile on a GPU)"
    else:
        xla = "as each model's settings say (RunSettings.jit_compile)"
    return [("mixed precision", mixed, True), ("XLA", xla, True)]


@contextlib.contextmanager
def _start_up_lines_hidden():
    """Standard error set aside while TensorFlow starts and looks for GPUs: its C++ start-up
    lines (oneDNN, CUDA drivers, cuInit) come before any log level applies, and the table says
    the same in words. Kept and shown only if the start fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as aside:
        os.dup2(aside.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            aside.seek(0)
            sys.stderr.write(aside.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main():
    with _start_up_lines_hidden():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    rows = report()
    width = max(len(name) for name, _, _ in rows)
    for name, finding, ok in rows:
        print(f"{'ok ' if ok else '-- '} {name:<{width}}  {finding}")
    return 0
