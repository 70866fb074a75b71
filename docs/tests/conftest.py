"""The site's tests import the site's own extensions (docs/_ext) and browser helpers."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
