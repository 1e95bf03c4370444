#!/bin/sh
# Writes the seed corpora of corpus/<target>/ (committed; run again only to renew them): small
# valid inputs of every kind each parser reads, made by the project's own test generators.
#   tests/fuzz/make_seeds.sh            (from the repository root; needs /usr/bin/python3)
set -eu
cd "$(dirname "$0")"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf corpus
mkdir -p corpus/weights corpus/arch corpus/image corpus/mask corpus/npy corpus/lists corpus/specs

# weights: a tiny architecture (a few KB) in every dtype and naming the loader accepts
tiny='{"stem": [2, 2, 2], "planes": [1, 1, 1, 1], "blocks": [1, 1, 1, 1], "expansion": 1,
 "dilations": [1, 1, 2, 4], "multi_grid": [1, 2, 4], "aspp": 2, "aspp_rates": [2, 3, 4],
 "embed": 2, "classifier": 2}'
n=0
for opts in "--model ad" "--model ad --dtype f16" "--model inter --dtype bf16" \
            "--model base --module-prefix" "--model concat --no-metadata"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    $py ../reference/adnet_reference.py $opts --arch "$tiny" --size 33x33 --frames 1 \
        --frame-size 33x33 --out "$tmp/w$n" > /dev/null
    cp "$tmp/w$n/weights.safetensors" "corpus/weights/tiny-$n.safetensors"
done

# architecture descriptions
cp ../../weights/demo_arch.json corpus/arch/demo.json
cp ../reference/odd_arch.json corpus/arch/odd.json
printf '%s' "$tiny" > corpus/arch/tiny.json
cat > corpus/arch/r101.json <<'JSON'
{"stem": [64, 64, 128], "planes": [64, 128, 256, 512], "blocks": [3, 4, 23, 3], "expansion": 4,
 "dilations": [1, 1, 2, 4], "multi_grid": [1, 2, 4], "aspp": 512, "aspp_rates": [12, 24, 36],
 "embed": 128, "classifier": 128}
JSON

# frames and masks: the image tests' cases under 4 KB (every JPEG and PNG kind they cover)
$py ../reference/make_image_cases.py "$tmp/img" > /dev/null
for f in "$tmp"/img/*.jpg "$tmp"/img/*.png; do
    [ "$(wc -c < "$f")" -le 4096 ] && cp "$f" corpus/image/
done
for f in "$tmp"/img/*.png; do
    [ "$(wc -c < "$f")" -le 4096 ] && cp "$f" corpus/mask/
done

# .npy arrays: every version, both byte orders, 0 to 4 dimensions
$py - <<'PY'
import numpy as np
import numpy.lib.format as fmt
d = "corpus/npy/"
np.save(d + "scalar.npy", np.float32(1.5))
np.save(d + "vector.npy", np.arange(5, dtype=np.float32))
np.save(d + "chw.npy", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
np.save(d + "big-endian.npy", np.arange(6, dtype=">f4").reshape(3, 2))
np.save(d + "empty.npy", np.zeros((0, 3), dtype=np.float32))
for v in ((2, 0), (3, 0)):
    with open(d + "version-%d.npy" % v[0], "wb") as f:
        a = np.ones((2, 2, 1, 2), dtype=np.float32)
        fmt.write_array(f, a, version=v)
PY

# video lists (ImageSets files and --videos values)
printf 'bear\nblackswan\n' > corpus/lists/imagesets.txt
printf '  bear \r\n\n\tblackswan\r\n' > corpus/lists/blanks.txt
printf 'bear,blackswan' > corpus/lists/names.txt
printf 'all' > corpus/lists/all.txt

# the command line's values
for s in 857x481 321X177 0 12 3/8 0/1 cpu gpu all cpu/2 0,1 gpu,cpu pthread ad intra; do
    printf '%s' "$s" > "corpus/specs/$(printf '%s' "$s" | tr '/,' '__')"
done
echo "seeds: $(find corpus -type f | wc -l) files, $(du -sk corpus | cut -f1) KiB"
