#!/usr/bin/env python3
"""Parses a Prometheus text exposition page (stdin) with prometheus_client's own parser, an
implementation independent of the module, and prints JSON for the tests:
{"samples": {"name{k=v,...}": value}, "families": {name: type}, "duplicates": [...]}.
A page the parser refuses makes the script exit with status 1 and the parser's message."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    samples, families, duplicates = {}, {}, []
    try:
        for family in text_string_to_metric_families(text):
            if family.name in families:
                duplicates.append("family " + family.name)
            families[family.name] = family.type
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                key = f"{sample.name}{{{labels}}}"
                if key in samples:
                    duplicates.append(key)
                samples[key] = sample.value
    except Exception as err:  # the parser's refusal is the test's failure message
        print(f"unparsable page: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"samples": samples, "families": families, "duplicates": duplicates}))


if __name__ == "__main__":
    main()
