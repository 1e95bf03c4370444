#!/usr/bin/python3
"""Puts the gpu-compile tier's kernel x target table (TABLE.md, written by gpu_compile.py) into
DOC between the lines `<!-- gpu-compile table -->` and `<!-- end gpu-compile table -->`.
Usage: update_doc.py TABLE.md DOC"""
import os
import sys

table, doc = sys.argv[1:3]
begin, end = "<!-- gpu-compile table -->", "<!-- end gpu-compile table -->"
if not os.path.exists(table):
    sys.exit("update_doc.py: %s does not exist: run make test-gpu-compile first" % table)
text = open(doc).read()
if begin not in text or end not in text:
    sys.exit("update_doc.py: %s has no '%s' ... '%s' lines" % (doc, begin, end))
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
new = head + begin + "\n" + open(table).read() + end + tail
tmp = doc + ".tmp"
open(tmp, "w").write(new)
os.replace(tmp, doc)
print("updated", doc)
