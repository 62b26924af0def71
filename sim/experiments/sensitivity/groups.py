"""Which lever of revenue and which stage of the customer journey a parameter belongs to:
the groups sensitivity indices and the value of information are summed over.

Each parameter's lever and stage are declared with it, in the spec (`models.spec.fields`);
this module names them where the sensitivity analysis and its callers look for them.
"""

from __future__ import annotations

from models.spec.fields import NO_LEVER, STAGES, lever_of, stage_of

# What is not one of the four levers of revenue: costs and the scenario's other settings.
OTHER = NO_LEVER

__all__ = ["OTHER", "STAGES", "lever_of", "stage_of"]
