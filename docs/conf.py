"""Sphinx settings for the offline docs site; `bash scripts/docs.sh` builds it from `_docsrc/` into `_site/`."""

from pathlib import Path
from nbdev.config import get_config

cfg = get_config()
project = html_title = cfg.title
author = copyright = cfg.author
extensions = ['myst_nb']
exclude_patterns = ['.doctrees']

nb_execution_mode = 'off'  # the notebooks' saved outputs are the docs
nb_merge_streams = True  # log lines saved as separate outputs show as one block
myst_enable_extensions = ['attrs_inline']  # show_doc's `[source](url){target=...}`
myst_heading_anchors = 6  # nbdev links to a symbol's heading: `config.html#load_config`

html_theme = 'furo'
html_static_path = ['_static']
html_css_files = ['custom.css']
html_copy_source = False

# ipywidgets from their saved state, with the JavaScript bundled by scripts/docs.sh instead of fetched from a CDN
if (Path(__file__).parent / '_vendor/ipywidgets/embed-amd.js').exists():
    html_static_path.append('_vendor')
    nb_ipywidgets_js = {'ipywidgets/require.js': {}, 'ipywidgets/embed-amd.js': {}}  # under _static/
