#!/usr/bin/env bash
# Builds the Rust core for the Android app and generates its Kotlin bindings:
#   1. cargo-ndk cross-compiles fieldcrm-mobile for arm64-v8a, armeabi-v7a and x86_64 into
#      android/kit/src/main/jniLibs/<abi>/libfieldcrm_mobile.so (packaged by the :kit AAR);
#   2. the pinned uniffi-bindgen (mobile-bindings/src/bin, feature `cli`) generates the Kotlin
#      sources from a host build of the same crate into android/kit/build/generated/uniffi/kotlin
#      (with android/uniffi-android.toml). Neither output is committed.
# Gradle runs this before every :kit build (task `rustAndroid`); it can also be run by hand.
#
# Needs: rustup, cargo-ndk (cargo install cargo-ndk --locked), the Android NDK
# (ANDROID_NDK_HOME, or ANDROID_HOME/ANDROID_SDK_ROOT with ndk/<version> inside).
#
# Usage: scripts/android-build.sh [--profile release|debug] [--abi ABI]...
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=release
ABIS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?}; shift 2 ;;
    --abi) ABIS+=("${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#ABIS[@]} -gt 0 ] || ABIS=(arm64-v8a armeabi-v7a x86_64)
case "$PROFILE" in
  release) PROFILE_FLAG=(--release) ;;
  debug) PROFILE_FLAG=() ;;
  *) echo "--profile must be release or debug" >&2; exit 2 ;;
esac

MIN_SDK=26   # android/app and android/kit minSdk
JNILIBS=android/kit/src/main/jniLibs
GENERATED=android/kit/build/generated/uniffi/kotlin

say() { printf '\n==> %s\n' "$*"; }

if ! command -v cargo-ndk >/dev/null 2>&1; then
  echo "cargo-ndk is missing: cargo install cargo-ndk --locked" >&2
  exit 1
fi
if [ -z "${ANDROID_NDK_HOME:-}" ]; then
  sdk=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}
  if [ -n "$sdk" ] && [ -d "$sdk/ndk" ]; then
    ANDROID_NDK_HOME=$(find "$sdk/ndk" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)
    export ANDROID_NDK_HOME
  fi
fi
if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -d "$ANDROID_NDK_HOME" ]; then
  echo "Android NDK not found: set ANDROID_NDK_HOME (or ANDROID_HOME with an ndk/ folder)" >&2
  exit 1
fi

rust_target() {
  case "$1" in
    arm64-v8a) echo aarch64-linux-android ;;
    armeabi-v7a) echo armv7-linux-androideabi ;;
    x86_64) echo x86_64-linux-android ;;
    x86) echo i686-linux-android ;;
    *) echo "unknown ABI $1" >&2; exit 2 ;;
  esac
}
targets=()
for abi in "${ABIS[@]}"; do targets+=("$(rust_target "$abi")"); done
if command -v rustup >/dev/null 2>&1; then
  missing=()
  installed=$(rustup target list --installed)
  for t in "${targets[@]}"; do grep -qx "$t" <<<"$installed" || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "rustup target add ${missing[*]}"
    rustup target add "${missing[@]}"
  fi
fi

say "cargo ndk ($PROFILE): ${ABIS[*]} -> $JNILIBS (NDK $ANDROID_NDK_HOME)"
ndk_args=(--platform "$MIN_SDK" --output-dir "$JNILIBS")
for abi in "${ABIS[@]}"; do ndk_args+=(--target "$abi"); done
cargo ndk "${ndk_args[@]}" build -p fieldcrm-mobile --lib "${PROFILE_FLAG[@]}"

# Bindings come from a host build of the same sources (library mode reads the uniffi metadata
# from the library; a host build keeps it readable whatever the Android linker stripped).
say "uniffi-bindgen: Kotlin bindings -> $GENERATED"
cargo build -p fieldcrm-mobile --features cli --lib --bin uniffi-bindgen
case "$(uname -s)" in
  Darwin) host_lib=target/debug/libfieldcrm_mobile.dylib ;;
  *) host_lib=target/debug/libfieldcrm_mobile.so ;;
esac
rm -rf "$GENERATED"
mkdir -p "$GENERATED"
target/debug/uniffi-bindgen generate "$host_lib" --language kotlin \
  --config android/uniffi-android.toml --out-dir "$GENERATED" --no-format

for abi in "${ABIS[@]}"; do
  lib="$JNILIBS/$abi/libfieldcrm_mobile.so"
  [ -f "$lib" ] || { echo "missing $lib" >&2; exit 1; }
  echo "$lib: $(du -h "$lib" | cut -f1)"
done
echo "bindings: $(find "$GENERATED" -name '*.kt' | tr '\n' ' ')"
