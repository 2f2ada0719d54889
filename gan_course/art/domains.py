"""The course's named sets of pictures, and the pictures no training ever sees.

One name means one set of pictures, whoever uses it (``gc.load_dataset``, a CycleGAN domain, the
judge). Each set is split by :data:`HELD_OUT`, the only list of held-out pictures: ``"train"``
leaves them out, ``"test"`` is them alone, ``"all"`` is both.

- ``art/photos``: every photo of the course;
- ``art/paintings``: every painting;
- ``art/paintings/van_gogh``, ``art/paintings/morisot``, ``art/paintings/ukiyo_e``: one school
  (Van Gogh; Berthe Morisot; the Japanese prints and paintings of Hokusai, Hiroshige, Hashiguchi);
- ``art/paintings/NAME``, ``art/photos/NAME``: one picture of the course (nothing held out);
- ``folder:PATH``: every image in a folder of your own; other ``art/NAME``: a folder of
  ``$GAN_COURSE_DATA/art`` (nothing held out).
"""

from gan_course.art import images as art
from gan_course.art.package import SCHOOLS

SPLITS = ("train", "test", "all")
# Chosen by picture: landscapes, buildings, animals and objects among the photos, two pictures of
# each school and three other paintings. Evaluation uses these alone; no training sees them.
HELD_OUT = {
    "photos": (
        "life", "mount_rainier", "storm",
        "gcompris_qt_data_categorization_fishes_fish11",
        "gcompris_qt_data_categorization_fishes_fish22",
        "gcompris_qt_data_categorization_fishes_fish8",
        "gcompris_qt_data_categorization_monuments_kutubminar",
        "gcompris_qt_data_categorization_monuments_victoriamemorial",
        "gcompris_qt_data_categorization_renewable_solar4",
        "gcompris_qt_data_categorization_renewable_windmill2",
        "gcompris_qt_data_clickgame_sea6",
        "gcompris_qt_data_details_towerbridgelondon",
        "gcompris_qt_data_erase_horse",
        "gcompris_qt_data_explore_farm_animals_animals_duck",
        "gcompris_qt_data_explore_monuments_france_eiffeltower",
        "gcompris_qt_data_explore_monuments_india_ajantacave",
        "gcompris_qt_data_explore_monuments_usa_georgewashingtonbirthplace",
        "gcompris_qt_data_explore_world_animals_animals_crocodile",
        "gcompris_qt_data_explore_world_music_music_africa",
        "jigzo_data_gorilla2_3x3", "lxqt_themes_drop", "sddm_theme_maldives_maldives_background",
    ),
    "paintings": (
        "van_gogh_the_church_at_auvers_1890", "van_gogh_the_langlois_bridge_at_arles_1888",
        "morisot_reading_1888", "morisot_the_garden_at_bougival_1884",
        "hiroshige_the_benzaiten_shrine_at_inokashira_in_snow_1840",
        "hokusai_the_kazusa_sea_route_1830",
        "bruegel_the_harvesters_1565", "degas_the_dance_class_1874", "monet_water_lilies_1919",
    ),
}


class DomainError(ValueError):
    """A domain name, or the images behind it, cannot be used."""


def names():
    """The course's named sets."""
    return ["art/photos", "art/paintings", *(f"art/paintings/{s}" for s in SCHOOLS)]


def school_paintings(school):
    """The names of one school's paintings (all of them)."""
    return [n for n in art.art_names("paintings") if art.catalog()["paintings"][n].get("school")
            == school]


def catalogue_names(domain):
    """``(kind, picture names, held-out names)`` of a course domain, or None for a folder."""
    if not isinstance(domain, str) or not domain:
        raise DomainError(f"A domain is a name such as 'art/photos'; got {domain!r}.")
    if domain.startswith(art.FOLDER_PREFIX):
        return None
    if not domain.startswith("art/"):
        raise DomainError(f"Unknown domain {domain!r}. Domains: {', '.join(names())}, "
                          f"art/paintings/NAME (one painting), art/photos/NAME (one photo), "
                          f"folder:PATH.")
    kind, _, rest = domain.removeprefix("art/").partition("/")
    if kind not in art.KINDS:
        return None  # a folder of $GAN_COURSE_DATA/art
    if not rest:
        return kind, art.art_names(kind), HELD_OUT[kind]
    if kind == "paintings" and rest in SCHOOLS:
        return kind, school_paintings(rest), HELD_OUT[kind]
    if rest not in art.art_names(kind):
        hint = (f"The schools: {', '.join(SCHOOLS)}. " if kind == "paintings" else "")
        raise DomainError(f"Unknown {kind[:-1]} {rest!r} in {domain!r}. {hint}The course's "
                          f"{kind}: {', '.join(art.art_names(kind))}.")
    if rest in HELD_OUT[kind]:
        raise DomainError(f"The {kind[:-1]} {rest!r} is held out for evaluation "
                          f"(gan_course.art.domains.HELD_OUT); train on another one.")
    return kind, [rest], ()


def picture_names(domain, split="train"):
    """The catalogue names of a course domain's pictures in ``split``; None for a folder."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    found = catalogue_names(domain)
    if found is None:
        return None
    _, pictures, held_out = found
    if split == "all":
        return list(pictures)
    if split == "test":  # in HELD_OUT's order: the lesson shows the first ones
        return [n for n in held_out if n in pictures]
    return [n for n in pictures if n not in held_out]


def domain_files(domain, split="train"):
    """The image files of a domain in ``split``. Folders hold nothing out: every split of a
    folder is all of it."""
    pictures = picture_names(domain, split)
    if pictures is not None:
        return [art.art_path(n) for n in pictures]
    if domain.startswith(art.FOLDER_PREFIX):
        return art.folder_files(domain[len(art.FOLDER_PREFIX):])
    return art.set_files(domain.removeprefix("art/"))


def has_held_out(domain):
    """Whether ``domain`` keeps pictures back for evaluation."""
    return bool(picture_names(domain, "test"))
