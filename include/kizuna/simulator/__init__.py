"""A synthetic Japanese B2B world: the demo data of Kizuna and the truth to test it by.

    from kizuna.simulator import SimulationConfig, simulate
    result = simulate(SimulationConfig(seed=42, n_accounts=2000), out_dir=Path("demo"))

writes ``landing/<source>/<entity>/<yyyy-mm-dd>/part-0001.<ext>`` (the raw contract, as
each source delivers it) and ``truth/*.csv`` (what really happened; never loaded).
"""

from kizuna.simulator.config import SimulationConfig
from kizuna.simulator.world import SimulationResult, simulate

__all__ = ["SimulationConfig", "SimulationResult", "simulate"]
