#!/usr/bin/env bash
# Install the Debian packages a group of features needs (idempotent).
#   scripts/system-deps.sh core|diagrams|mermaid|db|report ...
# As root (CI is) it runs apt-get; otherwise it names the command to run and fails.
set -euo pipefail

declare -A GROUP=(
  [core]="java:openjdk-17-jre-headless mvn:maven openssl:openssl"
  [diagrams]="dot:graphviz"
  [mermaid]="node:nodejs npm:npm chromium:chromium /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
  [db]="/usr/lib/postgresql/15/bin/postgres:postgresql"
  [report]="xelatex:texlive-xetex pandoc:pandoc /usr/share/texlive/texmf-dist/tex/latex/adjustbox/adjustbox.sty:texlive-latex-extra /usr/share/texlive/texmf-dist/tex/latex/polyglossia/polyglossia.sty:texlive-latex-recommended /usr/share/texmf/tex/latex/lm/lmodern.sty:lmodern /usr/share/texlive/texmf-dist/tex/generic/iftex/iftex.sty:texlive-plain-generic /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core /usr/share/texlive/texmf-dist/fonts/type1/urw/helvetic/uhvr8a.pfb:texlive-fonts-recommended ffmpeg:ffmpeg"
)

missing=()
for group in "$@"; do
  for pair in ${GROUP[$group]:?unknown group $group}; do
    probe=${pair%%:*}; pkg=${pair#*:}
    if [[ $probe == /* ]]; then [[ -e $probe ]] && continue; else command -v "$probe" >/dev/null 2>&1 && continue; fi
    missing+=("$pkg")
  done
done
# Java must also be recent enough, not merely present.
if command -v java >/dev/null 2>&1 && [[ " $* " == *" core "* ]]; then
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [[ ${major:-0} -ge 17 ]] || missing+=(openjdk-17-jre-headless)
fi

[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
