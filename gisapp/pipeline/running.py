"""A whole run: measure and assess in one call, and a run written to a folder."""

from __future__ import annotations

from pathlib import Path

from gisapp.config import RunConfig, load_config
from gisapp.io import export
from gisapp.pipeline.assessing import assess
from gisapp.pipeline.measuring import measure
from gisapp.pipeline.model import Progress, Result
from gisapp.pipeline.towers import add_to_manifest, note_beyond_reach, with_tower_coverage

__all__ = ["run", "run_to_dir"]


def run(config: RunConfig | str | Path, *, progress: Progress | None = None,
        out_dir: str | Path | None = None) -> Result:
    """Measure and assess in one call: ``gisapp.run("config.toml")``.

    With ``model`` in ``[towers]``, the towers' coverage is modelled first and written to
    ``out_dir/modelled/`` (a temporary folder without ``out_dir``)."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    cfg, towers = with_tower_coverage(cfg, out_dir)
    m = measure(cfg, progress=progress)
    note_beyond_reach(m, towers)
    result = assess(m, cfg)
    add_to_manifest(result, towers)
    return result


def run_to_dir(config: RunConfig | str | Path, out_dir: str | Path, *,
               progress: Progress | None = None, lang: str = "vi"
               ) -> tuple[Result, dict[str, Path]]:
    """Run and write every export (villages.*, summary.csv, columns.csv, manifest.json)
    into ``out_dir``; Excel and KML in ``lang``."""
    result = run(config, progress=progress, out_dir=out_dir)
    title = result.config.options.name
    if result.config.options.synthetic and "synthetic" not in title.lower():
        title += " (synthetic data)"
    paths = export.write_all(result.villages, result.summary, result.manifest, Path(out_dir),
                             title=title, lang=lang)
    if len(result.report.unmatched_names):
        p = Path(out_dir) / "unmatched_names.csv"
        export.write_csv(result.report.unmatched_names, p)
        paths["unmatched_names"] = p
    return result, paths
