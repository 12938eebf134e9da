#!/bin/sh
# Builds the fuzz targets' seed folders under fuzz/corpus/ (git-ignored) from the shared
# corpora, read in place: ../shared/corpus (feeds) and ../shared/extraction (pages, gzipped),
# or ROUNDUP_CORPUS and ROUNDUP_EXTRACTION. Run it from anywhere; rerunning refreshes the seeds
# and keeps what the fuzzer has added.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
feeds=${ROUNDUP_CORPUS:-$repo/../shared/corpus}
pages=${ROUNDUP_EXTRACTION:-$repo/../shared/extraction}
corpus=$fuzz/corpus
for target in parse extract config html_to_text editor_text serve_path; do
    mkdir -p "$corpus/$target"
done

# Feeds: every feed document in the shared corpus, plus the parser fixtures.
find "$feeds" "$repo/tests/fixtures/feeds" -type f \
    \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.json' -o -name '*.rdf' \) \
    ! -name '*.expected.json' |
    while read -r f; do
        cp "$f" "$corpus/parse/$(printf '%s' "$f" | sha256sum | cut -c1-16)"
    done

# Pages: the extraction benchmark's HTML, unzipped, for extraction and for HTML to text.
for f in "$pages"/html/*.html.gz; do
    name=$(basename "$f" .html.gz)
    gzip -dc "$f" >"$corpus/extract/$name"
    cp "$corpus/extract/$name" "$corpus/html_to_text/$name"
done

# Config: the repository's own feeds.toml and a few more shapes.
cp "$repo/feeds.toml" "$corpus/config/feeds.toml"
cat >"$corpus/config/settings.toml" <<'TOML'
[settings]
user_agent = "roundup-test"
interval = "2h"
max_body = "5 MiB"
private_networks = "allow"

[roundup]
title = "The week"
site = "https://example.com/"

[[feed]]
id = "a-blog"
url = "https://a.example/feed.xml"
interval = "30m"
TOML

# The editor's Markdown subset: links (also `[words]()` to the post), emphasis, strong, breaks.
printf '%s' 'Read *this* and **that**, then [the post](https://example.com/a).' >"$corpus/editor_text/inline"
printf '%s' 'First line  
second line\

A [self link]() and _under_ __score__ with `code` and <b>html</b>.' >"$corpus/editor_text/blocks"
printf '%s' '# Heading
- list
> quote
[ref]: https://example.com "t"
[ref] ![img](x.png) <https://auto.example> &amp; \*' >"$corpus/editor_text/other"

# Request paths as readers and attackers send them.
i=0
for p in / /index.html /2026/w48/ /feed.atom '/a%20b/c%2Fd' '/../etc/passwd' '/%2e%2e/x' \
    '/.git/config' '/a/./b//c' '/%00' '/%zz' '/caf%C3%A9/' '/a\b' '/%c0%ae%c0%ae/'; do
    i=$((i + 1))
    printf '%s' "$p" >"$corpus/serve_path/$i"
done

for target in "$corpus"/*; do
    echo "$(basename "$target"): $(find "$target" -type f | wc -l) seeds"
done
