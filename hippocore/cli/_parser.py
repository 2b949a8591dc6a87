"""One way to add a ``hippocore`` subcommand: shared options, help line, copy-paste example."""

from __future__ import annotations

import argparse

__all__ = ["subcommand"]


def subcommand(
    sub: argparse._SubParsersAction,
    name: str,
    common: argparse.ArgumentParser,
    text: str,
    epilog: str,
    *,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add subcommand ``name`` with the shared options of ``common``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The parent's subparsers.
    name : str
        Command name.
    common : argparse.ArgumentParser
        Options every command takes (``--debug``).
    text : str
        One-line help shown in the parent's command list.
    epilog : str
        The example block printed verbatim under ``--help``.
    description : str, optional
        Longer text under the usage line (default: none).

    Returns
    -------
    argparse.ArgumentParser
    """
    return sub.add_parser(
        name,
        parents=[common],
        help=text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
