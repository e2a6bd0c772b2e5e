#!/usr/bin/env bash
# System packages the product needs at run time: the fonts invoice PDFs are typeset with (Typst,
# from the typst Python package, reads them from Debian's font folders; nothing is fetched while
# rendering). DejaVu Sans for Latin, Greek, Cyrillic and Hebrew; Noto for Arabic and most other
# scripts; Noto CJK for Chinese, Japanese and Korean.
set -euo pipefail
packages=(fonts-dejavu-core fonts-noto-core fonts-noto-cjk)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "system packages: install ${missing[*]} (the invoice fonts) for PDF export" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
echo "system packages: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
  || { $sudo apt-get update -q >/dev/null \
       && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
