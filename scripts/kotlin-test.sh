#!/usr/bin/env bash
# JVM test of the generated Kotlin bindings (mobile-bindings/tests/kotlin/Main.kt) against the
# real fieldcrm-mobile library and a real demo server.
#
# Installs what is missing (Debian libjna-java; the Kotlin compiler from the npm package
# kotlin-compiler into tools/), builds the cdylib, the uniffi-bindgen binary and the server in one
# cargo call, regenerates the Kotlin bindings from that exact library into target/kotlin (never
# committed), compiles them and the test with kotlinc, starts `fieldcrm serve --demo` on a free
# port and runs the test on the JVM. Prints the test's "N passed, N failed"; exits non-zero on
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

KOTLIN_VERSION=2.4.20
JNA=/usr/share/java/jna.jar
KH=tools/node_modules/kotlin-compiler
OUT=target/kotlin
LIBDIR=target/debug
LIB=$LIBDIR/libfieldcrm_mobile.so

if [ ! -f "$JNA" ]; then
  say "installing libjna-java (Debian)"
  apt-get update -qq && apt-get install -y -qq libjna-java >/dev/null
fi
if [ ! -d "$KH" ]; then
  say "installing the Kotlin compiler $KOTLIN_VERSION (npm kotlin-compiler) into tools/"
  npm install --no-save --no-audit --no-fund --prefix tools "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi
KX=$KH/lib/kotlinx-coroutines-core-jvm.jar
STD=$KH/lib/kotlin-stdlib.jar

say "cargo build: fieldcrm-mobile (cdylib + uniffi-bindgen) and the server"
t0=$(date +%s)
cargo build -p fieldcrm-mobile -p fieldcrm-server --features fieldcrm-mobile/cli --lib --bins
echo "cargo build: $(( $(date +%s) - t0 )) s"

say "generating the Kotlin bindings from $LIB"
rm -rf "$OUT/bindings" "$OUT/classes"
mkdir -p "$OUT"
target/debug/uniffi-bindgen generate "$LIB" --language kotlin --out-dir "$OUT/bindings" --no-format

say "kotlinc: bindings + test"
t0=$(date +%s)
JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseParallelGC" \
  "$KH/bin/kotlinc-jvm" -nowarn -cp "$JNA:$KX" -d "$OUT/classes" \
  $(find "$OUT/bindings" -name '*.kt') mobile-bindings/tests/kotlin/Main.kt
echo "kotlinc: $(( $(date +%s) - t0 )) s"

say "starting a demo server"
scratch=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
server_bin=$PWD/target/debug/fieldcrm
(cd "$scratch" && FIELDCRM__DATA_DIR="$scratch/server" RUST_LOG=warn \
  exec "$server_bin" serve --demo --listen "127.0.0.1:$port" >"$scratch/server.log" 2>&1) &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$scratch/server.log"; echo "server died"; exit 1; fi
  sleep 0.2
done
curl -fsS "$url/healthz" >/dev/null || { cat "$scratch/server.log"; echo "server not healthy"; exit 1; }

say "running the Kotlin test on the JVM"
set +e
java -Djna.library.path="$LIBDIR" -cp "$OUT/classes:$STD:$KX:$JNA" MainKt "$url" "$scratch"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"; tail -n 50 "$scratch/server.log"
fi
exit "$status"
