"""The ``neuroflow`` command (also ``python -m neuroflow``)."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="neuroflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("datasets", help="manage the datasets")
    data_sub = data.add_subparsers(dest="action", required=True)
    install = data_sub.add_parser("install", help="make a dataset available offline")
    install.add_argument("name", choices=["mnist", "fashion_mnist"])
    where = data_sub.add_parser("where", help="print where a dataset is found")
    where.add_argument("name", choices=["mnist", "fashion_mnist"])
    args = parser.parse_args(argv)

    from neuroflow.datasets import _sources

    if args.action == "install":
        try:
            folder = _sources.install(args.name)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(folder)
        return 0
    spec = _sources.SPECS[args.name]
    for folder in _sources.local_sources(spec):
        if folder.is_dir() and _sources.load_folder(folder, spec) is not None:
            print(folder)
            return 0
    print(
        f"{args.name} not found locally; run: neuroflow datasets install {args.name}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
