#!/usr/bin/env bash
# JVM tests against the real fieldcrm-mobile library and a real demo server:
#   1. the generated Kotlin bindings themselves (mobile-bindings/tests/kotlin/Main.kt);
#   2. the Android app's :kit module — its models, FieldRepository, UniffiFieldRepository and fake
#      (android/kit/src/main/kotlin, plain Kotlin) — driven through the repository API by
#      android/kit/src/jvmTest/kotlin/com/fieldcrm/kit/KitJvmTest.kt.
# First it checks the phone apps' translations (scripts/check-mobile-strings.py), which no
# Android/Xcode build checks on this machine.
#
# Installs what is missing (Debian libjna-java; the Kotlin compiler from the npm package
# kotlin-compiler into tools/), builds the cdylib, the uniffi-bindgen binary, the server and the
# harness's Rust side (mobile-bindings/examples/jvm_fixture.rs) in one cargo call, regenerates the
# Kotlin bindings from that exact library into target/kotlin (never committed), compiles them and
# the test with kotlinc, prepares a fresh data directory with the fixture (the demo seed plus one
# dispatched job for each test's engineer), starts `fieldcrm serve --demo` on it on a free port
# and runs both tests on the JVM. Prints each test's "N passed, N failed" and, last, the total;
# exits non-zero if either failed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

KOTLIN_VERSION=2.4.20
JNA=/usr/share/java/jna.jar
KH=tools/node_modules/kotlin-compiler
OUT=target/kotlin
LIBDIR=target/debug
LIB=$LIBDIR/libfieldcrm_mobile.so

say "phone app translations (scripts/check-mobile-strings.py)"
python3 scripts/check-mobile-strings.py

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

say "cargo build: fieldcrm-mobile (cdylib + uniffi-bindgen), the server and the test fixture"
t0=$(date +%s)
cargo build -p fieldcrm-mobile -p fieldcrm-server --features fieldcrm-mobile/cli --lib --bins --example jvm_fixture
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

say "kotlinc: android :kit (non-Android sources) + its JVM test, against the compiled bindings"
rm -rf "$OUT/kit-classes"
t0=$(date +%s)
JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseParallelGC" \
  "$KH/bin/kotlinc-jvm" -Werror -cp "$OUT/classes:$JNA:$KX" -d "$OUT/kit-classes" \
  $(find android/kit/src/main/kotlin android/kit/src/jvmTest/kotlin -name '*.kt')
echo "kotlinc: $(( $(date +%s) - t0 )) s"

say "preparing the server's data (demo seed + a dispatch per test engineer) and starting it"
scratch=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
server_bin=$PWD/target/debug/fieldcrm
fixture_bin=$PWD/target/debug/examples/jvm_fixture
(cd "$scratch" && FIELDCRM__DATA_DIR="$scratch/server" RUST_LOG=warn "$fixture_bin")
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

# The closing "N passed, N failed" line of one test's output.
counts() { grep -Eo '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1; }

say "1/2 the generated bindings on the JVM (mobile-bindings/tests/kotlin/Main.kt)"
set +e
java -Djna.library.path="$LIBDIR" -cp "$OUT/classes:$STD:$KX:$JNA" MainKt "$url" "$scratch" \
  | tee "$scratch/bindings.out"
bindings_status=${PIPESTATUS[0]}

say "2/2 the Android :kit repository on the JVM (android/kit/src/jvmTest)"
java -Djna.library.path="$LIBDIR" -Djava.awt.headless=true \
  -cp "$OUT/kit-classes:$OUT/classes:$STD:$KX:$JNA" com.fieldcrm.kit.KitJvmTestKt "$url" "$scratch" \
  | tee "$scratch/kit.out"
kit_status=${PIPESTATUS[0]}
set -e

status=0
if [ "$bindings_status" -ne 0 ] || [ "$kit_status" -ne 0 ]; then
  status=1
  echo "--- server log ---"; tail -n 50 "$scratch/server.log"
fi
read -r p1 _ f1 _ <<<"$(counts "$scratch/bindings.out" || echo "0 passed, 1 failed")"
read -r p2 _ f2 _ <<<"$(counts "$scratch/kit.out" || echo "0 passed, 1 failed")"
echo
echo "bindings: $p1 passed, $f1 failed; kit: $p2 passed, $f2 failed"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
exit "$status"
