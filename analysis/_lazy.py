"""Heavy dependencies imported on first use (private).

scipy.stats and statsmodels take 1-2 s to import. Every chapter module imports the
``analysis`` functions it calls, so without this the plot and render stages, which compute
nothing, would pay for them too. ``stats = lazy_import("scipy.stats")`` gives a module
object that loads itself the first time one of its attributes is read
(:class:`importlib.util.LazyLoader`); nothing else changes for the code that uses it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """Module ``name``, loaded when an attribute of it is first used (at once if it is
    already loaded). Its parent packages are imported now; they are light."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
