# Sourced by the other scripts: a virtual environment in .venv with the project (and its test extras when
# BINHAN_EXTRAS=test) installed; reinstalled only when setup.cfg changes.
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
. .venv/bin/activate
extras="${BINHAN_EXTRAS:-}"
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
