"""Investment planning on top of a run: costs, new sites, carriers, packs, scenarios.

This is the layer of issue 5, above the pipeline. It takes a
:class:`gisapp.pipeline.Result` and the planning settings of its config (``[costs]``,
``[propagation]``, ``[siting]``):

* :mod:`~gisapp.planning.plan` — :func:`plan`: cost of closing each gap, new sites,
  a carrier for each signal gap;
* :mod:`~gisapp.planning.packs` — :func:`carrier_pack_bytes` (one carrier's priority
  list as a zip, for the CLI and the app), :func:`write_carrier_packs`,
  :func:`write_plan` (every output of ``gisapp plan``);
* :mod:`~gisapp.planning.scenarios` — :func:`apply_scenario`, :func:`scenario_configs`;
* :mod:`~gisapp.planning.compare` — :func:`compare`: variations side by side; those
  that only touch assess-level or planning settings reuse one measurement;
* :mod:`~gisapp.planning.modelled` — :func:`with_modelled_coverage`.

Nothing here draws or imports Streamlit; the app and the CLI call these functions.
"""

from gisapp.planning.compare import Comparison, compare
from gisapp.planning.modelled import with_modelled_coverage
from gisapp.planning.packs import (
    PACK_FILES, carrier_pack_bytes, pack_carrier, pack_file_name, write_carrier_packs, write_plan,
)
from gisapp.planning.plan import (
    CARRIER, CARRIER_DIST_M, POP_UNSERVED, SIGNAL_GAP, SITE_RANK, UNASSIGNED, Plan, plan,
)
from gisapp.planning.scenarios import apply_scenario, scenario_configs

__all__ = [
    "Plan", "Comparison", "plan", "write_plan", "write_carrier_packs", "carrier_pack_bytes",
    "pack_carrier", "pack_file_name", "apply_scenario", "scenario_configs", "compare",
    "with_modelled_coverage", "CARRIER", "CARRIER_DIST_M", "POP_UNSERVED", "SITE_RANK",
    "SIGNAL_GAP", "UNASSIGNED", "PACK_FILES",
]
