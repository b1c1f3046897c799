# Shared by scripts/start.sh and scripts/check.sh: puts the pinned pnpm on PATH, installs
# the workspace and builds the local FerretDB + Mailpit once (into the git-ignored .tools/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Nothing here phones home.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NEXT_TELEMETRY_DISABLED=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required ($2)" >&2; exit 1; }; }
need node "Node.js >= 20.19"
need go "Go, to build FerretDB and Mailpit once"
need git "git, to apply our patches to FerretDB's source before building it"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("error: Node.js >= 20.19 is required, found "+process.version); process.exit(1) }'

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
pnpm_bin="$root/.tools/pnpm/node_modules/.bin"
if [ ! -x "$pnpm_bin/pnpm" ] || [ "$("$pnpm_bin/pnpm" --version)" != "$pnpm_version" ]; then
  echo "==> installing pnpm $pnpm_version into .tools/pnpm"
  npm install --prefix "$root/.tools/pnpm" --no-save --no-package-lock --silent "pnpm@$pnpm_version"
fi
export PATH="$pnpm_bin:$PATH"

echo "==> pnpm install"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE '^(Progress|Packages:|\+)' || true
test -d node_modules/.pnpm || { echo "error: pnpm install failed" >&2; exit 1; }

echo "==> local FerretDB and Mailpit (built once into .tools/bin)"
pnpm --silent --filter @usersvc/local-stack install-tools

echo "==> schemathesis (API fuzzing) in .tools/venv"
schemathesis_version=4.32.5
if [ ! -x .tools/venv/bin/schemathesis ] || ! .tools/venv/bin/schemathesis --version | grep -q "$schemathesis_version"; then
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

echo "==> the Python service's libraries (MongoEngine, Werkzeug) for its fixture, in .tools/pyfixture-venv"
pyfixture_requirements=tooling/python-fixture/requirements.txt
if [ ! -x .tools/pyfixture-venv/bin/python ] || ! cmp -s "$pyfixture_requirements" .tools/pyfixture-venv/requirements.txt; then
  python3 -m venv .tools/pyfixture-venv
  .tools/pyfixture-venv/bin/pip install --quiet --disable-pip-version-check -r "$pyfixture_requirements"
  cp "$pyfixture_requirements" .tools/pyfixture-venv/requirements.txt
fi
