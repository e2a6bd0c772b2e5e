#!/usr/bin/env bash
# System libraries the product needs at run time: WeasyPrint renders PDFs with Pango and
# HarfBuzz (subsetting fonts for PDF/A), and the invoice fonts come from DejaVu. Attached
# images and scans are read with Tesseract OCR: English and German data, and the Latin-script
# model that keeps accents (core/attachments/ocr.py uses it when present).
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1
          fonts-dejavu-core tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu
          tesseract-ocr-script-latn)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "system packages: install ${missing[*]} (Pango, HarfBuzz, DejaVu fonts for PDF export;" \
       "Tesseract OCR for attachments)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
echo "system packages: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
  || { $sudo apt-get update -q >/dev/null \
       && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
