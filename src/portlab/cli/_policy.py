"""``portlab policy``: print the commented example policy, or check a policy file (private)."""

from __future__ import annotations

import argparse

from portlab.cli._common import ExitCode, emit
from portlab.cli._inputs import check_input, load_policy, reading

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    import yaml

    from portlab.datasets import example_paths
    from portlab.io import read_text

    if args.example:
        path = example_paths().get("policy")
        if path is None:
            raise RuntimeError("the example policy is missing from this installation")
        with reading(path):
            text = read_text(path)
        emit(text.rstrip("\n"))
        return ExitCode.OK
    check_input("--check", args.check)
    effective = {
        section: model.model_dump(mode="json") for section, model in load_policy(args.check).items()
    }
    emit(f"# {args.check}: valid; the effective configuration (defaults filled in)")
    emit(yaml.safe_dump(effective, sort_keys=False).rstrip("\n"))
    return ExitCode.OK
