#!/usr/bin/env python
"""Generate faq.yml (intent ask_tax_question) in the training data's nlu/ from the knowledge entries'
question variants (knowledge/faq_nlu.py). `--check` fails when the file is out of date.

    scripts/build_nlu.py [--check] [--knowledge DIR] [--data DIR]

The directories default to $KNOWLEDGE_DIR and $TRAINING_DATA_DIR, else the repo's knowledge/ and data/.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from knowledge.faq_nlu import faq_path, render  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if faq.yml is out of date")
    parser.add_argument("--knowledge", type=Path, default=Path(os.environ.get("KNOWLEDGE_DIR") or ROOT / "knowledge"))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TRAINING_DATA_DIR") or ROOT / "data"))
    args = parser.parse_args()
    nlu_dir = args.data / "nlu"
    text, target = render(args.knowledge, nlu_dir), faq_path(nlu_dir)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date: run `make nlu`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: {text.count(chr(10) + '    - ')} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
