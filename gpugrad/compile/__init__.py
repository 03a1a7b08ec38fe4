"""Compilation: ``function``, shared variables, modes (Theano's ``theano.compile`` names)."""
from .modes import FAST_COMPILE, FAST_RUN, DebugMode, Mode, MonitorMode, NanGuardMode, get_default_mode, get_mode
from .profile import ProfileStats
