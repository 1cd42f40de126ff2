"""``digest init``: a starter configuration in a directory of the operator's choice."""

from __future__ import annotations

import shutil
from pathlib import Path

from digest.errors import ConfigError
from digest.resources import default_config, samples_dir

# The default config names the samples inside the checkout; a starter has its own copy.
_SAMPLES_IN_CHECKOUT = '"digest/samples/'
_TEMPLATES_COMMENTED = '# templates = "templates"'

TEMPLATES_README = """\
Templates placed here override the built-in ones of the same name
(see [newsletter] templates in config.toml). Copy a built-in template
from digest's templates/ folder and edit it; leave this folder empty to
use the built-in templates unchanged.
"""


def starter_config() -> str:
    text = default_config().read_text(encoding="utf-8")
    text = text.replace(_SAMPLES_IN_CHECKOUT, '"samples/')
    return text.replace(_TEMPLATES_COMMENTED, _TEMPLATES_COMMENTED.removeprefix("# "))


def write_starter(directory: Path, *, force: bool = False) -> list[Path]:
    """Write config.toml, samples/ and templates/ into *directory*; return what was written."""
    target = directory / "config.toml"
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; pass --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_config(), encoding="utf-8")
        samples = directory / "samples"
        shutil.copytree(samples_dir(), samples, dirs_exist_ok=True)
        templates = directory / "templates"
        templates.mkdir(exist_ok=True)
        readme = templates / "README.txt"
        if not readme.exists():
            readme.write_text(TEMPLATES_README, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot write the starter files: {exc}") from exc
    return [target, samples, templates]
