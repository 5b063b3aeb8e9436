#!/usr/bin/env bash
# Build the offline docs site into _site/ (Sphinx + myst-nb + furo; Quarto's nbdev-docs is not needed).
# nbdev processes the notebooks into _proc/, docs/build.py adapts them into _docsrc/, sphinx-build -W renders them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if .venv/bin/python -c 'import imgcls, nbdev, myst_nb, furo' 2>/dev/null; then . .venv/bin/activate; else source scripts/setup.sh; fi

# ipywidgets' JavaScript from npm, fetched once into docs/_vendor/ so widgets render offline (without npm: from a CDN)
vendor=docs/_vendor
if [ ! -f $vendor/ipywidgets/embed-amd.js ] && command -v npm >/dev/null; then
  mkdir -p $vendor/ipywidgets
  (cd $vendor && npm pack --silent @jupyter-widgets/html-manager@1.0.15 requirejs@2.3.8 >/dev/null)
  tar -xzf $vendor/requirejs-2.3.8.tgz -C $vendor/ipywidgets --strip-components=1 package/require.js
  tar -xzf $vendor/jupyter-widgets-html-manager-1.0.15.tgz -C $vendor/ipywidgets --strip-components=2 \
      --exclude='*.map' --exclude=embed.js --exclude=libembed-amd.js package/dist
  rm $vendor/*.tgz
fi

python docs/build.py
rm -rf _site
sphinx-build -W --keep-going -q -c docs -d _docsrc/.doctrees _docsrc _site
echo "Docs site: $PWD/_site/index.html"
