"""Locate the data shipped with gitopspol: the copier scaffold and the built-in tier profiles.

In a wheel they live in ``gitopspol/_data/``; in a source checkout (editable install) they
are the top-level ``scaffolds/`` and ``environments/`` folders of the project.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of a shipped data folder (``scaffolds`` or ``environments``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
