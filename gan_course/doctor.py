"""``gan-course doctor``: what this machine offers the course."""

from gan_course import config, data, metrics


def report():
    """Rows of (what, finding, ok) describing versions, devices, profile and data."""
    summary = config.device_summary()
    rows = [
        ("python", summary["python"], True),
        ("tensorflow / keras", f"{summary['tensorflow']} / {summary['keras']}",
         summary["keras"].startswith("3")),
        ("devices", ", ".join(summary["gpus"]) or f"CPU only ({summary['cpu_cores']} cores)", True),
        ("profile", f"{summary['profile']} (set GAN_COURSE_PROFILE to change)", True),
        ("mixed precision / XLA", f"{summary['mixed_precision']} / {summary['xla']}", True),
        ("GAN_COURSE_DATA", str(data.data_root() or "unset"), True),
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


def main():
    rows = report()
    width = max(len(name) for name, _, _ in rows)
    for name, finding, ok in rows:
        print(f"{'ok ' if ok else '-- '} {name:<{width}}  {finding}")
    return 0
