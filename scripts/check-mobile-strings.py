#!/usr/bin/env python3
"""Checks the phone apps' translations (neither app can be built on every machine, so this runs
in scripts/kotlin-test.sh):

- Android: every R.string / R.plurals used in android/app/src exists in values/strings.xml;
  values/ and values-zh-rCN/ have the same keys, the same placeholders, no empty text.
- iOS: every key passed to L(...) in ios/FieldCRMApp/Sources exists in en.lproj and
  zh-Hans.lproj Localizable.strings; both files have the same keys and placeholders.

Prints what is wrong and exits 1, or prints a one-line summary.
"""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
problems = []


def android_catalogue(path):
    keys = {}
    for el in ET.parse(path).getroot():
        name = el.get("name")
        if el.tag == "string":
            keys[("string", name)] = [el.text or ""]
        elif el.tag == "plurals":
            keys[("plurals", name)] = [i.text or "" for i in el]
    return keys


def placeholders(texts):
    return sorted({p for t in texts for p in re.findall(r"%\d\$[sd@]|%\d\$l?ld", t)})


def compare(label, a, b, a_name, b_name):
    for k in sorted(set(a) - set(b)):
        problems.append(f"{label}: {k} in {a_name}, missing in {b_name}")
    for k in sorted(set(b) - set(a)):
        problems.append(f"{label}: {k} in {b_name}, missing in {a_name}")
    for k in sorted(set(a) & set(b)):
        if placeholders(a[k]) != placeholders(b[k]):
            problems.append(f"{label}: {k} placeholders differ: {placeholders(a[k])} vs {placeholders(b[k])}")
        if any(not t.strip() for t in a[k] + b[k]):
            problems.append(f"{label}: {k} has an empty text")


res = ROOT / "android/app/src/main/res"
en = android_catalogue(res / "values/strings.xml")
zh = android_catalogue(res / "values-zh-rCN/strings.xml")
compare("android", en, zh, "values", "values-zh-rCN")
used = set()
for f in (ROOT / "android/app/src").rglob("*.kt"):
    for kind, name in re.findall(r"\bR\.(string|plurals)\.([a-z0-9_]+)", f.read_text()):
        used.add((kind, name))
        if (kind, name) not in en:
            problems.append(f"android: R.{kind}.{name} used in {f.relative_to(ROOT)} but not defined")


def ios_catalogue(path):
    keys = {}
    for key, text in re.findall(r'^"([^"]+)"\s*=\s*"((?:[^"\\]|\\.)*)";\s*$', path.read_text(), re.M):
        if key in keys:
            problems.append(f"ios: {key} defined twice in {path.relative_to(ROOT)}")
        keys[key] = [text]
    return keys


lproj = ROOT / "ios/FieldCRMApp/Resources"
ios_en = ios_catalogue(lproj / "en.lproj/Localizable.strings")
ios_zh = ios_catalogue(lproj / "zh-Hans.lproj/Localizable.strings")
compare("ios", ios_en, ios_zh, "en.lproj", "zh-Hans.lproj")
ios_used = set()
for f in (ROOT / "ios/FieldCRMApp/Sources").rglob("*.swift"):
    src = f.read_text()
    for m in re.finditer(r"\bL\(", src):
        depth, i = 1, m.end()
        while i < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        call = src[m.end():i - 1]
        for dynamic in re.findall(r'"([a-z_]+)\\\(', call):
            # L("field_\(field)"): the switch lists the suffixes it allows.
            for suffix in re.findall(r'case ([^:]+):\s*\n\s*return L\("' + dynamic, src):
                for s in re.findall(r'"([a-z_.]+)"', suffix):
                    ios_used.add(dynamic + s)
        for key in re.findall(r'"([a-z][a-z0-9_]*)"', call):
            ios_used.add(key)
for key in sorted(ios_used):
    if key not in ios_en:
        problems.append(f"ios: L(\"{key}\") used but not in Localizable.strings")

if problems:
    print("\n".join(problems))
    print(f"{len(problems)} translation problems")
    sys.exit(1)
print(f"mobile strings: android {len(en)} keys ({len(used)} used), ios {len(ios_en)} keys ({len(ios_used)} used); "
      "en/zh complete and consistent")
