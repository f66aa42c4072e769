#!/usr/bin/env python3
"""Dump HL7 v2 files as JSON using python-hl7 (Debian package python3-hl7), for the differential test.

Usage: hl7_dump.py FILE...   ->  {"FILE": {"messages": [[segment, ...], ...], "unescaped": [...]} | {"error": "..."}}

Each segment is a list of fields; each field a list of repetitions; each repetition a list of components; each
component a list of sub-component strings (raw, still escaped). python-hl7 only nests where a separator occurs, so
the nesting is normalised here. "unescaped" lists [message, segment, field, repetition, component, sub-component,
value] for every leaf that holds the escape character, as hl7.Message.unescape returns it.

Normalisation python-hl7 needs (it splits segments on CR only and reads one message per parse): the UTF-8 BOM is
removed, CRLF and LF become CR, runs of CR collapse, and a file starting with FHS/BHS goes through hl7.parse_file.
"""
import json
import re
import sys

import hl7


def norm_component(c):
    if isinstance(c, str):
        return [c]
    return [str(s) for s in c]


def norm_repetition(r):
    if isinstance(r, str):
        return [[r]]
    if len(r) == 1 and isinstance(r[0], str):
        return [[r[0]]]
    return [norm_component(c) for c in r]


def norm_field(f):
    if isinstance(f, str):
        return [[[f]]]
    if len(f) == 1 and isinstance(f[0], str):
        return [[[f[0]]]]
    return [norm_repetition(r) for r in f]


def dump_message(message, index, unescaped):
    segments = []
    for s_index, segment in enumerate(message):
        fields = [norm_field(f) for f in segment]
        segments.append(fields)
        header = str(segment[0]) in ("MSH", "FHS", "BHS")
        for f_index, field in enumerate(fields):
            if header and f_index in (1, 2):
                continue
            for r_index, rep in enumerate(field):
                for c_index, comp in enumerate(rep):
                    for sub_index, leaf in enumerate(comp):
                        if message.esc in leaf:
                            unescaped.append([index, s_index, f_index, r_index, c_index + 1, sub_index + 1,
                                              message.unescape(leaf)])
    return segments


def dump_file(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8")
    text = re.sub(r"[\r\n]+", "\r", text).strip("\r")
    if text.startswith(("FHS", "BHS")):
        parsed = hl7.parse_file(text)
        messages = [m for batch in parsed for m in batch]
    else:
        messages = [hl7.parse(text)]
    unescaped = []
    return {"messages": [dump_message(m, i, unescaped) for i, m in enumerate(messages)], "unescaped": unescaped}


def main(paths):
    result = {}
    for path in paths:
        try:
            result[path] = dump_file(path)
        except Exception as exc:  # report, let the C# side decide
            result[path] = {"error": "%s: %s" % (type(exc).__name__, exc)}
    json.dump(result, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main(sys.argv[1:])
