#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver (Debian's `chromium` and `chromium-driver`) are
# installed, for the back office's browser test. Installs them with apt-get when missing and
# possible; otherwise says so (the browser test then prints SKIPPED, and fails when CI is set).
set -uo pipefail

# A CJK font so the zh-CN screenshots show text, not boxes.
have_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && have_cjk_font; then
  exit 0
fi
echo "==> installing the Debian packages chromium, chromium-driver, fonts-wqy-microhei"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else sudo=""; fi
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  $sudo apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null 2>&1 || true
fi
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "==> chromium $(/usr/bin/chromium --version 2>/dev/null | head -1) installed"
else
  echo "!!! could not install chromium/chromium-driver: the browser test will be SKIPPED !!!"
fi
exit 0
