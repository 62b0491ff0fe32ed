"""Write deploy/desk.env.template from the settings table: every setting, its doc and default.

`python tools/environment_template.py` rewrites the file; tests/deploy/test_environment.py
fails when the file and desk/core/settings.py disagree, so neither can drift from the other.
"""

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk.core.settings import SETTINGS  # noqa: E402

# Never given to the app servers: only to the command that runs the migrations, on its own line.
FOR_MIGRATIONS_ONLY = {"DESK_MIGRATE_DATABASE_URL"}
TEMPLATE = ROOT / "deploy" / "desk.env.template"
HEADER = """\
# /etc/desk/desk.env: the desk's settings, read by systemd (EnvironmentFile=) for the app
# servers and the jobs. Readable by root and the desk's group only: `chmod 0640`, since it
# holds keys. Every setting the desk reads is here, with its default; an empty value means the
# default. Made from desk/core/settings.py by tools/environment_template.py: do not add a
# setting here by hand, add it there and run the tool.
"""


def render() -> str:
    """The template's text: each setting's doc as comments, then NAME= (its default noted)."""
    blocks = [HEADER]
    for setting in SETTINGS:
        doc = textwrap.wrap(setting.doc.replace("`", ""), width=94)
        lines = [f"# {line}" for line in doc]
        if setting.default not in (None, ""):
            lines.append(f"# Default: {setting.default}")
        if setting.name in FOR_MIGRATIONS_ONLY:
            lines.append("# Not here: `DESK_MIGRATE_DATABASE_URL=… flask --app wsgi db upgrade`.")
            lines.append(f"# {setting.name}=")
        else:
            lines.append(f"{setting.name}=")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


if __name__ == "__main__":
    TEMPLATE.write_text(render())
