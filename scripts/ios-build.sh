#!/usr/bin/env bash
# Builds the Rust core for the iOS app and generates its Swift bindings (macOS + Xcode only):
#   1. static libraries of fieldcrm-mobile for aarch64-apple-ios (devices), aarch64-apple-ios-sim
#      and x86_64-apple-ios (simulators on Apple silicon / Intel);
#   2. the two simulator slices joined with lipo;
#   3. Swift bindings from a host build with the pinned uniffi-bindgen (mobile-bindings/src/bin):
#      ios/FieldCRMKit/Sources/FieldCRMBindings/fieldcrm_mobile.swift + the C header and module map;
#   4. ios/FieldCRMKit/FieldCRMFFI.xcframework (xcodebuild -create-xcframework) with the header
#      and module map, which the Swift package's binary target `FieldCRMFFI` points at.
# Nothing it produces is committed.
#
# Needs: Xcode 16+ (xcodebuild, lipo), rustup.
# Usage: scripts/ios-build.sh [--profile release|debug]
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=release
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$PROFILE" in
  release) PROFILE_FLAG=(--release); PROFILE_DIR=release ;;
  debug) PROFILE_FLAG=(); PROFILE_DIR=debug ;;
  *) echo "--profile must be release or debug" >&2; exit 2 ;;
esac

[ "$(uname -s)" = Darwin ] || { echo "the iOS build needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode" >&2; exit 1; }

PKG=ios/FieldCRMKit
BINDINGS=$PKG/Sources/FieldCRMBindings
BUILD=target/ios
XCFRAMEWORK=$PKG/FieldCRMFFI.xcframework
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
LIB=libfieldcrm_mobile.a
export IPHONEOS_DEPLOYMENT_TARGET=16.0

say() { printf '\n==> %s\n' "$*"; }

installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

for t in "${TARGETS[@]}"; do
  say "cargo build ($PROFILE) --target $t"
  cargo build -p fieldcrm-mobile --lib --target "$t" "${PROFILE_FLAG[@]}"
done

say "uniffi-bindgen: Swift bindings -> $BINDINGS"
cargo build -p fieldcrm-mobile --features cli --lib --bin uniffi-bindgen
rm -rf "$BUILD" && mkdir -p "$BUILD/headers" "$BUILD/swift" "$BUILD/sim"
target/debug/uniffi-bindgen generate target/debug/libfieldcrm_mobile.dylib --language swift \
  --config ios/uniffi-ios.toml --out-dir "$BUILD/swift" --no-format
mkdir -p "$BINDINGS"
cp "$BUILD/swift/fieldcrm_mobile.swift" "$BINDINGS/"
cp "$BUILD/swift/FieldCRMFFI.h" "$BUILD/headers/"
# The xcframework wants the module map named module.modulemap next to the header.
cp "$BUILD/swift/FieldCRMFFI.modulemap" "$BUILD/headers/module.modulemap"

say "lipo: simulator slices"
lipo -create \
  "target/aarch64-apple-ios-sim/$PROFILE_DIR/$LIB" \
  "target/x86_64-apple-ios/$PROFILE_DIR/$LIB" \
  -output "$BUILD/sim/$LIB"

say "xcodebuild -create-xcframework -> $XCFRAMEWORK"
rm -rf "$XCFRAMEWORK"
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$PROFILE_DIR/$LIB" -headers "$BUILD/headers" \
  -library "$BUILD/sim/$LIB" -headers "$BUILD/headers" \
  -output "$XCFRAMEWORK"
echo "done: $XCFRAMEWORK, $BINDINGS/fieldcrm_mobile.swift"
