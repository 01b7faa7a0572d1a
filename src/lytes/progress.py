"""A progress bar on stderr (rich), the same for every long command: what, a bar, done/total, time spent and left."""


def progress_bar(unit: str | None = None, terminal_only: bool = True):
    """A rich ``Progress`` (not started); with ``terminal_only`` it stays hidden unless stderr is a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *([TextColumn(unit)] if unit else []),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=terminal_only and not console.is_terminal,
    )
